"""The fault test: a real gunicorn through a real database outage, and back, without a restart.

A throwaway PostgreSQL cluster (``pg_createcluster``, its own port and data directory, trust
authentication; the system cluster is never touched) holds a copy of the ``knowledge_base``
(conftest.py) with 1,900 more events, their summaries padded: an export is then too big for
the sockets' buffers, and needs more than one round trip to the database (EXPORT_CHUNK).
gunicorn serves it with persistent, health-checked connections (tests/servers/faults.py)
while client threads keep requesting pages, the API, exports and /healthz. Then:

1. two big exports (CSV, JSON) are started and left unread, so the server is blocked mid-stream;
2. the cluster is stopped (``pg_ctlcluster stop -m fast``): every answer is 200 (a cached page)
   or 503 with Retry-After, never another 5xx, never a hang; /healthz is 503; the exports end
   with their ``#incomplete`` line and an aborted chunked body (the client reads an incomplete
   body, never a clean end);
3. the cluster is started again: /healthz and every page answer 200, from the same gunicorn
   worker processes.

The cluster is dropped afterwards, whatever happens.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from reader.timeline.exports import INCOMPLETE
from tests.ops.conftest import manage_shell, run

ROOT = Path(__file__).resolve().parents[2]
EXTRA_EVENTS = 1_900  # with the knowledge base's, more than EXPORT_CHUNK
# ~5 kB an event: ~11 MB of CSV, more than the kernel buffers between server and client hold
# (the server's send buffer grows to 4 MB), so the server blocks mid-stream.
SUMMARY = "A long summary, as some are. " * 170
WINDOW = 32 * 1024
TIMEOUT = 10  # no request may take longer, outage or not
URLS = [
    "/",
    "/timeline/",
    "/timeline/?country=by&from=2005",
    "/relations/",
    "/countries/by/",
    "/api/events/?country=ir",
    "/api/relations/by-ir/",
    "/timeline.json?country=by&domain=energy",
    "/healthz",
]

# django_db: only so that pytest-django makes the test database ``knowledge_base`` copies.
pytestmark = [pytest.mark.slow, pytest.mark.django_db]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A PostgreSQL cluster of its own: created, stopped, started and dropped by this test."""

    def __init__(self) -> None:
        newest = max(os.listdir("/etc/postgresql"), key=lambda v: [int(p) for p in v.split(".")])
        self.version, self.port = newest, free_port()
        self.name = f"relata_faults_{os.getpid()}_{self.port}"
        self.data = Path(tempfile.gettempdir()) / self.name  # pg_createcluster makes it
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/relata"

    def ctl(self, action: str, *options: str) -> None:
        # Never systemd's unit: this cluster is ours alone (bin/test does the same).
        run("pg_ctlcluster", "--skip-systemctl-redirect", self.version, self.name, action, *options)

    def create(self) -> None:
        run(
            *("pg_createcluster", self.version, self.name, "-p", str(self.port)),
            *("-d", str(self.data), "--start-conf", "manual"),
            # Throwaway: no durability, so it starts and fills fast.
            *("-o", "fsync=off", "-o", "synchronous_commit=off", "-o", "full_page_writes=off"),
            *("--", "--auth=trust", "--no-sync"),
        )
        self.ctl("start")

    def drop(self) -> None:
        subprocess.run(
            ["pg_dropcluster", "--stop", self.version, self.name], capture_output=True, check=False
        )
        shutil.rmtree(self.data, ignore_errors=True)


@pytest.fixture
def cluster(knowledge_base):
    if not (shutil.which("pg_createcluster") and os.access("/etc/postgresql", os.W_OK)):
        pytest.skip("needs Debian's postgresql-common and write access to /etc/postgresql")
    cluster = Cluster()
    try:
        cluster.create()
        run("createdb", "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres", "relata")
        dump = subprocess.Popen(
            ["pg_dump", "-Fc", "-d", knowledge_base.url(knowledge_base.full)],
            stdout=subprocess.PIPE,
        )
        run("pg_restore", "--no-owner", "-d", cluster.url, stdin=dump.stdout)
        assert dump.wait() == 0
        manage_shell(
            cluster.url,
            "from django.core.management import call_command as c; "
            f"c('generate_kb', seed=2, events={EXTRA_EVENTS}, no_progress=True, verbosity=0); "
            "from relations.models import Event; "
            f"Event.objects.update(summary={SUMMARY!r})",
        )
        yield cluster
    finally:
        cluster.drop()


class Server:
    """gunicorn on the throwaway cluster: two workers of four threads (two of them for the
    exports the test leaves blocked), loaded once (--preload) to start fast."""

    def __init__(self, database_url: str) -> None:
        self.port = free_port()
        env = {
            **os.environ,
            # connect_timeout: a server that does not answer at all cannot hold a worker long.
            "DATABASE_URL": f"{database_url}?connect_timeout=3",
            "DJANGO_SETTINGS_MODULE": "tests.servers.faults",
        }
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "gunicorn", "config.wsgi"),
                *("-b", f"127.0.0.1:{self.port}", "-w", "2", "--threads", "4", "--preload"),
                *("--log-level", "critical"),  # the outage's tracebacks are expected
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if self.get("/healthz").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("gunicorn did not start")

    def connect(self) -> http.client.HTTPConnection:
        return SmallWindow("127.0.0.1", self.port, timeout=TIMEOUT)

    def get(self, url: str) -> Answer:
        connection = self.connect()
        try:
            started = time.monotonic()
            connection.request("GET", url, headers={"Host": "localhost"})
            response = connection.getresponse()
            answer = Answer(url, response.status, response.getheader("Retry-After"), started)
            try:
                response.read()
            except http.client.IncompleteRead as cut:  # an export the outage broke
                answer.cut, answer.tail = True, cut.partial[-200:].decode(errors="replace")
            return answer
        finally:
            connection.close()

    def workers(self) -> set[int]:
        """The worker processes' ids (Linux: the master's children)."""
        pid = self.process.pid
        return {int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=20)


