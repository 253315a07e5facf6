"""A real streaming replica for tests/replica: two PostgreSQL clusters and the site on them.

The fixture builds, with Debian's cluster tools, a primary (migrated, the seed dossier, the demo
editor) and a streaming replica of it (``pg_basebackup -R``), then starts gunicorn on them with
production settings (bench/load_settings.py: DEBUG off, the shared Redis cache) and
``DATABASE_REPLICA_URL``. Everything goes through subprocesses and psycopg, never pytest-django's
test database. Both clusters are dropped afterwards, whatever happened.

It needs root (or the postgres user) and the cluster tools; without them the tests are skipped,
unless ``RELATA_REQUIRE_CLUSTERS=1`` (CI) makes that a failure.
"""

from __future__ import annotations

import contextlib
import getpass
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import redis

from relations.management.commands.setup_demo import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
#: A Redis database no other test uses (tests/test_cache_processes.py: 15, bench/load.py: 3).
REDIS_URL = os.environ.get("TEST_REPLICA_REDIS_URL", "redis://127.0.0.1:6379/12")
#: Ports for throwaway clusters on this machine (the 5432 cluster is never touched).
CLUSTER_PORTS = range(5440, 5500)
CLUSTER_NAME = re.compile(r"relata-test-(\d+)-(primary|replica)")
TOOLS = ("pg_createcluster", "pg_ctlcluster", "pg_dropcluster", "pg_lsclusters", "pg_basebackup")
#: The demo editor (setup_demo): may change published events in the admin.
EDITOR = ("editor", DEMO_PASSWORD)
#: A published event of the seed dossier (fixtures/belarus-iran-2010.json).
EVENT = "belarus-supports-iran-right-to-peaceful-nuclear-technology"


@dataclass
class Cluster:
    version: str
    name: str
    port: int

    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/relata"

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """``sql`` on this cluster's relata database, committed at once; its rows, if any."""
        with psycopg.connect(self.url(), autocommit=True, connect_timeout=5) as connection:
            cursor = connection.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def one(self, sql: str, params: tuple = ()):
        rows = self.query(sql, params)
        return rows[0][0] if rows else None


