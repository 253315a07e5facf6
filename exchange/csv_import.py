"""django-import-export's CSV import (the events' list), with a size cap and no files left
behind.

- **Size.** A file over ``EXCHANGE_CSV_MAX_UPLOAD`` (exchange.uploads) is refused as it
  arrives, with a 413 and the reason on the form.
- **Files.** The stock import keeps each upload in the system's temporary directory, between
  its preview and its confirmation, and removes it only once confirmed: a preview with errors,
  or one nobody confirms, leaves its file forever. Here the file waits in
  ``EXCHANGE_UPLOAD_DIR/csv/``, named by a random token (never by the form: the confirm step
  takes only its base name), is removed as soon as a preview fails, and
  :func:`exchange.uploads.prune` removes those nobody confirmed within a day.
- **Where it runs.** The preview runs in the request, under the cap: it is the import itself,
  every row saved and rolled back, so a worker could not show it sooner. The confirm step stays
  in the request too (docs/exchange.md, "The events' CSV import"): in django-import-export 4.4
  ``process_import`` builds the dataset and runs ``resource.import_data`` with the request's
  user, then reports through the request (``process_result``: the admin log entries and the
  message, our rolled-back-import message included), with no hook between them; a task would
  re-implement all of it, for a step that costs no more than the preview the cap already
  bounds.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from http import HTTPStatus

from import_export.admin import ImportMixin
from import_export.tmp_storages import TempFolderStorage

from exchange.uploads import csv_dir, refusal


class UploadDirStorage(TempFolderStorage):
    """Keeps the file in ``EXCHANGE_UPLOAD_DIR/csv/`` under a random name."""

    def get_full_path(self) -> str:
        return str(csv_dir() / os.path.basename(self.name))

    def _open(self, mode="r"):
        if not self.name:  # saving the upload's bytes, as the stock storage does
            csv_dir().mkdir(parents=True, exist_ok=True, mode=0o700)
            self.name = f"{secrets.token_urlsafe(18)}.csv"
            return open(self.get_full_path(), "xb")
        return open(self.get_full_path(), mode, encoding=self.encoding)

    def remove(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            super().remove()


class CsvImportMixin(ImportMixin):
    tmp_storage_class = UploadDirStorage

    def create_import_form(self, request):
        form = super().create_import_form(request)
        refused = refusal(request) if request.method == "POST" else None
        if refused:  # the upload handler let the file go: say why, not "required"
            form.full_clean()
            form.errors.pop("import_file", None)
            form.add_error("import_file", refused)
        return form

    def import_action(self, request, **kwargs):
        response = super().import_action(request, **kwargs)
        context = getattr(response, "context_data", None) or {}
        form = context.get("form")
        if request.method == "POST" and form is not None:
            if refusal(request):
                response.status_code = HTTPStatus.REQUEST_ENTITY_TOO_LARGE
            kept = (getattr(form, "cleaned_data", None) or {}).get("import_file")
            name = getattr(kept, "tmp_storage_name", None)
            if name and "confirm_form" not in context:  # the preview failed: nothing to confirm
                UploadDirStorage(name=name).remove()
        return response
