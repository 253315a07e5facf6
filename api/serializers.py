"""What the API says about each record: its fields, references to others by natural key, a link
to itself in the API (``url``) and to its public page (``html_url``) where it has one.

References name other records by their natural key (ISO code or slug) with a name for display;
the referenced record's own resource is the authority for everything else about it, so a
mirror keeps one copy of each record. References to claims name visible claims only (the views
prefetch them through ``relations.visibility``; a statement's event is asked of it). A claim's
citations are its footnotes (key, source, locator, excerpt: one record however many claims it
backs, ``/api/footnotes/``), not the analyst's note, which the public site does not show
either; a footnote lists the visible claims it backs.

Dates and sums read as on the pages, from ``relations.presentation``: ``date_display`` is the
text a page shows ("late June 2010", "as early as 1998": never more precise than stored), an
agreement's ``value_display`` its compact sum ("$212m").
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.dates import Precision
from relations import presentation, visibility
from relations.models import (
    CLAIM_FIELDS,
    Agreement,
    Citation,
    Country,
    Domain,
    Event,
    Membership,
    Official,
    Organisation,
    Position,
    Relationship,
    Statement,
)
from sources.models import Footnote, Source

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
    "membership": ("api:membership-detail", "slug"),
    "footnote": ("api:footnote-detail", "slug"),
    "relationship": ("api:relationship-detail", "slug"),
}


def api_url(request, kind: str, key: str) -> str:
    """The absolute API URL of the record of ``kind`` with natural key ``key``."""
    # One reverse() per kind, filled in for each key: a page of records links to hundreds.
    path = presentation.linker(RESOURCES[kind][0])(key.lower() if kind == "country" else key)
    return request.build_absolute_uri(path) if request is not None else path


@extend_schema_field(OpenApiTypes.URI)
class SelfLink(serializers.Field):
    """The API URL of the record (or of the one ``source`` names: a citation's footnote)."""

    def __init__(self, kind: str, source: str = "*", **kwargs) -> None:
        self.kind = kind
        super().__init__(source=source, read_only=True, **kwargs)

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


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class SlugList(serializers.Field):
    """Records by their slugs alone, read as slugs (``api.views.linked``): ``["by-ir"]``."""

    def __init__(self, **kwargs) -> None:
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, slugs) -> list[str]:
        return list(slugs)


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
    unnamed = serializers.BooleanField(
        help_text="The sources name no such body: `name` describes it ('a state-owned bank')."
    )


class TitledRef(serializers.Serializer):
    slug = serializers.SlugField()
    title = serializers.CharField()


class SourceRef(serializers.Serializer):
    slug = serializers.SlugField()
    title = serializers.CharField()
    outlet = serializers.CharField()
    url = SelfLink("source")


class CitationSerializer(serializers.Serializer):
    """A claim's citation: the footnote it rests on (the analyst's remark stays internal)."""

    footnote = serializers.SlugField(source="footnote.slug", help_text="The footnote's key.")
    source = SourceRef(source="footnote.source")
    locator = serializers.CharField(source="footnote.locator")
    excerpt = serializers.CharField(source="footnote.excerpt")
    url = SelfLink("footnote", source="footnote", help_text="The footnote in the API.")


@extend_schema_field(OpenApiTypes.URI)
class ClaimLink(serializers.Field):
    """The API URL of a citation's claim."""

    def __init__(self, **kwargs) -> None:
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, citation: Citation) -> str:
        return api_url(self.context.get("request"), citation.claim_kind, citation.claim.slug)


# A pattern, not an enum: the dossiers' claim references use the same kinds, and one enum in
# two components leaves drf-spectacular only a hashed name for it (an ENUM_NAME_OVERRIDES
# entry in the settings would allow the enum).
@extend_schema_field({"type": "string", "pattern": f"^({'|'.join(CLAIM_FIELDS)})$"})
class ClaimKind(serializers.CharField):
    """Which kind of claim: event, agreement, statement, position or membership."""


