"""Import a knowledge-base fixture: check all of it, then load it in one transaction.

:func:`import_kb` is what the command and the admin call. It never holds the file in memory:

1. **Read** (one streaming pass, ijson): each record's fields are cleaned by the model's own
   fields (types, lengths, choices, validators, fuzzy dates, whose ``_lower/_upper/_precision``
   are derived from the text as the model's ``save()`` does; a file's own bounds that disagree
   are a warning, the text wins). Records go into staging tables (:mod:`exchange.stage`).
2. **Resolve** (SQL): which natural keys exist already, ids for the new records (reserved from
   the sequences), and every foreign key and many-to-many link from its natural key, looked up
   first among the file's records (in any order) and then in the database.
3. **Check** (SQL): duplicate natural keys, references that resolve to nothing, the models'
   check and unique constraints, and the citation rules (a citation cites exactly one claim; a
   published claim has a citation, in the file or already in the database). Every problem is
   reported with its record number, model, natural key and field.
4. **Classify**: a record whose key exists is compared with what an export of the existing
   record would write: identical is "unchanged", only ``created``/``updated`` differing is
   "retimed" (the file's times are taken: a fresh install's countries and domains carry the
   time its migration ran), anything else a "conflict", kept as it is unless ``update``.
5. **Load** (not in a dry run, not with any problem): INSERT ... SELECT from the staging tables,
   updates, many-to-many links, and history.

All of it runs in one transaction; a dry run or a file with problems is rolled back, so it
writes nothing. History: every created, updated or retimed record gets a django-simple-history
row ("+" or "~", with its many-to-many links), dated the moment of the import, with the
importing user and the reason ``import_kb <file>``, written set-based in the same transaction,
so "revert" sees imported records like any others and the change log's triggers put them in
the changes feed (in the order of the import's commit, not of that date: exchange.changelog).
Retimed records get one too: their content is the same, but an export writes their times.

Each step is a module (a mixin of :class:`Importer`): ``read``, ``resolve``, ``check``,
``classify``, ``write``; ``base`` holds what they share.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.utils import timezone

from core.cache import bump
from exchange.load.check import Checking
from exchange.load.classify import Classifying
from exchange.load.read import Reading
from exchange.load.resolve import Resolving
from exchange.load.write import Writing
from exchange.report import Report
from exchange.spec import SPECS
from exchange.stage import Stage

__all__ = ["Importer", "import_kb"]


class _Rollback(Exception):
    """Leave the transaction without committing (a dry run, or problems found)."""


def import_kb(
    path: str | Path,
    *,
    name: str | None = None,
    update: bool = False,
    dry_run: bool = False,
    user_id: int | None = None,
    using: str = DEFAULT_DB_ALIAS,
    progress: Callable[[int], Any] | None = None,
    status: Callable[[str], Any] | None = None,
) -> Report:
    """Check the fixture at ``path`` and (unless ``dry_run`` or it has problems) load it.

    ``progress`` is told how many bytes were read, ``status`` what phase runs.
    """
    return Importer(
        Path(path),
        name=name or Path(path).name,
        update=update,
        dry_run=dry_run,
        user_id=user_id,
        using=using,
        progress=progress,
        status=status,
    ).run()


@dataclass
class Importer(Reading, Resolving, Checking, Classifying, Writing):
    """One import: the steps are mixins, one module each (read, resolve, check, classify,
    write); this runs them in one transaction."""

    path: Path
    name: str
    update: bool = False
    dry_run: bool = False
    user_id: int | None = None
    using: str = DEFAULT_DB_ALIAS
    progress: Callable[[int], Any] | None = None
    status: Callable[[str], Any] | None = None

    def __post_init__(self) -> None:
        self.report = Report(name=self.name, dry_run=self.dry_run, update=self.update)
        self.now = timezone.now()
        self.reason = f"import_kb {self.name}"[:100]

    def run(self) -> Report:
        started = time.monotonic()
        try:
            with transaction.atomic(using=self.using):
                self._tune()
                self.stage = Stage(SPECS, self.using)
                self.stage.create()
                # Checks run even after problems in single records, to report every problem;
                # not after broken JSON, when the records they would refer to are missing.
                if self.read():
                    self.say("Resolving natural keys…")
                    self.resolve()
                    self.say("Indexing the staged records…")
                    self.index_staged()
                    self.say("Checking…")
                    self.check()
                if self.report.ok:
                    self.say("Comparing with the database…")
                    self.classify()
                if not self.report.ok or self.dry_run:
                    raise _Rollback
                self.say("Loading…")
                try:
                    with transaction.atomic(using=self.using):
                        self.load()
                except DatabaseError as error:
                    # Checked above, so only a concurrent change gets here (another import
                    # took a key meanwhile): report it rather than crash; nothing is written.
                    self.report.problem(None, None, None, None, f"the database refused: {error}")
                    raise _Rollback from error
                self.stage.drop()
                self.report.loaded = True
                # Bulk SQL sends no post_save: tell the caches once, when the load commits.
                bump(self.using)
        except _Rollback:
            pass
        self.report.seconds = time.monotonic() - started
        return self.report

    def _tune(self) -> None:
        """PostgreSQL settings for a bulk load, for this transaction only."""
        connection = connections[self.using]
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            # Hash joins over a million keys instead of sorts spilling to disk.
            cursor.execute("SET LOCAL work_mem = '64MB'")
            cursor.execute("SET LOCAL gin_pending_list_limit = '64MB'")
            # Indexes made again after a big load into empty tables (load.write).
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            # Temporary tables live in this session's buffers (8 MB by default), settable only
            # before the session first used one: a fresh connection, as the command's.
            try:
                with transaction.atomic(using=self.using):
                    cursor.execute("SET LOCAL temp_buffers = '256MB'")
            except DatabaseError:
                pass
