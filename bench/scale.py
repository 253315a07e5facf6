"""The same pages at two sizes: 10^7 events against 10^6, one run, the same machine.

    .venv/bin/python bench/scale.py \\
        postgres://postgres@127.0.0.1:5432/relata_bench \\
        postgres://postgres@127.0.0.1:5432/relata_10m [--runs 5]

A benchmark run, never part of CI: it needs the two generated databases,
``generate_kb --events 1000000 --seed 1`` and ``generate_kb --events 10000000 --seed 1`` (the
second took 34 minutes and made 28 GB here, with 40 GB free needed; docs/performance.md,
"Ten million events").

Each database gets the load benchmark's URL mix (bench/load.py ``build_mix``: the timeline first
and deep pages, searches, the busiest and a mid-sized dossier, entity pages, the API), measured
in a process of its own through Django's test client (no network), page cache off, every other
cache warm (two requests of each URL first), as the median of ``--runs`` runs of each URL in
turn, with queries counted. URLs that name a record (the busiest organisation...) are read from
each database, so they are the same *kind* of page, not the same page. Prints a table, the
largest ratio and the issue's target (within 1.5x), and writes bench/results/scale.json with the
databases' sizes and their biggest tables and indexes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
TARGET = 1.5  # issue 14: every page at 10^7 within 1.5x its time at 10^6


def measure_one(database_url: str, runs: int) -> dict:
    """In this process: the mix on ``database_url``, timed (called by the child processes)."""
    sys.path.insert(0, str(ROOT))
    from bench.load import build_mix

    mix, events = build_mix(database_url)  # sets up Django on bench.settings
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    client = Client(raise_request_exception=False)

    def get(path: str) -> tuple[float, int]:
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(path, HTTP_ACCEPT_ENCODING="identity")
            elapsed = (time.perf_counter() - start) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code} on {database_url}")
        return elapsed, len(queries)

    with override_settings(PAGE_CACHE_SECONDS=0):
        cold = {entry["path"]: get(entry["path"])[0] for entry in mix}
        for entry in mix:
            get(entry["path"])
        times: dict[str, list[float]] = {entry["path"]: [] for entry in mix}
        queries: dict[str, int] = {}
        for _ in range(runs):  # interleaved, so the machine's drift falls on every URL alike
            for entry in mix:
                ms, count = get(entry["path"])
                times[entry["path"]].append(ms)
                queries[entry["path"]] = count
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        size = cursor.fetchone()[0]
        cursor.execute(
            "SELECT c.relname, c.relkind, pg_relation_size(c.oid) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' "
            "ORDER BY 3 DESC LIMIT 15"
        )
        biggest = [{"name": n, "kind": k, "bytes": b} for n, k, b in cursor.fetchall()]
    return {
        "database": database_url.rsplit("/", 1)[1],
        "events": events,
        "bytes": size,
        "biggest": biggest,
        "urls": [
            {
                "kind": entry["kind"],
                "path": entry["path"],
                "cold_ms": cold[entry["path"]],
                "median_ms": statistics.median(times[entry["path"]]),
                "queries": queries[entry["path"]],
            }
            for entry in mix
        ],
    }


def shape(path: str) -> str:
    """A URL with the record it names left out, as the table shows it."""
    for prefix in ("/organisations/", "/officials/", "/events/", "/agreements/", "/sources/"):
        if path.startswith(prefix):
            return prefix + "…"
    for name in ("organisation=", "official="):
        if name in path:
            head, _, tail = path.partition(name)
            return head + name + "…" + (("&" + tail.split("&", 1)[1]) if "&" in tail else "")
    if "after=" in path:  # a deep page: the cursor differs, the depth does not
        return path.split("after=")[0] + "after=…"
    if "cursor=" in path:
        return path.split("cursor=")[0] + "cursor=…"
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("small", help="DATABASE_URL of the 10^6 database")
    parser.add_argument("large", help="DATABASE_URL of the 10^7 database")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--one", help=argparse.SUPPRESS)  # child: measure this URL, print JSON
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure_one(args.one, args.runs)))
        return
    results = []
    for url in (args.small, args.large):
        env = {**os.environ, "PAGE_CACHE_SECONDS": "0"}
        env.pop("REDIS_URL", None)
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                args.small,
                args.large,
                "--runs",
                str(args.runs),
                "--one",
                url,
            ],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
    small, large = results
    # build_mix makes the same list at any size (the records it names differ): pair by place.
    if [u["kind"] for u in small["urls"]] != [u["kind"] for u in large["urls"]]:
        raise SystemExit("the two databases gave different URL mixes; see bench/load.py")
    print(
        f"{small['database']}: {small['events']:,} events, {small['bytes'] / 2**30:.1f} GiB; "
        f"{large['database']}: {large['events']:,} events, {large['bytes'] / 2**30:.1f} GiB"
    )
    print(f"{'kind':<16} {'URL':<62} {'10^6 ms':>8} {'10^7 ms':>8} {'ratio':>6} {'q':>5}")
    ratios = []
    for u, other in zip(small["urls"], large["urls"], strict=True):
        ratio = other["median_ms"] / u["median_ms"]
        ratios.append((ratio, u["path"]))
        print(
            f"{u['kind']:<16} {shape(u['path'])[:62]:<62} {u['median_ms']:>8.1f} "
            f"{other['median_ms']:>8.1f} {ratio:>6.2f} {u['queries']:>2}/{other['queries']:<2}"
        )
    mean = [statistics.mean(r["median_ms"] for r in db["urls"]) for db in results]
    print(f"mean over the mix: {mean[0]:.1f} ms at 10^6, {mean[1]:.1f} ms at 10^7")
    worst = max(ratios)
    over = [path for ratio, path in ratios if ratio > TARGET]
    print(f"largest ratio {worst[0]:.2f} ({worst[1]}); {len(over)} URLs over {TARGET}x")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "scale.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
