"""Fixtures: the seed loads anywhere and means the same on both databases; a bad fixture is
refused whole by loaddata, through the database's own constraints, and writes nothing."""

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.serializers.base import DeserializationError
from django.db import IntegrityError, connection

from core.dates import parse_fuzzy_date
from exchange.load import import_kb
from relations.models import Event, Position
from sources.models import Footnote, Source

# Plain `django_db`: loaddata runs in its own savepoint, so "nothing written" is observable
# inside the test transaction (a transactional test would flush the migrated countries).
pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

ROOT = Path(settings.BASE_DIR)
DUMP_MODELS = [
    "sources.source",
    "sources.footnote",
    "relations.domain",
    "relations.organisation",
    "relations.official",
    "relations.relationship",
    "relations.position",
    "relations.membership",
    "relations.agreement",
    "relations.event",
    "relations.statement",
    "relations.citation",
]
SEED = ROOT / "fixtures" / "belarus-iran-2010.json"

SOURCE = {
    "model": "sources.source",
    "fields": {"slug": "bad-fixture-source", "title": "A report", "published": ""},
}
FOOTNOTE = {
    "model": "sources.footnote",
    "fields": {
        "slug": "bad-fixture-source-note-1",
        "source": ["bad-fixture-source"],
        "locator": "note 1",
    },
}


def event(**fields):
    base = {
        "slug": "bad-fixture-event",
        "title": "A meeting",
        "date": "May 2007",
        "date_lower": "2007-05-01",
        "date_upper": "2007-05-31",
        "date_precision": "month",
        "status": "published",
        "domains": [["economic"]],
        "countries": [["BY"], ["IR"]],
    }
    return {"model": "relations.event", "fields": base | fields}


def load(tmp_path, records):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(records))
    call_command("loaddata", str(path), verbosity=0)


def nothing_written():
    return not (
        Source.objects.filter(slug="bad-fixture-source").exists()
        or Footnote.objects.filter(slug="bad-fixture-source-note-1").exists()
        or Event.objects.filter(slug="bad-fixture-event").exists()
    )


def test_citation_with_no_claim_is_refused_whole(tmp_path):
    citation = {
        "model": "relations.citation",
        "fields": {"footnote": ["bad-fixture-source-note-1"]},
    }
    with pytest.raises(IntegrityError, match="citation_exactly_one_claim"):
        load(tmp_path, [SOURCE, FOOTNOTE, event(), citation])
    assert nothing_written()


def test_citation_with_two_claims_is_refused_whole(tmp_path):
    agreement = {
        "model": "relations.agreement",
        "fields": {"slug": "bad-fixture-agreement", "title": "A loan", "kind": "loan"},
    }
    citation = {
        "model": "relations.citation",
        "fields": {
            "footnote": ["bad-fixture-source-note-1"],
            "event": ["bad-fixture-event"],
            "agreement": ["bad-fixture-agreement"],
        },
    }
    with pytest.raises(IntegrityError, match="citation_exactly_one_claim"):
        load(tmp_path, [SOURCE, FOOTNOTE, event(), agreement, citation])
    assert nothing_written()


def test_event_ending_before_it_starts_is_refused_whole(tmp_path):
    with pytest.raises(IntegrityError, match="event_date_lower_lte_upper"):
        load(tmp_path, [SOURCE, event(date_lower="2007-06-01", date_upper="2007-05-01")])
    assert nothing_written()


def test_position_ending_before_it_starts_is_refused_whole(tmp_path):
    official = {
        "model": "relations.official",
        "fields": {"slug": "bad-fixture-official", "name": "A. Person"},
    }
    position = {
        "model": "relations.position",
        "fields": {
            "slug": "bad-fixture-position",
            "official": ["bad-fixture-official"],
            "title": "Minister",
            "country": ["BY"],
            "start": "2009",
            "start_lower": "2009-01-01",
            "start_upper": "2009-12-31",
            "start_precision": "year",
            "end": "2007",
            "end_lower": "2007-01-01",
            "end_upper": "2007-12-31",
            "end_precision": "year",
        },
    }
    with pytest.raises(IntegrityError, match="position_end_not_before_start"):
        load(tmp_path, [SOURCE, official, position])
    assert nothing_written()
    assert not Position.objects.filter(slug="bad-fixture-position").exists()


