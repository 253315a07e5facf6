"""ISO 3166 countries from pycountry (a maintained package of the ISO tables), plus Kosovo.

Run after every ``migrate`` (``relations.apps``) and by ``manage.py sync_countries`` after a
pycountry upgrade. Idempotent: existing rows are updated by code, never duplicated; aliases an
analyst added are kept.
"""

from __future__ import annotations

import datetime

import pycountry

from core.cache import bump

# Short names readers expect where ISO's reads like a catalogue entry.
SHORT_NAMES = {
    "CD": "DR Congo",
    "FM": "Micronesia",
    "PS": "Palestine",
    "RU": "Russia",
    "SY": "Syria",
    "LA": "Laos",
    "VN": "Vietnam",
    "VA": "Vatican City",
    "VG": "British Virgin Islands",
    "VI": "US Virgin Islands",
    "SUHH": "Soviet Union",
    "YUCS": "Yugoslavia",
    "CSHH": "Czechoslovakia",
    "CSXX": "Serbia and Montenegro",
    "DDDE": "East Germany",
    "BYAA": "Byelorussian SSR",
    "ZRCD": "Zaire",
    "YDYE": "South Yemen",
    "VDVN": "North Vietnam",
    "BUMM": "Burma",
    "HVBF": "Upper Volta",
}

# Spellings found in sources (the seed page writes both "Belarussian" and "Belarusian").
ALIASES = {
    "BY": ["Belarusian", "Belarussian", "Byelorussia", "Belorussia", "White Russia"],
    "IR": ["Iranian", "Persia", "Islamic Republic of Iran"],
    "RU": ["Russian", "Russian Federation"],
    "US": ["United States of America", "USA", "American"],
    "GB": ["UK", "Britain", "British"],
    "KP": ["DPRK"],
    "SUHH": ["USSR", "Soviet"],
}

# ISO has not assigned Kosovo a code; XK is the user-assigned code the EU, IMF and others use.
EXTRA = [
    {
        "code": "XK",
        "alpha_3": "XKX",
        "numeric": "",
        "name": "Kosovo",
        "official_name": "Republic of Kosovo",
    },
]


def _withdrawal(value: str | None) -> datetime.date | None:
    if not value:
        return None
    parts = [int(p) for p in value.split("-")] + [1, 1]
    return datetime.date(parts[0], parts[1], parts[2])


def iso_countries() -> list[dict]:
    """Every current and withdrawn ISO 3166 country as field values for ``Country``."""
    rows = []
    for c in pycountry.countries:
        name = SHORT_NAMES.get(c.alpha_2) or getattr(c, "common_name", None) or c.name
        aliases = [n for n in (c.name, getattr(c, "official_name", None)) if n and n != name]
        rows.append(
            {
                "code": c.alpha_2,
                "alpha_3": c.alpha_3,
                "numeric": getattr(c, "numeric", ""),
                "name": name,
                "official_name": getattr(c, "official_name", ""),
                "aliases": list(dict.fromkeys(aliases + ALIASES.get(c.alpha_2, []))),
                "withdrawn": None,
            }
        )
    for c in pycountry.historic_countries:
        name = SHORT_NAMES.get(c.alpha_4, c.name)
        rows.append(
            {
                "code": c.alpha_4,
                "alpha_3": c.alpha_3,
                "numeric": getattr(c, "numeric", ""),
                "name": name,
                "official_name": "",
                "aliases": ([c.name] if c.name != name else []) + ALIASES.get(c.alpha_4, []),
                "withdrawn": _withdrawal(getattr(c, "withdrawal_date", None)),
            }
        )
    rows += [{**row, "aliases": [], "withdrawn": None} for row in EXTRA]
    return rows


def sync_countries(country_model=None, using: str = "default") -> tuple[int, int]:
    """Create or update every ISO country in three queries at most; returns (created,
    updated). Aliases an analyst added are kept, ours added after them."""
    if country_model is None:
        from relations.models import Country as country_model
    manager = country_model._default_manager.db_manager(using)
    existing = {c.code: c for c in manager.all()}
    new, changed_rows, changed_fields = [], [], set()
    for row in iso_countries():
        country = existing.get(row["code"])
        if country is None:
            new.append(country_model(**row))
            continue
        row["aliases"] = list(dict.fromkeys([*country.aliases, *row["aliases"]]))
        changed = [k for k, v in row.items() if getattr(country, k) != v]
        if changed:
            for k in changed:
                setattr(country, k, row[k])
            changed_rows.append(country)
            changed_fields.update(changed)
    if new:
        manager.bulk_create(new)
    if changed_rows:
        manager.bulk_update(changed_rows, sorted(changed_fields))
    if new or changed_rows:  # bulk writes send no signals: say so to the caches here
        bump(using)
    return len(new), len(changed_rows)


def sync_countries_after_migrate(using: str = "default", apps=None, **kwargs) -> None:
    """post_migrate: a fresh install (and a flushed test database) has every country.

    ``migrate`` passes its historical ``apps``; ``flush`` passes none (the models are current).
    """
    if apps is None:
        from django.apps import apps
    if "country" in {m._meta.model_name for m in apps.get_app_config("relations").get_models()}:
        sync_countries(apps.get_model("relations", "Country"), using=using)