class BackedClaimRef(serializers.Serializer):
    """A visible claim a footnote backs."""

    kind = ClaimKind(source="claim_kind")
    slug = serializers.SlugField(source="claim.slug")
    url = ClaimLink()


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
    country = CountryRef(allow_null=True, help_text="The state that owns it.")
    location = CountryRef(allow_null=True, help_text="Where it is based, if not its owner's.")
    parent = SlugRef(allow_null=True)
    url = SelfLink("organisation")
    html_url = PageLink()

    class Meta:
        model = Organisation
        fields = [
            "slug",
            "name",
            "short_name",
            "unnamed",
            "kind",
            "country",
            "location",
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


class FootnoteSerializer(serializers.ModelSerializer):
    """One place in a source, stored once, with the visible claims it backs."""

    source = SourceRef()
    claims = BackedClaimRef(
        many=True, source="citation_list", help_text="The visible claims it backs."
    )
    url = SelfLink("footnote")

    class Meta:
        model = Footnote
        fields = ["slug", "source", "locator", "excerpt", "claims", "url", "created", "updated"]


class SectionSetting(serializers.Serializer):
    domain = serializers.SlugField(help_text="A domain's slug (`/api/domains/`).")
    title = serializers.CharField(
        allow_null=True, help_text="This dossier's title for it; null for the domain's name."
    )


@extend_schema_field(OpenApiTypes.URI)
class DossierLink(serializers.Field):
    """The relationship's dossier in the API (``/api/relations/by-ir/``)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(source="slug", read_only=True, **kwargs)

    def to_representation(self, slug: str) -> str:
        request = self.context.get("request")
        path = reverse("api:dossier-detail", args=[slug])
        return request.build_absolute_uri(path) if request is not None else path


class PairSerializer(serializers.ModelSerializer):
    """A relationship: two states, and their dossier's own settings (introduction, section
    order). Not "Relationship", the schema's name for an entry of the dossiers' index."""

    name = serializers.CharField(source="__str__", help_text="'Belarus–Iran'.")
    first = CountryRef()
    second = CountryRef()
    introduction = serializers.CharField(
        help_text="Background at the head of this pair's dossier only; no footnote backs it."
    )
    sections = SectionSetting(
        many=True, help_text="This dossier's section order and titles; others follow."
    )
    dossier = DossierLink()
    url = SelfLink("relationship")
    html_url = PageLink()

    class Meta:
        model = Relationship
        fields = [
            "slug",
            "name",
            "first",
            "second",
            "introduction",
            "sections",
            "dossier",
            "url",
            "html_url",
            "created",
            "updated",
        ]


# --- Claims (visible only) ----------------------------------------------------------------------
DATE_FIELDS = ["date", "date_display", "date_lower", "date_upper", "date_precision", "sequence"]
SPAN_FIELDS = [
    *(f"start{suffix}" for suffix in ("", "_display", "_lower", "_upper", "_precision")),
    *(f"end{suffix}" for suffix in ("", "_display", "_lower", "_upper", "_precision")),
    "sequence",
]
STAMPS = ["created", "updated"]
ATTRIBUTION = ["concerns", "according_to", "according_to_official"]


def concerns() -> SlugList:
    return SlugList(
        source="concern_list",
        help_text="Relationships it bears on beyond its participants' (`by-ir`): it is in "
        "their dossiers too.",
    )


class AttributedMixin(serializers.Serializer):
    """What an event or an agreement concerns, and who made the claim ("according to …")."""

    concerns = concerns()
    according_to = OrganisationRef(
        allow_null=True, help_text="The body or outlet that made the claim, if attributed."
    )
    according_to_official = SlugRef(
        allow_null=True, help_text="The person who made the claim, if attributed."
    )


class SpanMixin(serializers.Serializer):
    """A post's or a membership's from–to, each a fuzzy date read as the pages read it."""

    start_display = ReadableDate(source="start")
    start_precision = precision()
    end_display = ReadableDate(source="end")
    end_precision = precision()


class EventSerializer(AttributedMixin, serializers.ModelSerializer):
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
            *ATTRIBUTION,
            "citations",
            "url",
            "html_url",
            *STAMPS,
        ]


class AgreementSerializer(AttributedMixin, serializers.ModelSerializer):
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
            *ATTRIBUTION,
            "citations",
            "url",
            "html_url",
            *STAMPS,
        ]


class StatementSerializer(serializers.ModelSerializer):
    date_display = ReadableDate(source="date")
    date_precision = precision()
    fragments = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="A quote's pieces in order (one line of `quote` each); a paraphrase's words.",
    )
    speaker = SlugRef(allow_null=True)
    speaker_organisation = OrganisationRef(allow_null=True)
    event = serializers.SerializerMethodField(
        help_text="The event it was made at, if a reader may see it."
    )
    countries = CountryRef(many=True, source="country_list")
    domains = SlugRef(many=True, source="domain_list")
    concerns = concerns()
    citations = CitationSerializer(many=True, source="citation_list")
    url = SelfLink("statement")

    class Meta:
        model = Statement
        fields = [
            "slug",
            "form",
            "quote",
            "fragments",
            "verb",
            "language",
            "speaker",
            "speaker_organisation",
            "context",
            *DATE_FIELDS,
            "event",
            "countries",
            "domains",
            "concerns",
            "citations",
            "url",
            *STAMPS,
        ]
        extra_kwargs = {
            "form": {
                "help_text": "`quote`: verbatim, in quotation marks; `paraphrase`: "
                "without ('<speaker> <verb> that <words>')."
            },
            "verb": {"help_text": "How the source reports it: 'said', 'added', 'stated'."},
        }

    @extend_schema_field(TitledRef(allow_null=True))
    def get_event(self, statement: Statement) -> dict | None:
        # Words said at a draft event may be public, the event not: it must not be named.
        event = visibility.event_of(statement)
        return None if event is None else TitledRef(event).data


class PositionSerializer(SpanMixin, serializers.ModelSerializer):
    official = SlugRef()
    country = CountryRef(allow_null=True)
    organisation = OrganisationRef(allow_null=True)
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
            *SPAN_FIELDS,
            "citations",
            "url",
            *STAMPS,
        ]


class MembershipSerializer(SpanMixin, serializers.ModelSerializer):
    """A state's or an organisation's membership of an organisation, over time."""

    member_country = CountryRef(allow_null=True, help_text="The member state, or null.")
    member_organisation = OrganisationRef(
        allow_null=True, help_text="The member organisation, or null."
    )
    organisation = OrganisationRef(help_text="What it is a member of.")
    citations = CitationSerializer(many=True, source="citation_list")
    url = SelfLink("membership")

    class Meta:
        model = Membership
        fields = [
            "slug",
            "member_country",
            "member_organisation",
            "organisation",
            "role",
            *SPAN_FIELDS,
            "citations",
            "url",
            *STAMPS,
        ]
