"""What the API says about each record: its fields, references to others by natural key, a link
to itself in the API (``url``) and to its public page (``html_url``) where it has one.

References name other records by their natural key (ISO code or slug) with a name for display;
the referenced record's own resource is the authority for everything else about it, so a
mirror keeps one copy of each record. References to claims name visible claims only (the views
prefetch them through ``relations.visibility``; a statement's event is asked of it), and
citations carry the source, locator and excerpt (not the analyst's note, which the public site
does not show either).

Dates and sums read as on the pages, from ``relations.presentation``: ``date_display`` is the
text a page shows ("late June 2010"), an agreement's ``value_display`` its compact sum ("$212m").
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.dates import Precision
from relations import presentation, visibility
from relations.models import (
    Agreement,
    Country,
    Domain,
    Event,
    Official,
    Organisation,
    Position,
    Statement,
)
from sources.models import Source

# The API resource of each kind of record, and the field its URL is keyed on.
RESOURCES: dict[str, tuple[str, str]] = {
    "country": ("api:country-detail", "code"),
    "domain": ("api:domain-detail", "slug"),
    "organisation": ("api:organisation-detail", "slug"),
    "official": ("api:official-detail", "slug"),
    "source": ("api:source-detail", "slug"),
    "event": ("api:event-detail", "slug"),
    "agreement": ("api:agreement-detail", "slug"),
    "statement": ("api:statement-detail", "slug"),
    "position": ("api:position-detail", "slug"),
}


def api_url(request, kind: str, key: str) -> str:
    """The absolute API URL of the record of ``kind`` with natural key ``key``."""
    view_name = RESOURCES[kind][0]
    path = reverse(view_name, args=[key.lower() if kind == "country" else key])
    return request.build_absolute_uri(path) if request is not None else path


@extend_schema_field(OpenApiTypes.URI)
class SelfLink(serializers.Field):
    """The record's own API URL."""

    def __init__(self, kind: str, **kwargs) -> None:
        self.kind = kind
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, instance) -> str:
        key = getattr(instance, RESOURCES[self.kind][1])
        return api_url(self.context.get("request"), self.kind, key)


@extend_schema_field(OpenApiTypes.URI)
class PageLink(serializers.Field):
    """The record's public page (``get_absolute_url``)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, instance) -> str:
        request = self.context.get("request")
        path = instance.get_absolute_url()
        return request.build_absolute_uri(path) if request is not None else path


@extend_schema_field(OpenApiTypes.STR)
class ReadableDate(serializers.Field):
    """A fuzzy date at its own precision, as the site shows it: "late June 2010"."""

    def to_representation(self, value: str) -> str:
        return presentation.readable_date(value)


@extend_schema_field(OpenApiTypes.STR)
class MoneyDisplay(serializers.Field):
    """An agreement's value as the site shows it ("$212m", "IRR 40bn"); null without one."""

    def __init__(self, **kwargs) -> None:
        super().__init__(source="*", read_only=True, allow_null=True, **kwargs)

    def to_representation(self, agreement: Agreement) -> str | None:
        value = presentation.money(agreement.value_amount, agreement.value_currency)
        return value.compact if value else None


def precision() -> serializers.ChoiceField:
    """A fuzzy date's precision; blank when there is no date (the model field is derived, so
    DRF would make it read-only and forget that it may be blank)."""
    return serializers.ChoiceField(Precision.choices, allow_blank=True, read_only=True)


