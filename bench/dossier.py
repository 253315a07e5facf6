"""Dossiers at scale: ours against the stock way, same database, same run.

    DATABASE_URL=postgres://.../relata_bench .venv/bin/python bench/dossier.py

Measures the Belarus–Iran dossier (the busiest pair: ~47,000 published events at 10^6), a
mid-sized pair and the relationships index, each against "the stock way": views written with
plain querysets, no prefetching and no limits (defined below, served by bench/dossier_urls.py).
Server time is measured in-process through Django's test client (no network), as the median of
several runs after a warm-up; queries are counted too. Our dossier caches its counts and the
index its ranking, so the first (cold) request is reported as well. Prints a table and writes
JSON to bench/results/.

BENCH_RUNS (default 5) sets the runs per case after a warm-up, for ours and the stock views alike,
except the stock Belarus–Iran dossier: some 300,000 queries and six minutes a request here, so it
runs BENCH_STOCK_BUSY_RUNS times (default 1, without a warm-up, which would change nothing: every
one of its queries runs anyway). BENCH_STOCK_RUNS=0 skips the stock views; BENCH_SECTION_SIZE
sets the items per dossier section (default: reader.dossiers.build.SECTION_SIZE).

A bench database that predates the knowledge-base version row (``core`` not migrated: this
script only reads) is run at a fixed version: nothing writes during a run, so that is exact.
"""

import gc
import json
import os
import statistics
import sys
import time
from itertools import chain
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django

django.setup()

from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count, F  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.shortcuts import get_object_or_404  # noqa: E402
from django.template import engines  # noqa: E402
from django.test import Client, override_settings  # noqa: E402

import core.cache  # noqa: E402
from core.dates import OPEN_LOWER, OPEN_UPPER  # noqa: E402
from core.models import KnowledgeBaseVersion  # noqa: E402
from reader.dossiers import build  # noqa: E402
from relations import visibility  # noqa: E402
from relations.footnotes import Footnotes  # noqa: E402
from relations.models import Country, Domain, Event, Relationship  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", 5))
STOCK_RUNS = int(os.environ.get("BENCH_STOCK_RUNS", RUNS))
STOCK_BUSY_RUNS = int(os.environ.get("BENCH_STOCK_BUSY_RUNS", 1))
build.SECTION_SIZE = int(os.environ.get("BENCH_SECTION_SIZE", build.SECTION_SIZE))

# --- The stock way ----------------------------------------------------------------------------
STOCK_DOSSIER = engines["django"].from_string(
    "<!doctype html><title>{{ a.name }}–{{ b.name }} relations</title>"
    "<h1>{{ a.name }}–{{ b.name }} relations</h1>"
    "{% for domain, claims in sections %}{% if claims %}<section><h2>{{ domain.name }}</h2>"
    "{% for claim in claims %}<p>{{ claim.date }} {% firstof claim.title claim.quote %}"
    " {{ claim.summary|default:'' }}"
    "{% for o in claim.organisations.all %} {{ o.name }}{% endfor %}"
    "{% for o in claim.officials.all %} {{ o.name }}{% endfor %}"
    "{% if claim.speaker %} {{ claim.speaker.name }}{% endif %}"
    "{% for note in claim.notes %}"
    '<sup><a href="#note-{{ note.number }}">{{ note.number }}</a></sup>{% endfor %}</p>'
    "{% endfor %}</section>{% endif %}{% endfor %}"
    '<ol>{% for note in notes %}<li id="note-{{ note.number }}">{{ note.source.title }}, '
    "{{ note.locator }}. {{ note.excerpt }}</li>{% endfor %}</ol>"
)


def stock_dossier(request, first, second):
    """The pair's dossier as a first attempt writes it: every claim (those both states took
    part in, and those that concern the pair), each asked for its domains, participants and
    citations as the page needs them."""
    a = get_object_or_404(Country, code=first)
    b = get_object_or_404(Country, code=second)
    pair = Relationship.slug_for(a, b)
    pair_events = (
        visibility.events().involving(a, b) | visibility.events().filter(concerns__slug=pair)
    ).distinct()
    agreements = (
        visibility.agreements().filter(countries=a).filter(countries=b)
        | visibility.agreements().filter(organisations__country=a).filter(organisations__country=b)
        | visibility.agreements().filter(events__in=pair_events)
        | visibility.agreements().filter(concerns__slug=pair)
    ).distinct()
    statements = (
        visibility.statements().filter(countries=a).filter(countries=b)
        | visibility.statements().filter(event__in=pair_events)
        | visibility.statements().filter(concerns__slug=pair)
    ).distinct()
    domains = list(Domain.objects.all())
    by_domain = {domain.pk: [] for domain in domains}
    for claim in chain(pair_events, agreements, statements):
        first_domain = claim.domains.order_by("position", "name").first()
        if first_domain:
            by_domain[first_domain.pk].append(claim)
    notes = Footnotes()
    sections = []
    for domain in domains:
        claims = sorted(
            by_domain[domain.pk],
            key=lambda c: (c.date_lower or OPEN_LOWER, c.date_upper or OPEN_UPPER, c.pk),
        )
        for claim in claims:
            claim.notes = notes.cite(claim)
        sections.append((domain, claims))
    return HttpResponse(
        STOCK_DOSSIER.render({"a": a, "b": b, "sections": sections, "notes": list(notes)})
    )


