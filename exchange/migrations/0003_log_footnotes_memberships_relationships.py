"""The change log takes in the history of footnotes, memberships and relationships.

The same trigger as every other history table (migration 0002), added to the three new ones.
History rows they already have (written between the migrations that made the tables and this
one, or by ``exchange.changelog.install_triggers`` after an earlier ``migrate``) are logged
unnumbered, unless logged already: the sequencer numbers them after everything before, as any
change that commits now. Many-to-many links (a claim's ``concerns``) need no trigger: each
change of them writes a logged history row of the claim.

The SQL is written out here, not imported, as a migration must not change with the code.
"""

from django.db import migrations

HISTORY_TABLES = {
    "footnote": "sources_historicalfootnote",
    "membership": "relations_historicalmembership",
    "relationship": "relations_historicalrelationship",
}

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
    'CREATE TRIGGER exchange_change_log AFTER INSERT ON "{table}" '
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION exchange_change_log('{kind}')"
)
SQLITE_TRIGGER = (
    'CREATE TRIGGER IF NOT EXISTS exchange_change_{kind} AFTER INSERT ON "{table}" '
    "BEGIN INSERT INTO exchange_change (kind, history_id) VALUES ('{kind}', NEW.history_id); END"
)


def _drop(schema_editor, kind: str, table: str) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'DROP TRIGGER IF EXISTS exchange_change_log ON "{table}"')
    else:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS exchange_change_{kind}")


def backfill_and_install(apps, schema_editor):
    postgresql = schema_editor.connection.vendor == "postgresql"
    if postgresql:
        schema_editor.execute(PG_FUNCTION)
    for kind, table in HISTORY_TABLES.items():
        _drop(schema_editor, kind, table)  # installed after an earlier migrate, maybe
        schema_editor.execute(
            "INSERT INTO exchange_change (kind, history_id) "
            f"SELECT '{kind}', h.history_id FROM \"{table}\" h WHERE NOT EXISTS ("
            f"SELECT 1 FROM exchange_change c WHERE c.kind = '{kind}' "
            "AND c.history_id = h.history_id) ORDER BY h.history_date, h.history_id"
        )
        trigger = PG_TRIGGER if postgresql else SQLITE_TRIGGER
        schema_editor.execute(trigger.format(table=table, kind=kind))


def uninstall(apps, schema_editor):
    for kind, table in HISTORY_TABLES.items():
        _drop(schema_editor, kind, table)


class Migration(migrations.Migration):
    dependencies = [
        ("exchange", "0002_change_log"),
        ("relations", "0011_citations_footnote_required"),
        ("sources", "0004_citations_footnote_required"),
    ]

    operations = [migrations.RunPython(backfill_and_install, uninstall, elidable=False)]
