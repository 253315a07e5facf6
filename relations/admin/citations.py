"""Citations: a claim linked to a footnote (a place in a source, stored once).

On every claim's page the citation inline picks a footnote by autocomplete (search by the
source's title and the locator) or adds a new one in the admin's "add another" popup; a
footnote that backs several claims is one record, linked to each.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from core.admin_base import ContentAdmin
from relations.admin.workflow import CitationFormSet
from relations.models import Citation


class CitationInline(admin.TabularInline):
    model = Citation
    formset = CitationFormSet
    fields = ["footnote", "note"]
    autocomplete_fields = ["footnote"]
    extra = 1
    verbose_name_plural = "citations (every published claim needs at least one)"

    def get_queryset(self, request):
        # Each row's footnote is shown by its source's title: fetch both with the rows.
        return super().get_queryset(request).select_related("footnote__source")

    def get_formset(self, request, obj=None, **kwargs):
        kwargs.setdefault("widgets", {})
        kwargs["widgets"] |= {"note": forms.Textarea(attrs={"rows": 2, "cols": 30})}
        formset = super().get_formset(request, obj, **kwargs)
        footnote = formset.form.base_fields["footnote"]
        footnote.help_text = (
            "Search by the source's title and the locator (“note 4”); “+” adds a footnote "
            "that is not there yet. One footnote backs every claim it is linked to."
        )
        return formset


def citation_inline(claim: str) -> type[CitationInline]:
    return type(f"{claim.title()}CitationInline", (CitationInline,), {"fk_name": claim})


@admin.register(Citation)
class CitationAdmin(ContentAdmin):
    list_display = ["footnote", "claim_link"]
    # Each claim's __str__ names people and places: fetch them with the page.
    list_select_related = [
        "footnote__source",
        "event",
        "agreement",
        "statement__speaker",
        "statement__speaker_organisation",
        "position__official",
        "position__country",
        "position__organisation",
        "membership__member_country",
        "membership__member_organisation",
        "membership__organisation",
    ]
    search_fields = ["footnote__source__title", "footnote__locator"]
    autocomplete_fields = ["footnote", "event", "agreement", "statement", "position", "membership"]
    fields = ["footnote", "note", "event", "agreement", "statement", "position", "membership"]

    @admin.display(description="claim")
    def claim_link(self, obj):
        claim = obj.claim
        if claim is None:
            return "—"
        url = reverse(f"admin:relations_{obj.claim_kind}_change", args=[claim.pk])
        return format_html('{}: <a href="{}">{}</a>', obj.claim_kind, url, claim)
