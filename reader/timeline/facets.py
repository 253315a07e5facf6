"""Facets: events per domain and per year for the current filter, as links that narrow it.

One aggregate query over the filtered set (a CTE) answers both, draws the chart, and lists the
long events a page with a "from" date needs (``query.page_rows``). Its answer is cached by
``core.cache`` under the normalised filter and the knowledge-base version, so a publish, an
unpublish or an edit of anything shown makes every process compute it afresh.
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


@dataclass
class FacetData:
    """What the facet query finds, as cached: count rows, and the early long events."""

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

    Kind 0 rows count events per (start year, end year); kind 1 rows count them per domain too;
    with a split date (PostgreSQL), kind 2 rows list the events that start before it: the
    ``early`` events of ``query.page_rows``. The filtered set is a CTE, computed once for all of
    them (PostgreSQL materialises a CTE used more than once).
    """
    inner = queryset.order_by().values_list(
        "id", ExtractYear("date_lower"), ExtractYear("date_upper"), "date_lower"
    )
    connection = connections[queryset.db]
    sql, params = inner.query.get_compiler(connection=connection).as_sql()
    params = list(params)
    through = connection.ops.quote_name(Event.domains.through._meta.db_table)
    query = (
        f"WITH filtered (id, yl, yu, lower) AS ({sql}) "
        "SELECT 0, yl, yu, NULL, COUNT(*) FROM filtered GROUP BY yl, yu "
        "UNION ALL "
        "SELECT 1, f.yl, f.yu, t.domain_id, COUNT(*) FROM filtered f "
        f"INNER JOIN {through} t ON t.event_id = f.id GROUP BY f.yl, f.yu, t.domain_id"
    )
    if split is not None:  # PostgreSQL: date - date is a number of days
        query += " UNION ALL SELECT 2, NULL, NULL, id, lower - %s FROM filtered WHERE lower < %s"
        params += [OPEN_LOWER, split]
    rows, early = [], []
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        for kind, yl, yu, pk, count in cursor.fetchall():
            if kind == 2:
                early.append((OPEN_LOWER.toordinal() + count, pk))  # compact to cache
            else:
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
    return cache.answer("timeline-facets", lambda: facet_rows(timeline.queryset, split), *question)


def _year_range(rows, window) -> tuple[int, int] | None:
    """The years to count in: those the events' known ends span, within the filter's dates."""
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
    """Counts for the current filter, as links that narrow it.

    A year counts the events that overlap it, the same test the date filter applies, so the
    number on a year's link is the number of events its page shows. A domain counts the events
    tagged with it; its link narrows to that domain where that is a narrowing (no domain chosen
    yet, or one of several chosen).
    """
    rows = (data or facet_data(timeline)).rows
    ref = reference()
    total = sum(count for kind, *_, count in rows if kind == 0)
    chosen = set(timeline.data.get("domain") or ())
    per_domain: dict[int, int] = defaultdict(int)
    for kind, _, _, domain_id, count in rows:
        if kind == 1:
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
    span = _year_range(rows, timeline.window)
    if not span:
        return Facets(total, domains, [], None)
    first, last = span
    per_year = _spread([(yl, yu, n) for kind, yl, yu, _, n in rows if kind == 0], first, last)
    by_domain = {
        domain.pk: _spread(
            [(yl, yu, n) for kind, yl, yu, d, n in rows if kind == 1 and d == domain.pk],
            first,
            last,
        )
        for domain in ref.domains
        if per_domain.get(domain.pk)
    }
    chart = build_chart(ref.domains, by_domain, first, last, timeline.summary)
    return Facets(total, domains, _year_links(timeline, per_year), chart)


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
