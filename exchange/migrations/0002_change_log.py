"""The change log that orders the changes feed (see exchange/changelog.py), and mirrors' state.

The log starts with every history row already kept, numbered in the order the feed used to
read them (history date, model, history id) and dated by their history date, so positions
given as ``since=<time>`` before this migration still mean what they meant. Triggers then add
every new history row. Run it with the site stopped: a history row written while it runs, by a
transaction that commits after the copy, would be in neither.

The SQL is written out here, not imported, as a migration must not change with the code.
"""

from django.db import migrations, models

HISTORY_TABLES = {
    "agreement": "relations_historicalagreement",
    "citation": "relations_historicalcitation",
    "country": "relations_historicalcountry",
    "domain": "relations_historicaldomain",
    "event": "relations_historicalevent",
    "official": "relations_historicalofficial",
    "organisation": "relations_historicalorganisation",
    "position": "relations_historicalposition",
    "source": "sources_historicalsource",
    "statement": "relations_historicalstatement",
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


def backfill_and_install(apps, schema_editor):
    union = " UNION ALL ".join(
        f"SELECT '{kind}' AS kind, history_id, history_date FROM \"{table}\""
        for kind, table in HISTORY_TABLES.items()
    )
    schema_editor.execute(
        "INSERT INTO exchange_change (kind, history_id, seq, sequenced) "
        "SELECT kind, history_id, ROW_NUMBER() OVER (ORDER BY history_date, kind, history_id), "
        f"history_date FROM ({union}) AS h ORDER BY history_date, kind, history_id"
    )
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION)
        for kind, table in HISTORY_TABLES.items():
            schema_editor.execute(PG_TRIGGER.format(table=table, kind=kind))
    else:
        for kind, table in HISTORY_TABLES.items():
            schema_editor.execute(SQLITE_TRIGGER.format(table=table, kind=kind))


def uninstall(apps, schema_editor):
    for kind, table in HISTORY_TABLES.items():
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f'DROP TRIGGER IF EXISTS exchange_change_log ON "{table}"')
        else:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS exchange_change_{kind}")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS exchange_change_log()")


class Migration(migrations.Migration):
    dependencies = [
        ("exchange", "0001_initial"),
        # After the last migration that rebuilds a history table (SQLite drops a rebuilt
        # table's triggers; exchange.changelog.install_triggers re-adds them after migrate).
        ("relations", "0008_timeline_indexes"),
        ("sources", "0002_history_and_workflow"),
    ]

    operations = [
        migrations.CreateModel(
            name="Change",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("kind", models.CharField(max_length=16)),
                ("history_id", models.BigIntegerField()),
                ("seq", models.BigIntegerField(null=True, unique=True)),
                ("sequenced", models.DateTimeField(null=True)),
            ],
            options={
                "indexes": [
                    models.Index(
                        condition=models.Q(("seq__isnull", True)),
                        fields=["id"],
                        name="exchange_change_waiting",
                    ),
                    models.Index(fields=["sequenced"], name="exchange_change_sequenced"),
                ],
            },
        ),
        migrations.CreateModel(
            name="MirrorState",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "source",
                    models.CharField(
                        help_text="The source site's URL.", max_length=300, unique=True
                    ),
                ),
                (
                    "after",
                    models.BigIntegerField(
                        blank=True, help_text="The feed position applied last.", null=True
                    ),
                ),
                (
                    "since",
                    models.DateTimeField(
                        blank=True,
                        help_text="Where to start when no position is kept yet.",
                        null=True,
                    ),
                ),
                ("synced", models.DateTimeField(blank=True, null=True)),
            ],
        ),
        migrations.RunPython(backfill_and_install, uninstall, elidable=False),
    ]
