"""The admin's fixture imports, in a worker (Django's tasks framework; the backend is
django-tasks-db, whose worker is ``manage.py db_worker``): no import runs inside a request.

An upload is queued for :func:`check_import` (the dry run); once its uploader confirms it,
for :func:`run_import`. Both are :func:`exchange.load.import_kb`'s code, as the command runs
it, on the file kept under the import's token. While they run, the worker writes what it does
and how far it read to the import's row (the admin's progress page reads it) over a connection
of its own: the import's transaction, which holds every row it writes until it commits, would
hide it.
"""

from __future__ import annotations

import time

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.tasks import task
from django.utils import timezone

from exchange.load import Importer
from exchange.models import Import
from exchange.uploads import file_digest, prune


class Progress:
    """What the worker is doing, written to the import's row at most every ``every`` s."""

    def __init__(self, record: Import, importer_report, every: float = 0.5) -> None:
        self.token = record.token
        self.report = importer_report
        self.every = every
        self.read = 0
        self.phase = ""
        self.last = 0.0
        self.connection = None

    def bytes(self, n: int) -> None:
        self.read += n
        self.write()

    def status(self, message: str) -> None:
        self.phase = message[:100]
        self.write(force=True)

    def write(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < self.every:
            return
        self.last = now
        try:
            if self.connection is None:
                self.connection = connections.create_connection(DEFAULT_DB_ALIAS)
                # Never wait for a lock: the import may hold SQLite's write lock.
                wait = {"sqlite": "PRAGMA busy_timeout = 50", "postgresql": "SET lock_timeout = 50"}
                if statement := wait.get(self.connection.vendor):
                    with self.connection.cursor() as cursor:
                        cursor.execute(statement)
            with self.connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE exchange_import SET progress = %s, records = %s, phase = %s, "
                    "touched = %s WHERE token = %s",
                    [self.read, self.report.records, self.phase, timezone.now(), self.token],
                )
        except DatabaseError:
            pass  # progress is a courtesy; the import goes on

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


def _claim(token: str, waiting: str, running: str) -> Import | None:
    """Take the import if it still waits for this step (it may have been discarded)."""
    with transaction.atomic():
        record = Import.objects.select_for_update().filter(token=token, state=waiting).first()
        if record is not None:
            record.state = running
            record.touched = timezone.now()
            record.save(update_fields=["state", "touched"])
    return record


def _run(record: Import, *, dry_run: bool, user_id: int | None) -> None:
    importer = Importer(
        record.path,
        name=record.name,
        update=record.update,
        dry_run=dry_run,
        user_id=user_id,
    )
    progress = Progress(record, importer.report)
    importer.progress, importer.status = progress.bytes, progress.status
    try:
        report = importer.run()
    except BaseException as error:
        problem = f"The import stopped with an error; nothing was imported: {error!r}"[:1000]
        record.end(Import.State.FAILED, phase="", report={"problems": [problem]})
        raise
    finally:
        progress.close()
    if dry_run:
        state = Import.State.PENDING if report.ok else Import.State.REJECTED
    else:  # checked before, but the database may have changed since
        state = Import.State.IMPORTED if report.loaded else Import.State.REJECTED
    record.end(
        state,
        report=report.as_dict(),
        phase="",
        records=report.records,
        progress=record.size,
        touched=timezone.now(),
    )


@task()
def check_import(token: str) -> str:
    """The dry run of an upload: its report, and PENDING (or REJECTED, the file let go)."""
    record = _claim(token, Import.State.QUEUED, Import.State.CHECKING)
    if record is None:
        return "gone"
    if not record.path.exists():
        record.end(Import.State.FAILED, report={"problems": ["The kept file is gone."]})
        return record.state
    _run(record, dry_run=True, user_id=record.user_id)
    return record.state


@task()
def run_import(token: str, user_id: int | None) -> str:
    """The confirmed import, of the file that was checked (its checksum verified again)."""
    record = _claim(token, Import.State.CONFIRMED, Import.State.IMPORTING)
    if record is None:
        return "gone"
    if not record.path.exists() or file_digest(record.path) != record.sha256:
        problem = "The kept file changed or is gone since it was checked; upload it again."
        record.end(
            Import.State.REJECTED,
            report={**record.report, "problems": [problem], "problem_count": 1},
        )
        return record.state
    _run(record, dry_run=False, user_id=user_id)
    return record.state


@task()
def prune_uploads() -> dict[str, int]:
    """What ``manage.py prune_uploads`` does, for a scheduler that enqueues tasks."""
    return prune()
