"""The timeline's exports: CSV and JSON stream the whole filtered set, Atom the newest 50; the
same filters, the same 400s, no drafts."""

import csv
import io
import json
import xml.etree.ElementTree as ET
from http import HTTPStatus

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reader.timeline.exports import EXPORT_CHUNK, FEED_SIZE
from relations.filters import forget_reference
from relations.models import Agreement, Event, Status
from tests.factories import (
    AgreementFactory,
    CitationFactory,
    EventFactory,
    SourceFactory,
    StatementFactory,
)

pytestmark = pytest.mark.django_db

CSV, JSON, ATOM = reverse("timeline-csv"), reverse("timeline-json"), reverse("timeline-atom")
ATOM_NS = {"a": "http://www.w3.org/2005/Atom"}
FIELDS = [
    "slug",
    "title",
    "date",
    "date_display",
    "date_lower",
    "date_upper",
    "precision",
    "domains",
    "countries",
    "organisations",
    "officials",
    "agreements",
    "concerns",
    "summary",
    "url",
    "citations",
]


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def csv_rows(client, query="") -> list[dict]:
    response = client.get(CSV + query)
    assert response.status_code == HTTPStatus.OK
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(body(response))))
    return rows


def json_events(client, query="") -> list[dict]:
    response = client.get(JSON + query)
    assert response.status_code == HTTPStatus.OK
    assert response.streaming
    assert response["Content-Type"] == "application/json"
    return json.loads(body(response))["events"]


def atom(client, query="") -> ET.Element:
    response = client.get(ATOM + query)
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("application/atom+xml")
    return ET.fromstring(response.content)


# --- CSV ---------------------------------------------------------------------------------------
@pytest.mark.sqlite
def test_csv_streams_every_published_event_with_its_columns(client, seed):
    rows = csv_rows(client)
    assert list(rows[0]) == FIELDS
    expected = Event.objects.published().order_by("date_lower", "id")
    assert [r["slug"] for r in rows] == list(expected.values_list("slug", flat=True))
    loan = next(r for r in rows if r["slug"].startswith("2009-central-bank"))
    assert loan["date_display"] == "after May 2009, by 6 July 2010"
    assert loan["date"] == Event.objects.get(slug=loan["slug"]).date  # as typed
    assert (loan["date_lower"], loan["date_upper"], loan["precision"]) == (
        "2009-06-01",
        "2010-07-06",
        "window",
    )
    assert loan["domains"] == "economic; energy"
    assert loan["countries"] == "BY; IR"
    assert loan["organisations"] == "belarusneft; central-bank-of-iran"
    assert loan["agreements"] == "central-bank-of-iran-loan-to-belarusneft-jofeir"
    assert loan["concerns"] == ""
    censure = next(
        r for r in rows if r["slug"] == "until-2008-06-censure-of-iran-nuclear-programme"
    )
    assert (censure["countries"], censure["concerns"]) == ("IR; US", "by-ir")
    assert loan["citations"] == "belarus-iran-foreign-relations-2010 (note 6)"
    assert loan["url"] == (
        "http://testserver/events/2009-central-bank-of-iran-agrees-212m-loan-to-belarusneft/"
    )
    assert "attachment" in client.get(CSV)["Content-Disposition"]


@pytest.mark.sqlite
def test_csv_keeps_the_filter(client, seed):
    rows = csv_rows(client, "?domain=energy&from=June 2010&country=BY&country=ir")
    assert [r["slug"] for r in rows] == [
        "2009-central-bank-of-iran-agrees-212m-loan-to-belarusneft",
        "2010-06-late-lukashenko-turns-to-iran-after-russia-gas-row",
    ]
    newest = csv_rows(client, "?order=newest")
    assert [r["slug"] for r in newest] == [r["slug"] for r in reversed(csv_rows(client))]


