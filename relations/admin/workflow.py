"""The editorial workflow in the admin: draft, ready for review, published.

Analysts submit, editors publish; a published claim keeps at least one citation. Shared
behaviour for every content model (history, stale edits, recover) is ``core.admin_base``.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import ActionLocation
from django.contrib.admin.utils import quote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import router, transaction
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from core.admin_base import ContentAdmin
from relations.admin.forms import ClaimForm
from relations.admin.review import ReviewedClaimAdmin
from relations.models import Status, UncitedClaim, cited


class KeepsClaimsCited:
    """Every write of this admin (change forms with their inlines, actions, deletions, history
    reverts, recoveries) is checked against "a published claim has at least one citation"
    before its transaction commits (``relations.models.cited.checked``: the models' checks
    and PostgreSQL's deferred triggers). A refusal leaves nothing written and says why in a
    message, rather than a 500 at commit. Forms and actions check the common cases first,
    where the refusal can be said next to what caused it; this is the net under them."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return self._checked(request, super().changeform_view, object_id, form_url, extra_context)

    def changelist_view(self, request, extra_context=None):
        return self._checked(request, super().changelist_view, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        return self._checked(request, super().delete_view, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        return self._checked(
            request, super().history_form_view, object_id, version_id, extra_context
        )

    def recover_view(self, request, history_id):
        return self._checked(request, super().recover_view, history_id)

    def _checked(self, request, view, *args):
        if request.method != "POST":  # the admin writes on POST only
            return view(request, *args)
        using = router.db_for_write(self.model)
        queued = _queued_messages(request)
        before = len(queued)
        try:
            with transaction.atomic(using=using), cited.checked(using):
                return view(request, *args)
        except UncitedClaim as refusal:
            del queued[before:]  # "changed successfully": it was not
            self.message_user(request, f"Nothing was saved. {refusal.message}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


def _queued_messages(request) -> list:
    """The messages this request added so far (a list, empty if messages are off)."""
    return getattr(getattr(request, "_messages", None), "_queued_messages", [])


class ClaimAdmin(ReviewedClaimAdmin, KeepsClaimsCited, ContentAdmin):
    """Events, agreements, statements, posts, memberships: a workflow from draft to published,
    dates typed relative to the cited source resolved once, at entry (``ClaimForm``)."""

    form = ClaimForm
    actions = [
        "submit_for_review",
        "publish",
        "unpublish",
        "export_fixture",
        "export_fixture_with_drafts",
        "delete_selected",
    ]

    def publish_permission(self) -> str:
        return f"{self.opts.app_label}.publish_{self.opts.model_name}"

    def can_publish(self, request: HttpRequest) -> bool:
        return request.user.has_perm(self.publish_permission())

    def has_publish_permission(self, request: HttpRequest) -> bool:
        return self.can_publish(request)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "status" and not self.can_publish(request):
            # An analyst may keep a claim as a draft or submit it; an editor publishes.
            kwargs["choices"] = [
                (value, label) for value, label in Status.choices if value != Status.PUBLISHED
            ]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        if obj is not None and obj.status == Status.PUBLISHED and not self.can_publish(request):
            readonly = [*readonly, "status"]  # published stays published until an editor says
        return readonly

    def save_model(self, request, obj, form, change):
        for name, (typed, stored) in getattr(form, "resolved", {}).items():
            label = form.fields[name].label or name
            messages.info(
                request,
                f"{label.capitalize()}: “{typed}” was resolved once, from the cited source's "
                f"date, and is stored as “{stored}”.",
            )
        super().save_model(request, obj, form, change)

    # (Deleting one published claim is refused per record: ContentAdmin.has_delete_permission.)
    def delete_queryset(self, request, queryset):
        if not self.can_publish(request) and queryset.filter(status=Status.PUBLISHED).exists():
            raise PermissionDenied("Only editors delete published records.")
        super().delete_queryset(request, queryset)

    @admin.action(
        description="Submit for review",
        permissions=["change"],
        location=[ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM],
    )
    def submit_for_review(self, request, queryset):
        updated = self._set_status(request, queryset.filter(status=Status.DRAFT), Status.REVIEW)
        self.message_user(request, f"{updated} submitted for review.", messages.SUCCESS)

    @admin.action(
        description="Publish",
        permissions=["publish"],
        location=[ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM],
    )
    def publish(self, request, queryset):
        uncited = list(queryset.exclude(status=Status.PUBLISHED).uncited()[:20])
        if uncited:
            self.message_user(
                request,
                format_html(
                    "Nothing was published: every claim needs at least one citation, and "
                    "these have none: {}",
                    format_html_join(
                        ", ",
                        '<a href="{}">{}</a>',
                        ((self._change_url(claim), str(claim)) for claim in uncited),
                    ),
                ),
                messages.ERROR,
            )
            return
        updated = self._set_status(request, queryset, Status.PUBLISHED)
        self.message_user(request, f"{updated} published.", messages.SUCCESS)

    @admin.action(
        description="Unpublish (back to draft)",
        permissions=["publish"],
        location=[ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM],
    )
    def unpublish(self, request, queryset):
        updated = self._set_status(request, queryset.filter(status=Status.PUBLISHED), Status.DRAFT)
        self.message_user(request, f"{updated} returned to draft.", messages.SUCCESS)

    @admin.action(description="Export selected as a fixture, drafts included (not for the public)")
    def export_fixture_with_drafts(self, request, queryset):
        from exchange.admin import fixture_response

        return fixture_response(request, queryset, include_drafts=True)

    def _set_status(self, request, queryset, status) -> int:
        """All or nothing: a failure half-way leaves every claim as it was. Saved one by one
        (not QuerySet.update) so each change is in the history with its user, and heard by
        the signals that refresh readers' caches (on commit)."""
        count = 0
        with transaction.atomic(using=router.db_for_write(self.model)):
            for claim in queryset.exclude(status=status):
                claim.status = status
                claim._history_user = request.user
                claim.save(update_fields=["status"])
                self.log_change(request, claim, [{"changed": {"fields": ["status"]}}])
                count += 1
        return count

    def _change_url(self, obj) -> str:
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[quote(obj.pk)]
        )


class CitationFormSet(forms.BaseInlineFormSet):
    """A claim cites each footnote once, and a published claim keeps at least one citation:
    refuse the save that would break either."""

    def clean(self) -> None:
        super().clean()
        kept = [
            form
            for form in self.forms
            if getattr(form, "cleaned_data", None)
            and form.cleaned_data.get("footnote")
            and not form.cleaned_data.get("DELETE")
        ]
        footnotes = [form.cleaned_data["footnote"] for form in kept]
        twice = next((f for f in footnotes if footnotes.count(f) > 1), None)
        if twice is not None:
            raise ValidationError(
                f"“{twice}” is cited twice: a claim cites a footnote once (remove one row).",
                code="cited_twice",
            )
        if getattr(self.instance, "status", None) == Status.PUBLISHED and not kept:
            name = self.instance._meta.verbose_name
            raise ValidationError(
                f"This {name} cannot be published without a citation: cite at least one "
                "footnote below, or keep it as a draft.",
                code="uncited",
            )
