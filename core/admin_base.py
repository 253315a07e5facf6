"""What every content admin shares: history, refusal of stale edits, role rules, fast lists.

- History comes from django-simple-history (``SimpleHistoryAdmin``): every save through the
  admin is one history entry (``core.history``: one row per record, its change said in words
  on the history page); analysts may view it, editors revert (see ``roles.py``).
- Deleting is per record: what readers rely on (a published claim, reference data that
  published claims use) is an editor's to delete (``relations.roles.may_delete``).
- Optimistic concurrency: the change form carries the ``updated`` time it was loaded with; a
  save whose record changed meanwhile is refused with a message naming who changed it.
- Deleted records stay in history and can be recovered from a "Recover deleted" page.
- Changelists never count a large table exactly (``EstimatedCountPaginator``).
"""

from __future__ import annotations

import contextlib
import datetime
import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connections, models, router, transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.html import escape, format_html
from django.utils.timezone import localtime
from simple_history.admin import SimpleHistoryAdmin

from core import history
from core.dates import OPEN_LOWER, OPEN_UPPER, Precision, long_date, parse_fuzzy_date
from core.fields import FuzzyDateField


# --- Counting without COUNT(*) ----------------------------------------------------------------
class EstimatedCountPaginator(Paginator):
    """Exact counts for small results, the planner's estimate for large ones (PostgreSQL).

    ``COUNT(*)`` over a million rows costs more than the whole page; the admin only needs the
    count for "N results" and the page links. Below ``exact_below`` rows the count is exact.
    """

    exact_below = 10_000

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        connection = connections[queryset.db]
        if connection.vendor != "postgresql":
            return queryset.count()
        estimate = self._planner_estimate(queryset, connection)
        if estimate < self.exact_below:
            exact = queryset.count()
            self.estimated = False
            return exact
        self.estimated = True
        return estimate

    estimated = False

    def page(self, number):
        """Deep pages through a "deferred join": the page's ids from the index alone (cheap
        even at OFFSET 50,000), then only those rows with their annotations and prefetches."""
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count + self.orphans)
        queryset = self.object_list
        ids = list(queryset.values_list("pk", flat=True)[bottom:top])
        # Still a queryset (a list_editable formset needs one), in the same order: the
        # changelist's ordering is total (it ends with the primary key).
        return self._get_page(queryset.filter(pk__in=ids), number, self)

    @staticmethod
    def _planner_estimate(queryset: models.QuerySet, connection) -> int:
        sql, params = queryset.order_by().values("pk").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
        if isinstance(plan, str):
            plan = json.loads(plan)
        return int(plan[0]["Plan"]["Plan Rows"])


# --- Optimistic concurrency -------------------------------------------------------------------
class ConcurrencyForm(forms.ModelForm):
    """Refuses to save over a newer version than the one the form was opened with."""

    loaded_updated = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.fields["loaded_updated"].initial = self.instance.updated.isoformat()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not self.instance.pk:
            return cleaned
        loaded = self.cleaned_data.get("loaded_updated") or ""
        model = type(self.instance)
        # Lock the row until the admin's transaction commits, so two saves cannot both pass.
        current = (
            model._default_manager.select_for_update()
            .filter(pk=self.instance.pk)
            .values_list("updated", flat=True)
            .first()
        )
        if current is not None and current.isoformat() != loaded:
            raise ValidationError(stale_edit_message(self.instance, current), code="stale")
        return cleaned


def stale_edit_message(instance: models.Model, changed_at: datetime.datetime) -> str:
    latest = instance.history.order_by("-history_date", "-history_id").first()
    who = getattr(latest, "history_user", None) if latest else None
    when = date_format(localtime(changed_at), "DATETIME_FORMAT")
    by = f" by {who}" if who else ""
    return (
        f"This {instance._meta.verbose_name} was changed{by} at {when}, after you opened it. "
        "Your changes were not saved, so theirs are not lost: open the record again (in a new "
        "tab) to see the current version, then re-apply your changes."
    )


