"""Reference data: countries, domains, organisations, officials, relationships."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin
from django.utils.html import format_html

from core.admin_base import ConcurrencyForm, ConcurrencyInline, ContentAdmin
from relations.admin.citations import PostCitationInline
from relations.admin.filters import CountryFilter
from relations.admin.forms import AliasesAsLines
from relations.models import Country, Domain, Official, Organisation, Position, Relationship


@admin.register(Country)
class CountryAdmin(AliasesAsLines, ContentAdmin):
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
class OrganisationAdmin(AliasesAsLines, ContentAdmin):
    list_display = ["name", "short_name", "kind", "country", "location", "parent", "unnamed"]
    list_filter = ["kind", "unnamed", CountryFilter]
    list_select_related = ["country", "location", "parent"]
    search_fields = ["name", "short_name", "slug", "aliases"]
    autocomplete_fields = ["country", "location", "parent"]
    prepopulated_fields = {"slug": ["name"]}
    fields = [
        "name",
        "unnamed",
        "short_name",
        "slug",
        "kind",
        "country",
        "location",
        "parent",
        "aliases",
        "website",
        "description",
    ]


class PositionInline(PostCitationInline, ConcurrencyInline, admin.TabularInline):
    """An official's posts, each with the footnote that backs it (picked, or typed once)."""

    model = Position
    fieldsets = [
        ("Post", {"fields": ["title", "start", "end", "status", "slug"]}),
        ("Held in", {"fields": ["country", "organisation"]}),
        (
            "Citation: pick a footnote, or type a new one",
            {"fields": ["cited", "footnote", "source", "locator", "excerpt", "loaded_updated"]},
        ),
    ]
    autocomplete_fields = ["country", "organisation"]
    show_change_link = True
    extra = 1

    def get_readonly_fields(self, request, obj=None):
        # Publishing a post (and removing its citations) is done on the post's own page.
        return ["status", "slug", "cited"]


@admin.register(Official)
class OfficialAdmin(AliasesAsLines, ContentAdmin):
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


# --- Relationships ----------------------------------------------------------------------------
class SectionsField(forms.JSONField):
    """The dossier's sections as JSON, one section per line: easier to read and reorder."""

    def prepare_value(self, value):
        if isinstance(value, list):
            lines = ",\n  ".join(json.dumps(item, ensure_ascii=False) for item in value)
            return f"[\n  {lines}\n]" if value else "[]"
        return super().prepare_value(value)


class RelationshipForm(ConcurrencyForm):
    """A pair of two states, whichever order they are given in; one record per pair."""

    class Meta:
        model = Relationship
        fields = ["first", "second", "introduction", "sections"]
        field_classes = {"sections": SectionsField}
        widgets = {"sections": forms.Textarea(attrs={"rows": 6, "cols": 60})}

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("first"), cleaned.get("second")
        if self.instance.pk or not (first and second):
            return cleaned
        if first == second:
            self.add_error("second", "A relationship is between two different states.")
        elif Relationship.objects.of_pair(first, second).exists():
            existing = Relationship.objects.of_pair(first, second).get()
            self.add_error(
                "second",
                f"The {existing} relationship ({existing.slug}) already exists: open it from "
                "the list of relationships rather than adding it again.",
            )
        return cleaned


@admin.register(Relationship)
class RelationshipAdmin(ContentAdmin):
    """An analyst creates a pair from two countries and sets up its dossier (introduction,
    section order and titles) without touching other dossiers."""

    form = RelationshipForm
    list_display = ["__str__", "slug", "has_introduction", "section_count"]
    list_select_related = ["first", "second"]
    search_fields = ["slug", "first__name", "second__name"]
    autocomplete_fields = ["first", "second"]
    fields = ["first", "second", "dossier", "introduction", "sections"]
    readonly_fields = ["dossier"]
    ordering = ["slug"]

    def get_queryset(self, request):
        # Named by both countries (in lists and in the "concerns" autocomplete).
        return super().get_queryset(request).select_related("first", "second")

    def get_readonly_fields(self, request, obj=None):
        # A relationship is its pair (and its dossier's URL): to relate other states, add one.
        return ["first", "second", "dossier"] if obj else ["dossier"]

    @admin.display(description="introduction", boolean=True)
    def has_introduction(self, obj):
        return bool(obj.introduction)

    @admin.display(description="sections set")
    def section_count(self, obj):
        return len(obj.sections) if isinstance(obj.sections, list) else 0

    @admin.display(description="dossier")
    def dossier(self, obj):
        if obj is None or not obj.pk:
            return "—"
        url = obj.get_absolute_url()
        return format_html('<a href="{}">{}</a>', url, url)
