"""``/api/fixture/``: public records in ``export_kb``'s format, for mirrors.

    GET /api/fixture/?event=2010-06-minsk-summit,2009-oil-loan&organisation=belarusneft

answers a JSON array of records exactly as ``export_kb`` writes them without drafts (one record
a line, natural keys, no ids): the records named that a reader may see (a key that is not, or
no longer, visible is simply absent; a footnote is visible while a visible claim cites it),
everything they refer to, and the citations of every claim in it with the footnotes they cite
and their sources. That is a file ``import_kb`` loads as it is, read from one snapshot. A
mirror asks for the records the changes feed names in this form (``exchange/mirror.py``): what
it loads is then byte for byte what an export of the site says.
"""

from __future__ import annotations

import io

from django.db.models import Model
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.views import APIView

from api.schema import BAD_REQUEST
from exchange.changelog import LOGGED
from exchange.export import Exporter
from exchange.selection import Selection
from exchange.spec import key_field

#: What may be asked for: the changes feed's models (citations come with their claims).
MODELS: dict[str, type[Model]] = {kind: m for kind, m in LOGGED.items() if kind != "citation"}
MAX_KEYS = 200
KEYS = r"^[-a-zA-Z0-9_]{1,160}(,[-a-zA-Z0-9_]{1,160})*$"  # a footnote's slug is up to 160


class FixtureQuery(serializers.Serializer):
    def get_fields(self):
        return {
            kind: serializers.RegexField(
                KEYS, required=False, help_text=f"Keys of {kind} records, separated by commas."
            )
            for kind in MODELS
        }

    def validate(self, data):
        keys = {kind: sorted(set(text.split(","))) for kind, text in data.items()}
        total = sum(len(k) for k in keys.values())
        if not total:
            raise serializers.ValidationError("Name at least one record, e.g. `?event=<slug>`.")
        if total > MAX_KEYS:
            raise serializers.ValidationError(f"At most {MAX_KEYS} keys in all; ask in parts.")
        return keys


RECORDS = inline_serializer(
    "FixtureRecord",
    {
        "model": serializers.CharField(help_text="`relations.event`, `sources.source`…"),
        "fields": serializers.DictField(help_text="Its fields, references as natural keys."),
    },
    many=True,
)


class FixtureView(APIView):
    """Public records, what they refer to and their citations, as ``export_kb`` writes them."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[FixtureQuery],
        responses={
            200: OpenApiResponse(RECORDS, description="A fixture: a JSON array of records."),
            400: BAD_REQUEST,
        },
    )
    def get(self, request: Request) -> HttpResponse:
        query = FixtureQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        roots = {}
        for kind, keys in query.validated_data.items():
            model = MODELS[kind]
            field = key_field(model)
            values = [k.upper() for k in keys] if field == "code" else keys
            roots[model] = model._default_manager.filter(**{f"{field}__in": values})
        out = io.StringIO()
        Exporter(Selection(roots=roots)).write(out)
        return HttpResponse(out.getvalue(), content_type="application/json; charset=utf-8")
