"""The admin's side of exchange: "export selected" on content lists, and fixture imports.

An import is two steps over the same code as ``import_kb``, each run by a worker
(:mod:`exchange.tasks`), never in the request: the upload (at most
``EXCHANGE_FIXTURE_MAX_UPLOAD``: exchange.uploads) is kept server-side under a random token
and queued for a dry run; its page shows the progress, then the report; confirming queues the
import for real of the kept file (whose checksum is verified again, and which is validated
again, since the database may have changed meanwhile). The confirm form carries no file, so
nothing but the checked file can be loaded. Only people who may add and change every content
model and publish claims may import (editors, see ``relations/roles.py``): an import writes
reference data and published claims.
"""

from __future__ import annotations

import datetime
import io
from http import HTTPStatus

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from exchange.export import Exporter
from exchange.models import Import
from exchange.selection import Selection
from exchange.spec import SPECS
from exchange.tasks import check_import, run_import
from exchange.uploads import fixture_limit, keep_upload, prune, refusal, too_large

# Larger exports belong to `manage.py export_kb`, which streams to a file.
ACTION_LIMIT = 50_000
# The progress page of a running import reloads itself this often (no script: the CSP).
REFRESH_SECONDS = 2


def import_permissions() -> list[str]:
    perms = []
    for spec in SPECS:
        opts = spec.model._meta
        perms += [
            f"{opts.app_label}.add_{opts.model_name}",
            f"{opts.app_label}.change_{opts.model_name}",
        ]
        if spec.is_claim:
            perms.append(f"{opts.app_label}.publish_{opts.model_name}")
    return perms


def can_import(user) -> bool:
    return bool(user and user.is_active and user.is_staff and user.has_perms(import_permissions()))


# --- Export selected ----------------------------------------------------------------------
def fixture_response(
    request: HttpRequest, queryset: models.QuerySet, *, include_drafts: bool
) -> HttpResponse | None:
    """The selected records as a fixture download, with what they refer to and their citations
    (see exchange.selection). None, with a message, if the selection is too big for a page."""
    model = queryset.model
    if queryset.count() > ACTION_LIMIT:
        messages.error(
            request,
            f"Select at most {ACTION_LIMIT:,} records to export here; for more, use "
            "`manage.py export_kb`, which streams to a file.",
        )
        return None
    selection = Selection(roots={model: queryset.order_by()}, include_drafts=include_drafts)
    out = io.StringIO()
    Exporter(selection, using=queryset.db).write(out)
    response = HttpResponse(out.getvalue(), content_type="application/json")
    suffix = "-with-drafts" if include_drafts else ""
    name = f"relata-{model._meta.model_name}{suffix}-{datetime.date.today():%Y%m%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- Import -------------------------------------------------------------------------------
