"""Requests per second under load: the public site served as in production, under wrk.

    DATABASE_URL=postgres://.../relata_bench .venv/bin/python bench/load.py \\
        [--duration 30] [--connections 16] [--workers 4] [--threads 1] \\
        [--scenarios cached,uncached,stock] [--url http://127.0.0.1:8080]

The site is served by gunicorn (``.venv/bin/gunicorn config.wsgi``, ``--workers`` processes;
sync workers, or gthread with ``--threads`` > 1) on a free loopback port, with
bench/load_settings.py: ``config.settings.production`` (DEBUG off, the shared Redis cache, the
page cache, the throttles with the loopback allowed) over plain HTTP. Its cache is the Redis
database ``--redis`` (default ``redis://127.0.0.1:6379/3``), flushed before the run
(``--no-flush`` keeps it; database 0 is never flushed). Nothing listens beyond 127.0.0.1.

The URL mix is read from the database at start, so it fits any generated knowledge base
(about 40 URLs; all are printed and written to the JSON): first pages of the timeline,
filtered; deep pages (``after=`` the event 10,000 events into the filter, the cursor the
timeline's "later" links carry, ``relations.filters.Cursor``); searches; the Belarus–Iran
dossier (the busiest pair), the same as of 2015, the Armenia–Belarus dossier (a mid-sized pair)
and the relationships index; entity pages (countries, the busiest and a middling organisation
and official, an event, an agreement, a source) and the home page; API lists (events by domain,
by pair, a second page, agreements, countries, a dossier). Every URL must answer 200 once before
the load starts, or the run stops. wrk (``-t2``, ``--connections``, ``--duration``) requests
them round robin through bench/load.lua, each as often as the others, with a browser's
``Accept-Encoding`` (``--accept-encoding``; "" for none), so pages are sent compressed as to
readers. Keep-alive is wrk's; gunicorn's sync workers close each connection after an answer.

Scenarios, each a row:

- **cached**: the page cache on (``PAGE_CACHE_SECONDS`` one hour), filled by one pass over the
  mix before wrk starts: what readers get between publishes.
- **uncached**: ``PAGE_CACHE_SECONDS=0``, the server restarted, the other caches (facets,
  rankings, dossier counts...) and the database warm after one pass: every request renders its
  page, as right after a publish. (A publish also changes the keys of those other caches, so the
  very first requests after one cost more than this.)
- **comparable, ours** and **comparable, stock**: the stock way has a timeline
  (bench/timeline.py's ``StockTimelineView``: the same filter, OFFSET pages with an exact count,
  no prefetching) and a dossier and index (bench/dossier.py), and nothing else — no entity
  pages, no API, no page cache. So both run the mix's subset that has a stock equivalent,
  uncached, on the same server: every timeline URL (a deep page is ``?page=N`` there, N the
  page holding the same events) and the Armenia–Belarus dossier and the index. The Belarus–Iran
  dossier is left out of both: its stock view makes some 300,000 queries and takes minutes at
  10^6 events (bench/dossier.py), longer than a run; "as of" has no stock equivalent. The stock
  row's p99 is of the answers that came within ``--timeout`` (default 10 s); the others are
  counted as timeouts, which are errors.

Errors are answers other than 200 (counted by bench/load.lua), plus wrk's socket errors
(connect, read, write) and timeouts. wrk counts a timeout each time it finds a request older
than ``--timeout`` (it looks every 2 s) and once more when the late answer comes, so the figure
is of such sightings, not of requests: read it as "none" or "some". p50 and p99 are wrk's
latency percentiles (ms), of the answers that came within ``--timeout``, from the moment the
request was written (waiting for a free worker included). req/s counts answers completed within
``--duration``. "CPU ms/req" is the CPU time gunicorn's processes ("app") and their
PostgreSQL sessions ("db", found by ``application_name``) used per answer, read from /proc: on
a machine busy with other work it moves far less than req/s does (other processes take wall
time from these, not CPU time; though caches are shared), so it is the figure to compare when
the machine is not quiet. After each scenario the script waits for what wrk left queued in
gunicorn, so that the next one starts clean.

``--url``: load a server already running there instead (e.g. nginx in front of several
gunicorns, deploy/try-on-one-machine.sh), with ``DATABASE_URL`` its primary database (for the
mix). No gunicorn is started and no Redis flushed; one scenario, **served**: one pass over the
mix (filling whatever caches that server has), then wrk. Its CPU figures are of every process
on the machine named gunicorn ("app"), postgres ("db", every cluster's) and nginx ("proxy"):
on a quiet machine only.

Prints the mix, a Markdown table, and the five slowest URLs requested alone (page cache off,
after a first pass), and writes bench/results/load.json: the mix, the settings of the run, each
URL's time requested alone (filling the page cache; page cache off; stock), and per scenario
wrk's figures, the non-200 statuses, the machine's load average before and after, and gunicorn's
worker timeouts, if any.

Sync or gthread workers, on 2 cores (measured at 10^6 events on a machine busy with other
work, load average 8-10; noisy): with the page cache warm, gthread (``--workers 2 --threads 4``
or ``4`` and ``2`` alike) answered 2-6 times as many requests per second as 4 sync workers, at
two thirds of the CPU time per answer (1.7 ms against 2.6: keep-alive, no connection accepted
and closed per answer); with it off the two were level (some 55 ms of Python and 265 ms of
PostgreSQL per answer: the database's time, not the workers', is what bounds it). The default
stays 4 sync workers, as docs/operations.md serves production; ``--workers 2 --threads 4``
measures the other.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import datetime
import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LUA = HERE / "load.lua"
DEEP = 10_000  # events into a filter, as bench/timeline.py and bench/before_after.py measure
BUSY_PAIR, MID_PAIR = ("by", "ir"), ("am", "by")
TARGETS = {  # issue 13: on 2 cores, 10^6 events, 16 connections
    "cached": {"rps": 150, "p99_ms": 250},
    "uncached": {"rps": 60},
}


# --- The URL mix ---------------------------------------------------------------------------------
def build_mix(database_url: str) -> tuple[list[dict], int]:
    """The URLs, each {"kind", "path", "stock"} (stock: its stock equivalent, or None), and the
    number of events. Read in this process through Django (bench.settings, a cache of its own)."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ.pop("REDIS_URL", None)  # this process only reads the database
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connections
    from django.db.models import Count
    from django.test import Client, RequestFactory

    from reader.timeline.request import Timeline
    from relations import visibility
    from relations.filters import DEFAULT_PER_PAGE, Cursor
    from relations.models import Event

    def deep(query: str) -> tuple[str, str] | None:
        """``after=`` DEEP events into the filter (half-way on a small database), and the stock
        timeline's page that starts with the same event; None for a filter of one page."""
        timeline = Timeline(RequestFactory().get("/timeline/?" + query))
        assert timeline.valid, query
        events = timeline.queryset.values_list("date_lower", "id")
        depth = DEEP
        row = events[depth - 1 : depth].first()
        if row is None:
            depth = timeline.queryset.count() // 2 // DEFAULT_PER_PAGE * DEFAULT_PER_PAGE
            row = events[depth - 1 : depth].first() if depth else None
        if row is None:
            return None
        after = urlencode({"after": str(Cursor(*row))})
        page = f"page={depth // DEFAULT_PER_PAGE + 1}"  # events depth+1... as after= shows
        return (f"{query}&{after}" if query else after, f"{query}&{page}" if query else page)

    def ranked(field: str) -> list[str]:
        through = getattr(Event, field).through.objects
        column = field.removesuffix("s")
        return list(
            through.values_list(f"{column}__slug", flat=True)
            .annotate(n=Count("id"))
            .order_by("-n", f"{column}__slug")
        )

    organisations, officials = ranked("organisations"), ranked("officials")
    busy_org, mid_org = organisations[0], organisations[len(organisations) // 2]
    busy_official, mid_official = officials[0], officials[len(officials) // 2]
    event = visibility.events().order_by("id").values_list("slug", flat=True).first()
    agreement = visibility.agreements().order_by("id").values_list("slug", flat=True).first()
    source = visibility.footnotes().order_by("id").values_list("source__slug", flat=True).first()

    by_ir = "domain=economic&from=2005&to=2010&country=by&country=ir"
    ru_economic = "domain=economic&from=2005&to=2010&country=ru"
    timeline_queries = [
        "",
        by_ir,
        ru_economic,
        "domain=energy",
        "country=by&country=ir",
        "country=us&order=newest",
        "domain=military&from=2014&to=2016",
        f"organisation={busy_org}",
        f"official={busy_official}",
        "agreement_kind=loan",
    ]
    mix = [
        {"kind": "timeline", "path": f"/timeline/?{q}" if q else "/timeline/", "stock": None}
        for q in timeline_queries
    ]
    deep_queries = [
        "",
        ru_economic,
        "domain=energy",
        "country=by&country=ir",
        "country=us&order=newest",
    ]
    for ours, stock in filter(None, map(deep, deep_queries)):
        mix.append(
            {
                "kind": "timeline, deep",
                "path": f"/timeline/?{ours}",
                "stock": f"/stock-timeline/?{stock}",
            }
        )
    for q in ["q=talks", "q=pipeline", "q=pipeline&country=ru", "q=nuclear+agreement"]:
        mix.append({"kind": "search", "path": f"/timeline/?{q}", "stock": None})
    for entry in mix:  # the stock timeline takes the same filter
        if entry["stock"] is None:
            entry["stock"] = entry["path"].replace("/timeline/", "/stock-timeline/", 1)
    busy, mid = "-".join(BUSY_PAIR), "-".join(MID_PAIR)
    mix += [
        # The stock busy dossier takes minutes a request: left out of the comparison.
        {"kind": "dossier", "path": f"/relations/{busy}/", "stock": None},
        {"kind": "dossier", "path": f"/relations/{busy}/?as_of=2015", "stock": None},
        {"kind": "dossier", "path": f"/relations/{mid}/", "stock": f"/stock-relations/{mid}/"},
        {"kind": "dossier", "path": "/relations/", "stock": "/stock-relations/"},
    ]
    entity_paths = [
        "/",
        "/countries/by/",
        "/countries/ir/",
        "/countries/ru/",
        "/countries/am/",
        f"/organisations/{busy_org}/",
        f"/organisations/{mid_org}/",
        f"/officials/{busy_official}/",
        f"/officials/{mid_official}/",
        f"/events/{event}/",
        f"/agreements/{agreement}/",
        f"/sources/{source}/",
    ]
    mix += [{"kind": "entity", "path": path, "stock": None} for path in entity_paths]
    first_api_page = "/api/events/?domain=energy"
    answer = Client(raise_request_exception=False).get(first_api_page)
    if answer.status_code != 200:
        raise SystemExit(f"{first_api_page} answered {answer.status_code}: no URL mix")
    second = urlsplit(answer.json()["next"])
    api_paths = [
        first_api_page,
        f"{second.path}?{second.query}",
        "/api/events/?country=by&country=ir",
        "/api/agreements/",
        "/api/countries/",
        f"/api/relations/{busy}/",
    ]
    mix += [{"kind": "API", "path": path, "stock": None} for path in api_paths]
    events = Event.objects.count()
    connections.close_all()
    return mix, events


# --- The server ----------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(
    host: str, port: int, path: str, encoding: str, timeout: float
) -> tuple[int, bytes, float]:
    """One GET on a connection of its own: (status, body, ms)."""
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        start = time.perf_counter()
        connection.request("GET", path, headers={"Accept-Encoding": encoding} if encoding else {})
        response = connection.getresponse()
        body = response.read()
        return response.status, body, (time.perf_counter() - start) * 1000
    finally:
        connection.close()


class Gunicorn:
    """One gunicorn on the loopback, in a session of its own (stopped with all its workers)."""

    def __init__(self, args: argparse.Namespace, page_cache_seconds: int, log: Path) -> None:
        self.port, self.log = free_port(), log
        self.base = f"http://127.0.0.1:{self.port}"
        self.slots = args.workers * args.threads
        # Its database sessions carry this name, so their CPU time can be told from others'.
        self.name, self.database_url = f"relata-load-{self.port}", args.database_url
        separator = "&" if "?" in args.database_url else "?"
        binary = ROOT / ".venv" / "bin" / "gunicorn"
        command = [str(binary)] if binary.exists() else [sys.executable, "-m", "gunicorn"]
        command += ["config.wsgi", "--bind", f"127.0.0.1:{self.port}"]
        command += ["--workers", str(args.workers), "--timeout", "120", "--log-level", "warning"]
        if args.threads > 1:
            command += ["--worker-class", "gthread", "--threads", str(args.threads)]
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.load_settings",
            "DATABASE_URL": f"{args.database_url}{separator}application_name={self.name}",
            "REDIS_URL": args.redis,
            "SECRET_KEY": secrets.token_urlsafe(60),
            "ALLOWED_HOSTS": "127.0.0.1",
            "THROTTLE_ALLOW_IPS": "127.0.0.1,::1",
            "PAGE_CACHE_SECONDS": str(page_cache_seconds),
            "DEBUG": "0",
        }
        self.log_file = log.open("a")
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            self._wait_ready()
        except BaseException:  # Ctrl-C included: never leave it running
            self.stop()
            raise

    def _wait_ready(self) -> None:
        """Until /healthz says the database and the cache answer (no task worker runs here)."""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            with contextlib.suppress(OSError, ValueError):
                _, body, _ = self.get("/healthz?format=json", timeout=10)
                checks = json.loads(body)
                if checks.get("database") == "OK" and checks.get("cache") == "OK":
                    return
            time.sleep(0.5)
        raise SystemExit(f"gunicorn did not become ready; its log:\n{self.log.read_text()[-3000:]}")

    def get(self, path: str, encoding: str = "", timeout: float = 600) -> tuple[int, bytes, float]:
        return fetch("127.0.0.1", self.port, path, encoding, timeout)

    def drain(self) -> None:
        """Wait for the requests wrk left behind: its connections are closed, but gunicorn
        still answers what it had queued. A probe answers once the queue ahead of it has been
        taken; then one probe a worker (thread), together, once each has finished its own."""
        self.get("/healthz")
        with concurrent.futures.ThreadPoolExecutor(self.slots) as pool:
            list(pool.map(lambda _: self.get("/healthz"), range(self.slots)))

    def cpu(self) -> dict[str, dict[int, float]]:
        """CPU seconds so far, by process: gunicorn's (master and workers: its process group)
        and its database sessions' (PostgreSQL backends on this machine)."""
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True) as connection:
            backends = connection.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = %s", [self.name]
            ).fetchall()
        app = {pid: seconds for pid, group, seconds in processes() if group == self.process.pid}
        db = {pid: seconds for pid, _, seconds in processes({pid for (pid,) in backends})}
        return {"app": app, "db": db}

    def worker_timeouts(self) -> int:
        return self.log.read_text().count("WORKER TIMEOUT")

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log_file.close()


