"""Faults made for real, in the test process: its connection swapped for one to a port nobody
listens on (connection refused, as when the server is down). The test's own connection, with
its open transaction, is put back afterwards untouched.

And databases with a committed knowledge base, for tests that run other processes on it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from subprocess import PIPE

import pytest
from django.db import connections

ROOT = Path(__file__).resolve().parents[2]
# Generated events beside the seed: enough for every kind of record, drafts among them.
EVENTS = 200


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def database_down(db):
    """Until the test ends (or ``database_down.restore()``), every query is refused."""
    original = connections["default"]
    settings = {**original.settings_dict, "HOST": "127.0.0.1", "PORT": str(closed_port())}
    unreachable = type(original)(settings, "default")

    class Outage:
        def restore(self) -> None:
            unreachable.close()
            connections._connections.default = original

    connections._connections.default = unreachable
    outage = Outage()
    try:
        yield outage
    finally:
        outage.restore()


# --- Databases beside the test database, for tests that need committed data in other processes
@dataclass
class KnowledgeBase:
    """``empty``: a migrated database with no knowledge base; ``full``: the same with the seed
    and generated events (drafts among them). Both on the test server, by URL and name."""

    server: str
    empty: str
    full: str

    def url(self, name: str) -> str:
        return f"{self.server}/{name}"


def run(*command: str, **kwargs) -> None:
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    assert done.returncode == 0, f"{' '.join(command)}: {done.stderr[-2000:]}"


def manage_shell(database_url: str, code: str) -> None:
    """Python run by ``manage.py shell`` on another database (one process for several steps)."""
    env = {**os.environ, "DATABASE_URL": database_url}
    run(sys.executable, "manage.py", "shell", "-c", code, cwd=ROOT, env=env)


@pytest.fixture(scope="session")
def knowledge_base(django_db_setup) -> KnowledgeBase:
    """Made once a session, dropped at its end. ``empty`` copies the test database between
    tests (migrated by pytest-django; a flush leaves what post_migrate makes), much faster than
    running the migrations again; ``full`` adds the seed and generated records."""
    source = connections["default"].settings_dict
    server = f"postgres://{source['USER']}@{source['HOST']}:{source['PORT'] or 5432}"
    kb = KnowledgeBase(server, f"{source['NAME']}_ops_empty", f"{source['NAME']}_ops_full")
    admin = ["--maintenance-db", kb.url("postgres")]
    for name in (kb.empty, kb.full):
        run("dropdb", *admin, "--if-exists", "--force", name)
    try:
        run("createdb", *admin, "-T", "template0", kb.empty)
        dump = subprocess.Popen(["pg_dump", "-Fc", "-d", kb.url(source["NAME"])], stdout=PIPE)
        run("pg_restore", "--no-owner", "-d", kb.url(kb.empty), stdin=dump.stdout)
        assert dump.wait() == 0
        run("createdb", *admin, "-T", kb.empty, kb.full)
        manage_shell(
            kb.url(kb.full),
            "from django.core.management import call_command as c; "
            "c('loaddata', 'belarus-iran-2010', verbosity=0); "
            f"c('generate_kb', events={EVENTS}, no_progress=True, verbosity=0)",
        )
        yield kb
    finally:
        for name in (kb.empty, kb.full):
            subprocess.run(["dropdb", *admin, "--if-exists", "--force", name], check=False)
