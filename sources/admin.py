"""Sources and footnotes (a place in a source, stored once however many claims it backs)."""

from django.contrib import admin
from django.db.models import Case, Count, IntegerField, OuterRef, Subquery, When
from django.db.models.functions import Coalesce, Length
from django.template.loader import render_to_string
from django.urls import reverse

from core.admin_base import ConcurrencyForm, ContentAdmin, date_reading
from sources.models import Footnote, Source


@admin.register(Source)
class SourceAdmin(ContentAdmin):
    list_display = ["title", "outlet", "author", "published_display", "language"]
    list_filter = ["outlet", "language"]
    search_fields = ["title", "outlet", "author", "slug", "url"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["published_as_read"]
    ordering = ["title", "slug"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "outlet", "author", "language"]}),
        (
            "Where and when",
            {"fields": ["url", "archive_url", ("published", "published_as_read"), "accessed"]},
        ),
        ("Notes", {"fields": ["notes"]}),
    ]

    @admin.display(description="published", ordering="published_lower")
    def published_display(self, obj):
        return obj.published or "—"

    @admin.display(description="publication date, as read")
    def published_as_read(self, obj):
        return date_reading(obj.published)


def normal_locator(locator: str) -> str:
    """A locator as stored: spacing collapsed ("note  4 " is "note 4")."""
    return " ".join(locator.split())


def footnote_at(source: Source, locator: str, *, exclude: int | None = None) -> Footnote | None:
    """The footnote already at this place in ``source``, if any: one place is one record,
    whatever the case or spacing it is typed with (this page, and every citation row)."""
    found = Footnote.objects.filter(source=source, locator__iexact=normal_locator(locator))
    return found.exclude(pk=exclude).first() if exclude else found.first()


class FootnoteForm(ConcurrencyForm):
    """Refuses a second footnote at the same place in a source (also when it differs only in
    case or spacing), naming the one to cite instead: a footnote is stored once."""

    def clean(self):
        cleaned = super().clean()
        source, locator = cleaned.get("source"), cleaned.get("locator")
        if source is None or locator is None:
            return cleaned
        existing = footnote_at(source, locator, exclude=self.instance.pk)
        if existing is not None:
            place = f"at “{existing.locator}”" if existing.locator else "for the whole source"
            self.add_error(
                "locator",
                f"“{source}” already has a footnote {place}. A footnote is stored once: cite "
                "that one (search for it in the claim's citation) rather than adding another.",
            )
        return cleaned


@admin.register(Footnote)
class FootnoteAdmin(ContentAdmin):
    """Footnotes: one place in a source, with the claims it backs."""

    form = FootnoteForm
    list_display = ["source", "locator", "claim_count", "slug"]
    list_select_related = ["source"]
    # What the citation inline's autocomplete searches: the source's title and the locator.
    search_fields = ["source__title", "source__outlet", "locator"]
    autocomplete_fields = ["source"]
    fields = ["source", "locator", "excerpt", "slug", "claims"]
    readonly_fields = ["claims"]

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        # A citation row's picker names the sources its claim already cites ("?prefer=3,7"):
        # their footnotes first, in the note's order ("note 2" before "note 10").
        prefer = [int(pk) for pk in request.GET.get("prefer", "").split(",") if pk.isdigit()]
        if prefer:
            first = Case(When(source__in=prefer[:20], then=0), default=1)
            queryset = queryset.order_by(first, "source__title", Length("locator"), "locator", "id")
        return queryset, may_have_duplicates

    def get_queryset(self, request):
        # Named by its source's title in lists and in every claim's autocomplete.
        return (
            super().get_queryset(request).select_related("source").annotate(n_claims=claim_count())
        )

    @admin.display(description="claims it backs", ordering="n_claims")
    def claim_count(self, obj):
        return obj.n_claims

    @admin.display(description="claims it backs")
    def claims(self, obj):
        citations = citations_of(obj) if obj and obj.pk else []
        return render_to_string(
            "admin/sources/footnote/claims.html",
            {"claims": [claim_row(citation) for citation in citations]},
        )


def citation_model():
    """The concrete citation table (``relations.Citation``), reached through the relation:
    this app does not import the claims' app."""
    return Footnote._meta.get_field("citations").related_model


def claim_count() -> Coalesce:
    """How many claims cite each footnote: a correlated count for the page's rows only."""
    counts = (
        citation_model()
        .objects.filter(footnote=OuterRef("pk"))
        .order_by()
        .values("footnote")
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


def citations_of(footnote: Footnote):
    model = citation_model()
    return footnote.citations.select_related(*model.claim_fields).order_by("id")


def claim_row(citation) -> dict[str, object]:
    claim = citation.claim
    opts = claim._meta
    return {
        "kind": opts.verbose_name,
        "label": str(claim),
        "url": reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[claim.pk]),
        "state": claim.get_status_display(),  # draft, ready for review, published
        "note": citation.note,
    }