@dataclass
class Site:
    """The site served by gunicorn on ``port``, reading ``primary`` and ``replica``."""

    port: int
    primary: Cluster
    replica: Cluster
    log: Path

    def request(
        self, method: str, path: str, body: str | None = None, headers: dict | None = None
    ) -> tuple[int, http.client.HTTPMessage, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.headers, response.read().decode()
        finally:
            connection.close()


def _unavailable() -> str | None:
    """Why clusters cannot be built here, or None."""
    if os.geteuid() != 0 and getpass.getuser() != "postgres":
        return "building PostgreSQL clusters needs root or the postgres user"
    needed = (*TOOLS, "runuser") if os.geteuid() == 0 else TOOLS  # root runs some as postgres
    missing = [tool for tool in needed if not shutil.which(tool)]
    if missing:
        return f"missing {', '.join(missing)} (Debian's postgresql-common and postgresql)"
    if not _versions():
        return "no PostgreSQL installed under /etc/postgresql"
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return "Redis is not answering at 127.0.0.1:6379 (bin/test starts it)"
    return None


def _versions() -> list[str]:
    etc = Path("/etc/postgresql")
    names = [p.name for p in etc.iterdir() if p.is_dir()] if etc.is_dir() else []
    return sorted(names, key=lambda name: [int(part) for part in re.findall(r"\d+", name)])


def _clusters() -> list[dict]:
    return json.loads(subprocess.run(["pg_lsclusters", "-j"], capture_output=True).stdout or "[]")


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _ports(count: int) -> list[int]:
    """``count`` ports of CLUSTER_PORTS that no cluster is configured for and nothing holds."""
    taken = {int(c["config"]["port"]) for c in _clusters() if c.get("config", {}).get("port")}
    start = os.getpid() % len(CLUSTER_PORTS)  # concurrent runs start apart
    ports = []
    for offset in range(len(CLUSTER_PORTS)):
        port = CLUSTER_PORTS[(start + offset) % len(CLUSTER_PORTS)]
        if port not in taken and _free(port):
            ports.append(port)
            if len(ports) == count:
                return ports
    raise RuntimeError(f"no {count} free ports in {CLUSTER_PORTS}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(*command: str, postgres: bool = False, **kwargs) -> subprocess.CompletedProcess:
    """``command``, as the postgres user if asked; its output in the error if it fails."""
    if postgres and os.geteuid() == 0:
        command = ("runuser", "-u", "postgres", "--", *command)
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if done.returncode:
        raise RuntimeError(
            f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}"
        )
    return done


def _drop(cluster: Cluster) -> None:
    subprocess.run(["pg_dropcluster", "--stop", cluster.version, cluster.name], capture_output=True)


def _drop_leftovers(version: str) -> None:
    """Clusters of earlier runs that were killed before their teardown (their pid is gone)."""
    for found in _clusters():
        match = CLUSTER_NAME.fullmatch(found.get("cluster", ""))
        if match and found.get("version") == version:
            try:
                os.kill(int(match[1]), 0)
            except ProcessLookupError:
                _drop(Cluster(version, match[0], 0))
            except PermissionError:
                pass  # alive


def _config(cluster: Cluster) -> dict:
    for found in _clusters():
        if found["cluster"] == cluster.name and str(found["version"]) == cluster.version:
            return found["config"]
    raise RuntimeError(f"cluster {cluster.version}/{cluster.name} is not listed")


def _create(cluster: Cluster, *options: str) -> None:
    # Throwaway data: no fsync anywhere, from initdb on.
    _run(
        *("pg_createcluster", cluster.version, cluster.name, "-p", str(cluster.port)),
        *("-o", "fsync=off", "-o", "synchronous_commit=off", "-o", "full_page_writes=off"),
        *options,
        *("--", "--auth=trust", "--no-sync"),
    )


def _start(cluster: Cluster) -> None:
    _run("pg_ctlcluster", "--skip-systemctl-redirect", cluster.version, cluster.name, "start")


def _wait(condition, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        with contextlib.suppress(psycopg.Error, OSError, ValueError):
            if condition():
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {seconds:.0f} s waiting for {what}")
        time.sleep(0.1)


def _build_primary(primary: Cluster) -> None:
    _create(primary, "-o", "shared_preload_libraries=pg_stat_statements")  # who read what
    hba = Path(_config(primary)["hba_file"])
    with hba.open("a") as file:  # this cluster's own file: the replica streams from it
        file.write("\nhost replication all 127.0.0.1/32 trust\n")
    _start(primary)
    with psycopg.connect(
        f"postgres://postgres@127.0.0.1:{primary.port}/postgres", autocommit=True
    ) as connection:
        connection.execute("CREATE DATABASE relata")
    primary.query("CREATE EXTENSION pg_stat_statements")


class _Setup:
    """One Django process for the primary's content: the schema, the seed dossier, the demo
    accounts. Run while the replica is built, which then receives it all by streaming."""

    CODE = (
        "from django.core.management import call_command as c; "
        "c('migrate', interactive=False, verbosity=0); "
        "c('loaddata', 'belarus-iran-2010', verbosity=0); "
        "c('setup_demo', verbosity=0)"
    )

    def __init__(self, primary: Cluster) -> None:
        # Dev settings: setup_demo needs DEBUG, and production's password hasher (the test
        # settings' MD5 would not log in to the site).
        env = _without_site_env() | {
            "DJANGO_SETTINGS_MODULE": "config.settings.dev",
            "DATABASE_URL": primary.url(),
        }
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "shell", "-c", self.CODE],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def finish(self) -> None:
        output, _ = self.process.communicate(timeout=180)
        if self.process.returncode:
            raise RuntimeError(f"migrating the primary failed:\n{output[-3000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def _build_replica(replica: Cluster, primary: Cluster) -> None:
    _create(replica)  # registered with the cluster tools, so pg_dropcluster removes it
    subprocess.run(["pg_ctlcluster", replica.version, replica.name, "stop"], capture_output=True)
    data = Path(_config(replica)["data_directory"])
    for entry in data.iterdir():  # pg_basebackup fills only an empty directory
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    _run(
        *("pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres"),
        *("-D", str(data), "-R", "-X", "stream", "--checkpoint=fast", "--no-sync"),
        postgres=True,
    )
    _start(replica)
    _wait(lambda: replica.one("SELECT pg_is_in_recovery()") is True, "the replica in recovery")


def caught_up(primary: Cluster, replica: Cluster) -> bool:
    """Whether the replica has replayed everything the primary had written when asked."""
    position = primary.one("SELECT pg_current_wal_lsn()::text")
    return bool(replica.one("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (position,)))


def _without_site_env() -> dict[str, str]:
    """This process's environment without what would point a child at other databases."""
    drop = {"DATABASE_URL", "DATABASE_REPLICA_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    return {key: value for key, value in os.environ.items() if key not in drop}


def _flush_redis() -> None:
    redis.Redis.from_url(REDIS_URL).flushdb()


class _Gunicorn:
    """One sync worker with production settings over plain HTTP, in a session of its own."""

    def __init__(self, primary: Cluster, replica: Cluster, log: Path) -> None:
        _flush_redis()  # no version or answer left by an earlier run
        self.port, self.log = _free_port(), log
        binary = ROOT / ".venv" / "bin" / "gunicorn"
        command = [str(binary)] if binary.exists() else [sys.executable, "-m", "gunicorn"]
        env = _without_site_env() | {
            "DJANGO_SETTINGS_MODULE": "bench.load_settings",
            "DATABASE_URL": primary.url(),
            "DATABASE_REPLICA_URL": replica.url(),
            "REDIS_URL": REDIS_URL,
            "SECRET_KEY": secrets.token_urlsafe(60),
            "ALLOWED_HOSTS": "127.0.0.1",
            "THROTTLE_ALLOW_IPS": "127.0.0.1,::1",
            "PAGE_CACHE_SECONDS": "0",
            "DEBUG": "0",
        }
        with log.open("w") as out:
            self.process = subprocess.Popen(
                [*command, "config.wsgi", "-b", f"127.0.0.1:{self.port}", "-w", "1"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, site: Site) -> None:
        def ready() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; its log:\n{self.log.read_text()[-3000:]}")
            status, _, body = site.request("GET", "/healthz?format=json")
            checks = json.loads(body)
            return status == 200 and checks.get("database") == checks.get("cache") == "OK"

        _wait(ready, "gunicorn to answer /healthz", seconds=60)

    def stop(self) -> None:
        with contextlib.suppress(redis.RedisError):
            _flush_redis()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    """The site on a primary and its streaming replica, caught up (replay running)."""
    if reason := _unavailable():
        if os.environ.get("RELATA_REQUIRE_CLUSTERS") == "1":
            pytest.fail(f"RELATA_REQUIRE_CLUSTERS=1 but {reason}")
        pytest.skip(reason)
    version = _versions()[-1]
    _drop_leftovers(version)
    primary_port, replica_port = _ports(2)
    prefix = f"relata-test-{os.getpid()}"
    primary = Cluster(version, f"{prefix}-primary", primary_port)
    replica = Cluster(version, f"{prefix}-replica", replica_port)
    with contextlib.ExitStack() as cleanup:  # unwound on failure and on Ctrl-C alike
        cleanup.callback(_drop, primary)
        cleanup.callback(_drop, replica)  # first: a standby goes before its primary
        _build_primary(primary)
        setup = _Setup(primary)
        cleanup.callback(setup.stop)
        _build_replica(replica, primary)
        setup.finish()
        _wait(lambda: caught_up(primary, replica), "the replica to hold the primary's data")
        log = tmp_path_factory.mktemp("replica") / "gunicorn.log"
        server = _Gunicorn(primary, replica, log)
        cleanup.callback(server.stop)
        site = Site(server.port, primary, replica, log)
        server.wait_ready(site)
        yield site
