"""Migration 0010 merges citation rows into footnote records without losing one: the same
place in a source cited by two claims becomes one footnote backing both."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("relations", "0008_timeline_indexes"), ("sources", "0002_history_and_workflow")]


@pytest.mark.django_db(transaction=True)
def test_citations_become_one_footnote_per_place_in_a_source():
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate(BEFORE)
        old = MigrationExecutor(connection).loader.project_state(BEFORE).apps
        source = old.get_model("sources", "Source").objects.create(slug="page", title="Page")
        event = old.get_model("relations", "Event").objects.create(
            slug="talks",
            title="Talks",
            date="May 2007",
            date_lower="2007-05-01",
            date_upper="2007-05-31",
            date_precision="month",
        )
        statement = old.get_model("relations", "Statement").objects.create(
            slug="words", quote="strategic partnership", event=event
        )
        Citation = old.get_model("relations", "Citation")
        Citation.objects.create(source=source, locator="note 4", event=event)
        Citation.objects.create(source=source, locator="note 4", statement=statement, excerpt="X")
        Citation.objects.create(source=source, locator="note 9", statement=statement)

        executor = MigrationExecutor(connection)
        executor.migrate(leaves)
        new = executor.loader.project_state(leaves).apps
        footnotes = new.get_model("sources", "Footnote").objects.order_by("locator")
        assert [(f.slug, f.locator, f.excerpt) for f in footnotes] == [
            ("page-note-4", "note 4", "X"),
            ("page-note-9", "note 9", ""),
        ]
        Citation = new.get_model("relations", "Citation")
        rows = Citation.objects.values_list("footnote__locator", "event_id", "statement_id")
        assert set(rows) == {
            ("note 4", None, statement.pk),
            ("note 4", event.pk, None),
            ("note 9", None, statement.pk),
        }
    finally:
        MigrationExecutor(connection).migrate(leaves)
