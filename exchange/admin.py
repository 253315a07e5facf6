"""The admin's side of exchange: "export selected" on content lists, and fixture imports.

An import is two steps over the same code as ``import_kb``: the upload is kept server-side
under a random token and checked with a dry run, whose report is shown; confirming runs the
import for real on the kept file (whose checksum is verified again, and which is validated
again, since the database may have changed meanwhile). The confirm form carries no file, so
nothing but the checked file can be loaded. Only people who may add and change every content
model and publish claims may import (editors, see ``relations/roles.py``): an import writes
reference data and published claims.
"""

from __future__ import annotations

import datetime
import hashlib
import io

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from exchange.export import Exporter
from exchange.load import import_kb
from exchange.models import Import, upload_dir
from exchange.selection import Selection
from exchange.spec import SPECS

# Larger exports belong to `manage.py export_kb`, which streams to a file.
ACTION_LIMIT = 50_000
PENDING_FOR = datetime.timedelta(days=1)


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


def keep_upload(upload, user, update: bool) -> Import:
    """Write the upload under a fresh token, hashing it on the way."""
    record = Import(name=upload.name[:255], user=user, update=update)
    upload_dir().mkdir(parents=True, exist_ok=True, mode=0o700)
    digest = hashlib.sha256()
    with record.path.open("wb") as out:
        for chunk in upload.chunks():
            digest.update(chunk)
            out.write(chunk)
            record.size += len(chunk)
    record.sha256 = digest.hexdigest()
    return record


def file_digest(path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


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
        """Upload and dry run."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            self._discard_stale()
            record = keep_upload(
                form.cleaned_data["file"], request.user, form.cleaned_data["update"]
            )
            report = import_kb(
                record.path, name=record.name, update=record.update, dry_run=True,
                user_id=request.user.pk,
            )  # fmt: skip
            record.report = report.as_dict()
            if not report.ok:
                record.state = Import.State.REJECTED
                record.finished = timezone.now()
                record.forget_file()
            record.save()
            return HttpResponseRedirect(
                reverse("admin:exchange_import_change", args=[record.token])
            )
        context = self._context(request, "Import a fixture", form=form)
        return TemplateResponse(request, "admin/exchange/import/upload.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The report of an import; for one awaiting confirmation, the confirm button."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        record = get_object_or_404(Import, token=object_id)
        pending = record.state == Import.State.PENDING
        context = self._context(
            request,
            str(record),
            record=record,
            report=record.report,
            can_confirm=pending and self._owns(request, record),
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
        with transaction.atomic():  # the row lock makes a double click import once
            record = self._pending(request, token)
            if not record.path.exists() or file_digest(record.path) != record.sha256:
                record.state = Import.State.REJECTED
                problem = "The kept file changed or is gone since it was checked; upload it again."
                record.report = {**record.report, "problems": [problem], "problem_count": 1}
                messages.error(request, "Nothing was imported: the kept file changed or is gone.")
            else:
                report = import_kb(
                    record.path, name=record.name, update=record.update,
                    user_id=request.user.pk,
                )  # fmt: skip
                record.report = report.as_dict()
                if report.loaded:
                    record.state = Import.State.IMPORTED
                    messages.success(request, report.summary())
                else:  # the database changed since the dry run
                    record.state = Import.State.REJECTED
                    messages.error(request, report.summary())
            record.finished = timezone.now()
            record.forget_file()
            record.save()
        return HttpResponseRedirect(reverse("admin:exchange_import_change", args=[token]))

    def discard_view(self, request, token: str) -> HttpResponse:
        with transaction.atomic():
            record = self._pending(request, token)
            record.state = Import.State.DISCARDED
            record.finished = timezone.now()
            record.forget_file()
            record.save()
        messages.info(request, f"Discarded {record.name}; nothing was imported.")
        return HttpResponseRedirect(reverse("admin:exchange_import_changelist"))

    def _discard_stale(self) -> None:
        """Uploads nobody confirmed within a day are let go (their files take disk space)."""
        stale = Import.objects.filter(
            state=Import.State.PENDING, created__lt=timezone.now() - PENDING_FOR
        )
        for record in stale:
            record.forget_file()
        stale.update(state=Import.State.DISCARDED, finished=timezone.now())
