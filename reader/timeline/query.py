"""A timeline page: keyset rows on (date_lower, id), what each event shows (one query per
relation), its footnotes, and its headings (year, then month).

What a page costs, whatever the database's size: one query for the rows (no OFFSET, no COUNT),
one per relation, one for the citations of the events and their quotes together: the same few
queries for 10 or 100 events.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import Prefetch, QuerySet, prefetch_related_objects

from core.dates import MONTH_NAMES, OPEN_LOWER, Precision, parse_fuzzy_date
from core.keyset import beyond
from reader.pages.common import DESCRIBED, labelled
from reader.timeline.request import Timeline
from relations import visibility
from relations.filters import Cursor
from relations.footnotes import Footnotes
from relations.models import Agreement, Country, Domain, Event, Official, Organisation, Statement
from relations.presentation import when

#: What the page shows of an organisation: enough to name one the sources do not name.
ORGANISATION_FIELDS = (
    "id",
    "slug",
    "name",
    "short_name",
    "kind",
    "unnamed",
    "country__name",
    "location__name",
)
NOTE_SOURCE_FIELDS = (
    "footnote__source__slug",
    "footnote__source__title",
    "footnote__source__outlet",
)
# Where a page with a "from" date splits the keyset order (see page_rows): events that start
# more than this before "from" and still overlap it must span over a year, so they are few.
SPLIT_MARGIN = datetime.timedelta(days=366)
MONTH_LEVEL = {Precision.DAY, Precision.PART_OF_MONTH, Precision.MONTH}


@dataclass
class Block:
    label: str | None  # "June 2010"; None for events dated to a year or more loosely
    events: list[Event] = field(default_factory=list)


@dataclass
class YearGroup:
    label: str  # "2010", or "Start not known" for open starts ("until 2009")
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Page:
    events: list[Event]
    later: str | None = None  # URL of the next page in the current order
    earlier: str | None = None  # URL of the previous page
    first: str | None = None  # URL of the first page, when this is not it
    notes: Footnotes = field(default_factory=Footnotes)
    groups: list[YearGroup] = field(default_factory=list)


def page(timeline: Timeline, early: list[tuple[int, int]]) -> Page:
    """The page the request asks for (``early``: the facet query's long events, see
    ``page_rows``), with its links, its events annotated and grouped, and its notes."""
    paging = timeline.paging.cleaned_data
    after, before = paging.get("after"), paging.get("before")
    size = timeline.paging.size
    rows = page_rows(
        timeline.queryset,
        descending=(timeline.order == "newest") != bool(before),
        cursor=after or before,
        size=size,
        split=split_date(timeline),
        early=early,
    )
    more = len(rows) > size
    events = rows[:size]
    if before:
        events.reverse()
    result = Page(events)
    if events:
        if more or before:
            result.later = timeline.url(after=Cursor.of(events[-1]))
        if after or (more and before):
            result.earlier = timeline.url(before=Cursor.of(events[0]))
    if after or before:
        result.first = timeline.url()
    result.notes = annotate(events, timeline.window)
    result.groups = group(events)
    return result


# --- Rows: keyset on (date_lower, id) --------------------------------------------------------
def split_date(timeline: Timeline) -> datetime.date | None:
    """Where the timeline's order splits into long events that began before the window and the
    rest (PostgreSQL only, with a "from" date; see ``page_rows``)."""
    start = timeline.window[0]
    # Compared before subtracting: a start within a year of 0001-01-01 (an open one) has no
    # day a year before it, and ``date - timedelta`` would raise OverflowError (a 500).
    if start is None or start <= OPEN_LOWER + SPLIT_MARGIN:
        return None
    if connections[timeline.queryset.db].vendor != "postgresql":
        return None
    return start - SPLIT_MARGIN


def page_rows(
    queryset: QuerySet,
    *,
    descending: bool,
    cursor: Cursor | None,
    size: int,
    split: datetime.date | None = None,
    early: list[tuple[int, int]] = (),
) -> list[Event]:
    """Up to ``size + 1`` events in (date_lower, id) order, beyond ``cursor`` if given.

    One query, a deferred join: the ids of the page come from an index-only scan of visible
    events in keyset order (partial index on (date_lower, id) carrying date_upper), checking each
    against the filter's subqueries, stopping at ``size + 1``; then only those rows are read.

    Overlap with a "from" date means ``date_upper >= from``, which an index on date_lower cannot
    bound: a plain ordered scan would start at the first event ever recorded. So with a "from"
    date the order is cut at ``split = from - 366 days``. Events that start after the split are
    scanned from there. Those that start before it and still overlap "from" all sort before the
    rest and span more than a year ("since 1990", long intervals, decades): few, and listed by
    the facet query (``early``, (ordinal, id) pairs cached with the facets); the page takes the
    ones beyond the cursor by id.
    """
    order = ("-date_lower", "-id") if descending else ("date_lower", "id")
    scan = queryset.order_by(*order)
    if cursor is not None:
        scan = scan.filter(beyond(order, (cursor.date, cursor.id)))
    if split is None:
        ids = scan.values("id")[: size + 1]
    else:
        key = (cursor.date.toordinal(), cursor.id) if cursor else None
        ahead = [
            pk
            for lower, pk in (reversed(early) if descending else early)
            if key is None or ((lower, pk) < key if descending else (lower, pk) > key)
        ][: size + 1]
        # Ascending, the early events come first; descending, once the cursor is before the
        # split, only early events are left.
        fills = len(ahead) > size if not descending else bool(cursor and cursor.date < split)
        ids = None if fills else scan.filter(date_lower__gte=split).values("id")[: size + 1]
        if ahead:
            listed = Event.objects.filter(pk__in=ahead).values("id")
            ids = listed if ids is None else ids.union(listed, all=True)
        if ids is None:
            return []
    return list(visibility.events().filter(id__in=ids).order_by(*order)[: size + 1])


# --- What each event shows -------------------------------------------------------------------
def prefetches() -> list[Prefetch]:
    """What a page shows of each event, one query per relation; linked claims only where a
    reader may see them.

    Into plain lists (``to_attr``): the template reads them many times, and a prefetched
    manager would make a new QuerySet (and a new manager) at every read.
    """
    return [
        Prefetch(
            "domains",
            queryset=Domain.objects.only("id", "slug", "name", "position"),
            to_attr="domain_list",
        ),
        Prefetch(
            "countries",
            queryset=Country.objects.only("id", "code", "name"),
            to_attr="country_list",
        ),
        Prefetch(
            "organisations",
            queryset=Organisation.objects.select_related(*DESCRIBED).only(*ORGANISATION_FIELDS),
            to_attr="organisation_list",
        ),
        Prefetch(
            "officials",
            queryset=Official.objects.only("id", "slug", "name"),
            to_attr="official_list",
        ),
        Prefetch(
            "agreements",
            queryset=visibility.claims(Agreement).only("id", "slug", "title", "kind"),
            to_attr="agreement_list",
        ),
        Prefetch(
            "statements",
            queryset=visibility.claims(Statement)
            .select_related("speaker", *(f"speaker_organisation__{f}" for f in DESCRIBED))
            .only(
                "id",
                "slug",
                "form",
                "quote",
                "verb",
                "context",
                "language",
                "event_id",
                "date_lower",
                "speaker__id",
                "speaker__slug",
                "speaker__name",
                *(f"speaker_organisation__{f}" for f in ORGANISATION_FIELDS),
            )
            .chronological(),
            to_attr="statement_list",
        ),
    ]


def annotate(events: list[Event], window) -> Footnotes:
    """Prefetch what the page shows, number its footnotes, read dates, mark imprecise ones (a
    date wider than the filter's: it may lie partly outside them)."""
    prefetch_related_objects(events, *prefetches())
    statements = [s for e in events for s in e.statement_list]
    labelled(*(o for e in events for o in e.organisation_list))
    labelled(*(s.speaker_organisation for s in statements))
    notes = Footnotes.reading(events, statements, only=NOTE_SOURCE_FIELDS)
    lower, upper = window
    for event in events:
        event.anchor = f"event-{event.slug}"
        event.when = when(event.date)
        event.imprecise = (lower is not None and event.date_lower < lower) or (
            upper is not None and event.date_upper > upper
        )
        event.label = event.title  # what a note's link back to it says
        event.notes = notes.cite(event)
        for statement in event.statement_list:
            statement.anchor = f"statement-{statement.slug}"
            statement.label = event.title
            statement.notes = notes.cite(statement)
    return notes


# --- Headings: year, then month (or none, for dates known to the year) -----------------------
@lru_cache(maxsize=8192)
def _heading(text: str) -> tuple[str, str | None] | None:
    try:
        fuzzy = parse_fuzzy_date(text)
    except ValidationError:  # stored before a parser change: filed under its year
        return None
    if fuzzy.lower == OPEN_LOWER:
        return "Start not known", None
    precision = fuzzy.precision
    if precision in (Precision.INTERVAL, Precision.OPEN):
        start, _ = fuzzy._ends()  # the start as typed: "May 2009" in "2009-05/2010-07"
        precision = start.precision if start else Precision.YEAR
    year = str(fuzzy.lower.year)
    if precision in MONTH_LEVEL:
        return year, f"{MONTH_NAMES[fuzzy.lower.month - 1]} {year}"
    return year, None


def heading(event: Event) -> tuple[str, str | None]:
    """The year and month headings an event is listed under (month None: under its year)."""
    return _heading(event.date) or (str(event.date_lower.year), None)


def group(events: list[Event]) -> list[YearGroup]:
    groups: list[YearGroup] = []
    for event in events:
        year, month = heading(event)
        if not groups or groups[-1].label != year:
            groups.append(YearGroup(year))
        blocks = groups[-1].blocks
        if not blocks or blocks[-1].label != month:
            blocks.append(Block(month))
        blocks[-1].events.append(event)
    return groups
