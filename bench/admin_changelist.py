"""Event changelist at scale: our admin against the stock configuration, same database, same run.

    DATABASE_URL=postgres://.../relata_bench .venv/bin/python bench/admin_changelist.py

Server time is measured in-process through Django's test client (no network), as the median
of several runs after a warm-up; queries are counted too. Prints a table and writes JSON to
bench/results/.
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

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from relations.models import Domain, Event  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", 5))


def measure(client: Client, url: str) -> dict:
    client.get(url)  # warm-up: caches, connection, plans
    times = []
    for _ in range(RUNS):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - start)
        assert response.status_code == 200, (url, response.status_code)
    return {"url": url, "median_ms": statistics.median(times) * 1000, "queries": len(queries)}


def main() -> None:
    user, _ = get_user_model().objects.get_or_create(
        username="bench", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    energy = Domain.objects.get(slug="energy")
    word = os.environ.get("BENCH_SEARCH", "pipeline")
    cases = {
        "first page": ("", ""),
        "domain + status": (
            "?domain=energy&status__exact=published",
            f"?domains__id__exact={energy.pk}&status__exact=published",
        ),
        "1,000 pages deep": ("?p=1000", "?p=1000"),
        "title search": (f"?q={word}", f"?q={word}"),
    }
    print(f"events: {Event.objects.count():,}; runs per case: {RUNS}")
    print(f"{'case':<18} {'ours ms':>9} {'q':>3} {'stock ms':>9} {'q':>3} {'stock/ours':>10}")
    results = []
    for name, (ours_query, stock_query) in cases.items():
        ours = measure(client, f"/admin/relations/event/{ours_query}")
        stock = measure(client, f"/stock-admin/relations/event/{stock_query}")
        ratio = stock["median_ms"] / ours["median_ms"]
        results.append({"case": name, "ours": ours, "stock": stock, "ratio": ratio})
        print(
            f"{name:<18} {ours['median_ms']:>9.1f} {ours['queries']:>3} "
            f"{stock['median_ms']:>9.1f} {stock['queries']:>3} {ratio:>9.1f}x"
        )
    out = Path(__file__).with_name("results")
    out.mkdir(exist_ok=True)
    (out / "admin_changelist.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