class Remote:
    """A server already running at ``url`` (``--url``): loaded, never started or stopped."""

    def __init__(self, url: str, slots: int) -> None:
        parts = urlsplit(url)
        self.base, self.host, self.port = url.rstrip("/"), parts.hostname, parts.port or 80
        self.slots = slots

    def get(self, path: str, encoding: str = "", timeout: float = 600) -> tuple[int, bytes, float]:
        return fetch(self.host, self.port, path, encoding, timeout)

    def drain(self) -> None:
        """As Gunicorn.drain: one probe a connection wrk had, together."""
        with concurrent.futures.ThreadPoolExecutor(self.slots) as pool:
            list(pool.map(lambda _: self.get("/healthz"), range(self.slots)))

    def cpu(self) -> dict[str, dict[int, float]]:
        """CPU seconds so far of every gunicorn, postgres and nginx process on the machine."""
        found: dict[str, dict[int, float]] = {"app": {}, "db": {}, "proxy": {}}
        for pid, _, seconds in processes():
            try:
                comm = Path(f"/proc/{pid}/comm").read_text().strip()
                command = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:  # gone
                continue
            if b"gunicorn" in command:  # master and workers, whatever their title
                found["app"][pid] = seconds
            elif comm in ("postgres", "nginx"):
                found["db" if comm == "postgres" else "proxy"][pid] = seconds
        return found

    def worker_timeouts(self) -> int:
        return 0  # its log is not ours to read

    def stop(self) -> None:
        pass


