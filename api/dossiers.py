"""Relationship dossiers as JSON, built by the site's own builder (``reader.dossiers``).

``/api/relations/by-ir/`` is what ``/relations/by-ir/`` shows: sections by domain (in the pair's
own order and titles, if its relationship sets them), each with its newest items (events,
agreements, statements) in date order, the parts told inside them (an agreement told with its
event, words said there) and their footnote numbers, then the notes. Each item carries its
structured fields and the paragraph as the site renders it (``html``, with links to the public
pages); ``notes`` are every number its paragraph shows. ``?as_of=2009`` shows the dossier as it
stood then.
The codes go in alphabetical order; the other order redirects (301), as on the site.

``/api/relations/`` lists the busiest relationships (the site's ranking, cached as there): a
ranking of at most ``INDEX_SIZE`` pairs, so not paged.
"""

from __future__ import annotations

import re
from typing import Any

from django.http import Http404, HttpResponsePermanentRedirect
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from api.schema import BAD_REQUEST, FUZZY_DATE, FUZZY_DATE_HELP, NOT_FOUND, ApiSchema
from api.serializers import CountryRef, SlugRef, api_url
from api.views import ISO_CODE
from reader.dossiers import index, render
from reader.dossiers.build import Dossier, Item, NoteView, Section, pair_name
from reader.dossiers.forms import AsOfForm
from reader.dossiers.people import Mention, Named
from relations import presentation
from relations.models import Country


# --- The shapes (for the schema, and to render the builder's objects) ---------------------------
class ClaimRef(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=["event", "agreement", "statement", "position", "membership"]
    )
    key = serializers.SlugField(help_text="The claim's slug.")


class MentionSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["country", "organisation", "official"])
    key = serializers.CharField(help_text="ISO code or slug.")
    name = serializers.CharField(help_text="As the page names it (an unnamed body described).")
    role = serializers.CharField(
        required=False, help_text="The post or membership the item's own notes state, if any."
    )


class PartSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["agreement", "statement"])
    slug = serializers.SlugField()
    url = serializers.URLField(help_text="The claim in the API.")
    date = serializers.CharField(help_text="As the dossier shows it.")
    title = serializers.CharField(help_text="An agreement's title; the words of a statement.")
    notes = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="The part's own footnote numbers (an agreement's are in its item's group).",
    )


class ItemSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["event", "agreement", "statement"])
    slug = serializers.SlugField(help_text="The claim's slug.")
    key = serializers.SlugField(help_text="The claim's slug (as `slug`).")
    url = serializers.URLField(help_text="The claim in the API.")
    date = serializers.CharField(help_text="As the dossier shows it: “late June 2010”.")
    date_lower = serializers.DateField(allow_null=True)
    date_upper = serializers.DateField(allow_null=True)
    title = serializers.CharField(help_text="An event's or agreement's title; a quote for words.")
    participants = MentionSerializer(many=True)
    according_to = MentionSerializer(many=True, help_text="Who made the claim, per the source.")
    notes = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Every footnote number the paragraph shows (its own, its parts', its posts').",
    )
    own_notes = serializers.ListField(
        child=serializers.IntegerField(), help_text="The numbers after the item's own words."
    )
    parts = PartSerializer(many=True, help_text="Told inside this item: agreements, words.")
    html = serializers.CharField(help_text="The paragraph as the site renders it.")


class SectionSerializer(serializers.Serializer):
    domain = SlugRef(allow_null=True, help_text="None for claims in no domain.")
    name = serializers.CharField(help_text="The section's title in this dossier.")
    total = serializers.IntegerField(help_text="The section's claims; `items` are the newest.")
    timeline_url = serializers.CharField(help_text="The rest, on the public timeline.")
    items = ItemSerializer(many=True)
    more_on = MentionSerializer(many=True)


class NoteSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    source = serializers.DictField(help_text="slug, title, outlet, url (in the API).")
    locator = serializers.CharField(help_text="The place in the source: “note 4”.")
    excerpt = serializers.CharField()
    claims = ClaimRef(many=True, help_text="The claims shown with this note's marker.")


class DossierSerializer(serializers.Serializer):
    title = serializers.CharField()
    countries = CountryRef(many=True)
    as_of = serializers.DateField(allow_null=True)
    introduction = serializers.CharField(
        help_text="Background the pair's relationship gives, in our own words: no note backs it."
    )
    counts = serializers.DictField(child=serializers.IntegerField())
    span = serializers.ListField(child=serializers.IntegerField(), allow_null=True)
    sections = SectionSerializer(many=True)
    notes = NoteSerializer(many=True)
    url = serializers.URLField()
    html_url = serializers.URLField()


class RelationshipSerializer(serializers.Serializer):
    name = serializers.CharField()
    codes = serializers.CharField()
    events = serializers.IntegerField(help_text="Published events of the pair.")
    url = serializers.URLField()
    html_url = serializers.URLField()


# --- Rendering the builder's objects ------------------------------------------------------------
def _mention(named: Named | Mention) -> dict[str, str]:
    mention = named.mention if isinstance(named, Named) else named
    data = {"kind": mention.kind, "key": mention.key, "name": mention.label}
    if isinstance(named, Named) and named.role:
        data["role"] = named.role
    return data


def _title(item: Item) -> str:
    return " … ".join(item.fragments) if item.kind == "statement" else item.claim.title


