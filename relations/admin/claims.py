"""Claims: posts, memberships, agreements, statements, events."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from import_export.formats.base_formats import CSV

from core.admin_base import date_reading
from exchange.csv_import import CsvImportMixin
from relations.admin.citations import citation_inline
from relations.admin.filters import (
    CountryFilter,
    DateFilter,
    DomainFilter,
    citation_count,
    names,
)
from relations.admin.merging import MergeEvents
from relations.admin.workflow import ClaimAdmin
from relations.models import Agreement, Event, Membership, Position, Statement
from relations.presentation import readable_date
from relations.resources import EventResource


class SpanClaimAdmin(ClaimAdmin):
    """Claims held over a time (posts, memberships): a fuzzy start and end."""

    readonly_fields = ["start_as_read", "end_as_read"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_citations=citation_count(self.model))

    @admin.display(description="citations", ordering="n_citations")
    def citations(self, obj):
        return obj.n_citations

    @admin.display(description="from, as read")
    def start_as_read(self, obj):
        return date_reading(obj.start)

    @admin.display(description="to, as read")
    def end_as_read(self, obj):
        return date_reading(obj.end)


@admin.register(Position)
class PositionAdmin(SpanClaimAdmin):
    list_display = ["official", "title", "held_in", "held", "status", "citations"]
    list_filter = ["status"]
    list_select_related = ["official", "country", "organisation"]
    search_fields = ["official__name", "title", "slug"]
    autocomplete_fields = ["official", "country", "organisation"]
    fields = [
        "official",
        "title",
        "country",
        "organisation",
        ("start", "start_as_read"),
        ("end", "end_as_read"),
        "sequence",
        "status",
        "slug",
    ]
    inlines = [citation_inline("position")]

    @admin.display(description="held in")
    def held_in(self, obj):
        return obj.organisation or obj.country


@admin.register(Membership)
class MembershipAdmin(SpanClaimAdmin):
    list_display = ["member", "role", "organisation", "held", "status", "citations"]
    list_filter = ["status"]
    list_select_related = ["member_country", "member_organisation", "organisation"]
    search_fields = [
        "member_country__name",
        "member_organisation__name",
        "organisation__name",
        "organisation__short_name",
        "slug",
    ]
    autocomplete_fields = ["member_country", "member_organisation", "organisation"]
    fieldsets = [
        (
            "Member",
            {
                "fields": [("member_country", "member_organisation"), "role", "organisation"],
                "description": "The member is a state or an organisation: give one of the two.",
            },
        ),
        ("When", {"fields": [("start", "start_as_read"), ("end", "end_as_read"), "sequence"]}),
        ("Publication", {"fields": ["status", "slug"]}),
    ]
    inlines = [citation_inline("membership")]


# Shared fieldsets of the dated claims (the fields' help says what each is).
CONCERNS = ("Concerns", {"fields": ["concerns"]})
ACCORDING_TO = (
    "According to",
    {
        "fields": ["according_to", "according_to_official"],
        "description": "Who made the claim, when the source attributes it; not the citation, "
        "which says where we read it.",
    },
)


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
    autocomplete_fields = [
        "countries",
        "organisations",
        "domains",
        "concerns",
        "according_to",
        "according_to_official",
    ]
    fieldsets = [
        (
            None,
            {"fields": ["title", "kind", "stage", ("date", "date_as_read"), "sequence", "purpose"]},
        ),
        ("Value", {"fields": [("value_amount", "value_currency")]}),
        ("Parties", {"fields": ["countries", "organisations", "domains"]}),
        CONCERNS,
        ACCORDING_TO,
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
    autocomplete_fields = [
        "speaker",
        "speaker_organisation",
        "event",
        "countries",
        "domains",
        "concerns",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "form",
                    "quote",
                    "verb",
                    "speaker",
                    "speaker_organisation",
                    "context",
                    "language",
                ]
            },
        ),
        ("When and where", {"fields": [("date", "date_as_read"), "sequence", "event"]}),
        ("About", {"fields": ["countries", "domains"]}),
        CONCERNS,
        ("Publication", {"fields": ["status", "slug"]}),
    ]
    inlines = [citation_inline("statement")]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "quote":
            field.widget.attrs.update(rows=4)
        return field

    @admin.display(description="words")
    def short_quote(self, obj):
        words = " … ".join(obj.fragments)
        words = f"{words[:80]}…" if len(words) > 80 else words
        if obj.form == Statement.Form.PARAPHRASE:
            return f"({obj.verb} that) {words}"
        return f"“{words}”"


@admin.register(Event)
class EventAdmin(MergeEvents, CsvImportMixin, DatedClaimAdmin):
    list_display = ["title", "when", "domain_list", "country_list", "status", "citations"]
    list_filter = ["status", DomainFilter, DateFilter, CountryFilter]
    search_fields = ["title"]
    autocomplete_fields = [
        "domains",
        "countries",
        "organisations",
        "officials",
        "agreements",
        "concerns",
        "according_to",
        "according_to_official",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "title",
                    ("date", "date_as_read"),
                    "sequence",
                    "place",
                    "summary",
                    "domains",
                ]
            },
        ),
        ("Participants", {"fields": ["countries", "organisations", "officials"]}),
        CONCERNS,
        ACCORDING_TO,
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
        """Name events that overlap in date with the same countries: maybe the same event.
        Each offers "merge into this" (this event merged into it) where the user may merge."""
        candidates = event.possible_duplicates()[:5]
        if candidates:
            links = format_html_join(
                "; ",
                '<a href="{}">{}</a> ({})',
                (
                    (
                        reverse("admin:relations_event_change", args=[e.pk]),
                        str(e),
                        format_html('<a href="{}">merge into this</a>', self.merge_url(e, event))
                        if self.may_merge(request, e, event)
                        else "published: an editor can merge it",
                    )
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
