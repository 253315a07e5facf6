"""Across databases and processes: PostgreSQL → file → empty SQLite → file gives the same bytes,
and so does SQLite → PostgreSQL; a 200 MB file is read as a stream, in bounded memory."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from exchange.load import import_kb
from relations.models import Event
from tests.exchange.conftest import export, load_seed, rolled_back, seed_count, write

ROOT = Path(settings.BASE_DIR)
# Runs manage.py and reports its peak RSS (kB) on stderr as it exits. VmHWM, not ru_maxrss:
# Linux carries ru_maxrss over exec from the forking parent (pytest, hundreds of MB).
PEAK_RSS = (
    "import atexit, runpy, sys; atexit.register(lambda: sys.stderr.write(next("
    "'\\npeak-rss-kb ' + line.split()[1] + '\\n' for line in open('/proc/self/status') "
    "if line.startswith('VmHWM:')))); "
    "sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
)
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.slow,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL against SQLite"),
]


def manage(env: dict, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=os.environ | {"DJANGO_SETTINGS_MODULE": "config.settings.test"} | env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_seed_and_10000_generated_events_round_trip_between_postgresql_and_sqlite(tmp_path):
    with rolled_back():
        load_seed()
        call_command("generate_kb", events=10_000, seed=1, stdout=StringIO(), stderr=StringIO())
        whole = export(include_drafts=True)
        public = export()
    events = 10_000 + seed_count("relations.event")
    assert whole.count('"model": "relations.event"') == events

    # PostgreSQL → file → empty SQLite → file.
    sqlite = {"DATABASE_URL": f"sqlite:///{tmp_path / 'kb.sqlite3'}"}
    manage(sqlite, "migrate", "-v0")
    summary = manage(sqlite, "import_kb", str(write(tmp_path / "pg.json", whole)))
    assert f"{events:,}" in summary and "0 updated" in summary
    manage(sqlite, "export_kb", "--include-drafts", "-o", str(tmp_path / "sqlite.json"))
    manage(sqlite, "export_kb", "-o", str(tmp_path / "sqlite-public.json"))
    from_sqlite = (tmp_path / "sqlite.json").read_text("utf-8")
    assert from_sqlite == whole
    assert (tmp_path / "sqlite-public.json").read_text("utf-8") == public

    # SQLite's file → this (empty) PostgreSQL database → file.
    assert not Event.objects.exists()
    report = import_kb(tmp_path / "sqlite.json")
    assert report.loaded, report.lines()
    assert report.counts["relations.event"].created == events
    assert export(include_drafts=True) == from_sqlite
    assert export() == public


def test_a_200_mb_file_is_read_as_a_stream_in_bounded_memory(tmp_path):
    """Ends in a cut record, so it is refused; reading it whole would take over 1 GB."""
    path = tmp_path / "big.json"
    summary = "Talks on trade, energy and transit; " * 110  # ~4 kB a record
    count = 0
    with path.open("w", encoding="utf-8") as out:
        out.write("[\n")
        while out.tell() < 200 * 1024 * 1024:
            count += 1
            out.write(
                f'{{"model": "relations.event", "fields": {{"slug": "big-{count:06d}", '
                f'"title": "Meeting {count}", "date": "May 2007", "status": "draft", '
                f'"summary": "{summary}", "domains": [["economic"]]}}}},\n'
            )
        out.write('{"model": "relations.event", "fields": {"slug": "cut-here", "title": "Mee')
    db = connection.settings_dict
    url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    done = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, str(ROOT / "manage.py"), "import_kb", str(path)],
        env=os.environ | {"DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": url},
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    peak_mb = int(done.stderr.rsplit("peak-rss-kb ", 1)[1]) / 1024
    assert done.returncode == 1
    assert f"record {count + 1}: the file stops being valid JSON here" in done.stderr
    assert f"in {count:,} records" in done.stderr  # every whole record was read and checked
    # Django alone is ~80 MB; the file is 200 MB, and as Python objects several times that.
    assert peak_mb < 150, f"peak RSS {peak_mb:.0f} MB"
    assert not Event.objects.filter(slug__startswith="big-").exists()
