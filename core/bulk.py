"""Big loads into empty tables: without their plain indexes, made again in one pass afterwards.

A fresh install's first big load (``import_kb``, ``generate_kb``) goes faster when an empty
table's plain indexes (full-text, trigram and other GIN ones above all) are not updated row by
row but built once, sorted, at the end. One rule for both loaders, here:

* PostgreSQL only, and only tables that are empty when the load starts: dropping an index
  takes the table's exclusive lock until the load commits, and an empty table has nothing
  to read yet. A failed load rolls back, indexes included.
* Only plain indexes: unique and primary-key indexes, and any index backing a constraint,
  stay (they are the constraints), as do invalid ones (nothing to copy).
* Foreign keys (:func:`drop_foreign_keys`, for a loader that checks them row by row): the
  same empty tables' are dropped and added again before commit, which checks every row in
  one join instead of one lookup per row. The guarantee is the load's as before: a row that
  refers to nothing fails the load. Meanwhile the referenced tables take no writes (their
  lock is held until commit); reading goes on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

#: Memory for each index build (sorts in memory rather than on disk); for that statement only.
REBUILD_MEMORY = "512MB"


def _empty(connection, cursor, db_tables: Iterable[str]) -> Iterator[str]:
    """Those of ``db_tables`` that hold no row: the only ones a load may strip (module doc)."""
    q = connection.ops.quote_name
    for table in db_tables:
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {q(table)})")
        if not cursor.fetchone()[0]:
            yield table


def drop_plain_indexes(connection, db_tables: Iterable[str]) -> list[str]:
    """Drop the plain indexes of those of ``db_tables`` that are empty; return their
    ``CREATE INDEX`` definitions, for :func:`create_indexes` after the load. Inside the
    load's transaction. Nothing on other backends."""
    if connection.vendor != "postgresql":
        return []
    definitions: list[str] = []
    with connection.cursor() as cursor:
        for table in _empty(connection, cursor, db_tables):
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
                "FROM pg_index i WHERE i.indrelid = %s::regclass AND NOT i.indisunique "
                "AND NOT i.indisprimary AND i.indisvalid AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) "
                "ORDER BY i.indexrelid",
                [table],
            )
            for name, definition in cursor.fetchall():
                cursor.execute(f"DROP INDEX {name}")
                definitions.append(definition)
    return definitions


def drop_foreign_keys(connection, db_tables: Iterable[str]) -> list[str]:
    """Drop the foreign keys of those of ``db_tables`` that are empty; return the ``ALTER
    TABLE ... ADD CONSTRAINT`` statements that add them again, for :func:`create_indexes`
    after the load (after the indexes: the check's join may use them). Nothing on other
    backends."""
    if connection.vendor != "postgresql":
        return []
    q = connection.ops.quote_name
    statements: list[str] = []
    with connection.cursor() as cursor:
        for table in _empty(connection, cursor, db_tables):
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY oid",
                [table],
            )
            for name, definition in cursor.fetchall():
                cursor.execute(f"ALTER TABLE {q(table)} DROP CONSTRAINT {q(name)}")
                statements.append(f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(name)} {definition}")
    return statements


def create_indexes(connection, definitions: Sequence[str]) -> None:
    """Run the statements :func:`drop_plain_indexes` or :func:`drop_foreign_keys` returned,
    with :data:`REBUILD_MEMORY` of ``maintenance_work_mem`` and ``work_mem`` meanwhile (the
    transaction's own settings are put back after).

    PostgreSQL makes no index on a table with pending trigger events: the caller has the
    deferred foreign-key checks of its rows run first (``SET CONSTRAINTS ... IMMEDIATE``)."""
    if not definitions:
        return
    settings = ("maintenance_work_mem", "work_mem")
    with connection.cursor() as cursor:
        before = []
        for name in settings:
            cursor.execute("SELECT current_setting(%s)", [name])
            before.append(cursor.fetchone()[0])
            cursor.execute("SELECT set_config(%s, %s, true)", [name, REBUILD_MEMORY])
        for definition in definitions:
            cursor.execute(definition)
        for name, value in zip(settings, before, strict=True):
            cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
