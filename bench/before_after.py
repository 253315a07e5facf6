"""Two checkouts of Relata against each other on the same database, requests alternated.

    DATABASE_URL=postgres://.../relata_bench .venv/bin/python bench/before_after.py \\
        --before /path/to/old/checkout [--after .] [--runs 25]

Each checkout is served by its own gunicorn (one sync worker, ``bench.settings``: DEBUG off) on
a loopback port, from this virtualenv. Every URL is requested once from each for warm-up, then
``--runs`` times from each, alternating (before, after, after, before, ...) so that drift in
the machine's load falls on both alike. A time is the whole HTTP exchange, body read. Prints
medians per URL and the ratio after/before, and writes bench/results/before_after.json.

The URLs are the public pages' (bench/timeline.py and bench/dossier.py measure against the
stock Django way; this script measures us against ourselves, for a regression budget).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psycopg

HERE = Path(__file__).resolve().parent
DEEP = 10_000  # events into the filter, as bench/timeline.py measures


def deep_token(database_url: str, where: str = "") -> str:
    """The keyset position DEEP published events into a filter (the timeline's ?after=)."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT e.date_lower, e.id FROM relations_event e "
            f"WHERE e.status = 'published' {where} "
            "ORDER BY e.date_lower, e.id OFFSET %s LIMIT 1",
            [DEEP - 1],
        ).fetchone()
    return f"{row[0].isoformat()}.{row[1]}"


def urls(database_url: str) -> dict[str, str]:
    by_ir = "?domain=economic&from=2005&to=2010&country=by&country=ir"
    ru = "?domain=economic&from=2005&to=2010&country=ru"
    ru_where = (
        "AND e.id IN (SELECT ec.event_id FROM relations_event_countries ec "
        "JOIN relations_country c ON c.id = ec.country_id WHERE c.code = 'RU') "
        "AND e.id IN (SELECT ed.event_id FROM relations_event_domains ed "
        "JOIN relations_domain d ON d.id = ed.domain_id WHERE d.slug = 'economic') "
        "AND e.date_lower <= '2010-12-31' AND e.date_upper >= '2005-01-01'"
    )
    return {
        "timeline BY+IR, first page": f"/timeline/{by_ir}",
        "timeline RU, first page": f"/timeline/{ru}",
        f"timeline RU, {DEEP:,} deep": f"/timeline/{ru}&after={deep_token(database_url, ru_where)}",
        "timeline, all, first page": "/timeline/",
        f"timeline, all, {DEEP:,} deep": f"/timeline/?after={deep_token(database_url)}",
        "dossier BY–IR": "/relations/by-ir/",
        "dossier BY–IR as of 2015": "/relations/by-ir/?as_of=2015",
        "dossier AM–BY": "/relations/am-by/",
        "relationships index": "/relations/",
    }


class Server:
    def __init__(self, name: str, checkout: Path, port: int, database_url: str) -> None:
        self.name, self.port = name, port
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "PYTHONPATH": str(checkout),
        }
        env.pop("REDIS_URL", None)  # both with their per-process cache: the same for each
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--timeout",
                "300",
                "--log-level",
                "warning",
            ],
            cwd=checkout,
            env=env,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                self.get("/")
                return
            except OSError:
                time.sleep(0.3)
        raise SystemExit(f"{name}: gunicorn did not answer on port {port}")

    def get(self, url: str) -> float:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        start = time.perf_counter()
        connection.request("GET", url)
        response = connection.getresponse()
        response.read()
        elapsed = time.perf_counter() - start
        connection.close()
        if response.status != 200:
            raise SystemExit(f"{self.name}: {url} answered {response.status}")
        return elapsed * 1000

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--after", type=Path, default=HERE.parent)
    parser.add_argument("--runs", type=int, default=25)
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/relata_bench")
    cases = urls(database_url)
    before = Server("before", args.before.resolve(), 8301, database_url)
    after = Server("after", args.after.resolve(), 8302, database_url)
    results = []
    try:
        print(f"{'case':<30} {'before ms':>10} {'after ms':>10} {'after/before':>13}")
        for name, url in cases.items():
            for server in (before, after):
                server.get(url)  # warm-up: caches, plans, connections
            times = {"before": [], "after": []}
            for run in range(args.runs):
                pair = (before, after) if run % 2 == 0 else (after, before)
                for server in pair:
                    times[server.name].append(server.get(url))
            b, a = statistics.median(times["before"]), statistics.median(times["after"])
            results.append({"case": name, "url": url, "before_ms": b, "after_ms": a})
            print(f"{name:<30} {b:>10.1f} {a:>10.1f} {a / b:>13.2f}", flush=True)
    finally:
        before.stop()
        after.stop()
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "before_after.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
