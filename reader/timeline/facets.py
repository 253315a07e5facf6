"""Facets: events per domain and per year for the current filter, as links that narrow it.

One aggregate query over the filtered set (a CTE) answers both, draws the chart (each event
once, by its first domain), and lists the long events a page with a "from" date needs
(``query.page_rows``). Its answer is cached by ``core.cache`` under the normalised filter and
the knowledge-base version, so a publish, an unpublish or an edit of anything shown (a domain's
order included) makes every process compute it afresh.
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


@dataclass
class FacetData:
    """What the facet query finds, as cached: count rows (kind, start year, end year, domain
    id, events), and the early long events."""

    rows: list[tuple[int, int, int, int | None, int]]
    early: list[tuple[int, int]]  # (date_lower as a proleptic ordinal, id), in keyset order


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
    events of ``query.page_rows``. The filtered set is a CTE, computed once for all of them
    (PostgreSQL materialises a CTE used more than once).
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
    query = (
        f"WITH filtered (id, yl, yu, lower, upper) AS ({sql}) "
        f"SELECT {YEARS}, yl, yu, NULL, COUNT(*) FROM filtered GROUP BY yl, yu "
        "UNION ALL "
        f"SELECT {DOMAINS}, 0, 0, t.domain_id, COUNT(*) FROM filtered f "
        f"INNER JOIN {through} t ON t.event_id = f.id GROUP BY t.domain_id "
        "UNION ALL "
        f"SELECT {CHART}, yl, yu, first_domain, COUNT(*) FROM ("
        f"SELECT f.yl, f.yu, MIN({rank}) AS first_domain FROM filtered f "
        f"LEFT JOIN {through} t ON t.event_id = f.id "
        "WHERE f.lower > %s AND f.upper < %s GROUP BY f.id, f.yl, f.yu"
        ") firsts GROUP BY yl, yu, first_domain"
    )
    params += [OPEN_LOWER, OPEN_UPPER]
    if split is not None:  # PostgreSQL: date - date is a number of days
        query += (
            f" UNION ALL SELECT {EARLY}, NULL, NULL, id, lower - %s FROM filtered WHERE lower < %s"
        )
        params += [OPEN_LOWER, split]
    rows, early = [], []
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        for kind, yl, yu, pk, count in cursor.fetchall():
            if kind == EARLY:
                early.append((OPEN_LOWER.toordinal() + count, pk))  # compact to cache
                continue
            if kind == CHART:  # the rank back to its domain (None: an event with no domain)
                pk = domains[int(pk)].pk if pk is not None else None
            rows.append((kind, int(yl), int(yu), pk, count))
    return FacetData(rows, sorted(early))


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
