"""The read-only API's resources: thin DRF viewsets over the public querysets.

- Only what the public site shows: claims, and every reference to another claim (an event's
  agreements, a statement's event), come from ``relations.visibility``, the one rule of what a
  reader may see; nothing here looks at a claim's status.
- Records are looked up by their natural key, as on the site: ISO code (any case) or slug.
- Lists are keyset pages (``api.pagination``) in an order that ends in a unique field, with
  related rows prefetched into lists: a page costs the same few queries for 1 or 100 records.
- Events take the public timeline's own filter, ``relations.filters.TimelineFilter``; a filter
  it refuses (unknown domain, unreadable date, a NUL character...) is a 400 with its errors.
- Anonymous and read-only: no authentication (so no sessions, no CSRF), only GET, HEAD and
  OPTIONS; anything else is 405. No CORS headers: browsers on other origins cannot read it.
"""

from __future__ import annotations

import re

from django.db.models import Prefetch
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny

from api import serializers
from api.pagination import KeysetPagination
from api.schema import ApiSchema
from relations import visibility
from relations.filters import TimelineFilter
from relations.models import (
    Agreement,
    Citation,
    Country,
    Domain,
    Official,
    Organisation,
)
from sources.models import Source

SLUG = r"[-a-zA-Z0-9_]+"
ISO_CODE = r"[a-zA-Z]{2}(?:[a-zA-Z]{2})?"


class PublicViewSet(viewsets.ReadOnlyModelViewSet):
    """Anonymous, read-only, keyset-paged; ``ordering`` must end in a unique field."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    pagination_class = KeysetPagination
    schema = ApiSchema()
    lookup_field = "slug"
    lookup_pattern = SLUG  # what a key looks like (routed loosely: see api.schema)
    lookup_value_regex = "[^/]+"
    ordering: tuple[str, ...] = ("slug",)

    def get_ordering(self) -> tuple[str, ...]:
        return self.ordering

    def get_object(self):
        # Checked before the query: a key with a NUL character would be a database error.
        if not re.fullmatch(self.lookup_pattern, self.kwargs[self.lookup_field]):
            raise NotFound()
        return super().get_object()


# --- Prefetches: into plain lists, one query per relation for a whole page ----------------------
def _list(relation: str, queryset, name: str) -> Prefetch:
    return Prefetch(relation, queryset=queryset, to_attr=name)


def citations() -> Prefetch:
    # A visible claim's citations are all visible (``visibility``): no condition of their own.
    return Prefetch(
        "citations",
        queryset=Citation.objects.select_related("source")
        .only(
            "locator",
            "excerpt",
            *(f"{field}_id" for field in Citation.claim_fields),
            *(f"source__{f}" for f in ("slug", "title", "outlet")),
        )
        .order_by("id"),
        to_attr="citation_list",
    )


def countries() -> Prefetch:
    return _list(
        "countries", Country.objects.only("id", "code", "name").order_by("name"), "country_list"
    )


def domains() -> Prefetch:
    return _list("domains", Domain.objects.only("id", "slug", "name", "position"), "domain_list")


def organisations() -> Prefetch:
    return _list(
        "organisations",
        Organisation.objects.only("id", "slug", "name", "short_name").order_by("name", "id"),
        "organisation_list",
    )


# --- Reference data -----------------------------------------------------------------------------
class CountryViewSet(PublicViewSet):
    """Every state, current and former, by ISO 3166 code (`by`, `BY`; `suhh` once withdrawn)."""

    queryset = Country.objects.all()
    serializer_class = serializers.CountrySerializer
    lookup_field = "code"
    lookup_pattern = ISO_CODE
    ordering = ("code",)

    def get_object(self):
        self.kwargs["code"] = self.kwargs["code"].upper()
        return super().get_object()


class DomainViewSet(PublicViewSet):
    """The fields of relations (the sections of a dossier), in dossier order."""

    queryset = Domain.objects.all()
    serializer_class = serializers.DomainSerializer
    ordering = ("position", "id")


class OrganisationViewSet(PublicViewSet):
    queryset = Organisation.objects.select_related("country", "parent")
    serializer_class = serializers.OrganisationSerializer


class OfficialViewSet(PublicViewSet):
    queryset = Official.objects.select_related("country")
    serializer_class = serializers.OfficialSerializer


class SourceViewSet(PublicViewSet):
    queryset = Source.objects.all()
    serializer_class = serializers.SourceSerializer


# --- Claims ----------------------------------------------------------------------------------
# TimelineFilter's own descriptions, made exact where its form fields say less than they take.
TIMELINE_PARAMETERS = [
    OpenApiParameter(
        "country",
        {"type": "array", "items": {"type": "string", "pattern": f"^{ISO_CODE}$"}, "maxItems": 2},
        explode=True,
        style="form",
        description="ISO code, any case (`by`); twice for the events of a pair (`by`, `ir`).",
    ),
    OpenApiParameter(
        "domain",
        {"type": "array", "items": {"type": "string"}},
        explode=True,
        style="form",
        description="Domain slugs (`/api/domains/`), repeated: events in any of them.",
    ),
    OpenApiParameter(
        "order",
        str,
        enum=["oldest", "newest"],
        description="Oldest first (the default) or newest first, by start date.",
    ),
]


@extend_schema_view(list=extend_schema(parameters=TIMELINE_PARAMETERS))
class EventViewSet(PublicViewSet):
    """Visible events, filtered as the public timeline filters them (the same FilterSet)."""

    queryset = visibility.events().prefetch_related(
        domains(),
        countries(),
        organisations(),
        _list(
            "officials",
            Official.objects.only("id", "slug", "name").order_by("name", "id"),
            "official_list",
        ),
        _list(
            "agreements",
            visibility.claims(Agreement).only("id", "slug", "title").order_by("date_lower", "id"),
            "agreement_list",
        ),
        citations(),
    )
    serializer_class = serializers.EventSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = TimelineFilter

    def filter_queryset(self, queryset):
        # The timeline's filter is for lists; a record is found by its slug alone.
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    def get_ordering(self) -> tuple[str, ...]:
        # The visible events in index order (date_lower, id), either way, as the timeline pages.
        newest = self.request.query_params.get("order") == "newest"
        return ("-date_lower", "-id") if newest else ("date_lower", "id")


class AgreementViewSet(PublicViewSet):
    queryset = visibility.agreements().prefetch_related(
        countries(), organisations(), domains(), citations()
    )
    serializer_class = serializers.AgreementSerializer


class StatementViewSet(PublicViewSet):
    queryset = (
        visibility.statements()  # not the joint words of an event a reader may not see
        .select_related("speaker", "speaker_organisation", "event")
        .defer("event__summary")
        .prefetch_related(countries(), domains(), citations())
    )
    serializer_class = serializers.StatementSerializer


class PositionViewSet(PublicViewSet):
    """Posts officials held, in a state's government or an organisation."""

    queryset = visibility.positions().select_related("official", "country", "organisation")
    queryset = queryset.prefetch_related(citations())
    serializer_class = serializers.PositionSerializer