@pytest.mark.sqlite
def test_csv_cells_cannot_run_as_formulas(client, db):
    EventFactory(title='=HYPERLINK("http://evil.example")', summary="+1 more", date="2009")
    EventFactory(title="@SUM(A1)", summary="-2 less", date="2010")
    rows = csv_rows(client)
    assert rows[0]["title"] == '\'=HYPERLINK("http://evil.example")'
    assert rows[0]["summary"] == "'+1 more"
    assert rows[1]["title"] == "'@SUM(A1)"
    assert rows[1]["summary"] == "'-2 less"


# --- JSON --------------------------------------------------------------------------------------
@pytest.mark.sqlite
def test_json_streams_events_with_their_fields(client, seed):
    events = json_events(client, "?organisation=central-bank-of-iran")
    assert [e["slug"] for e in events] == [
        "2009-05-semashko-raei-jofeir-oil-project",
        "2009-central-bank-of-iran-agrees-212m-loan-to-belarusneft",
    ]
    jofeir = events[0]
    assert list(jofeir) == FIELDS
    assert jofeir["date_display"] == "May 2009"
    assert jofeir["date_lower"] == "2009-05-01"
    assert jofeir["domains"] == ["economic", "energy"]
    assert jofeir["countries"] == ["BY", "IR"]
    assert jofeir["officials"] == ["reza-raei", "vladimir-semashko"]
    # Each citation names its footnote: one record per place in a source, however many
    # claims it backs.
    assert jofeir["citations"] == [
        {
            "footnote": "belarus-iran-foreign-relations-2010-note-5",
            "source": "belarus-iran-foreign-relations-2010",
            "locator": "note 5",
        }
    ]
    whole = json.loads(body(client.get(JSON + "?organisation=central-bank-of-iran")))
    assert whole["filter"] == {"organisation": "central-bank-of-iran"}
    assert whole["title"].startswith("Events: Central Bank of the Islamic Republic of Iran")


@pytest.mark.sqlite
def test_a_footnote_backing_two_events_is_named_alike_in_each(client, db):
    source = SourceFactory(slug="wire")
    first = EventFactory(date="2009", citations=0)
    second = EventFactory(date="2010", citations=0)
    for event in (first, second):
        CitationFactory(event=event, source=source, locator="para. 4", excerpt="They met.")
    CitationFactory(event=second, source=source, locator="")  # the source as a whole
    events = json_events(client)
    assert [e["citations"] for e in events] == [
        [{"footnote": "wire-para-4", "source": "wire", "locator": "para. 4"}],
        [
            {"footnote": "wire-para-4", "source": "wire", "locator": "para. 4"},
            {"footnote": "wire", "source": "wire", "locator": ""},
        ],
    ]
    assert [r["citations"] for r in csv_rows(client)] == ["wire (para. 4)", "wire (para. 4); wire"]


@pytest.mark.sqlite
def test_json_of_an_empty_filter_is_valid(client, seed):
    assert json_events(client, "?agreement_kind=contract") == []


# --- Atom --------------------------------------------------------------------------------------
@pytest.mark.sqlite
def test_atom_feed_parses_and_lists_the_newest_events(client, seed):
    feed = atom(client, "?country=by&country=ir")
    assert "Belarus and Iran" in feed.find("a:title", ATOM_NS).text
    entries = feed.findall("a:entry", ATOM_NS)
    # Every seed event: those both took part in, and the censure, which concerns them.
    newest = Event.objects.published().order_by("-date_lower", "-id").first()
    assert len(entries) == Event.objects.published().count() == 12
    assert entries[0].find("a:title", ATOM_NS).text == newest.title
    assert entries[0].find("a:link", ATOM_NS).get("href").endswith(newest.get_absolute_url())
    assert entries[0].find("a:updated", ATOM_NS) is not None
    categories = {c.get("term") for e in entries for c in e.findall("a:category", ATOM_NS)}
    assert {"Economic", "Energy", "Diplomatic"} <= categories


