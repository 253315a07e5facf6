"""The public timeline at scale: ours against the stock way, same database, same run.

    DATABASE_URL=postgres://.../relata_bench .venv/bin/python bench/timeline.py

"The stock way" is what a competent first attempt looks like: a ``ListView`` with the same
``TimelineFilter``, Django's ``Paginator`` (OFFSET pages, an exact COUNT) and no prefetching,
rendering the same events with their domains, countries and citations. It is defined here and
served from bench/timeline_urls.py.

Server time is measured in-process through Django's test client (no network), as the median of
several runs after a warm-up, with queries counted. Facets are measured alone too: cold
(computed: the cache version is bumped before each run, as when an analyst publishes) and
cached. Prints a table and writes JSON to bench/results/timeline.json.

A bench database that predates the knowledge-base version row (``core`` not migrated: this
script only reads) runs at a fixed version, and "cold" raises the cached number alone: what a
request sees after a bump (the row's update is the writer's cost, not the reader's).
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django
from django.apps import apps

if not apps.ready:
    django.setup()

from django.core.cache import cache
from django.db import connection
from django.db.models import Count
from django.db.models.functions import ExtractYear
from django.http import HttpResponse
from django.template import engines
from django.test import Client, RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.views.generic import ListView

from core import cache as kb_cache
from core.models import KnowledgeBaseVersion
from reader.timeline.facets import build_facets
from reader.timeline.request import Timeline
from relations import visibility
from relations.filters import TimelineFilter
from relations.models import Event

RUNS = int(os.environ.get("BENCH_RUNS", 5))
DEPTH = 10_000
PER_PAGE = 50

STOCK_TEMPLATE = engines["django"].from_string(
    """<!doctype html><title>Events</title>
