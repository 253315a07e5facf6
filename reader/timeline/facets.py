"""Facets: events per domain and per year for the current filter, as links that narrow it.

One aggregate query over the filtered set (a CTE) answers both, draws the chart (each event
once, by its first domain), and lists the long events a page with a "from" date needs
(``relations.paging.event_rows``). Its answer is cached by ``core.cache`` under the normalised
filter and the knowledge-base version, so a publish, an unpublish or an edit of anything shown
(a domain's order included) makes every process compute it afresh.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db import connections
from django.db.models import QuerySet
from django.db.models.functions import ExtractYear

from core import cache
from core.dates import OPEN_LOWER, OPEN_UPPER
from reader.timeline.chart import Chart, build_chart
from reader.timeline.query import split_date
from reader.timeline.request import Timeline
from relations.filters import reference
from relations.models import Event

# Kinds of facet rows.
YEARS, DOMAINS, EARLY, CHART = 0, 1, 2, 3
#: Domains per column of an event's domain mask (a BIGINT: 62 bits, clear of the sign bit).
MASK_BITS = 62


@dataclass
class FacetData:
    """What the facet query finds, as cached: count rows (kind, start year, end year, domain
    id, events), and the early long events."""

    rows: list[tuple[int, int, int, int | None, int]]
    early: list[tuple[int, int]]  # (date_lower as a proleptic ordinal, id), in keyset order

    @property
    def events(self) -> int:
        """How many events the filter keeps (what decides how its pages are read:
        ``Timeline.rows_queryset``)."""
        return sum(row[-1] for row in self.rows if row[0] == YEARS)


@dataclass
class FacetLink:
    label: str
    count: int
    url: str | None  # None: the current choice, or a count that narrowing cannot reach
    current: bool = False


@dataclass
class Facets:
    total: int
    domains: list[FacetLink]
    years: list[FacetLink]
    chart: Chart | None


def facet_rows(queryset: QuerySet, split: datetime.date | None = None) -> FacetData:
    """One query over the filtered set.

    ``YEARS`` rows count events per (start year, end year); ``DOMAINS`` rows count them per
    domain (an event in two domains counts in each); ``CHART`` rows count the events whose
    dates are closed on both sides per (start year, end year, first domain), the first in the
    domains' order (``Domain.position``, then name), so each event is counted once. With a split
    date (PostgreSQL), ``EARLY`` rows list the events that start before it: the ``early``
    events of ``relations.paging.event_rows``.

    All three counts come from one pass: each event's domains as a bit mask (bit = the
    domain's rank in their order; ``MASK_BITS`` to a column, as many columns as it takes), read
    from the link table grouped by event (over the whole knowledge base, PostgreSQL reads it in
    event order from its index and merges it with the events), and the events counted per
    (start year, end year, closed, mask): a few thousand groups, which Python turns into the
    rows above. Grouping the events by year and joining them to their domains twice, as this
    once did, took about twice as long over the whole knowledge base (1.1 s at 10^6 events):
    the filtered set was materialised, and the first domain of each event sorted on disk.
    """
    domains = reference().domains
    inner = queryset.order_by().values_list(
        "id", ExtractYear("date_lower"), ExtractYear("date_upper"), "date_lower", "date_upper"
    )
    connection = connections[queryset.db]
    sql, params = inner.query.get_compiler(connection=connection).as_sql()
    params = list(params)
    through = connection.ops.quote_name(Event.domains.through._meta.db_table)
    # The rank of each domain in their order (ids are ours, integers: safe to write in).
    ranks = " ".join(f"WHEN {int(d.pk)} THEN {rank}" for rank, d in enumerate(domains))
    rank = f"CASE t.domain_id {ranks} END" if ranks else "NULL"
    words = range(max(1, -(-len(domains) // MASK_BITS)))
    masks = ", ".join(
        f"SUM(CASE WHEN r >= {w * MASK_BITS} AND r < {(w + 1) * MASK_BITS} "
        f"THEN CAST(1 AS BIGINT) << (r - {w * MASK_BITS}) END) AS m{w}"
        for w in words
    )
    mask_columns = ", ".join(f"m{w}" for w in words)
    # Inlined where it is read (PostgreSQL would materialise a CTE read twice, with a split).
    inlined = " NOT MATERIALIZED" if connection.vendor == "postgresql" else ""
    query = (
        f"WITH filtered (id, yl, yu, lower, upper) AS{inlined} ({sql}) "
        f"SELECT {YEARS}, yl, yu, closed, {mask_columns}, COUNT(*) FROM ("
        "SELECT f.yl, f.yu, CASE WHEN f.lower > %s AND f.upper < %s THEN 1 ELSE 0 END AS closed, "
        f"{', '.join(f'd.m{w}' for w in words)} FROM filtered f LEFT JOIN ("
        f"SELECT event_id, {masks} FROM (SELECT t.event_id, {rank} AS r FROM {through} t) t "
        "GROUP BY event_id"
        ") d ON d.event_id = f.id"
        f") per_event GROUP BY yl, yu, closed, {mask_columns}"
    )
    params += [OPEN_LOWER, OPEN_UPPER]
    if split is not None:  # PostgreSQL: date - date is a number of days
        nulls = ", ".join("NULL" for _ in words[1:])
        query += (
            f" UNION ALL SELECT {EARLY}, NULL, NULL, NULL, id, {nulls + ', ' if nulls else ''}"
            "lower - %s FROM filtered WHERE lower < %s"
        )
        params += [OPEN_LOWER, split]
    per_years: dict[tuple[int, int], int] = defaultdict(int)
    per_domain: dict[int, int] = defaultdict(int)
    per_chart: dict[tuple[int, int, int | None], int] = defaultdict(int)
    early = []
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        for kind, yl, yu, closed, *word_masks, count in cursor.fetchall():
            if kind == EARLY:  # (lower as days since OPEN_LOWER, id), compact to cache
                early.append((OPEN_LOWER.toordinal() + count, int(word_masks[0])))
                continue
            years = (int(yl), int(yu))
            per_years[years] += count
            mask = sum(int(m or 0) << (w * MASK_BITS) for w, m in enumerate(word_masks))
            first = domains[_lowest_bit(mask)].pk if mask else None
            while mask:
                bit = _lowest_bit(mask)
                per_domain[domains[bit].pk] += count
                mask &= mask - 1
            if closed:
                per_chart[(*years, first)] += count
    rows = [(YEARS, yl, yu, None, n) for (yl, yu), n in per_years.items()]
    rows += [(DOMAINS, 0, 0, pk, n) for pk, n in per_domain.items()]
    rows += [(CHART, yl, yu, pk, n) for (yl, yu, pk), n in per_chart.items()]
    return FacetData(rows, sorted(early))


def _lowest_bit(mask: int) -> int:
    return (mask & -mask).bit_length() - 1


def facet_data(timeline: Timeline) -> FacetData:
    """The facet query's answer for this filter, from the cache when it can be."""
    data = timeline.data
    lower, upper = timeline.window
    question = (
        " ".join((data.get("q") or "").lower().split()),
        tuple(sorted(data.get("domain") or ())),
        lower,
        upper,
        tuple(sorted(data.get("country") or ())),
        data["official"].pk if data.get("official") else None,
        data["organisation"].pk if data.get("organisation") else None,
        data.get("agreement_kind") or None,
    )
    split = split_date(timeline)
    return cache.answer(
        "timeline-facets-2", lambda: facet_rows(timeline.queryset, split), *question
    )


