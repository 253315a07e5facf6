"""The search box's words, stored per event: table ``relations_event_search``, PostgreSQL only.

One row per event, ``(event_id, search)``: a tsvector of every word that can find the event,
its title (weight A), its summary (B) and the quotes of its published statements (C), with a
GIN index. A search is then one condition in the event query's own WHERE, ``EXISTS (... search
@@ query)`` (relations.search), beside the date, country and domain filters: the planner walks
the timeline's (date_lower, id) index and stops at a page of matches for a common word, or reads
the GIN index for a rare one, and the table's statistics (ANALYZE keeps its commonest words)
let it tell the two apart. It replaces the expression indexes of migration 0008 (an event's and
a statement's words searched apart, joined by ``id IN (... UNION ...)``), which it drops.

A table of its own, not a column of ``relations_event``: the vectors would triple that table's
heap, which every scan of events reads (the facets count a search's matches through the
timeline's narrow indexes), and each statement written would rewrite its event's row and all of
its indexes. Not a model either: fixtures, the API, history and exports never see it.

Kept current by triggers on every write path (COPY and bulk loads included; set-based, once
per SQL statement, over transition tables):

- events: inserted, a row each; title or summary changed, the row again; deleted, the rows go;
  truncated (tests flush), the table too;
- statements: inserted, changed (status, quote or event) or deleted, the rows of the events
  concerned again.

Only a published statement's words are stored: a draft's words never find its event (the rule
of relations.visibility: an event is shown only when published, and a statement made at a
published event is visible exactly when it is published).

SQLite (the demo) has no table: relations.search reads the words there itself. This migration
keeps its own copy of the SQL: it must not change.
"""

from django.db import migrations

TABLE = """
CREATE TABLE IF NOT EXISTS relations_event_search (
    event_id bigint PRIMARY KEY,
    search tsvector NOT NULL
)
"""

FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION relata_search_vector(title text, summary text, quotes text)
RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT setweight(to_tsvector('english'::regconfig, COALESCE(title, '')), 'A')
        || setweight(to_tsvector('english'::regconfig, COALESCE(summary, '')), 'B')
        || setweight(to_tsvector('english'::regconfig, COALESCE(quotes, '')), 'C')
$$;

-- The words of some events, as rows to store: ids in, (event_id, search) out. Joins, not
-- = ANY (ids): a load passes a million ids at once.
CREATE OR REPLACE FUNCTION relata_event_words(ids bigint[])
RETURNS TABLE (event_id bigint, search tsvector) LANGUAGE sql STABLE AS $$
    SELECT e.id, relata_search_vector(e.title, e.summary, q.quotes)
    FROM (SELECT DISTINCT unnest(ids) AS id) i
    JOIN relations_event e ON e.id = i.id
    LEFT JOIN (
        SELECT s.event_id, string_agg(s.quote, E'\n' ORDER BY s.id) AS quotes
        FROM (SELECT DISTINCT unnest(ids) AS id) j
        JOIN relations_statement s ON s.event_id = j.id
        WHERE s.status = 'published'
        GROUP BY s.event_id
    ) q ON q.event_id = e.id
$$;

CREATE OR REPLACE FUNCTION relata_store_event_words(ids bigint[]) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO relations_event_search (event_id, search)
    SELECT w.event_id, w.search FROM relata_event_words(ids) w
    ON CONFLICT (event_id) DO UPDATE SET search = EXCLUDED.search
$$;

CREATE OR REPLACE FUNCTION relata_event_search_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM relata_store_event_words(ARRAY(SELECT n.id FROM new_rows n));
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM relata_store_event_words(ARRAY(
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
        PERFORM relata_store_event_words(ARRAY(
            SELECT DISTINCT n.event_id FROM new_rows n
            WHERE n.status = 'published' AND n.event_id IS NOT NULL));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM relata_store_event_words(ARRAY(
            SELECT DISTINCT o.event_id FROM old_rows o
            WHERE o.status = 'published' AND o.event_id IS NOT NULL));
    ELSE
        PERFORM relata_store_event_words(ARRAY(
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

TRIGGERS = """
CREATE TRIGGER event_search_insert AFTER INSERT ON relations_event
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
EXECUTE FUNCTION relata_event_search_changed();

CREATE TRIGGER event_search_update AFTER UPDATE ON relations_event
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
EXECUTE FUNCTION relata_event_search_changed();

CREATE TRIGGER event_search_delete AFTER DELETE ON relations_event
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
EXECUTE FUNCTION relata_event_search_changed();

CREATE TRIGGER event_search_truncate AFTER TRUNCATE ON relations_event
FOR EACH STATEMENT EXECUTE FUNCTION relata_event_search_changed();

CREATE TRIGGER statement_search_insert AFTER INSERT ON relations_statement
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
EXECUTE FUNCTION relata_statement_search_changed();

CREATE TRIGGER statement_search_update AFTER UPDATE ON relations_statement
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
EXECUTE FUNCTION relata_statement_search_changed();

CREATE TRIGGER statement_search_delete AFTER DELETE ON relations_statement
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
EXECUTE FUNCTION relata_statement_search_changed();
"""

TRIGGER_NAMES = {
    "event_search_insert": "relations_event",
    "event_search_update": "relations_event",
    "event_search_delete": "relations_event",
    "event_search_truncate": "relations_event",
    "statement_search_insert": "relations_statement",
    "statement_search_update": "relations_statement",
    "statement_search_delete": "relations_statement",
}

# Every event's words at once: statements grouped once, not looked up event by event.
FILL = """
INSERT INTO relations_event_search (event_id, search)
SELECT e.id, relata_search_vector(e.title, e.summary, q.quotes)
FROM relations_event e
LEFT JOIN (
    SELECT s.event_id, string_agg(s.quote, E'\\n' ORDER BY s.id) AS quotes
    FROM relations_statement s
    WHERE s.status = 'published' AND s.event_id IS NOT NULL
    GROUP BY s.event_id
) q ON q.event_id = e.id
ON CONFLICT (event_id) DO UPDATE SET search = EXCLUDED.search
"""
INDEX = "event_search_words_idx"
OLD_INDEXES = {
    "event_search_idx": "relations_event USING gin ("
    "to_tsvector('english'::regconfig, COALESCE(title, '') || ' ' || COALESCE(summary, '')))",
    "statement_search_idx": "relations_statement USING gin ("
    "to_tsvector('english'::regconfig, COALESCE(quote, '')))",
}


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    execute = schema_editor.execute
    # One transaction: the triggers see every write from the moment the fill reads.
    execute(TABLE, None)
    execute(FUNCTIONS, None)
    for name, table in TRIGGER_NAMES.items():
        execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    execute(TRIGGERS, None)
    execute(FILL, None)
    execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON relations_event_search USING gin (search)")
    for name in OLD_INDEXES:
        execute(f"DROP INDEX IF EXISTS {name}")
    # Statistics at once (the commonest words), so the planner can estimate searches.
    execute("ANALYZE relations_event_search")


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, definition in OLD_INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}")
    for name, table in TRIGGER_NAMES.items():
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    for function in (
        "relata_statement_search_changed()",
        "relata_event_search_changed()",
        "relata_store_event_words(bigint[])",
        "relata_event_words(bigint[])",
        "relata_search_vector(text, text, text)",
    ):
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {function}")
    schema_editor.execute("DROP TABLE IF EXISTS relations_event_search")


class Migration(migrations.Migration):
    dependencies = [("relations", "0013_claim_review_comment")]

    operations = [migrations.RunPython(install, uninstall, elidable=False)]
