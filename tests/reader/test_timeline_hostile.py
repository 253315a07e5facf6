"""The timeline against hostile input: control characters in what it echoes or has stored (the
Atom feed once failed for every reader on one U+0008), and dates at the edges of the calendar
(0001-01-01 and 9999-12-31, the stored open bounds) that once overflowed into a 500."""

import datetime
import xml.etree.ElementTree as ET
from http import HTTPStatus
from types import SimpleNamespace

import pytest
from django.urls import reverse

from core.dates import OPEN_LOWER, OPEN_UPPER
from reader.timeline.query import SPLIT_MARGIN, split_date
from relations.models import Event
from tests.factories import EventFactory

pytestmark = pytest.mark.django_db

ATOM = reverse("timeline-atom")
ATOM_NS = {"a": "http://www.w3.org/2005/Atom"}


def feed(client, query=""):
    response = client.get(ATOM + query)
    assert response.status_code == HTTPStatus.OK, response.content[:500]
    return ET.fromstring(response.content)  # well-formed XML, or this raises


# --- Control characters -------------------------------------------------------------------------
def test_the_feed_survives_a_control_character_already_stored(client):
    event = EventFactory(title="Talks", summary="Oil and loans", domains=["economic"])
    # Stored before the rule (or by raw SQL): the validators never saw it.
    stored = {"title": "Talks\x08 held", "summary": "Oil\x1b and\x0c loans"}
    Event.objects.filter(pk=event.pk).update(**stored)
    entry = feed(client).find("a:entry", ATOM_NS)
    assert entry.find("a:title", ATOM_NS).text == "Talks held"
    assert entry.find("a:summary", ATOM_NS).text.endswith("Oil and loans")


@pytest.mark.parametrize("query", ["?q=ok%08", "?q=%1B%5B31m", "?q=a%0Bb%7F", "?q=x%C2%85"])
def test_the_feed_echoes_the_query_without_its_control_characters(client, query):
    root = feed(client, query)
    title = root.find("a:title", ATOM_NS).text
    assert title.startswith("Relata — Events: matching “")
    assert all(c.isprintable() for c in title)


@pytest.mark.parametrize("url", ["timeline", "timeline-csv", "timeline-json"])
def test_the_page_and_the_other_exports_take_one_too(client, url):
    response = client.get(reverse(url) + "?q=ok%08")
    assert response.status_code == HTTPStatus.OK
    if response.streaming:
        b"".join(response.streaming_content)


# --- Dates at the edges -------------------------------------------------------------------------
EDGE_REFUSED = {
    # Open on the side a filter reads: once an OverflowError in split_date (a 500).
    "from=until%201000": "has no earliest day",
    "from=%2F2001": "has no earliest day",
    "from=..%2F1000-01-01": "has no earliest day",
    "from=before%201000": "has no earliest day",
    "to=after%202999": "has no latest day",
    "to=2999%2F..": "has no latest day",
    # Years past what can be typed: the stored open bounds are never a date one can ask for.
    "from=0001-01-01": "year 0001 is not supported",
    "to=9999-12-31": "year 9999 is not supported",
    "from=after%209999": "year 9999 is not supported",
    "to=before%200001": "year 0001 is not supported",
    "from=late%20December%209999": "year 9999 is not supported",
    "to=10000": "year 10000 is not supported",
    "from=" + "9" * 99: "is not supported",
}
CURSORS_REFUSED = ["after=0000-12-31.1", "before=10000-01-01.1", "after=2010-01-01.1%08"]
EDGE_ACCEPTED = [
    "from=1000",
    "from=1000-01-01&to=1000-01-01",
    "from=late%20December%202999",
    "from=after%202999",  # from 3000-01-01: nothing yet
    "to=before%201000",  # to 0999-12-31: nothing
    "from=after%201000-01-01&to=before%202999-12-31",
    "from=1000&to=2999&order=newest",
]
CURSORS_ACCEPTED = [
    "after=0001-01-01.1",  # a page link at the open bound (an event dated "until ...")
    "before=9999-12-31.1",
    "after=9999-12-31.999999999999999999&order=newest",
    "before=0001-01-01.1&order=newest&from=1000",
]


@pytest.mark.parametrize("url", ["timeline", "timeline-atom", "api:event-list"])
def test_a_date_at_or_past_the_edge_is_a_400_saying_why(client, url):
    for query, reason in EDGE_REFUSED.items():
        response = client.get(f"{reverse(url)}?{query}")
        assert response.status_code == HTTPStatus.BAD_REQUEST, (query, response.content[:300])
        assert reason in response.content.decode(), query


@pytest.mark.parametrize("url", ["timeline", "timeline-atom", "api:event-list"])
def test_a_date_at_the_edge_that_can_bound_is_a_page(client, url):
    EventFactory(date="until 1000")  # stored 0001-01-01..1000-12-31
    EventFactory(date="since 2999")  # stored 2999-01-01..9999-12-31
    for query in EDGE_ACCEPTED:
        response = client.get(f"{reverse(url)}?{query}")
        assert response.status_code == HTTPStatus.OK, (query, response.content[:300])


@pytest.mark.parametrize("url", ["timeline", "timeline-atom"])
def test_a_page_link_at_or_past_the_edge(client, url):
    EventFactory(date="until 1000")
    EventFactory(date="since 2999")
    for query in CURSORS_ACCEPTED:
        assert client.get(f"{reverse(url)}?{query}").status_code == HTTPStatus.OK, query
    for query in CURSORS_REFUSED:
        response = client.get(f"{reverse(url)}?{query}")
        assert response.status_code == HTTPStatus.BAD_REQUEST, query
        assert "This page link is damaged" in response.content.decode()


def test_the_split_of_the_keyset_order_never_steps_past_the_first_day():
    """split_date subtracted a year from "from" before comparing it with 0001-01-01: an open
    start (or any start in year 1) overflowed. Checked on the function itself, whatever the
    form lets through."""
    queryset = Event.objects.all()
    for start in (OPEN_LOWER, OPEN_LOWER + datetime.timedelta(days=5), OPEN_LOWER + SPLIT_MARGIN):
        timeline = SimpleNamespace(window=(start, None), queryset=queryset)
        assert split_date(timeline) is None
    later = OPEN_LOWER + SPLIT_MARGIN + datetime.timedelta(days=1)
    assert split_date(SimpleNamespace(window=(later, None), queryset=queryset)) == (
        OPEN_LOWER + datetime.timedelta(days=1)
    )
    far = SimpleNamespace(window=(OPEN_UPPER, None), queryset=queryset)
    assert split_date(far) == OPEN_UPPER - SPLIT_MARGIN


AS_OF = {
    "late%20December%202999": HTTPStatus.OK,
    "before%201000": HTTPStatus.OK,
    "1000-01-01": HTTPStatus.OK,
    "after%202999": HTTPStatus.BAD_REQUEST,  # no end to show the dossier as of
    "9999-12-31": HTTPStatus.BAD_REQUEST,
    "0001": HTTPStatus.BAD_REQUEST,
    "after%209999": HTTPStatus.BAD_REQUEST,
}


def test_a_dossier_as_of_a_date_at_the_edge(client):
    for as_of, status in AS_OF.items():
        for url in ("/relations/by-ir/", "/api/relations/by-ir/"):
            response = client.get(f"{url}?as_of={as_of}")
            assert response.status_code == status, (url, as_of, response.content[:300])
