"""Uploads to the import pages: how large they may be, and letting go of their files.

**Size.** Django caps the form fields it holds in memory (``DATA_UPLOAD_MAX_MEMORY_SIZE``) but
not file data, which it streams to a temporary file whatever its size, before any view runs
(the CSRF check reads the form). :class:`UploadLimitHandler`, first in
``FILE_UPLOAD_HANDLERS``, refuses a file over the view's limit as it starts: from the
request's Content-Length when the body is larger than the limit, else as soon as the bytes
counted pass it; the other handlers never see a byte of it. The view then finds the file gone
and says why (:func:`refusal`), with a 413. Limits, in bytes (settings, docs/exchange.md):

- ``EXCHANGE_FIXTURE_MAX_UPLOAD`` for a fixture (the admin's "Import fixture"; the import itself
  runs in a worker, so this bounds disk, not request time);
- ``EXCHANGE_CSV_MAX_UPLOAD`` for the events' CSV import, whose preview runs in the request,
  and for any other upload.

**Files left behind.** :func:`prune` removes what no import needs any more: uploads nobody
confirmed within a day, imports a worker abandoned, and stray files (a CSV preview nobody
confirmed, a file whose import ended). It runs on every upload and from
``manage.py prune_uploads`` (or the task :func:`exchange.tasks.prune_uploads`), on a schedule.
"""

from __future__ import annotations

import datetime
import hashlib
import time
from pathlib import Path

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.template.defaultfilters import filesizeformat
from django.urls import Resolver404, resolve
from django.utils import timezone

from exchange.models import Import, upload_dir

MB = 1024 * 1024
FIXTURE_MAX_UPLOAD = 256 * MB
CSV_MAX_UPLOAD = 64 * 1024  # the preview runs in the request: ~0.1 s a row
# The multipart envelope and the other fields of an upload form fit in this.
ENVELOPE = 64 * 1024

PENDING_FOR = datetime.timedelta(days=1)  # an upload nobody confirmed is let go after this
ABANDONED_AFTER = datetime.timedelta(hours=6)  # a worker silent this long has stopped
STRAY_AFTER = datetime.timedelta(hours=1)  # a file with no import this long is let go


def fixture_limit() -> int:
    return getattr(settings, "EXCHANGE_FIXTURE_MAX_UPLOAD", FIXTURE_MAX_UPLOAD)


def csv_limit() -> int:
    return getattr(settings, "EXCHANGE_CSV_MAX_UPLOAD", CSV_MAX_UPLOAD)


def limit_for(request) -> int:
    match = getattr(request, "resolver_match", None)
    if match is None:  # the form read before the URL was resolved (by a middleware)
        try:
            match = resolve(request.path_info)
        except Resolver404:
            match = None
    if match is not None and match.url_name == "exchange_import_add":
        return fixture_limit()
    return csv_limit()


def too_large(limit: int) -> str:
    return (
        f"The file is larger than {filesizeformat(limit)}, the limit for uploads here; nothing "
        "was kept."
    )


def refusal(request) -> str | None:
    """Why the request's upload was refused, if it was."""
    limit = getattr(request, "_upload_refused", None)
    return too_large(limit) if limit is not None else None


class UploadLimitHandler(FileUploadHandler):
    """Skips a file over the view's limit before any later handler keeps a byte of it."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.body_length = content_length
        self.limit = limit_for(self.request)

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        if self.body_length and self.body_length > self.limit + ENVELOPE:
            self._refuse()
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:  # no Content-Length, or a lying one
            self._refuse()
        return raw_data

    def file_complete(self, file_size):
        return None

    def _refuse(self):
        self.request._upload_refused = self.limit
        raise SkipFile


def keep_upload(upload, user, update: bool) -> Import:
    """Write the upload under a fresh token, hashing it on the way (the import is not saved)."""
    record = Import(name=upload.name[:255], user=user, update=update, state=Import.State.QUEUED)
    upload_dir().mkdir(parents=True, exist_ok=True, mode=0o700)
    digest = hashlib.sha256()
    with record.path.open("wb") as out:
        for chunk in upload.chunks():
            digest.update(chunk)
            out.write(chunk)
            record.size += len(chunk)
    record.sha256 = digest.hexdigest()
    return record


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- Files left behind --------------------------------------------------------------------
def csv_dir() -> Path:
    """Where the events' CSV import keeps a file between its preview and its confirmation."""
    return upload_dir() / "csv"


def _old(path: Path, age: datetime.timedelta) -> bool:
    try:
        return path.stat().st_mtime < time.time() - age.total_seconds()
    except FileNotFoundError:
        return False


def prune() -> dict[str, int]:
    """Let go of uploads no import needs any more; the counts of what was let go."""
    now = timezone.now()
    counts = {"discarded": 0, "abandoned": 0, "files": 0}
    for record in Import.objects.filter(state=Import.State.PENDING, created__lt=now - PENDING_FOR):
        record.end(Import.State.DISCARDED)
        counts["discarded"] += 1
    silent = Import.objects.filter(state__in=Import.RUNNING, created__lt=now - ABANDONED_AFTER)
    for record in silent.exclude(touched__gte=now - ABANDONED_AFTER):
        problem = (
            "No worker finished this import (is `manage.py db_worker` running?); nothing was "
            "imported. Upload the file again."
        )
        record.end(Import.State.FAILED, report={**record.report, "problems": [problem]})
        counts["abandoned"] += 1
    kept = set(Import.objects.filter(state__in=Import.KEEPS_FILE).values_list("token", flat=True))
    here = upload_dir()
    strays = [p for p in here.glob("*.json") if p.stem not in kept] if here.is_dir() else []
    strays += list(csv_dir().glob("*")) if csv_dir().is_dir() else []
    for path in strays:
        # Old only: an upload is written before its import is saved, a CSV before its preview.
        if path.is_file() and _old(path, STRAY_AFTER if path.suffix == ".json" else PENDING_FOR):
            path.unlink(missing_ok=True)
            counts["files"] += 1
    return counts