def processes(pids: set[int] | None = None) -> list[tuple[int, int, float]]:
    """(pid, process group, CPU seconds used) of ``pids``, or of every process (/proc)."""
    found = []
    for pid in (
        pids
        if pids is not None
        else (int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit())
    ):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone, or not ours to read
            continue
        # After "(comm)": state, ppid, pgrp, ... utime and stime are the 14th and 15th fields.
        ticks = int(fields[11]) + int(fields[12])
        found.append((pid, int(fields[2]), ticks / os.sysconf("SC_CLK_TCK")))
    return found


def flush(redis_url: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    database = client.connection_pool.connection_kwargs.get("db", 0)
    if int(database) == 0:
        raise SystemExit(f"{redis_url} is Redis database 0: give another (--redis) or --no-flush")
    client.flushdb()


# --- Running ----------------------------------------------------------------------------------
def warm(server: Gunicorn, paths: list[str], encoding: str) -> dict[str, float]:
    """One request to each path, in order: each must answer 200. Returns their times (ms)."""
    times, failed = {}, []
    for path in paths:
        status, _, ms = server.get(path, encoding)
        times[path] = ms
        if status != 200:
            failed.append(f"{status} {path}")
    if failed:
        raise SystemExit("Not every URL of the mix answers 200:\n  " + "\n  ".join(failed))
    return times


def run_wrk(server: Gunicorn, paths: list[str], args: argparse.Namespace, work: Path) -> dict:
    urls = work / "urls.txt"
    urls.write_text("".join(f"{path}\n" for path in paths))
    command = [
        args.wrk,
        "-t",
        str(args.wrk_threads),
        "-c",
        str(args.connections),
        "-d",
        f"{args.duration}s",
        "--timeout",
        f"{args.timeout}s",
        "-s",
        str(LUA),
        server.base,
        "--",
        str(urls),
        str(args.wrk_threads),
        args.accept_encoding,
    ]
    load_before, cpu_before = os.getloadavg()[0], server.cpu()
    output = subprocess.run(command, capture_output=True, text=True, check=False)
    lines = [line for line in output.stdout.splitlines() if line.startswith("LOAD-RESULT ")]
    if output.returncode or not lines:
        raise SystemExit(f"wrk failed ({output.returncode}):\n{output.stdout}\n{output.stderr}")
    result = json.loads(lines[-1].removeprefix("LOAD-RESULT "))
    result["rps"] = result["requests"] / result["duration_s"]
    result["errors"] = sum(
        result[name] for name in ("non_200", "connect", "read", "write", "timeout")
    )
    result["load_average"] = {"before": load_before, "after": os.getloadavg()[0]}
    cpu_after = server.cpu()
    result["cpu_ms_per_request"] = {  # a process that started meanwhile counts from 0
        side: sum(seconds - cpu_before[side].get(pid, 0) for pid, seconds in after.items())
        * 1000
        / max(result["requests"], 1)
        for side, after in cpu_after.items()
    }
    return result


def scenario(
    name: str, server: Gunicorn, paths: list[str], args: argparse.Namespace, work: Path
) -> dict:
    timeouts_before = server.worker_timeouts()
    print(f"  {name}: {len(paths)} URLs, {args.duration} s ...", flush=True)
    result = run_wrk(server, paths, args, work)
    server.drain()
    result["worker_timeouts"] = server.worker_timeouts() - timeouts_before
    return {"scenario": name, "urls": len(paths), **result}


def interrupted(signum, frame) -> None:
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=30, help="seconds per scenario")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=1, help="> 1: gthread workers")
    parser.add_argument("--timeout", type=int, default=10, help="wrk's, seconds")
    parser.add_argument(
        "--scenarios",
        default="cached,uncached,stock",
        help="any of cached, uncached, stock (stock: both comparable rows)",
    )
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/3")
    parser.add_argument("--no-flush", action="store_true", help="keep the Redis database")
    parser.add_argument("--accept-encoding", default="gzip, deflate, br")
    parser.add_argument("--wrk", default="wrk")
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument(
        "--url",
        help="load a server already running there (e.g. http://127.0.0.1:8080): one scenario",
    )
    args = parser.parse_args()
    args.database_url = os.environ.get(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/relata_bench"
    )
    wanted = {name.strip() for name in args.scenarios.split(",")}
    unknown = wanted - {"cached", "uncached", "stock"}
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")

    mix, events = build_mix(args.database_url)
    paths = [entry["path"] for entry in mix]
    comparable = [entry for entry in mix if entry["stock"]]
    print(f"database: {urlsplit(args.database_url).path.lstrip('/')} ({events:,} events)")
    server = (
        f"server at {args.url}"
        if args.url
        else f"gunicorn: {args.workers} {'gthread' if args.threads > 1 else 'sync'} workers"
        + (f" x {args.threads} threads" if args.threads > 1 else "")
    )
    print(
        server + f"; wrk -t{args.wrk_threads} -c{args.connections} -d{args.duration}s"
        f" --timeout {args.timeout}s; {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}"
    )
    print("URL mix:")
    for entry in mix:
        stock = f"  (stock: {entry['stock']})" if entry["stock"] else ""
        print(f"  {entry['kind']:<15} {entry['path']}{stock}")
    if not args.no_flush and not args.url:
        flush(args.redis)

    results: list[dict] = []
    alone: dict[str, dict[str, float]] = {}  # each URL requested alone (ms)
    servers: list[Gunicorn] = []
    signal.signal(signal.SIGTERM, interrupted)  # as Ctrl-C: through the finally below
    with tempfile.TemporaryDirectory(prefix="relata-load-") as tmp:
        work = Path(tmp)
        try:
            if args.url:
                remote = Remote(args.url, args.connections)
                alone["first pass"] = warm(remote, paths, args.accept_encoding)
                results.append(scenario("served", remote, paths, args, work))
            if "cached" in wanted and not args.url:
                server = Gunicorn(args, 60 * 60, work / "gunicorn-cached.log")
                servers.append(server)
                alone["filling the page cache"] = warm(server, paths, args.accept_encoding)
                results.append(scenario("cached", server, paths, args, work))
                server.stop()
            if wanted & {"uncached", "stock"} and not args.url:
                server = Gunicorn(args, 0, work / "gunicorn-uncached.log")
                servers.append(server)
                warm(server, paths, args.accept_encoding)
                alone["page cache off, second pass"] = warm(
                    server, paths, args.accept_encoding
                )  # timed
                if "uncached" in wanted:
                    results.append(scenario("uncached", server, paths, args, work))
                if "stock" in wanted:
                    ours = [entry["path"] for entry in comparable]
                    stock = [entry["stock"] for entry in comparable]
                    results.append(scenario("comparable, ours", server, ours, args, work))
                    alone["stock, first pass"] = warm(server, stock, args.accept_encoding)
                    results.append(scenario("comparable, stock", server, stock, args, work))
                server.stop()
        finally:
            for server in servers:
                server.stop()

    print()
    print(table(results))
    for line in verdicts(results):
        print(line)
    slowest = sorted(
        alone.get("page cache off, second pass", {}).items(), key=lambda item: -item[1]
    )[:5]
    if slowest:
        print("slowest URLs, one request each, page cache off, after a first pass:")
        for path, ms in slowest:
            print(f"  {ms:8.1f} ms  {path}")
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    report = {
        "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "database": urlsplit(args.database_url).path.lstrip("/"),
        "events": events,
        "cpus": os.cpu_count(),
        "settings": {
            "gunicorn_workers": args.workers,
            "gunicorn_threads": args.threads,
            "worker_class": "gthread" if args.threads > 1 else "sync",
            "connections": args.connections,
            "wrk_threads": args.wrk_threads,
            "duration_s": args.duration,
            "timeout_s": args.timeout,
            "accept_encoding": args.accept_encoding,
            "url": args.url,
        },
        "mix": mix,
        "alone_ms": alone,
        "scenarios": results,
    }
    (out / "load.json").write_text(json.dumps(report, indent=2))