def _numbers(item: Item) -> list[int]:
    """Every footnote number the item's paragraph shows."""
    numbers = {note.number for note in item.notes}
    for part in item.statements:
        numbers.update(note.number for note in part.notes)
    for told in (item, *item.parts):
        for named in (*told.participants, told.speaker, told.speaker_organisation):
            if named is not None:
                numbers.update(note.number for note in named.role_notes)
    return sorted(numbers)


def _part(request: Request, part: Item) -> dict[str, Any]:
    return {
        "kind": part.kind,
        "slug": part.claim.slug,
        "url": api_url(request, part.kind, part.claim.slug),
        "date": presentation.readable_date(part.claim.date),
        "title": _title(part),
        "notes": [note.number for note in part.notes],
    }


def _item(request: Request, item: Item) -> dict[str, Any]:
    claim = item.claim
    return {
        "kind": item.kind,
        "slug": claim.slug,
        "key": claim.slug,
        "url": api_url(request, item.kind, claim.slug),
        "date": presentation.readable_date(claim.date),
        "date_lower": claim.date_lower,
        "date_upper": claim.date_upper,
        "title": _title(item),
        "participants": [_mention(p) for p in item.participants],
        "according_to": [_mention(m) for m in item.according_to],
        "notes": _numbers(item),
        "own_notes": [note.number for note in item.notes],
        "parts": [_part(request, part) for part in item.parts],
        "html": str(render.paragraph(item)),
    }


def _section(request: Request, section: Section) -> dict[str, Any]:
    domain = section.domain
    return {
        "domain": {"slug": domain.slug, "name": domain.name} if domain else None,
        "name": section.name,
        "total": section.total,
        "timeline_url": request.build_absolute_uri(section.timeline_url),
        "items": [_item(request, item) for item in section.items],
        "more_on": [_mention(m) for m in section.more_on],
    }


def _note(request: Request, view: NoteView) -> dict[str, Any]:
    note, source = view.note, view.note.source
    return {
        "number": note.number,
        "source": {
            "slug": source.slug,
            "title": source.title,
            "outlet": source.outlet,
            "url": api_url(request, "source", source.slug),
        },
        "locator": note.locator,
        "excerpt": note.excerpt,
        "claims": [{"kind": c._meta.model_name, "key": c.slug} for c in note.claims],
    }


# --- The views ----------------------------------------------------------------------------------
AS_OF = OpenApiParameter(
    "as_of",
    FUZZY_DATE,
    description="Show the dossier as it stood at the end of this date: 2009, May 2009, "
    f"2009-12-31. {FUZZY_DATE_HELP}",
)


class DossierViewSet(viewsets.ViewSet):
    """Relationship dossiers: the busiest pairs, and any pair's dossier."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    schema = ApiSchema()
    lookup_field = "pair"
    lookup_value_regex = "[^/]+"  # checked in the view, for a JSON 404 (see api.schema)

    @extend_schema(responses=RelationshipSerializer(many=True))
    def list(self, request: Request) -> Response:
        pairs = index.busiest()
        data = [
            {
                "name": pair["name"],
                "codes": pair["codes"],
                "events": pair["events"],
                "url": request.build_absolute_uri(self._path(*pair["codes"].split("–"))),
                "html_url": request.build_absolute_uri(pair["url"]),
            }
            for pair in pairs
        ]
        return Response(data)

    @extend_schema(
        parameters=[
            AS_OF,
            OpenApiParameter(
                "pair",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                pattern=f"^{ISO_CODE}-{ISO_CODE}$",
                description="Two ISO codes in alphabetical order, e.g. `by-ir`.",
            ),
        ],
        responses={
            200: DossierSerializer,
            301: OpenApiResponse(description="The same dossier, codes in alphabetical order."),
            400: BAD_REQUEST,
            404: NOT_FOUND,
        },
    )
    def retrieve(self, request: Request, pair: str) -> Response:
        if not re.fullmatch(f"{ISO_CODE}-{ISO_CODE}", pair):
            raise Http404("A pair of ISO codes, e.g. by-ir.")
        first, second = (code.upper() for code in pair.split("-"))
        if first == second:
            raise Http404("A country has no relations with itself here.")
        countries = {c.code: c for c in Country.objects.filter(code__in=[first, second])}
        if len(countries) != 2:
            raise Http404("No such country.")
        if first > second:  # one URL per pair, as on the site
            query = request.META.get("QUERY_STRING", "")
            url = self._path(second, first)
            return HttpResponsePermanentRedirect(f"{url}?{query}" if query else url)
        form = AsOfForm(request.query_params if "as_of" in request.query_params else None)
        if form.is_bound and not form.is_valid():
            raise ValidationError({name: list(errors) for name, errors in form.errors.items()})
        as_of = form.cleaned_data["as_of"] if form.is_bound else None
        a, b = countries[first], countries[second]
        built = Dossier(a, b, as_of).build()
        html_url = reverse("dossier", args=[a.code, b.code])
        return Response(
            {
                "title": pair_name(a, b),
                "countries": [{"code": c.code, "name": c.name} for c in (a, b)],
                "as_of": as_of,
                "introduction": built["introduction"],
                "counts": built["counts"],
                "span": list(built["span"]) if built["span"] else None,
                "sections": [_section(request, s) for s in built["sections"]],
                "notes": [_note(request, n) for n in built["notes"]],
                "url": request.build_absolute_uri(self._path(a.code, b.code)),
                "html_url": request.build_absolute_uri(html_url),
            }
        )

    @staticmethod
    def _path(first: str, second: str) -> str:
        return reverse("api:dossier-detail", args=[f"{first}-{second}".lower()])
