"""The read-only API's resources: thin DRF viewsets over the public querysets.

- Only what the public site shows: claims, and every reference to another claim (an event's
  agreements, a statement's event), come from ``relations.visibility``, the one rule of what a
  reader may see; nothing here looks at a claim's status.
- Records are looked up by their natural key, as on the site: ISO code (any case) or slug.
- Lists are keyset pages (``api.pagination``) in an order that ends in a unique field, with
  related rows prefetched into lists: a page costs the same few queries for 1 or 100 records.
- Events take the public timeline's own filter, ``relations.filters.TimelineFilter``; a filter
  it refuses (unknown domain, unreadable date, a NUL character...) is a 400 with its errors.
  Memberships take ``api.filters.MembershipFilter``, checked the same way.
- Footnotes are listed when a visible claim cites them (``visibility.footnotes``), each with
  the visible claims it backs: a footnote only drafts cite is not there, nor its excerpt.
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
from api.filters import ISO_CODE, MembershipFilter
from api.pagination import KeysetPagination
from api.schema import COUNTRY_HELP, FUZZY_DATE, FUZZY_DATE_HELP, ApiSchema
from relations import visibility
from relations.filters import TimelineFilter
from relations.models import (
    CLAIM_FIELDS,
    Agreement,
    Citation,
    Country,
    Domain,
    Official,
    Organisation,
    Relationship,
)
from sources.models import Source

SLUG = r"[-a-zA-Z0-9_]+"
PAIR = rf"{ISO_CODE}-{ISO_CODE}"


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
        queryset=Citation.objects.select_related("footnote__source")
        .only(
            "note",
            *(f"{field}_id" for field in CLAIM_FIELDS),
            *(f"footnote__{f}" for f in ("slug", "locator", "excerpt")),
            *(f"footnote__source__{f}" for f in ("slug", "title", "outlet")),
        )
        .order_by("id"),
        to_attr="citation_list",
    )


def backed_claims() -> Prefetch:
    """A footnote's citations by visible claims only, with each claim's kind and slug."""
    return Prefetch(
        "citations",
        queryset=visibility.citations()
        .select_related(*CLAIM_FIELDS)
        .only("note", "footnote_id", *(f"{field}__slug" for field in CLAIM_FIELDS))
        .order_by("id"),
        to_attr="citation_list",
    )


def concerns() -> Prefetch:
    return _list(
        "concerns", Relationship.objects.only("id", "slug").order_by("slug"), "concern_list"
    )


def countries() -> Prefetch:
    return _list(
        "countries", Country.objects.only("id", "code", "name").order_by("name"), "country_list"
    )


def domains() -> Prefetch:
    return _list("domains", Domain.objects.only("id", "slug", "name", "position"), "domain_list")


ORGANISATION_REF = ("slug", "name", "short_name", "unnamed")  # serializers.OrganisationRef


def organisations() -> Prefetch:
    return _list(
        "organisations",
        Organisation.objects.only("id", *ORGANISATION_REF).order_by("name", "id"),
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
    queryset = Organisation.objects.select_related("country", "location", "parent")
    serializer_class = serializers.OrganisationSerializer


class OfficialViewSet(PublicViewSet):
    queryset = Official.objects.select_related("country")
    serializer_class = serializers.OfficialSerializer


class SourceViewSet(PublicViewSet):
    queryset = Source.objects.all()
    serializer_class = serializers.SourceSerializer


class FootnoteViewSet(PublicViewSet):
    """Places in sources that back visible claims, each stored once, with the claims it backs."""

    queryset = visibility.footnotes().select_related("source").prefetch_related(backed_claims())
    serializer_class = serializers.FootnoteSerializer


class RelationshipViewSet(PublicViewSet):
    """Pairs of states with settings of their own dossier, by key (`by-ir`, codes sorted)."""

    queryset = Relationship.objects.select_related("first", "second")
    serializer_class = serializers.PairSerializer
    lookup_pattern = PAIR

    def get_object(self):
        self.kwargs["slug"] = self.kwargs["slug"].lower()
        return super().get_object()


# --- Claims ----------------------------------------------------------------------------------
def attributed(queryset):
    """Who made each claim ("according to …"), joined: the same query for any page size."""
    return queryset.select_related("according_to", "according_to_official")


# TimelineFilter's own descriptions, made exact where its form fields say less than they take.
TIMELINE_PARAMETERS = [
    OpenApiParameter(
        "country",
        {"type": "array", "items": {"type": "string", "pattern": f"^{ISO_CODE}$"}, "maxItems": 2},
        explode=True,
        style="form",
        description="ISO code, any case (`by`); twice for the events of a pair (`by`, `ir`). "
        + COUNTRY_HELP,
    ),
    *(
        OpenApiParameter(name, FUZZY_DATE, description=f"{help} {FUZZY_DATE_HELP}")
        for name, help in (
            ("from", "Events that end on or after the first day of this date."),
            ("to", "Events that start on or before the last day of this date."),
        )
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

    queryset = attributed(visibility.events()).prefetch_related(
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
        concerns(),
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
    queryset = attributed(visibility.agreements()).prefetch_related(
        countries(), organisations(), domains(), concerns(), citations()
    )
    serializer_class = serializers.AgreementSerializer


class StatementViewSet(PublicViewSet):
    queryset = (
        visibility.statements()  # not the joint words of an event a reader may not see
        .select_related("speaker", "speaker_organisation", "event")
        .defer("event__summary")
        .prefetch_related(countries(), domains(), concerns(), citations())
    )
    serializer_class = serializers.StatementSerializer


class PositionViewSet(PublicViewSet):
    """Posts officials held, in a state's government or an organisation."""

    queryset = visibility.positions().select_related("official", "country", "organisation")
    queryset = queryset.prefetch_related(citations())
    serializer_class = serializers.PositionSerializer


MEMBERSHIP_PARAMETERS = [
    OpenApiParameter(
        "country",
        str,
        pattern=f"^{ISO_CODE}$",
        description=f"The member state. {COUNTRY_HELP}",
    ),
    OpenApiParameter(
        "member_organisation", str, pattern=f"^{SLUG}$", description="The member organisation."
    ),
    OpenApiParameter(
        "organisation",
        str,
        pattern=f"^{SLUG}$",
        description="The organisation it is a membership of (`non-aligned-movement`).",
    ),
]


@extend_schema_view(list=extend_schema(parameters=MEMBERSHIP_PARAMETERS))
class MembershipViewSet(PublicViewSet):
    """States' and organisations' memberships of organisations, over time."""

    queryset = (
        visibility.memberships()
        .select_related("member_country", "member_organisation", "organisation")
        .prefetch_related(citations())
    )
    serializer_class = serializers.MembershipSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = MembershipFilter

    def filter_queryset(self, queryset):
        return super().filter_queryset(queryset) if self.action == "list" else queryset