def stock_index(request):
    """The relationships index without a cache: the same GROUP BY on every request."""
    links = Event.countries.through.objects.filter(visibility.claim_q(Event, "event__"))
    pairs = (
        links.annotate(partner=F("event__countries"))
        .filter(partner__gt=F("country_id"))
        .values_list("country__name", "event__countries__name")
        .annotate(events=Count("pk"))
        .order_by("-events")[:100]
    )
    rows = "".join(f"<tr><td>{a}–{b}</td><td>{n}</td></tr>" for a, b, n in pairs)
    return HttpResponse(f"<!doctype html><title>Relationships</title><table>{rows}</table>")


# --- Measuring --------------------------------------------------------------------------------
def timed(client: Client, url: str) -> tuple[float, int]:
    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):  # uncapped, unlike connection.queries
        start = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - start
    assert response.status_code == 200, (url, response.status_code)
    return elapsed * 1000, queries


def measure(
    client: Client, url: str, runs: int, *, cold: bool = False, warm_up: bool = True
) -> dict:
    if cold:
        cache.clear()
    first = timed(client, url) if warm_up else None  # warm-up: caches, connection, plans
    results = [timed(client, url) for _ in range(runs)]
    first = first or results[0]
    return {
        "url": url,
        "runs": runs,
        "median_ms": statistics.median(ms for ms, _ in results),
        "min_ms": min(ms for ms, _ in results),
        "queries": results[-1][1],
        "first_ms": first[0],
        "first_queries": first[1],
    }


def fixed_version_if_unmigrated() -> None:
    """Run at version 0 on a bench database without the version row (see the docstring)."""
    if KnowledgeBaseVersion._meta.db_table not in connection.introspection.table_names():
        print("no knowledge-base version row here: run at a fixed version")
        core.cache._read = lambda using=None: 0


def main() -> None:
    fixed_version_if_unmigrated()
    client = Client()
    cases = {  # name: (ours, stock, the stock view is the six-minute one)
        "BY–IR dossier": ("/relations/by-ir/", "/stock-relations/by-ir/", True),
        "BY–IR as of 2015": ("/relations/by-ir/?as_of=2015", None, False),
        "AM–BY dossier": ("/relations/am-by/", "/stock-relations/am-by/", False),
        "relationships index": ("/relations/", "/stock-relations/", False),
    }
    pair = visibility.events().involving("BY", "IR").count()
    print(
        f"events: {Event.objects.count():,}; BY–IR visible: {pair:,}; runs per case: {RUNS}; "
        f"items per section: {build.SECTION_SIZE}"
    )
    print(
        f"{'case':<20} {'ours ms':>8} {'q':>3} {'cold ms':>8} {'q':>3}"
        f" {'stock ms':>10} {'q':>7} {'runs':>4} {'stock/ours':>10}"
    )
    # All of ours first, then the stock views: a stock dossier leaves hundreds of megabytes of
    # garbage behind, whose collection would land in our timings. Garbage is collected between
    # cases (not between runs: that is part of what a request costs).
    ours = {}
    for name, (ours_url, _stock_url, _busy) in cases.items():
        gc.collect()
        ours[name] = measure(client, ours_url, RUNS, cold=True)
    results = []
    for name, (_ours_url, stock_url, busy) in cases.items():
        stock = None
        if stock_url and STOCK_RUNS:
            gc.collect()
            runs = STOCK_BUSY_RUNS if busy else STOCK_RUNS
            stock = measure(client, stock_url, runs, warm_up=not busy)
        mine = ours[name]
        ratio = stock["median_ms"] / mine["median_ms"] if stock else None
        results.append({"case": name, "ours": mine, "stock": stock, "ratio": ratio})
        stock_text = (
            f"{stock['median_ms']:>10.1f} {stock['queries']:>7,} {stock['runs']:>4} {ratio:>9.0f}x"
            if stock
            else f"{'–':>10} {'':>7} {'':>4} {'':>10}"
        )
        print(
            f"{name:<20} {mine['median_ms']:>8.1f} {mine['queries']:>3} "
            f"{mine['first_ms']:>8.1f} {mine['first_queries']:>3} {stock_text}",
            flush=True,
        )
    out = Path(__file__).with_name("results")
    out.mkdir(exist_ok=True)
    name = f"dossier-{build.SECTION_SIZE}.json"
    (out / name).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    with override_settings(ROOT_URLCONF="bench.dossier_urls"):
        main()