def _year_range(rows, window) -> tuple[int, int] | None:
    """The years to count in: those the events' known ends span, within the filter's dates
    (the ends of open-sided dates, years 1 and 9999, are not known)."""
    years = [y for _, yl, yu, _, _ in rows for y in (yl, yu) if y not in (1, 9999)]
    if not years:
        return None
    first, last = min(years), max(years)
    lower, upper = window
    if lower and lower != OPEN_LOWER:
        first = max(first, lower.year)
    if upper and upper != OPEN_UPPER:
        last = min(last, upper.year)
    return (first, last) if first <= last else None


def _spread(rows, first: int, last: int) -> dict[int, int]:
    """Events per year they overlap (clipped to [first, last]), by difference array."""
    diff = [0] * (last - first + 2)
    for yl, yu, count in rows:
        a, b = max(yl, first), min(yu, last)
        if a <= b:
            diff[a - first] += count
            diff[b - first + 1] -= count
    counts, running = {}, 0
    for offset in range(last - first + 1):
        running += diff[offset]
        counts[first + offset] = running
    return counts


def build_facets(timeline: Timeline, data: FacetData | None = None) -> Facets:
    """Counts for the current filter, as links that narrow it, and the chart.

    A year counts the events that overlap it, the same test the date filter applies, so the
    number on a year's link is the number of events its page shows. A domain counts the events
    tagged with it; its link narrows to that domain where that is a narrowing (no domain chosen
    yet, or one of several chosen). The chart counts the same events per year as the year
    links, each once, except those whose dates are open on one side (see ``chart_counts``).
    """
    rows = (data or facet_data(timeline)).rows
    ref = reference()
    total = sum(count for kind, *_, count in rows if kind == YEARS)
    chosen = set(timeline.data.get("domain") or ())
    per_domain: dict[int, int] = defaultdict(int)
    for kind, _, _, domain_id, count in rows:
        if kind == DOMAINS:
            per_domain[domain_id] += count
    domains = []
    for domain in ref.domains:
        count = per_domain.get(domain.pk, 0)
        if not count:
            continue
        narrows = not chosen or (domain.slug in chosen and len(chosen) > 1)
        domains.append(
            FacetLink(
                domain.name,
                count,
                timeline.url(domain=domain.slug) if narrows else None,
                current=domain.slug in chosen and len(chosen) == 1,
            )
        )
    years = [row for row in rows if row[0] == YEARS]
    span = _year_range(years, timeline.window)
    if not span:
        return Facets(total, domains, [], None)
    per_year = _spread([(yl, yu, n) for _, yl, yu, _, n in years], *span)
    return Facets(total, domains, _year_links(timeline, per_year), chart_of(timeline, rows, total))


