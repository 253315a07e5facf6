"""The search box: an event's words are its title, its summary and the quotes of its published
statements, read as one (relations.search); on PostgreSQL they are stored in
``relations_event_search`` (migrations 0014, 0015) and kept current by triggers, or by the bulk
loaders' set-based refresh. A draft statement's words never find (nor hide) its event."""

from __future__ import annotations

import re
from http import HTTPStatus
from io import StringIO

import pytest
from django.core import serializers
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse

from relations.filters import TimelineFilter
from relations.models import Event, Statement, Status, cited
from relations.search import parse_search, search_events
from tests.factories import EventFactory, StatementFactory

pytestmark = pytest.mark.django_db
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the stored words and their triggers"
)


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def found(client, q: str, **params) -> list[str]:
    """The slugs the timeline shows for a search, in page order."""
    cache.clear()
    response = client.get(reverse("timeline"), {"q": q, **params})
    assert response.status_code == HTTPStatus.OK, response.content[-2000:]
    html = response.content.decode()
    return re.findall(r'<article class="event[^"]*" id="event-([\w-]+)"', html)


def matching(q: str) -> set[str]:
    """The slugs of the (published or not) events the search finds, from the queryset."""
    events = search_events(Event.objects.all(), parse_search(q))
    return set(events.values_list("slug", flat=True))


@pytest.mark.sqlite
def test_the_terms_may_be_in_different_parts_of_an_event(db):
    """Every term in the event's words, not every term in one of its documents."""
    event = EventFactory(title="Oil talks", summary="In Minsk.", date="2001")
    StatementFactory(event=event, quote="A loan was mentioned.")
    other = EventFactory(title="Gas talks", date="2002")
    assert matching("oil loan") == {event.slug}
    assert matching("minsk loan talks") == {event.slug}
    assert matching("talks -loan") == {other.slug}
    assert matching('"oil loan"') == set()  # a phrase: its words in order


@pytest.mark.sqlite
def test_a_draft_statements_words_neither_find_nor_hide_its_event(client, db):
    event = EventFactory(title="Presidents meet", date="2003")
    StatementFactory(event=event, quote="Secret uranium words.", status=Status.DRAFT)
    StatementFactory(event=event, quote="Awaiting cobalt words.", status=Status.REVIEW)
    assert matching("uranium") == set()
    assert matching("cobalt") == set()
    assert matching("presidents uranium") == set()
    assert matching("presidents -uranium -cobalt") == {event.slug}
    assert found(client, "uranium") == []
    assert found(client, "presidents -uranium") == [event.slug]


@pytest.mark.sqlite
def test_stop_words(db):
    """As PostgreSQL's full-text search: stop words alone are held nowhere; beside other words
    they are ignored; excluded, they leave nothing out."""
    event = EventFactory(title="The oil deal", date="2004")
    assert matching("the") == set()
    assert matching("the oil") == {event.slug}
    assert matching("-the") == {event.slug}
    assert matching("oil -the") == {event.slug}


@pytest.mark.sqlite
def test_search_combines_with_filters_order_and_the_api(client, db):
    events = [
        EventFactory(title=f"Pipeline talks {n}", date=f"{2001 + n}", countries=["BY", "IR"])
        for n in range(4)
    ]
    EventFactory(title="Pipeline talks elsewhere", date="2003", countries=["RU", "US"])
    EventFactory(title="Other talks", date="2003", countries=["BY", "IR"])
    slugs = [e.slug for e in events]
    pair = {"country": ["by", "ir"]}
    assert found(client, "pipeline", **pair) == slugs
    assert found(client, "pipeline", **pair, order="newest") == slugs[::-1]
    assert found(client, "pipeline", **pair, **{"from": "2003", "to": "2004"}) == slugs[2:]
    response = client.get("/api/events/", {"q": "pipeline", **pair})
    assert response.status_code == HTTPStatus.OK
    assert sorted(e["slug"] for e in response.json()["results"]) == sorted(slugs)


@pytest.mark.sqlite
def test_the_words_are_no_field_of_the_event(db):
    event = EventFactory(title="Oil talks", date="2001")
    assert "search" not in serializers.serialize("python", [event])[0]["fields"]


# --- PostgreSQL: the stored words ----------------------------------------------------------------
def stored(event: Event) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT search::text FROM relations_event_search WHERE event_id = %s", [event.pk]
        )
        row = cursor.fetchone()
        return row[0] if row else None


@on_postgresql
def test_the_search_is_one_condition_on_the_event_row(db):
    sql = str(TimelineFilter({"q": 'oil "strategic partnership" -nuclear'}).qs.query)
    assert sql.count("relata_words.search @@") == 2  # required; NOT (excluded)
    assert "UNION" not in sql and "relations_statement" not in sql


