"""Keyset pages of events in (date_lower, id) order: the one implementation behind the
timeline's pages (``reader.timeline.query``) and the API's event list (``api.pagination``).

A page is the rows beyond a position (``core.keyset.beyond``), read by a deferred join: the ids
come from an index-only scan of the filtered events in keyset order that stops at ``size + 1``,
then only those rows are read. What a "from" date needs on top of that is here too: where the
order splits (``split_date``) and how the long events that began before the split are merged
in (``event_rows``).
"""

from __future__ import annotations

import datetime

from django.db import connections
from django.db.models import OuterRef, QuerySet
from django.db.models.lookups import GreaterThan

from core.dates import OPEN_LOWER
from core.keyset import beyond
from relations import visibility
from relations.models import Event

# Where a page with a "from" date splits the keyset order (see event_rows): events that start
# more than this before "from" and still overlap it must span over a year, so they are few.
SPLIT_MARGIN = datetime.timedelta(days=366)

#: A list of the early long events: (date_lower as a proleptic ordinal, id), in keyset order.
Early = list[tuple[int, int]]

#: From how many events a filter keeps its page is read probing each row walked for the
#: country condition (``relations.filters.about(probe=True)``: ``per_row``) rather than
#: hashing all of the countries' links first. At 10^6 events the two cost the same near
#: 18,000 (a page walks some 50 x 10^6 / 18,000 = 2,800 events, two probes each, where the
#: hash reads 18,000 links or more); the United States (180,000): 3 ms against 150; a quiet
#: country stays hashed.
PROBE_FROM = 20_000


def per_row(subquery: QuerySet) -> QuerySet:
    """Keep an EXISTS over ``subquery`` probed for each outer row walked, never hashed whole.

    PostgreSQL turns an EXISTS whose links to the outer row are all equalities into a hashed
    subplan: it builds the whole inner set first (every link of a country in 185,000 events;
    every agreement of the 47,000 events of Belarus–Iran, ~100 ms at 10^6 events) and then
    probes it, having costed the outer walk as if it read every row, not a page. One condition
    on the outer row that is not an equality rules that out (``id > 0`` is always true), so a
    walk that stops after K rows costs a few index probes per row it reads."""
    return subquery.filter(GreaterThan(OuterRef("pk"), 0))


def probe_rows(total: int | None) -> bool:
    """Whether a page of a filter that keeps ``total`` events (None: not known) should probe
    each row walked (see ``PROBE_FROM``)."""
    return total is not None and total >= PROBE_FROM


def order(descending: bool) -> tuple[str, str]:
    return ("-date_lower", "-id") if descending else ("date_lower", "id")


def split_date(queryset: QuerySet, start: datetime.date | None) -> datetime.date | None:
    """Where the order of ``queryset`` (events from ``start``, the lower bound of the filter's
    "from") splits into the long events that began before the window and the rest
    (PostgreSQL only, with a "from" date; see ``event_rows``)."""
    # Compared before subtracting: a start within a year of 0001-01-01 (an open one) has no
    # day a year before it, and ``date - timedelta`` would raise OverflowError (a 500).
    if start is None or start <= OPEN_LOWER + SPLIT_MARGIN:
        return None
    if connections[queryset.db].vendor != "postgresql":
        return None
    return start - SPLIT_MARGIN


def event_rows(
    queryset: QuerySet,
    *,
    descending: bool,
    position: tuple[datetime.date, int] | None,
    size: int,
    split: datetime.date | None = None,
    early: Early = (),
    read: QuerySet | None = None,
) -> list[Event]:
    """Up to ``size + 1`` events of ``queryset`` in (date_lower, id) order, beyond ``position``
    (a (date_lower, id) pair) if given, read from ``read`` (visible events by default: the
    API's carries its joins and prefetches).

    One query, a deferred join: the ids of the page come from an index-only scan of visible
    events in keyset order (partial index on (date_lower, id) carrying date_upper), checking each
    against the filter's subqueries, stopping at ``size + 1``; then only those rows are read.

    Overlap with a "from" date means ``date_upper >= from``, which an index on date_lower cannot
    bound: a plain ordered scan would start at the first event ever recorded. So with a "from"
    date the order is cut at ``split = from - 366 days``. Events that start after the split are
    scanned from there. Those that start before it and still overlap "from" all sort before the
    rest and span more than a year ("since 1990", long intervals, decades): few, and listed by
    the facet query (``early``, (ordinal, id) pairs cached with the facets,
    ``reader.timeline.facets``); the page takes the ones beyond the position by id.
    """
    keys = order(descending)
    scan = queryset.order_by(*keys)
    if position is not None:
        scan = scan.filter(beyond(keys, position))
    if split is None:
        ids = scan.values("id")[: size + 1]
    else:
        date = position[0] if position else None
        key = (date.toordinal(), position[1]) if position else None
        ahead = [
            pk
            for lower, pk in (reversed(early) if descending else early)
            if key is None or ((lower, pk) < key if descending else (lower, pk) > key)
        ][: size + 1]
        # Ascending, the early events come first; descending, once the position is before the
        # split, only early events are left.
        fills = len(ahead) > size if not descending else bool(date and date < split)
        ids = None if fills else scan.filter(date_lower__gte=split).values("id")[: size + 1]
        if ahead:
            listed = Event.objects.filter(pk__in=ahead).values("id")
            ids = listed if ids is None else ids.union(listed, all=True)
        if ids is None:
            return []
    read = visibility.events() if read is None else read
    return list(read.filter(id__in=ids).order_by(*keys)[: size + 1])