def chart_counts(rows, window) -> tuple[tuple[int, int] | None, dict[int | None, dict[int, int]]]:
    """The chart's years and its counts, {first domain id: {year: events}}.

    Each event is counted once in each year its date overlaps (as the year links count it),
    under its first domain. Events whose dates are open on one side ("by 2005", "in recent
    years, as of 6 July 2010", "until 2009", "since 1998") are left out: they could have
    happened in any of the years up to (or from) their known end, and a bar in any one year
    would say more than the source does; the caption says how many.
    """
    chart_rows = [row for row in rows if row[0] == CHART]
    span = _year_range(chart_rows, window)
    if not span:
        return None, {}
    by_domain = {
        pk: _spread([(yl, yu, n) for _, yl, yu, d, n in chart_rows if d == pk], *span)
        for pk in dict.fromkeys(d for *_, d, _ in chart_rows)
    }
    return span, by_domain


def chart_of(timeline: Timeline, rows, total: int) -> Chart | None:
    span, by_domain = chart_counts(rows, timeline.window)
    if not span:
        return None
    drawn = sum(n for kind, *_, n in rows if kind == CHART)
    return build_chart(
        reference().domains, by_domain, *span, timeline.summary, left_out=total - drawn
    )


def _year_links(timeline: Timeline, per_year: dict[int, int]) -> list[FacetLink]:
    """A link per year with events: the filter narrowed to that year (within its dates)."""
    start, end = timeline.data.get("from"), timeline.data.get("to")
    years = []
    for year, count in per_year.items():
        if not count:
            continue
        y_from = str(year) if not start or start.lower <= datetime.date(year, 1, 1) else None
        y_to = str(year) if not end or end.upper >= datetime.date(year, 12, 31) else None
        new_from = y_from or start.text
        new_to = y_to or end.text
        current = (
            start is not None
            and end is not None
            and (new_from, new_to)
            == (
                start.text,
                end.text,
            )
        )
        url = None if current else timeline.url(**{"from": new_from, "to": new_to})
        years.append(FacetLink(str(year), count, url, current=current))
    return years
