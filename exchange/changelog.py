"""The change log: every history row, numbered in the order it became visible.

django-simple-history dates a row when it is *made* (``import_kb`` dates all of its rows with
the moment the import started, minutes before it commits), and two overlapping transactions
may commit in the reverse order of their dates. A feed read in date order therefore skips rows
that commit behind a reader's position. The log fixes the order instead:

1. **Capture.** A trigger on every history table adds ``(kind, history_id)`` to
   ``exchange_change`` in the transaction that inserts the history row: ORM saves, the
   importer's set-based history and raw SQL alike (PostgreSQL: one statement-level trigger per
   table, reading the statement's new rows at once; SQLite: a row trigger). The row is as
   invisible to others as the history row until that transaction commits.
2. **Sequence.** :func:`sequence` gives ``seq = last + 1, last + 2, …`` to the log rows that
   have no number yet, in id order, in a short transaction of its own, under a lock
   (``pg_advisory_xact_lock``; SQLite has one writer at a time anyway). It can only see rows
   whose transaction has committed, and the lock is released only after its own commit, so
   every number it gives is larger than every number already visible: a row that commits
   later always sorts after everything a reader has already been handed. Nothing is ever
   numbered behind a reader's position; that is the whole guarantee.
3. **Read.** The feed sequences first, then reads rows with ``seq`` above the reader's position.

``sequenced`` (when the number was given, never decreasing along ``seq``) lets ``since=<time>``
start at the first row numbered at or after it: every change committed after that moment is
numbered after it. The feed's readers do the numbering, so it needs a writable database.

Rows that never get a history row (``generate_kb``'s COPY, ``loaddata`` with raw saves, SQL
that skips history) are not in the log, hence not in the feed.
"""

from __future__ import annotations

import datetime

from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.models import Max
from django.utils import timezone

from exchange.models import Change
from relations.models import (
    Agreement,
    Citation,
    Country,
    Domain,
    Event,
    Membership,
    Official,
    Organisation,
    Position,
    Relationship,
    Statement,
)
from sources.models import Footnote, Source

#: The models whose history is logged, by the feed's name for them. Many-to-many links (an
#: event's countries, a claim's ``concerns``) need no log of their own: simple-history writes
#: a "~" row of the owner for every change of its links, and that row is logged.
LOGGED: dict[str, type[models.Model]] = {
    "agreement": Agreement,
    "citation": Citation,
    "country": Country,
    "domain": Domain,
    "event": Event,
    "footnote": Footnote,
    "membership": Membership,
    "official": Official,
    "organisation": Organisation,
    "position": Position,
    "relationship": Relationship,
    "source": Source,
    "statement": Statement,
}
#: pg_advisory_xact_lock's key for the sequencer ("RELATA" in ASCII).
LOCK = 0x52454C415441
#: Rows numbered per call: one call's cost stays bounded after a million-row import.
BATCH = 20_000


# --- Capture ----------------------------------------------------------------------------------
def history_tables() -> dict[str, str]:
    return {kind: model.history.model._meta.db_table for kind, model in LOGGED.items()}


def install_triggers(using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """Add the log trigger to every history table that lacks it; the kinds given one.

    The migration installs them; this runs after every ``migrate`` too, because SQLite
    rebuilds a table (dropping its triggers) for most column changes a later migration makes.
    """
    connection = connections[using]
    tables = set(connection.introspection.table_names())
    if Change._meta.db_table not in tables:
        return []
    # Only the history tables that exist: after a partial (or backward) migrate some may not.
    logged = {kind: table for kind, table in history_tables().items() if table in tables}
    quote = connection.ops.quote_name
    added = []
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(PG_FUNCTION)
            cursor.execute(
                "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE t.tgname = 'exchange_change_log'"
            )
            present = {row[0] for row in cursor.fetchall()}
            for kind, table in logged.items():
                if table not in present:
                    cursor.execute(PG_TRIGGER.format(table=quote(table), kind=kind))
                    added.append(kind)
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            present = {row[0] for row in cursor.fetchall()}
            for kind, table in logged.items():
                if f"exchange_change_{kind}" not in present:
                    cursor.execute(SQLITE_TRIGGER.format(table=quote(table), kind=kind))
                    added.append(kind)
    return added


def install_triggers_after_migrate(using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    install_triggers(using)


# The same statements as migrations 0002 and 0003 (a migration keeps its own copy: it must not
# change).
PG_FUNCTION = """
CREATE OR REPLACE FUNCTION exchange_change_log() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO exchange_change (kind, history_id)
    SELECT TG_ARGV[0], history_id FROM new_rows ORDER BY history_id;
    RETURN NULL;
END
$$
"""
PG_TRIGGER = (
    "CREATE TRIGGER exchange_change_log AFTER INSERT ON {table} "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION exchange_change_log('{kind}')"
)
SQLITE_TRIGGER = (
    "CREATE TRIGGER IF NOT EXISTS exchange_change_{kind} AFTER INSERT ON {table} "
    "BEGIN INSERT INTO exchange_change (kind, history_id) VALUES ('{kind}', NEW.history_id); END"
)


# --- Sequence ---------------------------------------------------------------------------------
def sequence(using: str = DEFAULT_DB_ALIAS, limit: int = BATCH) -> bool:
    """Number up to ``limit`` committed, unnumbered log rows; True if more are waiting."""
    log = Change.objects.using(using)
    if not log.filter(seq__isnull=True).exists():  # the usual case: nothing to lock for
        return False
    connection = connections[using]
    quote = connection.ops.quote_name
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK])
        # Read after the lock: under READ COMMITTED each statement sees every commit so far.
        last = log.filter(seq__isnull=False).order_by("-seq").values_list("seq", "sequenced")
        seq, sequenced = last.first() or (0, None)
        now = timezone.now()
        moment = max(now, sequenced) if sequenced else now
        table = quote(Change._meta.db_table)
        cursor.execute(
            f"UPDATE {table} SET seq = n.base + n.rn, sequenced = %s "
            f"FROM (SELECT id, %s AS base, ROW_NUMBER() OVER (ORDER BY id) AS rn "
            f"FROM {table} WHERE seq IS NULL ORDER BY id LIMIT %s) AS n "
            f"WHERE {table}.id = n.id",
            [connection.ops.adapt_datetimefield_value(moment), seq, limit],
        )
        numbered = cursor.rowcount
    return numbered >= limit and log.filter(seq__isnull=True).exists()


# --- Positions --------------------------------------------------------------------------------
def latest(using: str = DEFAULT_DB_ALIAS) -> int:
    """The position after the last numbered row (0 when there is none)."""
    return Change.objects.using(using).aggregate(last=Max("seq"))["last"] or 0


def position_at(moment: datetime.datetime, using: str = DEFAULT_DB_ALIAS) -> int:
    """The position just before the first row numbered at or after ``moment``."""
    first = (
        Change.objects.using(using)
        .filter(seq__isnull=False, sequenced__gte=moment)
        .order_by("seq")
        .values_list("seq", flat=True)
        .first()
    )
    return latest(using) if first is None else first - 1
