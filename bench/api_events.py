"""The API's event list against the timeline, same filter, same database, same run.

    DATABASE_URL=postgres://.../relata_bench .venv/bin/python bench/api_events.py

Both page with one keyset implementation (``relations.paging``); with a "from" date the API's
page should cost what the timeline's rows cost, not a walk of the date index from the first
event. Server time is measured in-process through Django's test client (no network), page
cache off, every other cache warm (two requests of each URL first), as the median of
``BENCH_RUNS`` runs of each URL in turn, with queries counted. Prints a table.
"""

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

from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

RUNS = int(os.environ.get("BENCH_RUNS", 11))
FILTER = "domain=economic&from=2005&to=2010&country=by&country=ir"
URLS = [
    ("timeline BY+IR", f"/timeline/?{FILTER}"),
    ("API BY+IR", f"/api/events/?{FILTER}"),
    ("timeline newest", f"/timeline/?{FILTER}&order=newest"),
    ("API BY+IR newest", f"/api/events/?{FILTER}&order=newest"),
    ("API BY+IR page 2", None),  # the first page's next link
    ("API, no filter", "/api/events/"),
    ("API agreements", "/api/agreements/"),
    ("API statements", "/api/statements/"),
]


def measure(client: Client, url: str) -> tuple[float, int, object]:
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        response = client.get(url, HTTP_ACCEPT_ENCODING="identity")
        elapsed = time.perf_counter() - start
    assert response.status_code == 200, (url, response.status_code, response.content[:500])
    return elapsed * 1000, len(queries), response


@override_settings(PAGE_CACHE_SECONDS=0)
def main() -> None:
    client = Client()
    urls = []
    for label, url in URLS:
        if url is None:
            first = client.get(f"/api/events/?{FILTER}").json()
            url = first["next"].split("testserver", 1)[1]
        for _ in range(2):  # warm: reference data, facets (the early events), plans
            measure(client, url)
        urls.append((label, url))
    times = {label: [] for label, _ in urls}
    counts = {label: set() for label, _ in urls}
    for _ in range(RUNS):  # interleaved, so that the machine's load falls on all alike
        for label, url in urls:
            ms, count, _ = measure(client, url)
            times[label].append(ms)
            counts[label].add(count)
    print(f"{'what':<20} {'median ms':>10} {'min ms':>8} {'queries':>8}")
    for label, _ in urls:
        counted = "/".join(str(c) for c in sorted(counts[label]))
        print(
            f"{label:<20} {statistics.median(times[label]):>10.1f} {min(times[label]):>8.1f}"
            f" {counted:>8}"
        )


if __name__ == "__main__":
    main()
