"""Indexes for the public timeline (reader/timeline/, relations/filters.py), PostgreSQL only.

- Full-text search: GIN expression indexes whose expressions are exactly what
  ``SearchVector("title", "summary", config="english")`` and ``SearchVector("quote",
  config="english")`` compile to, so that ``... @@ websearch_to_tsquery('english', ...)`` uses
  them. The config is spelled out: without it ``to_tsvector`` is not IMMUTABLE and PostgreSQL
  refuses the index.
- Keyset pages: published events by (date_lower, id), carrying date_upper, so that the page's
  ids come from an index-only scan that also applies the overlap test ``date_upper >= :from``
  (see ``_page_rows``).
- Facets and country/domain filters: the through tables by (country, event) and (domain, event),
  so "all events of Belarus" is one index range, in event order; and published events by id
  carrying their bounds, so that checking the events a country filter found against the dates
  (and counting them by year) reads no table rows.

Created with CONCURRENTLY (so the migration does not block writes on a large table; hence
``atomic = False``) in RunPython, because these are expressions, INCLUDE columns and partial
indexes that ``Meta.indexes`` would also try to create on SQLite, where ``migrate`` would break.
The demo's SQLite database does without: it is small.
"""

from django.db import migrations

INDEXES = {
    "event_search_idx": "relations_event USING gin ("
    "to_tsvector('english'::regconfig, COALESCE(title, '') || ' ' || COALESCE(summary, '')))",
    "statement_search_idx": "relations_statement USING gin ("
    "to_tsvector('english'::regconfig, COALESCE(quote, '')))",
    "event_timeline_idx": "relations_event (date_lower, id) INCLUDE (date_upper) "
    "WHERE status = 'published'",
    "event_published_bounds_idx": "relations_event (id) INCLUDE (date_lower, date_upper, "
    "date_precision) WHERE status = 'published'",
    "event_countries_country_event_idx": "relations_event_countries (country_id, event_id)",
    "event_domains_domain_event_idx": "relations_event_domains (domain_id, event_id)",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, definition in INDEXES.items():
        if _invalid(schema_editor, name):
            # An interrupted concurrent build leaves an invalid index behind: build it again.
            schema_editor.execute(f"DROP INDEX CONCURRENTLY {name}")
        schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {definition}")
    # Statistics for the new expressions, so the planner can estimate text searches at once.
    schema_editor.execute("ANALYZE relations_event, relations_statement")


def _invalid(schema_editor, name):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname = %s AND NOT i.indisvalid",
            [name],
        )
        return cursor.fetchone() is not None


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("relations", "0007_agreement_currency_validator")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
