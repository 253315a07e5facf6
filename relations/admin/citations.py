"""Citations: a claim linked to a footnote (a place in a source, stored once).

On every claim's page the citation inline picks a footnote by autocomplete (search by the
source's title and the locator) or adds a new one in the admin's "add another" popup; a
footnote that backs several claims is one record, linked to each.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from core.admin_base import ConcurrencyForm, ConcurrencyInline, ContentAdmin
from relations.admin.workflow import CitationFormSet, KeepsClaimsCited
from relations.models import CLAIM_FIELDS, Citation, cited


class CitationInline(ConcurrencyInline, admin.TabularInline):
    """A claim's citations: each row picks a footnote and may add a remark. The footnote itself
    (its excerpt, shared by every claim citing it) is edited on its own page or in the
    widget's pop-up, which refuse stale edits too; a row refuses a stale edit of its own."""

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


class CitationForm(ConcurrencyForm):
    """A citation on its own page: moving a published claim's last citation to another claim
    is refused, saying what to do instead."""

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk:
            return cleaned
        # Compared with the stored row, not the form's instance: a history revert's instance
        # is the old version.
        stored = Citation.objects.filter(pk=self.instance.pk)
        before = stored.values_list(*(f"{f}_id" for f in CLAIM_FIELDS)).first()
        after = tuple(getattr(cleaned.get(f), "pk", None) for f in CLAIM_FIELDS)
        if before is not None and before != after:
            claim = cited.leaving(stored)
            if claim is not None:
                raise ValidationError(cited.refusal(claim).message, code="uncited")
        return cleaned


@admin.register(Citation)
class CitationAdmin(KeepsClaimsCited, ContentAdmin):
    form = CitationForm
    actions = ["export_fixture", "delete_selected"]
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

    # --- Deleting: never a published claim's last citation
    def delete_view(self, request, object_id, extra_context=None):
        citation = self.get_object(request, unquote(object_id))
        claim = cited.leaving(Citation.objects.filter(pk=citation.pk)) if citation else None
        if claim is not None:
            self.message_user(request, cited.refusal(claim).message, messages.ERROR)
            url = reverse("admin:relations_citation_change", args=[quote(object_id)])
            return HttpResponseRedirect(url)
        return super().delete_view(request, object_id, extra_context)

    @admin.action(permissions=["delete"], description=delete_selected.short_description)
    def delete_selected(self, request, queryset):
        claim = cited.leaving(queryset)
        if claim is not None:
            message = f"Nothing was deleted. {cited.refusal(claim).message}"
            self.message_user(request, message, messages.ERROR)
            return None
        return delete_selected(self, request, queryset)
