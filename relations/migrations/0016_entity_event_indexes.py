"""An official's and an organisation's events, read from one index range (PostgreSQL only).

Their pages and the timeline's ``official=`` / ``organisation=`` filters start from the through
table's rows for that official or organisation. Django's index on the foreign key alone finds
them, but each row's ``event_id`` is then read from the table: at 10^7 events the busiest
organisation's 9,905 links were 8,380 table pages, half of its page's 140 ms
(docs/performance.md, "Ten million events"). With the event id in the index, as 0008 gave
countries and domains, the ids come from an index-only scan.

Built as 0008 builds its indexes (CONCURRENTLY, so the migration does not block writes), with
its helpers.
"""

from importlib import import_module

from django.db import migrations

timeline_indexes = import_module("relations.migrations.0008_timeline_indexes")

INDEXES = {
    "event_officials_official_event_idx": "relations_event_officials (official_id, event_id)",
    "event_organisations_org_event_idx": (
        "relations_event_organisations (organisation_id, event_id)"
    ),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, definition in INDEXES.items():
        if timeline_indexes._invalid(schema_editor, name):
            schema_editor.execute(f"DROP INDEX CONCURRENTLY {name}")
        schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {definition}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("relations", "0015_event_words_once_per_bulk_load")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
