"""Keyset pages: the rows beyond a position (``core.keyset.beyond``), and the events' own pages
(``relations.paging``) that the timeline and the API share: from every position, both ways,
with a "from" date's split and the long events that began before it, the plain order."""

import datetime

import pytest
from django.db.models import Value

from core.keyset import beyond
from relations import paging, visibility
from relations.models import Event, Status
from tests.factories import EventFactory

pytestmark = pytest.mark.django_db

# Long events that begin before the split (2008-01-01 for "from 2009") and reach into 2009,
# others that end before it, and a run that shares a start (ties broken by id).
DATES = [
    "since 1995",
    "until 2012",
    "1990s",  # ends before 2009: out
    "2001/2009",
    "2007/2010",
    "2008",  # out
    "2009",
    "2009",
    "2009",
    "early 2009",
    "21 March 2009",
    "2009-03/2009-04",
    "2010",
    "2011-05-01",
    "since 2010",
]
FROM = datetime.date(2009, 1, 1)


@pytest.fixture
def events():
    made = [EventFactory(date=date) for date in DATES]
    EventFactory(date="since 1990", status=Status.DRAFT)  # never on a page
    return made


def keyed(rows) -> list[tuple[datetime.date, int]]:
    return [(row.date_lower, row.pk) for row in rows]


@pytest.mark.parametrize("order", [("date_lower", "id"), ("-date_lower", "-id")])
def test_beyond_is_the_order_after_a_position(events, order):
    everything = keyed(Event.objects.order_by(*order))
    for index, position in enumerate(everything):
        after = Event.objects.filter(beyond(order, position)).order_by(*order)
        assert keyed(after) == everything[index + 1 :]


def test_the_split_is_a_leap_year_before_from_and_only_with_a_from_date(events):
    queryset = visibility.events()
    assert paging.split_date(queryset, FROM) == datetime.date(2008, 1, 1)
    assert paging.split_date(queryset, None) is None


@pytest.mark.parametrize("size", [1, 2, 5])
@pytest.mark.parametrize("descending", [False, True])
def test_a_page_with_a_split_is_the_plain_order_from_every_position(events, size, descending):
    filtered = visibility.events().between(FROM, None)
    split = paging.split_date(filtered, FROM)
    early = sorted((e.date_lower.toordinal(), e.pk) for e in filtered.filter(date_lower__lt=split))
    assert len(early) == 4  # since 1995, until 2012, 2001/2009, 2007/2010
    expected = keyed(filtered.order_by(*paging.order(descending)))
    for index, position in enumerate([None, *expected]):
        rows = paging.event_rows(
            filtered,
            descending=descending,
            position=position,
            size=size,
            split=split,
            early=early,
        )
        assert keyed(rows) == expected[index : index + size + 1], (position, size)
        unsplit = paging.event_rows(filtered, descending=descending, position=position, size=size)
        assert keyed(unsplit) == keyed(rows)


def test_without_the_early_list_the_long_events_are_missed(events):
    """What the early list is for: the scan after the split cannot see them."""
    filtered = visibility.events().between(FROM, None)
    split = paging.split_date(filtered, FROM)
    rows = paging.event_rows(filtered, descending=False, position=None, size=50, split=split)
    assert all(row.date_lower >= split for row in rows)
    assert len(rows) == filtered.count() - 4


def test_the_rows_are_read_from_the_queryset_given(events):
    read = visibility.events().annotate(marked=Value("yes"))
    rows = paging.event_rows(
        visibility.events(), descending=False, position=None, size=3, read=read
    )
    assert [row.marked for row in rows] == ["yes"] * 4