def test_atom_feed_has_at_most_50_entries(client, db):
    for _ in range(FEED_SIZE + 3):
        EventFactory(date="2009")
    assert len(atom(client).findall("a:entry", ATOM_NS)) == FEED_SIZE


@pytest.mark.sqlite
def test_the_page_links_its_exports_with_its_filter(client, seed):
    html = client.get(reverse("timeline") + "?domain=energy&from=2009").content.decode()
    for url in (CSV, JSON, ATOM):
        assert f'href="{url}?domain=energy&amp;from=2009"' in html
    assert '<link rel="alternate" type="application/atom+xml"' in html


# --- Bad filters: 400, never 500 ---------------------------------------------------------------
BAD = [
    "?from=sometime",
    "?domain=piracy",
    "?country=zz",
    "?official=nobody",
    "?q=" + "a" * 10_000,
    "?q=oil%00",
    "?country=b%00y",
    "?after=nonsense",
    "?per_page=1000000",
]


@pytest.mark.sqlite
@pytest.mark.parametrize("query", BAD)
@pytest.mark.parametrize("url", [CSV, JSON, ATOM])
def test_exports_refuse_bad_filters_with_400(client, seed, url, query):
    response = client.get(url + query)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not response.streaming
    if url == JSON:
        assert response.json()["errors"]
    else:
        assert "Please check the filter" in response.content.decode()


# --- No drafts ---------------------------------------------------------------------------------
@pytest.mark.sqlite
def test_exports_have_no_drafts(client, seed):
    jofeir = Event.objects.get(slug="2009-05-semashko-raei-jofeir-oil-project")
    EventFactory(status=Status.DRAFT, title="A secret draft event", slug="secret-draft")
    StatementFactory(event=jofeir, status=Status.DRAFT, quote="Unpublished words")
    draft = AgreementFactory(status=Status.DRAFT, kind=Agreement.Kind.CONTRACT, slug="draft-deal")
    jofeir.agreements.add(draft)
    for text in (body(client.get(CSV)), body(client.get(JSON)), client.get(ATOM).content.decode()):
        assert "secret" not in text.lower()
        assert "draft-deal" not in text
        assert "Unpublished words" not in text
    assert json_events(client, "?agreement_kind=contract") == []


# --- Whole-database exports stream in chunks ---------------------------------------------------
def test_exports_read_related_rows_per_chunk_not_per_row(client, db, django_assert_num_queries):
    """The events through one cursor, then one query per relation (domains, countries,
    organisations, officials, agreements, concerns, citations) per chunk of EXPORT_CHUNK
    events: the same number of queries for 15 events as for 30, not one per event."""
    assert EXPORT_CHUNK == 2000
    source = SourceFactory()

    def add(n):
        for i in range(n):
            event = EventFactory(
                countries=["BY", "IR"], domains=["economic", "energy"], date="2009"
            )
            CitationFactory(event=event, source=source, locator=f"p. {i}")

    def queries(url) -> int:
        cache.clear()
        forget_reference()
        with CaptureQueriesContext(connection) as captured:
            text = body(client.get(url))
        assert text.count("p. ") >= 15
        return len(captured)

    add(15)
    before = {url: queries(url) for url in (CSV, JSON)}
    add(15)
    assert {url: queries(url) for url in (CSV, JSON)} == before
    # The cursor, 7 relations, the reference data and the knowledge-base version (the cache
    # is cold), and the transaction (a savepoint here, with its release, and SET LOCAL).
    assert max(before.values()) <= 13
    assert len(csv_rows(client)) == 30


@pytest.mark.sqlite
def test_exports_are_ordered_like_the_timeline(client, seed):
    slugs = [r["slug"] for r in csv_rows(client, "?from=2008")]
    expected = Event.objects.published().between("2008", None).order_by("date_lower", "id")
    assert slugs == list(expected.values_list("slug", flat=True))