# --- References ---------------------------------------------------------------------------------
class CountryRef(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class SlugRef(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()


class OrganisationRef(SlugRef):
    short_name = serializers.CharField()


class TitledRef(serializers.Serializer):
    slug = serializers.SlugField()
    title = serializers.CharField()


class SourceRef(serializers.Serializer):
    slug = serializers.SlugField()
    title = serializers.CharField()
    outlet = serializers.CharField()
    url = SelfLink("source")


class CitationSerializer(serializers.Serializer):
    source = SourceRef()
    locator = serializers.CharField()
    excerpt = serializers.CharField()


# --- Reference data -----------------------------------------------------------------------------
class CountrySerializer(serializers.ModelSerializer):
    url = SelfLink("country")
    html_url = PageLink()

    class Meta:
        model = Country
        fields = [
            "code",
            "alpha_3",
            "numeric",
            "name",
            "official_name",
            "aliases",
            "withdrawn",
            "url",
            "html_url",
            "created",
            "updated",
        ]


class DomainSerializer(serializers.ModelSerializer):
    url = SelfLink("domain")

    class Meta:
        model = Domain
        fields = ["slug", "name", "description", "position", "url", "created", "updated"]


class OrganisationSerializer(serializers.ModelSerializer):
    country = CountryRef(allow_null=True)
    parent = SlugRef(allow_null=True)
    url = SelfLink("organisation")
    html_url = PageLink()

    class Meta:
        model = Organisation
        fields = [
            "slug",
            "name",
            "short_name",
            "kind",
            "country",
            "parent",
            "aliases",
            "description",
            "website",
            "url",
            "html_url",
            "created",
            "updated",
        ]


class OfficialSerializer(serializers.ModelSerializer):
    country = CountryRef(allow_null=True)
    url = SelfLink("official")
    html_url = PageLink()

    class Meta:
        model = Official
        fields = [
            "slug",
            "name",
            "aliases",
            "country",
            "description",
            "url",
            "html_url",
            "created",
            "updated",
        ]


class SourceSerializer(serializers.ModelSerializer):
    published_display = ReadableDate(source="published")
    published_precision = precision()
    # ``url`` is the record's API link, as everywhere; the document's own address is this.
    document_url = serializers.CharField(source="url", help_text="Where the document is.")
    url = SelfLink("source")
    html_url = PageLink()

    class Meta:
        model = Source
        fields = [
            "slug",
            "title",
            "outlet",
            "author",
            "url",
            "html_url",
            "document_url",
            "published",
            "published_display",
            "published_lower",
            "published_upper",
            "published_precision",
            "accessed",
            "archive_url",
            "language",
            "notes",
            "created",
            "updated",
        ]


# --- Claims (visible only) ----------------------------------------------------------------------
DATE_FIELDS = ["date", "date_display", "date_lower", "date_upper", "date_precision"]
STAMPS = ["created", "updated"]


class EventSerializer(serializers.ModelSerializer):
    date_display = ReadableDate(source="date")
    date_precision = precision()
    domains = SlugRef(many=True, source="domain_list")
    countries = CountryRef(many=True, source="country_list")
    organisations = OrganisationRef(many=True, source="organisation_list")
    officials = SlugRef(many=True, source="official_list")
    agreements = TitledRef(many=True, source="agreement_list")
    citations = CitationSerializer(many=True, source="citation_list")
    url = SelfLink("event")
    html_url = PageLink()

    class Meta:
        model = Event
        fields = [
            "slug",
            "title",
            "summary",
            *DATE_FIELDS,
            "place",
            "domains",
            "countries",
            "organisations",
            "officials",
            "agreements",
            "citations",
            "url",
            "html_url",
            *STAMPS,
        ]


class AgreementSerializer(serializers.ModelSerializer):
    date_display = ReadableDate(source="date")
    date_precision = precision()
    value_display = MoneyDisplay(help_text='The value as the site writes it ("$212m").')
    countries = CountryRef(many=True, source="country_list")
    organisations = OrganisationRef(many=True, source="organisation_list")
    domains = SlugRef(many=True, source="domain_list")
    citations = CitationSerializer(many=True, source="citation_list")
    url = SelfLink("agreement")
    html_url = PageLink()

    class Meta:
        model = Agreement
        fields = [
            "slug",
            "title",
            "kind",
            "stage",
            "purpose",
            *DATE_FIELDS,
            "value_amount",
            "value_currency",
            "value_display",
            "countries",
            "organisations",
            "domains",
            "citations",
            "url",
            "html_url",
            *STAMPS,
        ]


class StatementSerializer(serializers.ModelSerializer):
    date_display = ReadableDate(source="date")
    date_precision = precision()
    speaker = SlugRef(allow_null=True)
    speaker_organisation = OrganisationRef(allow_null=True)
    event = serializers.SerializerMethodField(
        help_text="The event it was made at, if a reader may see it."
    )
    countries = CountryRef(many=True, source="country_list")
    domains = SlugRef(many=True, source="domain_list")
    citations = CitationSerializer(many=True, source="citation_list")
    url = SelfLink("statement")

    class Meta:
        model = Statement
        fields = [
            "slug",
            "quote",
            "language",
            "speaker",
            "speaker_organisation",
            "context",
            *DATE_FIELDS,
            "event",
            "countries",
            "domains",
            "citations",
            "url",
            *STAMPS,
        ]

    @extend_schema_field(TitledRef(allow_null=True))
    def get_event(self, statement: Statement) -> dict | None:
        # Words said at a draft event may be public, the event not: it must not be named.
        event = visibility.event_of(statement)
        return None if event is None else TitledRef(event).data


class PositionSerializer(serializers.ModelSerializer):
    official = SlugRef()
    country = CountryRef(allow_null=True)
    organisation = OrganisationRef(allow_null=True)
    start_display = ReadableDate(source="start")
    start_precision = precision()
    end_display = ReadableDate(source="end")
    end_precision = precision()
    citations = CitationSerializer(many=True, source="citation_list")
    url = SelfLink("position")

    class Meta:
        model = Position
        fields = [
            "slug",
            "official",
            "title",
            "country",
            "organisation",
            "start",
            "start_display",
            "start_lower",
            "start_upper",
            "start_precision",
            "end",
            "end_display",
            "end_lower",
            "end_upper",
            "end_precision",
            "citations",
            "url",
            *STAMPS,
        ]