def test_date_bound_that_is_not_a_date_is_refused_naming_the_record(tmp_path):
    with pytest.raises(DeserializationError) as error:
        load(tmp_path, [SOURCE, event(date_lower="sometime in May")])
    message = str(error.value)
    # Stock loaddata names the model and the value (not the field): enough to find the row.
    assert "relations.event" in message and "sometime in May" in message
    assert "YYYY-MM-DD" in message
    assert nothing_written()


def test_missing_bounds_are_refused(tmp_path):
    with pytest.raises(IntegrityError, match="event_date_bounds_with_text"):
        load(tmp_path, [SOURCE, event(date_lower=None)])
    assert nothing_written()


def dump() -> dict:
    out = StringIO()
    call_command("dumpdata", *DUMP_MODELS, natural_foreign=True, natural_primary=True, stdout=out)
    return {
        (record["model"], json.dumps(record["fields"], sort_keys=True))
        for record in json.loads(out.getvalue())
    }


@pytest.mark.slow
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="compares a PostgreSQL load with an SQLite one"
)
def test_seed_means_the_same_on_postgresql_and_sqlite(tmp_path):
    call_command("loaddata", "belarus-iran-2010", verbosity=0)
    on_postgresql = dump()

    env = os.environ | {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    subprocess.run([*manage, "loaddata", "belarus-iran-2010", "-v0"], env=env, check=True, cwd=ROOT)
    dumped = subprocess.run(
        [*manage, "dumpdata", *DUMP_MODELS, "--natural-foreign", "--natural-primary"],
        env=env,
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout
    on_sqlite = {(r["model"], json.dumps(r["fields"], sort_keys=True)) for r in json.loads(dumped)}

    assert on_postgresql == on_sqlite
    assert len(on_postgresql) == 87


# --- The seed file itself ----------------------------------------------------------------------
def seed_records() -> list[dict]:
    return json.loads(SEED.read_text(encoding="utf-8"))


def test_the_seed_is_stock_json_with_natural_keys_one_record_per_line():
    lines = SEED.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "[" and lines[-1] == "]"
    records = [json.loads(line.removesuffix(",")) for line in lines[1:-1]]
    assert records == seed_records()
    assert all(set(r) == {"model", "fields"} for r in records)  # no pk: natural keys only


def test_the_seeds_date_bounds_are_what_the_parser_reads():
    """Bounds stored beside each fuzzy date are core.dates' reading of its text, so loaddata
    (which writes them as given) and import_kb (which derives them) load the same rows."""
    checked = 0
    for record in seed_records():
        fields = record["fields"]
        for name in [n.removesuffix("_precision") for n in fields if n.endswith("_precision")]:
            text = fields[name]
            stored = (fields[f"{name}_lower"], fields[f"{name}_upper"], fields[f"{name}_precision"])
            if not text:
                assert stored == (None, None, ""), (record["model"], name)
                continue
            date = parse_fuzzy_date(text)
            meant = (date.lower.isoformat(), date.upper.isoformat(), str(date.precision))
            assert stored == meant, (record["model"], fields.get("slug"), name, text)
            checked += 1
    assert checked == 20  # the source's date and those of 19 claims


def test_import_kb_loads_the_seed_file_as_loaddata_does():
    report = import_kb(SEED)
    assert report.ok and report.loaded, "\n".join(report.lines())
    assert not report.conflicts, "\n".join(report.lines())
    imported = dump()
    # What stock loaddata makes of the same file, over it: nothing changes.
    call_command("loaddata", "belarus-iran-2010", verbosity=0)
    assert dump() == imported
    assert len(imported) == len(seed_records()) == 87