<p>{{ paginator.count }} events</p>
<ol>{% for event in page_obj %}
<li><h3><a href="{{ event.get_absolute_url }}">{{ event.title }}</a></h3>
<p>{{ event.date }}
{% for d in event.domains.all %}<span>{{ d.name }}</span>{% endfor %}</p>
<p>{% for c in event.countries.all %}
<a href="{{ c.get_absolute_url }}">{{ c.name }}</a>
{% endfor %}</p>
<p>{{ event.summary }}</p>
{% for citation in event.citations.all %}
<sup>{{ citation.footnote.source.title }}, {{ citation.footnote.locator }}</sup>
{% endfor %}
</li>{% endfor %}</ol>
{% if page_obj.has_previous %}
<a href="?page={{ page_obj.previous_page_number }}">previous</a>
{% endif %}
{% if page_obj.has_next %}<a href="?page={{ page_obj.next_page_number }}">next</a>{% endif %}
"""
)


class StockTimelineView(ListView):
    """The same filter, paginated by OFFSET with an exact count, no prefetching."""

    paginate_by = PER_PAGE

    def get_queryset(self):
        self.filterset = TimelineFilter(self.request.GET)
        if not self.filterset.is_valid():
            return Event.objects.none()
        return self.filterset.qs

    def render_to_response(self, context, **kwargs):
        return HttpResponse(STOCK_TEMPLATE.render(context, self.request))


def _summary(times: list[float], queries, cpu: list[float]) -> dict:
    return {
        "median_ms": statistics.median(times) * 1000,
        "min_ms": min(times) * 1000,
        # CPU time of this (Django) process: what the page costs in Python, whatever the load.
        "cpu_ms": statistics.median(cpu) * 1000,
        "queries": len(queries),
        # What the database reported for the last run's queries (ms resolution per query).
        "db_ms": sum(float(q["time"]) for q in queries.captured_queries) * 1000,
    }


def measure(client: Client, url: str, before_each=None) -> dict:
    client.get(url)  # warm-up: caches, connection, plans
    times, cpu = [], []
    for _ in range(RUNS):
        if before_each:
            before_each()
        with CaptureQueriesContext(connection) as queries:
            start, start_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            if response.streaming:
                b"".join(response.streaming_content)
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        assert response.status_code == 200, (url, response.status_code)
    return {"url": url, **_summary(times, queries, cpu)}


def measure_call(function, before_each=None) -> dict:
    function()
    times, cpu = [], []
    for _ in range(RUNS):
        if before_each:
            before_each()
        with CaptureQueriesContext(connection) as queries:
            start, start_cpu = time.perf_counter(), time.process_time()
            function()
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
    return _summary(times, queries, cpu)


def deep_token(query: str) -> str:
    """The keyset token of the event DEPTH events into the filter (what 200 "later" links
    followed one by one would reach)."""
    timeline = Timeline(RequestFactory().get("/timeline/" + query))
    assert timeline.valid
    date_lower, pk = timeline.queryset.values_list("date_lower", "id")[DEPTH - 1]
    return f"{date_lower.isoformat()}.{pk}"


def stock_facets(query: str):
    """Per-domain and per-year counts the stock way: two GROUP BYs, nothing cached."""

    def run():
        filterset = TimelineFilter(RequestFactory().get("/" + query).GET)
        assert filterset.is_valid()
        qs = filterset.qs.order_by()
        list(qs.values("domains__slug").annotate(n=Count("id", distinct=True)))
        list(qs.annotate(year=ExtractYear("date_lower")).values("year").annotate(n=Count("id")))

    return run


def our_facets(query: str):
    def run():
        timeline = Timeline(RequestFactory().get("/timeline/" + query))
        assert timeline.valid
        build_facets(timeline)

    return run


UNMIGRATED = KnowledgeBaseVersion._meta.db_table not in connection.introspection.table_names()
_version = [0]  # the version an unmigrated bench database is at: raised by bump() alone


def bump() -> None:
    if UNMIGRATED:
        _version[0] += 1
        cache.set(kb_cache.VERSION_KEY, _version[0], kb_cache.VERSION_TIMEOUT)
    else:
        kb_cache.bump()  # outside a transaction: at once


if UNMIGRATED:
    kb_cache._read = lambda using=None: _version[0]


def main() -> None:
    client = Client()
    filters = {
        "BY+IR": "?domain=economic&from=2005&to=2010&country=by&country=ir",
        "RU": "?domain=economic&from=2005&to=2010&country=ru",
    }
    published = visibility.events().count()
    print(f"published events: {published:,}; runs per case: {RUNS}; page size {PER_PAGE}")
    for name, query in filters.items():
        total = Timeline(RequestFactory().get("/timeline/" + query))
        assert total.valid
        print(f"  {name}: {query} ({total.queryset.count():,} events)")
    cases = {}
    for name, query in filters.items():
        cases[f"{name} first page"] = (f"/timeline/{query}", f"/stock-timeline/{query}", None)
    depth_page = DEPTH // PER_PAGE + 1
    ru = filters["RU"]
    cases[f"RU {DEPTH:,} deep"] = (
        f"/timeline/{ru}&after={deep_token(ru)}",
        f"/stock-timeline/{ru}&page={depth_page}",
        None,
    )
    cases["all, first page"] = ("/timeline/", "/stock-timeline/", None)
    cases[f"all, {DEPTH:,} deep"] = (
        f"/timeline/?after={deep_token('')}",
        f"/stock-timeline/?page={depth_page}",
        None,
    )
    cases["BY+IR page, facets cold"] = (
        f"/timeline/{filters['BY+IR']}",
        f"/stock-timeline/{filters['BY+IR']}",
        bump,
    )
    cases["search 'pipeline'"] = ("/timeline/?q=pipeline", "/stock-timeline/?q=pipeline", None)

    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(
        f"{'case':<26} {'ours ms':>8} {'min':>7} {'cpu':>6} {'db':>5} {'q':>3} "
        f"{'stock ms':>9} {'q':>4} {'stock/ours':>10}"
    )
    results = []
    with override_settings(ROOT_URLCONF="bench.timeline_urls"):
        for name, (ours_url, stock_url, before) in cases.items():
            ours = measure(client, ours_url, before)
            stock = measure(client, stock_url)
            results.append(_row(name, ours, stock))
    for name, query in [*filters.items(), ("all", "")]:
        for state, before in (("cold", bump), ("cached", None)):
            ours = measure_call(our_facets(query), before)
            stock = measure_call(stock_facets(query))
            results.append(_row(f"facets {name} ({state})", ours, stock))
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    cache.clear()
    out = Path(__file__).with_name("results")
    out.mkdir(exist_ok=True)
    (out / "timeline.json").write_text(json.dumps(results, indent=2))


def _row(name: str, ours: dict, stock: dict) -> dict:
    ratio = stock["median_ms"] / ours["median_ms"]
    print(
        f"{name:<26} {ours['median_ms']:>8.1f} {ours['min_ms']:>7.1f} {ours['cpu_ms']:>6.0f} "
        f"{ours['db_ms']:>5.0f} {ours['queries']:>3} {stock['median_ms']:>9.1f} "
        f"{stock['queries']:>4} {ratio:>9.1f}x"
    )
    return {"case": name, "ours": ours, "stock": stock, "ratio": ratio}


if __name__ == "__main__":
    main()
