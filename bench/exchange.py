"""Export and import at scale: export_kb / import_kb against stock dumpdata / loaddata, one run.

    .venv/bin/python bench/exchange.py

Every step is a separate ``manage.py`` process, timed on the wall clock, with its own peak RSS
(reported by the process itself as it exits). PostgreSQL databases:

- ``BENCH_STOCK_URL`` (default ``…/relata_ex_20k``): where the stock commands are measured, and
  ours on the same data. Stock ``dumpdata --natural-foreign --natural-primary`` runs a query per
  row and relation (~130 events/s) and ``loaddata`` is slower still, so on 100,000 events they
  would take the best part of an hour: a 20,000-event database (``generate_kb --events 20000
  --seed 1``) is the default; set it to the 100,000-event one to compare there.
- ``BENCH_SMALL_URL`` (default ``…/relata_ex_100k``), ``BENCH_BIG_URL`` (default
  ``…/relata_bench``, 1,000,000 events): ours only. These databases are only read.
- Imports go into scratch databases made from an empty, migrated template
  (``BENCH_SCRATCH``, default ``relata_ex_bench``), dropped at the end.

``BENCH_SKIP`` takes step names to leave out (``stock,small,big``). Prints a table and writes
JSON to bench/results/exchange.json. Run it alone on the machine (with ``nice``): it measures
throughput, and other work skews it.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
SERVER = os.environ.get("BENCH_SERVER", "postgres://postgres@127.0.0.1:5432")
STOCK_URL = os.environ.get("BENCH_STOCK_URL", f"{SERVER}/relata_ex_20k")
SMALL_URL = os.environ.get("BENCH_SMALL_URL", f"{SERVER}/relata_ex_100k")
BIG_URL = os.environ.get("BENCH_BIG_URL", f"{SERVER}/relata_bench")
SCRATCH = os.environ.get("BENCH_SCRATCH", "relata_ex_bench")
SKIP = set(filter(None, os.environ.get("BENCH_SKIP", "").split(",")))
WORK = Path(os.environ.get("BENCH_DIR", tempfile.gettempdir())) / "relata-bench-exchange"
DUMP_MODELS = [
    "sources.source", "sources.footnote", "relations.country", "relations.domain",
    "relations.relationship", "relations.organisation", "relations.official",
    "relations.position", "relations.membership", "relations.agreement", "relations.event",
    "relations.statement", "relations.citation",
]  # fmt: skip
# Runs manage.py, then reports its own peak RSS (kB) on stderr: VmHWM, since Linux carries
# ru_maxrss over exec from the forking parent.
PEAK_RSS = (
    "import atexit, runpy, sys; atexit.register(lambda: sys.stderr.write(next("
    "'\\npeak-rss-kb ' + line.split()[1] + '\\n' for line in open('/proc/self/status') "
    "if line.startswith('VmHWM:')))); "
    "sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
)


def manage(url: str, *args: str, stdout=None) -> dict:
    """Run a management command against ``url``; its wall time and peak RSS."""
    env = os.environ | {"DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        stdout=stdout or subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seconds = time.monotonic() - started
    if done.returncode:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stderr[-3000:]}")
    peak = int(done.stderr.rsplit("peak-rss-kb ", 1)[1]) / 1024
    return {"seconds": round(seconds, 1), "peak_rss_mb": round(peak)}


def occurrences(path: Path, pattern: bytes) -> int:
    """How often ``pattern`` occurs in a file, read in chunks (never whole)."""
    found, tail, keep = 0, b"", len(pattern) - 1
    with path.open("rb") as f:
        while chunk := f.read(1 << 24):
            data = tail + chunk
            found += data.count(pattern)
            tail = data[-keep:]  # shorter than the pattern: nothing is counted twice
    return found


def count(path: Path) -> dict:
    """Records and events in a fixture (stock and ours both write '{"model": ...')."""
    return {
        "records": occurrences(path, b'{"model": '),
        "events": occurrences(path, b'{"model": "relations.event"'),
        "mb": round(path.stat().st_size / 2**20),
    }


def rates(step: dict, size: dict) -> dict:
    return (
        step
        | size
        | {
            "records_per_s": round(size["records"] / step["seconds"]),
            "events_per_s": round(size["events"] / step["seconds"]),
        }
    )


def admin(sql: str) -> None:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as connection:
        connection.execute(sql)


def template() -> str:
    """An empty, migrated database to copy scratch databases from."""
    name = f"{SCRATCH}_template"
    admin(f'DROP DATABASE IF EXISTS "{name}"')
    admin(f'CREATE DATABASE "{name}"')
    manage(f"{SERVER}/{name}", "migrate", "-v0")
    return name


def scratch(source: str, suffix: str) -> str:
    name = f"{SCRATCH}_{suffix}"
    admin(f'DROP DATABASE IF EXISTS "{name}"')
    admin(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    return f"{SERVER}/{name}"


def drop(url: str) -> None:
    admin(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}"')


def export_ours(url: str, name: str, *options: str) -> dict:
    path = WORK / f"{name}.json"
    step = manage(url, "export_kb", "--no-progress", "-o", str(path), *options)
    return rates(step, count(path)) | {"file": str(path)}


def import_ours(empty: str, path: str, name: str) -> dict:
    url = scratch(empty, name)
    try:
        step = manage(url, "import_kb", "--no-progress", path)
    finally:
        drop(url)
    return rates(step, count(Path(path)))


def main() -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    empty = template()
    results: dict = {}
    try:
        if "stock" not in SKIP:
            path = WORK / "stock.json"
            with path.open("w") as out:
                step = manage(
                    STOCK_URL, "dumpdata", *DUMP_MODELS, "--natural-foreign", "--natural-primary",
                    stdout=out,
                )  # fmt: skip
            results["stock dumpdata"] = rates(step, count(path))
            results["stock export_kb"] = export_ours(STOCK_URL, "stock-ours", "--include-drafts")
            url = scratch(empty, "loaddata")
            try:
                results["stock loaddata"] = rates(manage(url, "loaddata", str(path)), count(path))
            finally:
                drop(url)
            results["stock import_kb"] = import_ours(
                empty, results["stock export_kb"]["file"], "stock_import"
            )
        if "small" not in SKIP:
            results["100k export_kb"] = export_ours(SMALL_URL, "small", "--include-drafts")
            results["100k import_kb"] = import_ours(
                empty, results["100k export_kb"]["file"], "small_import"
            )
        if "big" not in SKIP:
            results["1M export_kb"] = export_ours(BIG_URL, "big", "--include-drafts")
            results["1M export_kb public"] = export_ours(BIG_URL, "big-public")
            results["1M import_kb"] = import_ours(empty, results["1M export_kb"]["file"], "big")
    finally:
        admin(f'DROP DATABASE IF EXISTS "{empty}"')

    print(f"{'step':<22} {'events':>9} {'records':>10} {'MB':>6} {'s':>8} {'records/s':>10} "
          f"{'events/s':>9} {'peak RSS MB':>11}")  # fmt: skip
    for name, r in results.items():
        print(
            f"{name:<22} {r['events']:>9,} {r['records']:>10,} {r['mb']:>6,} "
            f"{r['seconds']:>8,.1f} {r['records_per_s']:>10,} {r['events_per_s']:>9,} "
            f"{r['peak_rss_mb']:>11,}"
        )
    if "stock" not in SKIP:
        pairs = (("stock export_kb", "stock dumpdata"), ("stock import_kb", "stock loaddata"))
        for ours, stock in pairs:
            ratio = results[ours]["records_per_s"] / results[stock]["records_per_s"]
            results[f"{ours} / {stock}"] = round(ratio, 1)
            print(f"{ours} is {ratio:,.1f}× {stock} (records/s, same database)")
    out = Path(__file__).with_name("results")
    out.mkdir(exist_ok=True)
    (out / "exchange.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