@on_postgresql
def test_triggers_keep_the_words_current(db):
    event = EventFactory(title="Oil talks", summary="In Minsk.", date="2001")
    other = EventFactory(title="Gas talks", date="2002")
    assert matching("minsk") == {event.slug}
    # A statement's words count while it is published, and only then.
    statement = StatementFactory(event=event, quote="Uranium enrichment.", status=Status.DRAFT)
    assert matching("uranium") == set()
    with transaction.atomic(), cited.checked("default"):
        statement.status = Status.PUBLISHED
        statement.save()
        statement.citations.create(footnote=event.citations.get().footnote)
    assert matching("uranium") == {event.slug}
    statement.quote = "Cotton exports."
    statement.save()
    assert matching("uranium") == set()
    assert matching("cotton") == {event.slug}
    # Moved to another event, it takes its words along.
    statement.event = other
    statement.save()
    assert matching("cotton") == {other.slug}
    assert "cotton" not in stored(event)
    Statement.objects.filter(pk=statement.pk).update(status=Status.DRAFT)
    assert matching("cotton") == set()
    Statement.objects.filter(pk=statement.pk).update(status=Status.PUBLISHED)
    assert matching("cotton") == {other.slug}
    with transaction.atomic(), cited.checked("default"):
        Statement.objects.get(pk=statement.pk).delete()
    assert matching("cotton") == set()
    # The event's own words.
    event.title = "Grain talks"
    event.save()
    assert matching("oil") == set()
    assert matching("grain") == {event.slug}
    Event.objects.filter(pk=event.pk).update(summary="In Tehran.")
    assert matching("minsk") == set()
    assert matching("tehran") == {event.slug}
    assert stored(event) == "'grain':1A 'talk':2A 'tehran':4B"


@on_postgresql
def test_a_bulk_load_stores_the_words_once_at_its_end(db):
    """During a bulk load (``relata.bulk_load`` on) the triggers only queue the events
    concerned; its end stores their words once, set-based, before the load commits: an event
    written and then given statements is read once, and a load that dropped the statements'
    indexes (import_kb) does not look its quotes up event by event."""
    kept = EventFactory(title="Rye talks", date="2004")
    with transaction.atomic():
        assert cited.start_bulk_load("default")
        event = EventFactory(title="Barley talks", date="2005")
        StatementFactory(event=event, quote="Sorghum prices.")
        StatementFactory(event=event, quote="Millet prices.", status=Status.DRAFT)
        StatementFactory(event=kept, quote="Oat prices.")
        assert stored(event) is None and "oat" not in stored(kept)
        cited.finish_bulk_load("default", [])
        assert "barley" in stored(event) and "sorghum" in stored(event)
        assert "millet" not in stored(event)
        assert "oat" in stored(kept) and "rye" in stored(kept)
        # The queue is gone: what follows is stored at once again.
        StatementFactory(event=event, quote="Spelt prices.")
        assert "spelt" in stored(event)


@on_postgresql
def test_generate_kb_stores_every_events_words(db):
    call_command("generate_kb", events=200, seed=9, stdout=StringIO(), stderr=StringIO())
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(w.event_id), count(*) FILTER (WHERE w.search IS DISTINCT "
            "FROM (SELECT x.search FROM relata_event_words(ARRAY[e.id]) x)) "
            "FROM relations_event e LEFT JOIN relations_event_search w ON w.event_id = e.id"
        )
        events, stored_rows, stale = cursor.fetchone()
    assert events >= 200 and stored_rows == events and stale == 0
    event = Event.objects.filter(slug__startswith="g9-").order_by("id").first()
    assert event.slug in matching(event.title.split()[-1])
    # Replacing the seed's rows deletes theirs.
    call_command("generate_kb", events=50, seed=9, replace=True, stdout=StringIO())
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM relations_event_search "
            "WHERE event_id NOT IN (SELECT id FROM relations_event)"
        )
        assert cursor.fetchone()[0] == 0


@on_postgresql
def test_deleting_an_event_deletes_its_words(db):
    event = EventFactory(title="Sunflower talks", date="2001")
    assert stored(event)
    with transaction.atomic(), cited.checked("default"):
        Event.objects.filter(pk=event.pk).delete()
    assert stored(event) is None


@on_postgresql
def test_an_events_words_read_its_statements_by_event_without_statistics(db):
    """Bulk loads store words before any ANALYZE. Without statistics, 0014's function read the
    statements through the (status, date) index and matched each event against every published
    statement, a cost growing with the square of the load; 0015's reads them by event_id,
    the one plan left whatever the statistics."""
    call_command("generate_kb", events=300, seed=4, stdout=StringIO(), stderr=StringIO())
    ids = list(Event.objects.order_by("id").values_list("id", flat=True)[:100])
    with connection.cursor() as cursor:
        cursor.execute("SELECT prosrc FROM pg_proc WHERE proname = 'relata_event_words'")
        body, uses = re.subn(r"\bids\b", "%s", cursor.fetchone()[0])
        # As in a load into a new install: no statistics, no row count.
        tables = ["relations_statement", "relations_event"]
        cursor.execute("DELETE FROM pg_statistic WHERE starelid = ANY(%s::regclass[])", [tables])
        cursor.execute(
            "UPDATE pg_class SET reltuples = -1 WHERE oid = ANY(%s::regclass[])", [tables]
        )
        cursor.execute(f"EXPLAIN (COSTS OFF) {body}", [ids] * uses)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "statement_status_date_idx" not in plan, plan
    assert re.search(r"Index Cond: \(event_id = \w+\.id\)", plan), plan
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE w.search IS DISTINCT FROM x.search), count(*) "
            "FROM relations_event_search w JOIN relata_event_words(%s) x USING (event_id)",
            [ids],
        )
        assert cursor.fetchone() == (0, 100)
