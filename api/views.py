"""The read-only API's resources: thin DRF viewsets over the public querysets.

- Only what the public site shows: claims, and every reference to another claim (an event's
  agreements, a statement's event), come from ``relations.visibility``, the one rule of what a
  reader may see; nothing here looks at a claim's status.
- Records are looked up by their natural key, as on the site: ISO code (any case) or slug.
- Lists are keyset pages (``api.pagination``) in an order that ends in a unique field. What a
  record links to is read in its own query, as lists in subqueries (``linked``), and citations
  are prefetched: a page costs the same query or two for 1 or 100 records.
- Events take the public timeline's own filter, ``relations.filters.TimelineFilter``, and page
  as the timeline does (its request, its date window, its keyset: ``relations.paging``); a filter
  it refuses (unknown domain, unreadable date, a NUL character...) is a 400 with its errors.
  Memberships take ``api.filters.MembershipFilter``, checked the same way.
- Footnotes are listed when a visible claim cites them (``visibility.footnotes``), each with
  the visible claims it backs: a footnote only drafts cite is not there, nor its excerpt.
- Anonymous and read-only: no authentication (so no sessions, no CSRF), only GET, HEAD and
  OPTIONS; anything else is 405. No CORS headers: browsers on other origins cannot read it.
"""

from __future__ import annotations

import json
import re

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import F, OuterRef, Prefetch, Q
from django.db.models.functions import JSONObject
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny

from api import serializers
from api.filters import ISO_CODE, MembershipFilter
from api.pagination import EventPagination, KeysetPagination
from api.schema import COUNTRY_HELP, FUZZY_DATE, FUZZY_DATE_HELP, ApiSchema
from reader.timeline.request import Timeline
from relations import visibility
from relations.filters import TimelineFilter
from relations.models import (
    CLAIM_FIELDS,
    Agreement,
    Citation,
    Country,
    Domain,
    Event,
    Official,
    Organisation,
    Relationship,
    Statement,
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


# --- Links: what a record links to, read in the record's own query -----------------------------
class LinkList(ArraySubquery):
    """A subquery's values (column ``ref``), in its order, as a list: PostgreSQL's ARRAY, or
    on SQLite (the demo's database) a JSON array read back into one."""

    def __init__(self, queryset, *, objects: bool) -> None:
        super().__init__(queryset)
        self.objects = objects  # JSON objects (SQLite must read them as JSON, not as text)

    def as_sqlite(self, compiler, connection, **extra):
        value = "json(_v.ref)" if self.objects else "_v.ref"
        template = f"(SELECT json_group_array({value}) FROM (%(subquery)s) AS _v)"
        return self.as_sql(compiler, connection, template=template, **extra)

    def get_db_converters(self, connection):
        if connection.vendor == "sqlite":
            return [lambda value, expression, connection: json.loads(value)]
        return super().get_db_converters(connection)


def linked(
    model, relation: str, order: tuple[str, ...], fields: tuple[str, ...] | str, where=None
) -> LinkList:
    """For each row, the records it links to by ``relation`` (many-to-many), in ``order``, as
    the serializer reads them: objects of ``fields``, or one field's values.

    In a subquery of the row's own query: a page's references cost no query of their own (not
    one per relation) and no model instances; the subquery is an index range of the through
    table per row, evaluated for the page's rows only."""
    m2m = model._meta.get_field(relation)
    target = m2m.m2m_reverse_field_name()
    links = m2m.remote_field.through.objects.filter(
        where or Q(), **{m2m.m2m_field_name(): OuterRef("pk")}
    ).order_by(*(f"{target}__{name}" for name in order))
    if isinstance(fields, str):
        return LinkList(links.values(ref=F(f"{target}__{fields}")), objects=False)
    values = JSONObject(**{field: f"{target}__{field}" for field in fields})
    return LinkList(links.values(ref=values), objects=True)


# The fields of the serializers' references (``serializers.CountryRef``, ``SlugRef``...).
COUNTRY_REF = ("code", "name")
SLUG_REF = ("slug", "name")
ORGANISATION_REF = ("slug", "name", "short_name", "unnamed")
TITLED_REF = ("slug", "title")


def concerns(model) -> dict:
    """The relationships it concerns, by slug (``serializers.SlugList``)."""
    return {"concern_list": linked(model, "concerns", ("slug",), "slug")}


def countries(model) -> dict:
    return {"country_list": linked(model, "countries", ("name",), COUNTRY_REF)}


def domains(model) -> dict:  # in their own order (Domain.Meta)
    return {"domain_list": linked(model, "domains", ("position", "name"), SLUG_REF)}


def organisations(model) -> dict:
    return {"organisation_list": linked(model, "organisations", ("name", "id"), ORGANISATION_REF)}


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

    queryset = (
        attributed(visibility.events())
        .annotate(
            **domains(Event),
            **countries(Event),
            **organisations(Event),
            official_list=linked(Event, "officials", ("name", "id"), SLUG_REF),
            agreement_list=linked(
                Event,
                "agreements",
                ("date_lower", "id"),
                TITLED_REF,
                where=visibility.claim_q(Agreement, "agreement__"),
            ),
            **concerns(Event),
        )
        .prefetch_related(citations())
    )
    serializer_class = serializers.EventSerializer
    pagination_class = EventPagination
    filter_backends = [DjangoFilterBackend]  # describes the filter in the schema
    filterset_class = TimelineFilter

    def filter_queryset(self, queryset):
        """The list is a timeline request, read by the timeline's own code (its filter, its
        date window), so that it pages as the timeline does (``api.pagination``): the filtered
        events, whose page is then read from ``queryset``. A record is found by its slug alone.
        """
        if self.action != "list":
            return queryset
        self.timeline = Timeline(self.request._request)
        filterset = self.timeline.filterset
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)
        return self.timeline.queryset

    def get_ordering(self) -> tuple[str, ...]:
        # The visible events in index order (date_lower, id), either way, as the timeline pages.
        newest = self.request.query_params.get("order") == "newest"
        return ("-date_lower", "-id") if newest else ("date_lower", "id")


class AgreementViewSet(PublicViewSet):
    queryset = (
        attributed(visibility.agreements())
        .annotate(
            **countries(Agreement),
            **organisations(Agreement),
            **domains(Agreement),
            **concerns(Agreement),
        )
        .prefetch_related(citations())
    )
    serializer_class = serializers.AgreementSerializer


class StatementViewSet(PublicViewSet):
    queryset = (
        visibility.statements()  # not the joint words of an event a reader may not see
        .select_related("speaker", "speaker_organisation", "event")
        .defer("event__summary")
        .annotate(**countries(Statement), **domains(Statement), **concerns(Statement))
        .prefetch_related(citations())
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
