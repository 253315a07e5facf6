"""core.bulk: an empty table's plain indexes are dropped for a big load and made again as
they were; a table with rows keeps every index."""

import pytest
from django.db import connection

from core.bulk import create_indexes, drop_foreign_keys, drop_plain_indexes

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL indexes"),
]


def indexes(table: str) -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table])
        return set(cursor.fetchall())


def test_only_empty_tables_lose_their_plain_indexes_and_get_them_back():
    # After migrate, countries have rows (its data migration) and events have none.
    full, empty = "relations_country", "relations_event"
    before = {table: indexes(table) for table in (full, empty)}
    assert any("UNIQUE" not in d for _, d in before[full])  # a plain index it keeps

    definitions = drop_plain_indexes(connection, [full, empty])

    assert indexes(full) == before[full]
    kept = indexes(empty)
    assert kept and all("UNIQUE" in d for _, d in kept)  # primary key, slug: constraints
    assert {d for _, d in before[empty] - kept} == set(definitions)
    assert any("USING gin" in d for d in definitions)  # the trigram index above all
    create_indexes(connection, definitions)
    assert indexes(empty) == before[empty]


def foreign_keys(table: str) -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'f'",
            [table],
        )
        return set(cursor.fetchall())


def test_foreign_keys_of_empty_tables_only_are_dropped_and_added_again():
    full, empty = "relations_country", "relations_citation"
    before = {table: foreign_keys(table) for table in (full, empty)}
    assert before[empty]

    statements = drop_foreign_keys(connection, [full, empty])

    assert foreign_keys(full) == before[full]
    assert not foreign_keys(empty)
    create_indexes(connection, statements)
    assert foreign_keys(empty) == before[empty]