def table(results: list[dict]) -> str:
    lines = [
        "| scenario | URLs | req/s | p50 ms | p99 ms | errors | CPU ms/req (app + db) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in results:
        kinds = [
            f"{row['non_200']} not 200" if row["non_200"] else "",
            *(f"{row[k]} {k}" for k in ("connect", "read", "write", "timeout") if row[k]),
        ]
        detail = ", ".join(filter(None, kinds))
        errors = f"{row['errors']}" + (f" ({detail})" if detail else "")
        cpu = row["cpu_ms_per_request"]
        proxy = f" + {cpu['proxy']:.1f} proxy" if "proxy" in cpu else ""
        lines.append(
            f"| {row['scenario']} | {row['urls']} | {row['rps']:.1f} | {row['p50_ms']:.1f} "
            f"| {row['p99_ms']:.1f} | {errors} | {cpu['app']:.1f} + {cpu['db']:.1f}{proxy} |"
        )
    return "\n".join(lines)


def verdicts(results: list[dict]) -> list[str]:
    """Issue 13's targets (2 cores, 10^6 events, 16 connections), met or not by this run."""
    lines = []
    for row in results:
        target = TARGETS.get(row["scenario"])
        if not target:
            continue
        met = row["rps"] >= target["rps"] and row["errors"] == 0
        words = f"≥ {target['rps']} req/s, 0 errors"
        if "p99_ms" in target:
            met = met and row["p99_ms"] <= target["p99_ms"]
            words += f", p99 ≤ {target['p99_ms']} ms"
        lines.append(f"target {row['scenario']}: {words}: {'met' if met else 'NOT met'}")
    return lines


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:  # gunicorn and wrk already stopped (the finally above)
        raise SystemExit("interrupted") from None
