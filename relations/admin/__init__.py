"""The analysts' workspace. Shared behaviour (history, stale-edit refusal, workflow, fast
counts, recover deleted) lives in ``admin_base``; this module says what each model shows."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import SimpleListFilter
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from import_export.admin import ImportMixin
from import_export.formats.base_formats import CSV

from core.admin_base import ContentAdmin, date_reading
from core.dates import parse_fuzzy_date
from relations.admin.workflow import CitationFormSet, ClaimAdmin
from relations.models import (
    Agreement,
    Citation,
    Country,
    Domain,
    Event,
    Official,
    Organisation,
    Position,
    Statement,
)
from relations.presentation import readable_date
from relations.resources import EventResource


# --- List filters (subqueries, never joins: no DISTINCT over a million rows) -----------------
class DomainFilter(SimpleListFilter):
    title = "domain"
    parameter_name = "domain"

    def lookups(self, request, model_admin):
        return list(Domain.objects.values_list("slug", "name"))

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        # The id first: with a join on the slug the planner gives up the date index's order.
        domain_id = Domain.objects.filter(slug=self.value()).values_list("pk", flat=True).first()
        return queryset.linked("domains", domain_id)


class CountryFilter(SimpleListFilter):
    title = "country"
    parameter_name = "country"

    def lookups(self, request, model_admin):
        return list(Country.objects.current().values_list("code", "name"))

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        code = self.value().upper()
        country_id = Country.objects.filter(code=code).values_list("pk", flat=True).first()
        if not hasattr(queryset.model, "countries"):  # a single country foreign key
            return queryset.filter(country_id=country_id)
        return queryset.linked("countries", country_id)


class DateFilter(SimpleListFilter):
    """Decades, then the years of the chosen decade; matches by interval overlap.

    Only the values offered are read: anything else in the URL (a hand-edited ``?date=foo``, a
    decade outside the list) is ignored with a message, never an error page.
    """

    title = "date"
    parameter_name = "date"
    decades = range(1950, 2030, 10)

    def __init__(self, request, params, model, model_admin):
        value = params.get(self.parameter_name)
        value = value[-1] if isinstance(value, list) else value
        if value and value not in self.offered():
            params.pop(self.parameter_name)
            first, last = self.decades[0], self.decades[-1]
            messages.warning(
                request,
                f"The date filter “{value}” was ignored: choose a decade from {first}s to "
                f"{last}s, or a year in one of them.",
            )
        super().__init__(request, params, model, model_admin)

    @classmethod
    def offered(cls) -> set[str]:
        return {f"{d}s" for d in cls.decades} | {str(d + y) for d in cls.decades for y in range(10)}

    def lookups(self, request, model_admin):
        choices = [(f"{d}s", f"{d}s") for d in self.decades]
        value = self.value() or ""
        decade = next((i for i, (v, _) in enumerate(choices) if v[:3] == value[:3]), None)
        if decade is not None:
            years = [(f"{value[:3]}{y}", f"  {value[:3]}{y}") for y in range(10)]
            choices[decade + 1 : decade + 1] = years
        return choices

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        fuzzy = parse_fuzzy_date(self.value())  # one of the offered values (see __init__)
        return queryset.between(fuzzy.lower, fuzzy.upper)


def citation_count(model) -> Coalesce:
    """A correlated count, computed for the page's rows only (not a GROUP BY over all)."""
    field = model._meta.model_name
    counts = (
        Citation.objects.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


def names(objects) -> str:
    return ", ".join(str(o) for o in objects) or "—"


# --- Citations, inline on every claim --------------------------------------------------------
class CitationInline(admin.TabularInline):
    model = Citation
    formset = CitationFormSet
    fields = ["source", "locator", "excerpt", "note"]
    autocomplete_fields = ["source"]
    extra = 1
    verbose_name_plural = "citations (every published claim needs at least one)"

    def get_formset(self, request, obj=None, **kwargs):
        kwargs.setdefault("widgets", {})
        from django import forms

        kwargs["widgets"] |= {
            "excerpt": forms.Textarea(attrs={"rows": 2, "cols": 40}),
            "note": forms.Textarea(attrs={"rows": 2, "cols": 30}),
        }
        return super().get_formset(request, obj, **kwargs)


def citation_inline(claim: str) -> type[CitationInline]:
    return type(f"{claim.title()}CitationInline", (CitationInline,), {"fk_name": claim})


# --- Reference data -----------------------------------------------------------------------
@admin.register(Country)
class CountryAdmin(ContentAdmin):
    list_display = ["name", "code", "alpha_3", "withdrawn"]
    list_filter = [("withdrawn", admin.EmptyFieldListFilter)]
    search_fields = ["name", "code", "alpha_3", "aliases"]
    fields = ["code", "alpha_3", "numeric", "name", "official_name", "aliases", "withdrawn"]
    actions = []

    def get_readonly_fields(self, request, obj=None):
        # ISO's codes are not ours to edit; names and spellings are.
        return ["code", "alpha_3", "numeric"] if obj else []


@admin.register(Domain)
class DomainAdmin(ContentAdmin):
    list_display = ["name", "slug", "position"]
    list_editable = ["position"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    fields = ["name", "slug", "position", "description"]


@admin.register(Organisation)
class OrganisationAdmin(ContentAdmin):
    list_display = ["name", "short_name", "kind", "country", "parent"]
    list_filter = ["kind", CountryFilter]
    list_select_related = ["country", "parent"]
    search_fields = ["name", "short_name", "slug", "aliases"]
    autocomplete_fields = ["country", "parent"]
    prepopulated_fields = {"slug": ["name"]}
    fields = [
        "name",
        "short_name",
        "slug",
        "kind",
        "country",
        "parent",
        "aliases",
        "website",
        "description",
    ]


class PositionInline(admin.TabularInline):
    model = Position
    fields = ["title", "country", "organisation", "start", "end", "status", "slug"]
    autocomplete_fields = ["country", "organisation"]
    show_change_link = True
    extra = 1

    def get_readonly_fields(self, request, obj=None):
        # Publishing a post (and its citation) is done on the post's own page.
        return ["status", "slug"]


@admin.register(Official)
class OfficialAdmin(ContentAdmin):
    list_display = ["name", "country", "posts"]
    list_filter = [("country", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["country"]
    search_fields = ["name", "slug", "aliases"]
    autocomplete_fields = ["country"]
    prepopulated_fields = {"slug": ["name"]}
    fields = ["name", "slug", "country", "aliases", "description"]
    inlines = [PositionInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("positions")

    @admin.display(description="posts")
    def posts(self, obj):
        return ", ".join(p.title for p in obj.positions.all()) or "—"


# --- Claims -------------------------------------------------------------------------------
@admin.register(Position)
class PositionAdmin(ClaimAdmin):
    list_display = ["official", "title", "held_in", "held", "status", "citations"]
    list_filter = ["status"]
    list_select_related = ["official", "country", "organisation"]
    search_fields = ["official__name", "title", "slug"]
    autocomplete_fields = ["official", "country", "organisation"]
    readonly_fields = ["start_as_read", "end_as_read"]
    fields = [
        "official",
        "title",
        "country",
        "organisation",
        ("start", "start_as_read"),
        ("end", "end_as_read"),
        "status",
        "slug",
    ]
    inlines = [citation_inline("position")]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_citations=citation_count(Position))

    @admin.display(description="held in")
    def held_in(self, obj):
        return obj.organisation or obj.country

    @admin.display(description="citations", ordering="n_citations")
    def citations(self, obj):
        return obj.n_citations

    @admin.display(description="from, as read")
    def start_as_read(self, obj):
        return date_reading(obj.start)

    @admin.display(description="to, as read")
    def end_as_read(self, obj):
        return date_reading(obj.end)


class DatedClaimAdmin(ClaimAdmin):
    """Claims with one fuzzy ``date``, listed newest first."""

    ordering = ["-date_lower", "-date_upper", "-id"]
    readonly_fields = ["date_as_read"]

    @admin.display(description="date", ordering="date_lower")
    def when(self, obj):
        return readable_date(obj.date) or "—"

    @admin.display(description="date, as read")
    def date_as_read(self, obj):
        return date_reading(obj.date)

    @admin.display(description="citations", ordering="n_citations")
    def citations(self, obj):
        return obj.n_citations

    @admin.display(description="domains")
    def domain_list(self, obj):
        return names(obj.domains.all())

    @admin.display(description="countries")
    def country_list(self, obj):
        return names(obj.countries.all())

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(n_citations=citation_count(self.model))
            .prefetch_related("domains", "countries")
        )


@admin.register(Agreement)
class AgreementAdmin(DatedClaimAdmin):
    list_display = ["title", "kind", "when", "value", "stage", "status", "citations"]
    list_filter = ["status", "kind", "stage", DomainFilter, DateFilter, CountryFilter]
    search_fields = ["title", "slug"]
    autocomplete_fields = ["countries", "organisations", "domains"]
    fieldsets = [
        (None, {"fields": ["title", "kind", "stage", ("date", "date_as_read"), "purpose"]}),
        ("Value", {"fields": [("value_amount", "value_currency")]}),
        ("Parties", {"fields": ["countries", "organisations", "domains"]}),
        ("Publication", {"fields": ["status", "slug"]}),
    ]
    inlines = [citation_inline("agreement")]

    @admin.display(description="value", ordering="value_amount")
    def value(self, obj):
        if obj.value_amount is None:
            return "—"
        return f"{obj.value_amount:,.0f} {obj.value_currency}"


@admin.register(Statement)
class StatementAdmin(DatedClaimAdmin):
    list_display = ["short_quote", "speaker", "speaker_organisation", "when", "status", "citations"]
    list_filter = ["status", DomainFilter, DateFilter, CountryFilter]
    list_select_related = ["speaker", "speaker_organisation"]
    search_fields = ["quote", "speaker__name", "slug"]
    autocomplete_fields = ["speaker", "speaker_organisation", "event", "countries", "domains"]
    fieldsets = [
        (None, {"fields": ["quote", "speaker", "speaker_organisation", "context", "language"]}),
        ("When and where", {"fields": [("date", "date_as_read"), "event"]}),
        ("About", {"fields": ["countries", "domains"]}),
        ("Publication", {"fields": ["status", "slug"]}),
    ]
    inlines = [citation_inline("statement")]

    @admin.display(description="quote")
    def short_quote(self, obj):
        return f"“{obj.quote[:80]}…”" if len(obj.quote) > 80 else f"“{obj.quote}”"


@admin.register(Event)
class EventAdmin(ImportMixin, DatedClaimAdmin):
    list_display = ["title", "when", "domain_list", "country_list", "status", "citations"]
    list_filter = ["status", DomainFilter, DateFilter, CountryFilter]
    search_fields = ["title"]
    autocomplete_fields = ["domains", "countries", "organisations", "officials", "agreements"]
    fieldsets = [
        (None, {"fields": ["title", ("date", "date_as_read"), "place", "summary", "domains"]}),
        ("Participants", {"fields": ["countries", "organisations", "officials"]}),
        ("Related", {"fields": ["agreements"]}),
        ("Publication", {"fields": ["status", "slug"]}),
    ]
    inlines = [citation_inline("event")]
    resource_classes = [EventResource]
    import_formats = [CSV]  # what spreadsheets export; the help and the tests speak CSV

    def has_import_permission(self, request):
        # An import adds events and changes existing ones.
        return self.has_add_permission(request) and self.has_change_permission(request)

    def process_result(self, result, request):
        # EventResource rolls the whole import back when a row fails at the confirm step (the
        # data changed since the preview): say so, rather than the stock "Import finished: N
        # new" with log entries for events that were never written.
        if result.has_errors() or result.has_validation_errors():
            problems = [str(error.error) for error in result.base_errors]
            problems += [
                f"row {number}: {error.error}"
                for number, errors in result.row_errors()
                for error in errors
            ]
            problems += [
                f"row {row.number}: {message}"
                for row in result.invalid_rows
                for message in row.error.messages
            ]
            messages.error(
                request,
                "Nothing was imported: the file no longer imports cleanly (the data changed "
                "since the preview?). Upload it again to see every error. First problems: "
                + " | ".join(problems[:5]),
            )
            return HttpResponseRedirect(reverse("admin:relations_event_import"))
        return super().process_result(result, request)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        self.warn_of_duplicates(request, form.instance)

    def warn_of_duplicates(self, request, event: Event) -> None:
        """Name events that overlap in date with the same countries: maybe the same event."""
        candidates = event.possible_duplicates()[:5]
        if candidates:
            links = format_html_join(
                ", ",
                '<a href="{}">{}</a>',
                (
                    (reverse("admin:relations_event_change", args=[e.pk]), str(e))
                    for e in candidates
                ),
            )
            messages.warning(
                request,
                format_html(
                    "Possible duplicates (same countries, overlapping dates): {}. "
                    "If this is the same event, merge the two.",
                    links,
                ),
            )


@admin.register(Citation)
class CitationAdmin(ContentAdmin):
    list_display = ["source", "locator", "claim_link"]
    # Each claim's __str__ names people and places: fetch them with the page.
    list_select_related = [
        "source",
        "event",
        "agreement",
        "statement__speaker",
        "statement__speaker_organisation",
        "position__official",
        "position__country",
        "position__organisation",
    ]
    search_fields = ["source__title", "locator"]
    autocomplete_fields = ["source", "event", "agreement", "statement", "position"]
    fields = ["source", "locator", "excerpt", "note", "event", "agreement", "statement", "position"]

    @admin.display(description="claim")
    def claim_link(self, obj):
        claim = obj.claim
        if claim is None:
            return "—"
        url = reverse(f"admin:relations_{obj.claim_kind}_change", args=[claim.pk])
        return format_html('{}: <a href="{}">{}</a>', obj.claim_kind, url, claim)
