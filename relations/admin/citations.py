"""Citations: a claim linked to a footnote (a place in a source, stored once).

On every claim's page each citation row either picks a footnote already entered (autocomplete,
the footnotes of the sources this claim already cites first) or types a new one once, right in
the row: its source (the claim's other citations' source by default), locator and excerpt
(``relations.admin.footnotes_form``). A footnote that backs several claims is one record,
linked to each; typing one that exists links to it.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from core.admin_base import ConcurrencyForm, ConcurrencyInline, ContentAdmin
from relations.admin.footnotes_form import (
    FootnoteAutocomplete,
    FootnoteChoiceForm,
    FootnoteChoiceFormSet,
    footnote_picker,
    source_picker,
)
from relations.admin.workflow import CitationFormSet, KeepsClaimsCited
from relations.models import CLAIM_FIELDS, Citation, cited
from sources.models import Footnote

#: The grouped table: one column per fieldset, so a row fits a 1280-pixel screen.
GROUPED_TABULAR = "admin/relations/edit_inline/grouped_tabular.html"


class CitationRowForm(FootnoteChoiceForm, ConcurrencyForm):
    """A citation row: refuses a stale edit (``ConcurrencyForm``), and cites a footnote picked
    or typed once (``FootnoteChoiceForm``)."""

    def save(self, commit: bool = True):
        footnote = self.save_footnote()
        if footnote is not None:
            self.instance.footnote = footnote
        return super().save(commit)


class CitationRowsFormSet(FootnoteChoiceFormSet, CitationFormSet):
    """A claim's citation rows: each footnote once, a published claim keeps one
    (``CitationFormSet``), new rows typed in the source the claim already cites."""

    def cited_sources(self):
        sources = {}
        if self.instance.pk:
            for citation in self.get_queryset():  # the rows, fetched once with their sources
                sources.setdefault(citation.footnote.source_id, citation.footnote.source)
        return list(sources.values())


class CitationInline(ConcurrencyInline, admin.TabularInline):
    """A claim's citations: each row picks a footnote or types a new one (source, locator,
    excerpt), and may add a remark. A footnote's excerpt, shared by every claim citing it, is
    edited on its own page or in the picker's pop-up, which refuse stale edits too; a row
    refuses a stale edit of its own."""

    model = Citation
    form = CitationRowForm
    formset = CitationRowsFormSet
    template = GROUPED_TABULAR
    fieldsets = [
        ("Pick a footnote already entered…", {"fields": ["footnote"]}),
        ("…or type a new one, once", {"fields": ["source", "locator", "excerpt"]}),
        (None, {"fields": ["note", "loaded_updated"]}),
    ]
    autocomplete_fields = ["footnote"]
    extra = 1
    verbose_name_plural = "citations (every published claim needs at least one)"

    class Media:
        css = {"all": ["css/admin-citations.css"]}
        js = ["js/admin-citations.js"]

    def get_queryset(self, request):
        # Each row's footnote is shown by its source's title: fetch both with the rows.
        return super().get_queryset(request).select_related("footnote__source")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "footnote":
            # The admin's autocomplete, listing the claim's own sources' footnotes first.
            kwargs["widget"] = FootnoteAutocomplete(
                db_field, self.admin_site, using=kwargs.get("using")
            )
            # Each row's picked footnote is named by its source: one query per row, not two.
            kwargs["queryset"] = Footnote.objects.select_related("source")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_formset(self, request, obj=None, **kwargs):
        kwargs.setdefault("widgets", {})
        kwargs["widgets"] |= {"note": forms.Textarea(attrs={"rows": 2, "cols": 24})}
        formset = super().get_formset(request, obj, **kwargs)
        formset.request = request  # (a class made for this request)
        form = formset.form
        form.may_add_footnote = request.user.has_perm("sources.add_footnote")
        form.base_fields["source"] = source_field(
            form.base_fields["source"], self.admin_site, request
        )
        footnote = form.base_fields["footnote"]
        # A footnote is deleted on its own page, where the claims it backs are listed.
        footnote.widget.can_delete_related = False
        footnote.help_text = (
            "Search by the source's title and the locator (“note 4”): the footnotes of the "
            "sources this claim already cites come first. One footnote backs every claim it "
            "is linked to."
        )
        return formset


def source_field(field: forms.Field, admin_site, request) -> forms.Field:
    """``field`` (a typed footnote's source) with the admin's autocomplete, and "+" for a new
    source if the user may add one; a copy, for this request's form class only."""
    return forms.ModelChoiceField(
        field.queryset,
        required=False,
        label=field.label,
        help_text=field.help_text,
        widget=source_picker(admin_site, can_add=request.user.has_perm("sources.add_source")),
    )


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


# --- A post's citation, on its official's page --------------------------------------------------
class PostRowForm(FootnoteChoiceForm, ConcurrencyForm):
    """A post row on its official's page, with the footnote that backs it: picked or typed
    once; saving the row cites it (once: a footnote the post already cites is not added
    again). A row may cite nothing; the post's own page lists and removes its citations."""

    footnote = forms.ModelChoiceField(
        Footnote.objects.select_related("source"),
        required=False,
        label="Footnote",
        help_text="A footnote already entered that backs this post: search by the source's "
        "title and the locator (“note 4”).",
    )
    footnote_required = False

    def save(self, commit: bool = True):
        post = super().save(commit)
        if commit:
            self.cite(post)
        else:
            save_m2m = self.save_m2m

            def save_m2m_and_cite():
                save_m2m()
                self.cite(post)

            self.save_m2m = save_m2m_and_cite
        return post

    def cite(self, post) -> None:
        footnote = self.save_footnote()
        if footnote is None:
            return
        _, created = Citation.objects.get_or_create(position=post, footnote=footnote)
        if not created:
            self.notices.append(f"The post “{post}” already cites “{footnote}”.")


class PostRowsFormSet(FootnoteChoiceFormSet):
    def cited_sources(self):
        sources = {}
        if self.instance.pk:
            for post in self.get_queryset():  # the rows, with their citations prefetched
                for citation in post.citations.all():
                    sources.setdefault(citation.footnote.source_id, citation.footnote.source)
        return list(sources.values())


class PostCitationInline:
    """The post rows of an official's page (``relations.admin.reference.PositionInline``):
    each row's citation chosen or typed once, in a grouped table that fits the page."""

    form = PostRowForm
    formset = PostRowsFormSet
    template = GROUPED_TABULAR

    class Media:
        css = {"all": ["css/admin-citations.css"]}
        js = ["js/admin-citations.js"]

    def get_queryset(self, request):
        # The "cited" column: each post's footnotes and their sources, in three queries.
        citations = Citation.objects.select_related("footnote__source")
        return super().get_queryset(request).prefetch_related(Prefetch("citations", citations))

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.request = request  # (a class made for this request)
        form = formset.form
        form.may_add_footnote = request.user.has_perm("sources.add_footnote")
        footnote = form.base_fields["footnote"]
        form.base_fields["footnote"] = forms.ModelChoiceField(
            footnote.queryset,
            required=False,
            label=footnote.label,
            help_text=footnote.help_text,
            widget=footnote_picker(self.admin_site, can_add=False),
        )
        form.base_fields["source"] = source_field(
            form.base_fields["source"], self.admin_site, request
        )
        return formset

    @admin.display(description="Cited")
    def cited(self, obj):
        footnotes = [str(c.footnote) for c in obj.citations.all()] if obj and obj.pk else []
        return "; ".join(footnotes) or "—"