class SmallWindow(http.client.HTTPConnection):
    """A client offering a small receive window: an export it does not read blocks the server
    after ~100 kB, whatever the kernel's buffer sizes."""

    def connect(self) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, WINDOW)
        self.sock.settimeout(self.timeout)
        self.sock.connect((self.host, self.port))


@dataclass
class Answer:
    url: str
    status: int | None  # None: no answer (an error, a timeout)
    retry_after: str | None
    started: float
    ended: float = 0.0
    error: str = ""
    cut: bool = False  # the body ended without HTTP's end of a chunked body
    tail: str = ""

    @property
    def sound(self) -> bool:
        """200 or 503 with Retry-After; a body cut short only with the export's last line."""
        if self.cut:
            return self.status == 200 and self.tail.rstrip("\r\n").endswith(INCOMPLETE)
        return self.status == 200 or (self.status == 503 and bool(self.retry_after))


class Load:
    """Client threads requesting every URL in turn until stopped: what they got, and when."""

    def __init__(self, server: Server, threads: int = 4) -> None:
        self.server, self.answers, self.done = server, [], threading.Event()
        self.threads = [threading.Thread(target=self.work, args=(n,)) for n in range(threads)]
        for thread in self.threads:
            thread.start()

    def work(self, offset: int) -> None:
        n = offset
        while not self.done.is_set():
            url = URLS[n % len(URLS)]
            n += 1
            started = time.monotonic()
            try:
                answer = self.server.get(url)
            except Exception as exc:  # a hang or a reset is what we look for
                answer = Answer(url, None, None, started, error=f"{type(exc).__name__}: {exc}")
            answer.ended = time.monotonic()
            self.answers.append(answer)
            time.sleep(0.01)

    def stop(self) -> list[Answer]:
        self.done.set()
        for thread in self.threads:
            thread.join(timeout=TIMEOUT + 5)
        return self.answers


def start_export(server: Server, url: str) -> http.client.HTTPResponse:
    """An export whose client reads the head and then nothing: the server blocks mid-stream."""
    connection = server.connect()
    connection.request("GET", url, headers={"Host": "localhost"})
    response = connection.getresponse()
    assert response.status == 200
    assert response.getheader("Transfer-Encoding") == "chunked"
    response.read(1024)
    return response


def finish_export(response: http.client.HTTPResponse) -> tuple[str, bool]:
    """The rest of the body, and whether it ended cleanly (the final empty chunk came)."""
    try:
        rest, clean = response.read(), True
    except http.client.IncompleteRead as cut:
        rest, clean = cut.partial, False
    return rest.decode(errors="replace"), clean


def test_an_outage_is_503_then_heals_without_restart(cluster):
    server = Server(cluster.url)
    try:
        # Up: everything answers 200.
        for url in URLS:
            assert server.get(url).status == 200, url
        workers = server.workers()
        load = Load(server)
        time.sleep(1)
        exports = [start_export(server, "/timeline.csv"), start_export(server, "/timeline.json")]

        stopping = time.monotonic()
        cluster.ctl("stop", "-m", "fast")
        down = time.monotonic()
        time.sleep(1)  # the blocked exports wake to find the database gone
        tails = [finish_export(response) for response in exports]
        health = server.get("/healthz")
        time.sleep(1)
        starting = time.monotonic()
        cluster.ctl("start")

        # Back: the same gunicorn, no restart.
        deadline = time.monotonic() + 15
        while (healthz := server.get("/healthz")).status != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        back = time.monotonic()
        answers = load.stop()
        after = [server.get(url) for _ in range(2) for url in URLS]
        assert server.workers() == workers, "a worker was restarted"
    finally:
        server.stop()

    # Never a hang, a reset or a 500: 200 or 503, and a 503 says when to retry; an export
    # the outage broke mid-way (/timeline.json) says so.
    failures = [a for a in answers if not a.sound]
    assert not failures, failures[:5]
    assert max(a.ended - a.started for a in answers) < TIMEOUT
    during = [a for a in answers if a.started >= down and a.ended <= starting]
    assert during, "no request was made during the outage"
    unavailable = [a for a in during if a.status == 503]
    assert {a.url for a in unavailable} >= {"/healthz", "/api/events/?country=ir"}, during
    assert any(a.started < stopping for a in answers), "no load before the outage"
    # During the outage /healthz says so.
    assert health.status == 503 and health.retry_after

    # The exports, cut short, say so twice: their last line, and a chunked body never ended.
    for (tail, clean), last in zip(tails, ["\r\n", "\n"], strict=True):
        assert not clean, "an export cut by the outage ended like a complete one"
        assert tail.endswith(INCOMPLETE + last), tail[-200:]

    # Healed: all 200 from the same processes, within seconds of the database's return.
    assert healthz.status == 200, healthz
    assert back - starting < 15
    assert [a.url for a in after if a.status != 200] == []
    print(
        f"\nfault test: {len(answers)} requests under load ({len(during)} during the outage, "
        f"{len(unavailable)} of them 503, {sum(a.cut for a in answers)} exports cut), healed "
        f"{back - starting:.1f} s after the restart"
    )
