"""Helpers for the exchange tests: files of records, exports in memory, rolled-back setups.

"An empty database" is the test database as migrated (countries and domains, nothing else).
A test builds data inside :func:`rolled_back`, exports it, and is left with the empty database
again to import into: no second database, no flush (which would drop the migrated countries).
"""

import io
import json
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction

from exchange.export import Exporter
from exchange.load import import_kb
from exchange.selection import Selection
from exchange.spec import BY_LABEL, BY_MODEL, SPECS


@contextmanager
def rolled_back():
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def export(selection: Selection | None = None, **options) -> str:
    out = io.StringIO()
    Exporter(selection or Selection.from_options(**options)).write(out)
    return out.getvalue()


def records(text: str) -> list[dict]:
    return json.loads(text)


def keys(text: str, model: str) -> list[str]:
    """The natural keys (slug/code) of one model's records, in file order."""
    field = "code" if model == "relations.country" else "slug"
    return [r["fields"][field] for r in records(text) if r["model"] == model]


def references(text: str) -> dict[str, set[str]]:
    """The natural keys a file's records refer to, by the label of the model referred to
    (a relationship's dossier sections refer to domains)."""
    found: dict[str, set[str]] = {}
    for row in records(text):
        spec = BY_LABEL[row["model"]]
        for f in spec.columns:
            if not f.is_relation:
                continue
            value = row["fields"].get(f.name)
            values = (value or []) if f.many_to_many else ([value] if value else [])
            target = BY_MODEL[f.related_model].label
            found.setdefault(target, set()).update(key[0] for key in values)
        for section in row["fields"].get("sections") or ():
            found.setdefault("relations.domain", set()).add(section["domain"])
    return found


def write(path: Path, content) -> Path:
    path.write_text(content if isinstance(content, str) else json.dumps(content), "utf-8")
    return path


def settle_times(moment: str = "2020-01-01T00:00:00Z") -> None:
    """Give every exchanged record the same created/updated (factories stamp them now)."""
    for spec in SPECS:
        spec.model._default_manager.update(created=moment, updated=moment)


SEED = Path(settings.BASE_DIR) / "fixtures" / "belarus-iran-2010.json"


def load_seed() -> None:
    call_command("loaddata", "belarus-iran-2010", verbosity=0)


def seed_count(label: str) -> int:
    """How many records of ``label`` ("relations.event") the seed fixture holds: tests count
    from the file, which the seed's own tests hold to the page (tests/relations/test_seed.py)."""
    return sum(r["model"] == label for r in json.loads(SEED.read_text("utf-8")))


@pytest.fixture(scope="session")
def seed_export(django_db_setup, django_db_blocker) -> str:
    """The seed dossier as export_kb writes it (whole KB, so with every country); made once."""
    with django_db_blocker.unblock(), rolled_back():
        load_seed()
        return export()


@pytest.fixture
def seed_file(seed_export, tmp_path) -> Path:
    return write(tmp_path / "seed.json", seed_export)


@pytest.fixture
def run_import():
    def run(path, **options):
        return import_kb(path, **options)

    return run
