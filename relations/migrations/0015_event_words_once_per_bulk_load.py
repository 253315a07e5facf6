"""An event's words: computed once per bulk load, and read by event whatever the statistics say.

Migration 0014's triggers stored an event's words as each statement was written. Two costs
grew with the square of a bulk load (``generate_kb``, ``import_kb`` into a new install):

- ``relata_event_words`` joined the statements ``WHERE status = 'published'``; a load runs
  before any ANALYZE, and with no statistics the planner matched each event against every
  published statement so far (10,000 events among 100,000: 6.9 s instead of 0.35 s; a
  million-event ``generate_kb`` ran for over 20 minutes instead of 6).
- ``import_kb`` drops an empty table's plain indexes for a big load and makes them again at
  the end (exchange.load.write), the statements' ``event_id`` index among them: each event's
  lookup of its quotes became a scan of every statement.

So now:

- During a bulk load (``relata.bulk_load`` on, relations.models.cited) the triggers only
  queue the ids of the events concerned in a temporary table; ``finish_bulk_load`` calls
  ``relata_store_pending_words()``, which stores each queued event's words once, in one
  set-based pass (statements grouped by a hash join, no index needed), before the load's
  transaction commits. An event's words are also computed once instead of twice (once for its
  row, again for its statements). A deleted event's words go at once, as before.
- Outside bulk loads, ``relata_event_words`` reads each event's quotes by ``event_id`` alone,
  the status a FILTER of the aggregate that no index can serve: one plan, statistics or not.

The stored words are the same (tested). Keeps its own copy of the SQL, as 0014 does; reversing
runs 0014's.
"""

from importlib import import_module

from django.db import migrations

BULK = "COALESCE(current_setting('relata.bulk_load', true), '') = 'on'"

FUNCTIONS = rf"""
CREATE OR REPLACE FUNCTION relata_event_words(ids bigint[])
RETURNS TABLE (event_id bigint, search tsvector) LANGUAGE sql STABLE AS $$
    SELECT e.id, relata_search_vector(e.title, e.summary, (
        SELECT string_agg(s.quote, E'\n' ORDER BY s.id) FILTER (WHERE s.status = 'published')
        FROM relations_statement s
        WHERE s.event_id = e.id))
    FROM (SELECT DISTINCT unnest(ids) AS id) i
    JOIN relations_event e ON e.id = i.id
$$;

-- Now, or at the bulk load's end: the ids go to a temporary table, dropped at commit.
CREATE OR REPLACE FUNCTION relata_words_changed(ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT {BULK} THEN
        PERFORM relata_store_event_words(ids);
        RETURN;
    END IF;
    IF to_regclass('pg_temp.relata_words_pending') IS NULL THEN
        CREATE TEMPORARY TABLE relata_words_pending (event_id bigint NOT NULL) ON COMMIT DROP;
    END IF;
    INSERT INTO relata_words_pending (event_id) SELECT i FROM unnest(ids) i WHERE i IS NOT NULL;
END
$$;

CREATE OR REPLACE FUNCTION relata_store_pending_words() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF to_regclass('pg_temp.relata_words_pending') IS NULL THEN
        RETURN;
    END IF;
    ANALYZE pg_temp.relata_words_pending;
    INSERT INTO relations_event_search (event_id, search)
    SELECT e.id, relata_search_vector(e.title, e.summary, q.quotes)
    FROM (SELECT DISTINCT p.event_id FROM pg_temp.relata_words_pending p) i
    JOIN relations_event e ON e.id = i.event_id
    LEFT JOIN (
        SELECT s.event_id,
            string_agg(s.quote, E'\n' ORDER BY s.id) FILTER (WHERE s.status = 'published')
                AS quotes
        FROM relations_statement s
        WHERE s.event_id IN (SELECT p.event_id FROM pg_temp.relata_words_pending p)
        GROUP BY s.event_id
    ) q ON q.event_id = e.id
    ON CONFLICT (event_id) DO UPDATE SET search = EXCLUDED.search;
    DROP TABLE pg_temp.relata_words_pending;
END
$$;

CREATE OR REPLACE FUNCTION relata_event_search_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM relata_words_changed(ARRAY(SELECT n.id FROM new_rows n));
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM relata_words_changed(ARRAY(
            SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
            WHERE o.title IS DISTINCT FROM n.title OR o.summary IS DISTINCT FROM n.summary));
    ELSIF TG_OP = 'DELETE' THEN
        DELETE FROM relations_event_search WHERE event_id IN (SELECT o.id FROM old_rows o);
    ELSE
        TRUNCATE relations_event_search;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION relata_statement_search_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM relata_words_changed(ARRAY(
            SELECT DISTINCT n.event_id FROM new_rows n
            WHERE n.status = 'published' AND n.event_id IS NOT NULL));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM relata_words_changed(ARRAY(
            SELECT DISTINCT o.event_id FROM old_rows o
            WHERE o.status = 'published' AND o.event_id IS NOT NULL));
    ELSE
        PERFORM relata_words_changed(ARRAY(
            SELECT DISTINCT unnest(ARRAY[o.event_id, n.event_id])
            FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE (o.status = 'published' OR n.status = 'published')
              AND (o.status IS DISTINCT FROM n.status OR o.quote IS DISTINCT FROM n.quote
                   OR o.event_id IS DISTINCT FROM n.event_id)));
    END IF;
    RETURN NULL;
END
$$;
"""

# Back to 0014's functions (its own frozen text), without the two added here.
FUNCTIONS_0014 = (
    import_module("relations.migrations.0014_event_search_vector").FUNCTIONS
    + """
DROP FUNCTION IF EXISTS relata_store_pending_words();
DROP FUNCTION IF EXISTS relata_words_changed(bigint[]);
"""
)


def run(sql):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, None)

    return apply


class Migration(migrations.Migration):
    dependencies = [("relations", "0014_event_search_vector")]

    operations = [migrations.RunPython(run(FUNCTIONS), run(FUNCTIONS_0014), elidable=False)]
