"""Backup and restore, tested: bin/backup-check on a database with the seed, generated events
and drafts. The dump restored into an empty database, and the export loaded into a fresh one,
both export the same bytes as the source (docs/operations.md, "Backup and restore")."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.ops.conftest import EVENTS, ROOT

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


def backup_check(url: str, *options: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run(
        ["bin/backup-check", *options], cwd=ROOT, env=env, capture_output=True, text=True
    )


def databases(kb) -> set[str]:
    """Ours: the knowledge base's and those named after it (other sessions share the server)."""
    listed = subprocess.run(
        ["psql", "-At", "-d", kb.url("postgres"), "-c", "SELECT datname FROM pg_database"],
        capture_output=True,
        text=True,
        check=True,
    )
    return {name for name in listed.stdout.split() if name.startswith(kb.full)}


def test_a_backup_restores_to_the_same_bytes(knowledge_base, tmp_path):
    kb = knowledge_base
    before = databases(kb)
    done = backup_check(kb.url(kb.full), "--template", kb.empty, "--keep", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "backup-check: OK" in done.stderr
    print(done.stderr)  # its timings, with -s
    assert done.stderr.count("identical:") == 2
    # It compared a real knowledge base, drafts included, and left no database behind.
    source = (tmp_path / "source.json").read_text()
    assert source.count('"model": "relations.event"') > EVENTS
    assert '"status": "draft"' in source
    assert databases(kb) == before