class ConcurrencyInline:
    """An inline whose rows refuse stale edits as their own pages do (``ConcurrencyForm``):
    each row carries the ``updated`` time it was shown with, and a row changed since (on its
    own page, in another inline, by an import) gets the error on its row and nothing of the
    page is saved. Without it, saving the parent writes every row back as it was shown."""

    form = ConcurrencyForm

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        return fields if "loaded_updated" in fields else [*fields, "loaded_updated"]

    def get_formset(self, request, obj=None, **kwargs):
        """A row ticked for deletion is deleted only if this role may delete that record, as
        on its own page (``ContentAdmin.may_delete``): an official's page is no way around
        "only editors delete a published post"."""
        base = super().get_formset(request, obj, **kwargs)

        def clean(formset) -> None:
            base.clean(formset)
            from relations.roles import may_delete, refusal

            for form in formset.deleted_forms:
                if form.instance.pk and not may_delete(request.user, form.instance):
                    raise ValidationError(f"Nothing was saved: {refusal(form.instance)}")

        return type(base.__name__, (base,), {"clean": clean})


# --- Admin bases ------------------------------------------------------------------------------
class ContentAdmin(SimpleHistoryAdmin):
    """Admin for every content model: history, concurrency, fast lists, recover deleted."""

    form = ConcurrencyForm
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    list_per_page = 50
    save_on_top = True
    # The relata list plus an "Import fixture" link for those who may import (exchange app).
    change_list_template = "admin/exchange/content_change_list.html"
    delete_selected_confirmation_template = "admin/relata/delete_selected_confirmation.html"
    actions = ["export_fixture"]

    # --- Lists
    def action_checkbox(self, obj):
        # The stock checkbox renders a form widget template per row: a third of a 50-row page.
        return format_html(
            '<input type="checkbox" name="_selected_action" value="{}" class="action-select" '
            'aria-label="Select this object for an action - {}">',
            obj.pk,
            obj,
        )

    # --- Forms
    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and field.help_text:
            # The admin shows help text as HTML; ours is plain text with placeholders in angle
            # brackets ('<speaker> <verb> that <words>'), which would vanish as unknown tags.
            field.help_text = escape(field.help_text)
        return field

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and issubclass(self.form, ConcurrencyForm):
            first_name, first = fieldsets[0]
            if "loaded_updated" not in first.get("fields", ()):
                first = {**first, "fields": [*first["fields"], "loaded_updated"]}
            fieldsets = [(first_name, first), *fieldsets[1:]]
        return fieldsets

    def fuzzy_fields(self) -> list[str]:
        return [f.name for f in self.model._meta.fields if isinstance(f, FuzzyDateField)]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        for field in self.fuzzy_fields():
            text = getattr(obj, field)
            if text and field in form.changed_data:
                messages.info(request, f"Read “{text}” as {date_reading(text)}.")

    # --- History
    object_history_list_template = "admin/relata/object_history_list.html"

    def one_history_entry(self, request, reason: str | None = None):
        """What a POST writes is one history entry (``core.history.one_entry``)."""
        if request.method != "POST":
            return contextlib.nullcontext()
        return history.one_entry(reason, using=router.db_for_write(self.model))

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # The record, its many-to-many links and its inline rows: one entry, not one row per
        # field set after the save.
        with self.one_history_entry(request):
            return super().changeform_view(request, object_id, form_url, extra_context)

    def changelist_view(self, request, extra_context=None):
        with self.one_history_entry(request):  # actions and list_editable saves
            return super().changelist_view(request, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # simple-history shows the revert form to anyone who may view history and saves any
        # POST to it: reverting is an editor's act, so check it here.
        if request.method == "POST" and not self.has_change_history_permission(request):
            raise PermissionDenied
        # In one transaction, as the change form is: the stale-edit check locks the row
        # (select_for_update), which outside a transaction is an error (a 500 on every revert).
        using = router.db_for_write(self.model)
        with transaction.atomic(using=using), self.one_history_entry(request):
            return super().history_form_view(request, object_id, version_id, extra_context)

    def get_history_queryset(self, request, history_manager, pk_name, object_id):
        # As simple-history's, naming the foreign keys to fetch (it calls select_related()
        # with none for a model without any, which Django deprecates).
        names = [f.name for f in self.model.history.model.tracked_fields if f.many_to_one]
        return history_manager.filter(**{pk_name: object_id}).select_related("history_user", *names)

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        """Each entry's change in words (``core.history.describe``), in a few queries for the
        page, rather than simple-history's per-row diffs of raw lists."""
        records = list(historical_records)
        if not records:
            return
        last, pk_name = records[-1], self.opts.pk.attname
        older = (
            self.model.history.filter(**{pk_name: getattr(last, pk_name)})
            .filter(
                Q(history_date__lt=last.history_date)
                | Q(history_date=last.history_date, history_id__lt=last.history_id)
            )
            .order_by("-history_date", "-history_id")
            .first()
        )
        history.describe(records, older, self.history_inlines())

    def history_inlines(self) -> list[history.Inline]:
        """The inlines whose rows are saved with the record (and so are in its entries)."""
        found = []
        for inline in self.inlines:
            if not hasattr(inline.model._meta, "simple_history_manager_attribute"):
                continue
            fks = [
                field
                for field in inline.model._meta.fields
                if field.many_to_one and field.related_model is self.model
                if inline.fk_name in (None, field.name)
            ]
            if fks:
                found.append(history.Inline(inline.model, fks[0].attname))
        return found

    # --- Deleting: per record
    def has_delete_permission(self, request, obj=None):
        if not super().has_delete_permission(request, obj):
            return False
        return obj is None or self.may_delete(request, obj)

    def may_delete(self, request: HttpRequest, obj: models.Model) -> bool:
        """The role's answer for this record (``relations.roles.may_delete``), asked once per
        request: the admin asks several times while it renders one page."""
        from relations.roles import may_delete  # the policy's one place (core imports no app)

        answers = request.__dict__.setdefault("_relata_may_delete", {})
        key = (obj._meta.label, obj.pk)
        if key not in answers:
            answers[key] = may_delete(request.user, obj)
        return answers[key]

    def get_deleted_objects(self, objs, request):
        """As Django's, but a record this role may not delete is named with the reason, not
        as a "type of object" the account has no permission for."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        refused = [obj for obj in objs if not self.may_delete(request, obj)]
        if refused:
            from relations.roles import refusal

            perms_needed = {*(p for p in perms_needed if p != self.opts.verbose_name)}
            perms_needed |= {refusal(obj) for obj in refused[:20]}
        return deleted, counts, perms_needed, protected

    # --- Recover deleted
    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path(
                "deleted/",
                self.admin_site.admin_view(self.deleted_view),
                name=f"{prefix}_deleted",
            ),
            path(
                "deleted/<int:history_id>/recover/",
                self.admin_site.admin_view(self.recover_view),
                name=f"{prefix}_recover",
            ),
            *super().get_urls(),
        ]

    def has_recover_permission(self, request: HttpRequest) -> bool:
        return self.has_add_permission(request) and self.has_change_history_permission(request)

    def deleted_records(self) -> models.QuerySet:
        """The last history row of each record that no longer exists."""
        history = self.model.history.model
        pk_name = self.opts.pk.attname
        existing = self.model._default_manager.values(pk_name)
        return (
            history.objects.filter(history_type="-")
            .exclude(**{f"{pk_name}__in": existing})
            .select_related("history_user")
            .order_by("-history_date")
        )

    def deleted_view(self, request: HttpRequest) -> TemplateResponse:
        if not self.has_view_history_or_change_history_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": f"Deleted {self.opts.verbose_name_plural}",
            "opts": self.opts,
            "records": self.deleted_records()[:200],
            "can_recover": self.has_recover_permission(request),
        }
        return TemplateResponse(request, "admin/relata/deleted.html", context)

    def recover_view(self, request: HttpRequest, history_id: int) -> HttpResponse:
        if not self.has_recover_permission(request):
            raise PermissionDenied
        record = get_object_or_404(self.deleted_records(), history_id=history_id)
        if request.method != "POST":
            return HttpResponseRedirect(self._deleted_url())
        with self.one_history_entry(request, "recovered from history"):
            obj = recover(record, request.user)
        self.log_addition(request, obj, [{"added": {}}, "Recovered from history."])
        messages.success(request, f"Recovered “{obj}” with its links and citations.")
        return HttpResponseRedirect(
            reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[obj.pk])
        )

    def _deleted_url(self) -> str:
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_deleted")

    # --- Actions
    @admin.action(description="Export selected as a fixture (published only)")
    def export_fixture(self, request, queryset):
        """The selection with what it refers to and its citations; published claims only
        (export_kb's code path: see exchange.selection)."""
        from exchange.admin import fixture_response

        return fixture_response(request, queryset, include_drafts=False)


def date_reading(text: str) -> str:
    """'late June 2010' -> '21 June 2010 – 30 June 2010 (part of month)'; 'by 2005' -> 'some
    time up to 31 December 2005 (no later than; one time, not a span)'."""
    if not text:
        return "—"
    try:
        fuzzy = parse_fuzzy_date(text)
    except ValidationError:
        return "unreadable"

    def day(value):
        return "open" if value in (OPEN_LOWER, OPEN_UPPER) else long_date(value)

    approx = ", approximate" if fuzzy.approximate else ""
    one_time = BOUNDED_READINGS.get(fuzzy.precision)
    if one_time:
        return one_time.format(lower=day(fuzzy.lower), upper=day(fuzzy.upper)) + approx
    bounds = (
        day(fuzzy.lower)
        if fuzzy.lower == fuzzy.upper
        else (f"{day(fuzzy.lower)} – {day(fuzzy.upper)}")
    )
    return f"{bounds} ({fuzzy.precision.value.replace('-', ' ')}{approx})"


# One time known only by its bounds: said in words, so that "by 2005" is not read as the span
# "until 2005".
BOUNDED_READINGS = {
    Precision.NOT_AFTER: "some time up to {upper} (no later than; one time, not a span)",
    Precision.NOT_BEFORE: "some time from {lower} (no earlier than; one time, not a span)",
    Precision.WINDOW: "some time from {lower} to {upper} (window; one time, not a span)",
    Precision.RECENT: "some time up to {upper} (in recent years)",
}


def recover(record, user) -> models.Model:
    """Re-create a deleted record from its last history row, with its many-to-many links and
    the citations that were deleted along with it."""
    obj = record.instance
    model = type(obj)
    # Deletion removes the links before the deletion is recorded: take them from the last
    # version saved before it (looked up before saving adds a newer one).
    before = (
        model.history.filter(**{model._meta.pk.attname: obj.pk})
        .exclude(history_type="-")
        .order_by("-history_date", "-history_id")
        .first()
    )
    obj._history_user = user
    obj.save(force_insert=True)
    for field in before._history_m2m_fields if before else []:
        target = field.m2m_reverse_field_name()
        rows = getattr(before, field.name).all()
        getattr(obj, field.name).set([getattr(row, f"{target}_id") for row in rows])
    if hasattr(model, "citations"):
        relation = model._meta.get_field("citations")
        citation_model = relation.related_model
        # Citations go with their claim (CASCADE), recorded a moment before or after it.
        moment = datetime.timedelta(seconds=5)
        window = (record.history_date - moment, record.history_date + moment)
        deleted = (
            citation_model.history.filter(history_type="-", history_date__range=window)
            .filter(**{relation.field.attname: obj.pk})
            .exclude(id__in=citation_model.objects.values("id"))
        )
        for citation_record in deleted:
            citation = citation_record.instance
            citation._history_user = user
            citation.save(force_insert=True)
    return obj
