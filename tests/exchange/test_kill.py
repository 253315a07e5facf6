"""The kill test of issue 11: ``manage.py import_kb`` killed (SIGKILL) at random moments writes
nothing, and a later import succeeds.

A process of its own imports a generated knowledge base of a few thousand records into the
test database and is killed at a random moment of each phase it announces (``-v 2``): while it
reads, resolves, checks, compares and loads. After every kill the content tables,
their history and the change log are as they were. The seed of the random moments is printed
(``KILL_TEST_SEED`` replays one).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from exchange.models import Change
from exchange.spec import SPECS
from relations.generator import generate
from relations.models import Domain
from tests.exchange.conftest import export, rolled_back

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROOT = Path(settings.BASE_DIR)
# The phases import_kb announces; "start" is a moment before the first (reading the file).
PHASES = [
    "start",
    "Resolving natural keys",
    "Checking",
    "Comparing with the database",
    "Loading",
]


@pytest.fixture(scope="module")
def generated(django_db_setup, django_db_blocker, tmp_path_factory) -> Path:
    """A knowledge base of 400 generated events as a fixture (about 4,000 records)."""
    with django_db_blocker.unblock(), rolled_back():
        Domain.objects.get_or_create(slug="economic", defaults={"name": "Economic"})
        generate(events=400, seed=41)
        text = export()
    path = tmp_path_factory.mktemp("kill") / "generated.json"
    path.write_text(text, "utf-8")
    return path


def snapshot() -> dict[str, int]:
    """Rows in every content table and its history, and in the change log."""
    counts = {"change log": Change.objects.count()}
    for spec in SPECS:
        counts[spec.label] = spec.model._default_manager.count()
        history = getattr(spec.model, "history", None)
        if history is not None:
            counts[f"{spec.label} history"] = history.count()
    return counts


class Import:
    """``import_kb`` in a process of its own, its announced phases read as they come."""

    def __init__(self, path: Path) -> None:
        db = settings.DATABASES["default"]
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
        }
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "import_kb", str(path), "--no-progress", "-v", "2"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.seen: dict[str, float] = {"start": time.monotonic()}
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.output.append(line)
            for phase in PHASES:
                if phase in line:
                    self.seen.setdefault(phase, time.monotonic())

    def kill_in(self, phase: str, delay: float, timeout: float = 60) -> bool:
        """SIGKILL ``delay`` s after ``phase`` starts; False if the import ended first."""
        deadline = time.monotonic() + timeout
        while phase not in self.seen:
            if self.process.poll() is not None or time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        time.sleep(max(0.0, self.seen[phase] + delay - time.monotonic()))
        if self.process.poll() is not None:
            return False
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        return True


def wait_for_backends_to_go() -> None:
    """The server ends a killed client's session (rolling it back) when it notices the closed
    socket: wait for that, so the counts are read after it."""
    deadline = time.monotonic() + 10
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
            )
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.05)


def test_import_kb_killed_at_random_moments_writes_nothing(generated):
    seed = int(os.environ.get("KILL_TEST_SEED", random.randrange(1 << 30)))
    print(f"KILL_TEST_SEED={seed}")
    rng = random.Random(seed)
    before = snapshot()

    killed = []
    for phase in PHASES:
        run = Import(generated)
        delay = rng.uniform(0.05, 0.6) if phase == "start" else rng.uniform(0, 0.05)
        if run.kill_in(phase, delay):
            killed.append((phase, round(delay, 3)))
        else:  # it got through the phase before the kill: it must have done so cleanly
            assert run.process.wait(timeout=60) == 0, "".join(run.output)[-2000:]
            pytest.fail(f"the import ended before the kill in {phase!r}; KILL_TEST_SEED={seed}")
        wait_for_backends_to_go()
        assert snapshot() == before, f"written after a kill in {phase} (+{delay:.3f} s)"
    assert [phase for phase, _ in killed] == PHASES

    call_command("import_kb", str(generated), "--no-progress", verbosity=0)
    after = snapshot()
    assert after["relations.event"] > before["relations.event"]
    assert after["relations.event history"] == (
        before["relations.event history"] + after["relations.event"] - before["relations.event"]
    )