class UploadForm(forms.Form):
    file = forms.FileField(help_text="A fixture written by export_kb (JSON, natural keys).")
    update = forms.BooleanField(
        required=False,
        label="Update conflicting records",
        help_text="Records that already exist with other content take the file's version "
        "(default: they are kept as they are, and listed).",
    )

    def __init__(self, *args, refused: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.refused = refused
        limit = filesizeformat(fixture_limit())
        self.fields["file"].help_text += f" At most {limit}."

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > fixture_limit():  # the upload handler refuses it sooner (uploads.py)
            raise forms.ValidationError(too_large(fixture_limit()))
        return upload

    def full_clean(self) -> None:
        super().full_clean()
        if self.refused:  # the upload handler let the file go: say why, not "required"
            self.errors.pop("file", None)
            self.add_error("file", self.refused)


@admin.register(Import)
class ImportAdmin(admin.ModelAdmin):
    list_display = ["created", "name", "user", "state", "summary"]
    list_filter = ["state"]
    list_select_related = ["user"]

    # --- Permissions: importing is for those who may write everything an import writes.
    def has_module_permission(self, request):
        return can_import(request.user)

    def has_view_permission(self, request, obj=None):
        return can_import(request.user)

    def has_add_permission(self, request):
        return can_import(request.user)

    def has_change_permission(self, request, obj=None):
        return False  # the record of an import is not edited

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="result")
    def summary(self, obj: Import) -> str:
        if obj.running:
            return f"{obj.get_state_display()}: {obj.records:,} records read"
        counts = obj.report.get("counts") or {}
        if obj.report.get("problem_count"):
            return f"{obj.report['problem_count']:,} problem(s)"
        made = sum(c.get("created", 0) for c in counts.values())
        changed = sum(c.get("updated", 0) for c in counts.values())
        return f"{made:,} created, {changed:,} updated" if counts else "—"

    def get_urls(self):
        return [
            path("<str:token>/confirm/", self.admin_site.admin_view(self.confirm_view),
                 name="exchange_import_confirm"),
            path("<str:token>/discard/", self.admin_site.admin_view(self.discard_view),
                 name="exchange_import_discard"),
            *super().get_urls(),
        ]  # fmt: skip

    def _context(self, request, title: str, **extra):
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            **extra,
        }

    def add_view(self, request, form_url="", extra_context=None):
        """Upload, and queue the dry run."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        posted = request.method == "POST"
        data, files = (request.POST, request.FILES) if posted else (None, None)
        refused = refusal(request)  # once the form is read (above), its file may be refused
        form = UploadForm(data, files, refused=refused)
        if posted and form.is_valid():
            prune()  # each upload lets go of those nobody needs any more
            record = keep_upload(
                form.cleaned_data["file"], request.user, form.cleaned_data["update"]
            )
            record.save()
            record.task_id = str(check_import.enqueue(record.token).id)
            record.save(update_fields=["task_id"])
            return HttpResponseRedirect(
                reverse("admin:exchange_import_change", args=[record.token])
            )
        context = self._context(request, "Import a fixture", form=form)
        status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE if refused else HTTPStatus.OK
        return TemplateResponse(
            request, "admin/exchange/import/upload.html", context, status=status
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The progress of an import a worker has; then its report and, for one awaiting
        confirmation, the confirm button."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        record = get_object_or_404(Import, token=object_id)
        pending = record.state == Import.State.PENDING
        waiting = record.state in (Import.State.QUEUED, Import.State.CONFIRMED)
        context = self._context(
            request,
            str(record),
            record=record,
            report=record.report,
            can_confirm=pending and self._owns(request, record),
            refresh=REFRESH_SECONDS if record.running else None,
            no_worker=waiting and record.created < timezone.now() - datetime.timedelta(minutes=1),
        )
        return TemplateResponse(request, "admin/exchange/import/report.html", context)

    def _owns(self, request, record: Import) -> bool:
        return record.user_id == request.user.pk or request.user.is_superuser

    def _pending(self, request, token: str) -> Import:
        if request.method != "POST" or not self.has_add_permission(request):
            raise PermissionDenied
        record = get_object_or_404(
            Import.objects.select_for_update(), token=token, state=Import.State.PENDING
        )
        if not self._owns(request, record):
            raise PermissionDenied
        return record

    def confirm_view(self, request, token: str) -> HttpResponse:
        with transaction.atomic():  # the row lock makes a double click queue it once
            record = self._pending(request, token)
            record.state = Import.State.CONFIRMED
            record.progress = record.records = 0
            record.task_id = str(run_import.enqueue(token, request.user.pk).id)
            record.save()
        messages.info(request, f"{record.name} is queued for import.")
        return HttpResponseRedirect(reverse("admin:exchange_import_change", args=[token]))

    def discard_view(self, request, token: str) -> HttpResponse:
        with transaction.atomic():
            record = self._pending(request, token)
            record.end(Import.State.DISCARDED)
        messages.info(request, f"Discarded {record.name}; nothing was imported.")
        return HttpResponseRedirect(reverse("admin:exchange_import_changelist"))
