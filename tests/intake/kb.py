"""Knowledge bases the engine's tests read pages against (imported by the test modules)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "fixtures" / "belarus-iran-2010.json"
SEED_PAGE = ROOT / "fixtures" / "belarus-iran-2010.txt"
#: The seed fixture's reference records: what an analyst's knowledge base holds before the page.
REFERENCE = {
    "relations.domain",
    "relations.relationship",
    "relations.organisation",
    "relations.official",
}
# Spellings an analyst adds to the two states, as the example does.
ALIASES = {
    "BY": ["Belarusian", "Belarussian", "Minsk"],
    "IR": ["Iranian", "Tehran", "Islamic Republic"],
}


def add_aliases() -> None:
    from relations.models import Country

    for code, aliases in ALIASES.items():
        country = Country.objects.get(code=code)
        country.aliases = list(dict.fromkeys([*country.aliases, *aliases]))
        country.save(update_fields=["aliases"])


def load_reference() -> None:
    """The seed's reference records (no claims, citations, footnotes or source), and the aliases."""
    rows = [r for r in json.loads(FIXTURE.read_text()) if r["model"] in REFERENCE]
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(rows, handle)
    try:
        call_command("loaddata", handle.name, verbosity=0)
    finally:
        Path(handle.name).unlink()
    add_aliases()


def load_domains() -> None:
    """Countries (always there, with the analyst's aliases) and the seed's domains only."""
    rows = [r for r in json.loads(FIXTURE.read_text()) if r["model"] == "relations.domain"]
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(rows, handle)
    try:
        call_command("loaddata", handle.name, verbosity=0)
    finally:
        Path(handle.name).unlink()
    add_aliases()
