"""A trigram index for the admin's title search (``UPPER(title) LIKE '%word%'``), PostgreSQL only.

The demo's SQLite database scans instead, which is fine at its size. Created in RunPython
because an index in ``Meta.indexes`` with an operator class breaks ``migrate`` on SQLite.
"""

from django.db import migrations

INDEX = "event_title_trgm_idx"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    # Matches Django's icontains on PostgreSQL: UPPER("title"::text) LIKE UPPER(%s).
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON relations_event "
        "USING gin ((UPPER(title::text)) gin_trgm_ops)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("relations", "0004_claim_slug_blank")]

    operations = [migrations.RunPython(create, drop)]
