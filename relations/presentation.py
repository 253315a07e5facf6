"""How a record is written for readers: dates, sums of money, names, links, footnote markers.

One module for every surface: pages (Django and Jinja2 templates), the API, CSV/JSON/Atom
exports and admin previews call these and nothing else, so the same record reads the same
everywhere (``tests/relations/test_presentation.py`` checks it surface by surface). Values
only: markup belongs in templates.

The decisions:

- **A date is never shown more precisely than its source gives it.** The text is the fuzzy
  date's own display ("late June 2010", "c. 2008", "May 2009 – July 2010"). A ``<time
  datetime>`` value is given only where HTML's forms (a day, a month, a year) can say no more
  than the text: "late June 2010" is ``2010-06`` (it lies in that month), "early 2008" is
  ``2008``; an approximate date ("c. 2008"), a span across units, an open span and a time
  bounded on one side or both ("by 2005", "after May 2009, by 6 July 2010") have none, since
  any value would claim what the source does not.
- **Money** is written as reporters write it, from one exact value: "$212m", "€1.5bn",
  "$2.13bn" (rounded half up to two decimals), "$250,000" (below a million in full), and with
  no common sign the ISO code first: "IRR 40bn". ``Money.exact`` is the whole amount with its
  code ("212,000,000 USD") for titles and exports.
- **Organisations** are named mid-sentence with "the" where English wants it ("the Non-Aligned
  Movement", but "Belarusneft"), and so are states ("the United States", but "Iran"). One
  the sources do not name (``Organisation.unnamed``) reads as its description, never as a
  name: no "the", no capital, flagged as unnamed, with its owner and where it is based when
  those differ ("a state-owned bank abroad (owned by Iran, based in Belarus; unnamed in the
  source)").
- **A single day** is "21 June 2010" (``core.dates.long_date``, which the admin, in ``core``,
  shares).
- **Links** to public pages are reversed once per URL pattern and filled in (``url``): a busy
  dossier links some 600 pages.
- **Footnote markers** are numbered by first use on a page (``relations.footnotes``); a marker
  is its note's number and anchor (``Note.number``, ``Note.anchor``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import get_script_prefix, get_urlconf, reverse

from core.dates import (
    ONE_DAY,
    OPEN_LOWER,
    OPEN_UPPER,
    FuzzyDate,
    Precision,
    long_date,
    parse_fuzzy_date,
)


# --- Dates ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class When:
    """A fuzzy date as readers see it."""

    text: str  # at the precision the sources give: "late June 2010"
    datetime: str = ""  # for <time datetime>, only where it says no more than the text
    bounds: str = ""  # what an imprecise date can mean: "between 21 June 2010 and 30 June 2010"

    def __str__(self) -> str:
        return self.text


def machine_date(fuzzy: FuzzyDate) -> str:
    """The ``<time datetime>`` value of a fuzzy date, or "" where none is as vague as it."""
    if fuzzy.approximate or fuzzy.lower in (None, OPEN_LOWER) or fuzzy.upper == OPEN_UPPER:
        return ""
    lower, upper = fuzzy.lower, fuzzy.upper
    match fuzzy.precision:
        case Precision.DAY if lower == upper:
            return lower.isoformat()
        case Precision.MONTH | Precision.PART_OF_MONTH if (lower.year, lower.month) == (
            upper.year,
            upper.month,
        ):
            return f"{lower.year:04d}-{lower.month:02d}"
        case Precision.YEAR | Precision.PART_OF_YEAR if lower.year == upper.year:
            return f"{lower.year:04d}"
    return ""


def _bounds(fuzzy: FuzzyDate) -> str:
    lower, upper = fuzzy.lower, fuzzy.upper
    if lower == upper:  # a single day, even if approximately
        return ""
    if lower == OPEN_LOWER:  # "until 2005", "by 2005", "in recent years, as of 2010"
        return f"at any time up to {long_date(upper)}"
    if upper == OPEN_UPPER and fuzzy.precision == Precision.NOT_BEFORE:  # "after May 2009"
        return f"at any time after {long_date(lower - ONE_DAY)}"
    if upper == OPEN_UPPER:
        return f"at any time from {long_date(lower)}"
    return f"between {long_date(lower)} and {long_date(upper)}"


@lru_cache(maxsize=8192)
def when(text: str) -> When | None:
    """A stored fuzzy date's text as readers see it; None when there is none."""
    if not text:
        return None
    try:
        fuzzy = parse_fuzzy_date(text)
    except ValidationError:  # stored before a parser change: show it as typed, claim nothing
        return When(text)
    return When(fuzzy.display(), machine_date(fuzzy), _bounds(fuzzy))


def readable_date(text: str) -> str:
    """The date's reading text alone ("late June 2010"); "" when there is none."""
    reading = when(text)
    return reading.text if reading else ""


# --- Money ------------------------------------------------------------------------------------
CURRENCY_SIGNS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}
MAGNITUDES = ((Decimal(10) ** 12, "tn"), (Decimal(10) ** 9, "bn"), (Decimal(10) ** 6, "m"))
CENTS = Decimal("0.01")


@dataclass(frozen=True)
class Money:
    compact: str  # "$212m": how the page says it
    exact: str  # "212,000,000 USD": the whole amount, for titles and exports

    def __str__(self) -> str:
        return self.compact


def money(amount: Decimal | int | None, currency: str) -> Money | None:
    """A sum as readers see it; None when there is none."""
    if amount is None:
        return None
    amount = Decimal(amount)
    exact = f"{amount:,.2f}".removesuffix(".00")
    for size, suffix in MAGNITUDES:
        if amount >= size:
            rounded = (amount / size).quantize(CENTS, rounding=ROUND_HALF_UP)
            number = f"{rounded:f}".rstrip("0").rstrip(".") + suffix
            break
    else:
        number = exact
    sign = CURRENCY_SIGNS.get(currency)
    compact = f"{sign}{number}" if sign else f"{currency} {number}".strip()
    return Money(compact, f"{exact} {currency}".strip())


# --- Names ------------------------------------------------------------------------------------
# Organisations named with "the" in running text ("More on the Non-Aligned Movement"), unlike
# companies and the like ("More on Belarusneft").
WITH_ARTICLE = {"intergovernmental", "government", "legislature", "central-bank", "military"}


def organisation_name(
    name: str, kind: str, *, unnamed: bool = False, owner: str = "", location: str = ""
) -> str:
    """The name as used mid-sentence: "the Non-Aligned Movement", "Belarusneft".

    An unnamed body's ``name`` is a description ("a state-owned bank abroad"): it is used as
    written (a leading "A"/"An" in lower case: it is no name's capital), and says so; its
    ``owner`` and ``location`` (country names) are added when they differ."""
    if unnamed:
        return f"{_description(name)} ({_unnamed_details(owner, location)})"
    if kind in WITH_ARTICLE and not name.lower().startswith("the "):
        return f"the {name}"
    return name


# States English names with "the" ("with the United States", "the Netherlands"): plural and
# compound names. Names with "and" ("South Georgia and the South Sandwich Islands") do not.
COUNTRIES_WITH_ARTICLE = frozenset(
    {"Bahamas", "Comoros", "Congo", "Gambia", "Holy See", "Maldives", "Netherlands"}
    | {"Philippines", "Seychelles"}
)
_COUNTRY_ARTICLE = re.compile(r"^United |\bRepublic\b|\bIslands\b|\bFederation\b")


def country_name(name: str) -> str:
    """A state's short name as used mid-sentence: "the United States", "Iran"."""
    if name.startswith("The ") or name.startswith("the "):
        return name
    if name in COUNTRIES_WITH_ARTICLE or (
        " and " not in name and "," not in name and _COUNTRY_ARTICLE.search(name)
    ):
        return f"the {name}"
    return name


def _description(name: str) -> str:
    """ "A state-owned bank" -> "a state-owned bank" (an article is not a name's capital);
    "Belarusian state bank" keeps its adjective's."""
    first, _, rest = name.partition(" ")
    return f"{first.lower()} {rest}" if rest and first in {"A", "An"} else name


def _unnamed_details(owner: str, location: str) -> str:
    if location and owner and location != owner:
        return f"owned by {owner}, based in {location}; unnamed in the source"
    if location and not owner:
        return f"based in {location}; unnamed in the source"
    return "unnamed in the source"


def sort_name(name: str) -> str:
    """'Åland Islands' sorts (and is filed) under A, not after Z."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def and_list(parts: Iterable[str]) -> str:
    """ "A, B and C"."""
    parts = list(parts)
    return ", ".join(parts[:-1]) + f" and {parts[-1]}" if len(parts) > 1 else "".join(parts)


# --- Links ------------------------------------------------------------------------------------
#: Each public page's URL name and the attribute that keys it.
URL_KEYS = {
    "event": "slug",
    "agreement": "slug",
    "organisation": "slug",
    "official": "slug",
    "source": "slug",
    "country": "code",
}
_PLACEHOLDER = "zzzz"  # fits the slug and the ISO-code converters


@lru_cache(maxsize=256)
def _pattern(name: str, prefix: str, urlconf: str) -> str:
    return reverse(name, args=[_PLACEHOLDER], urlconf=urlconf)


@lru_cache(maxsize=256)
def _filler(name: str, prefix: str, urlconf: str) -> Callable[[str], str]:
    head, _, tail = _pattern(name, prefix, urlconf).partition(_PLACEHOLDER)
    if name == "country":
        return lambda key: f"{head}{key.lower()}{tail}"
    return lambda key: f"{head}{key}{tail}"


def linker(name: str) -> Callable[[str], str]:
    """``url_for(name, ...)`` for many keys: the URL configuration and script prefix looked up
    once, for a page that links hundreds of records of one kind."""
    return _filler(name, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)


def url_for(name: str, key: str) -> str:
    """``reverse(name, args=[key])`` without a reverse() per link: the pattern is reversed once
    with a placeholder and filled in (slugs and lower-case ISO codes need no quoting)."""
    return linker(name)(key)


def url(obj) -> str:
    """The public page of a record (``obj.get_absolute_url()``, fast)."""
    name = obj._meta.model_name
    return url_for(name, getattr(obj, URL_KEYS[name]))


def record_linker() -> Callable[[object], str]:
    """``url`` for many records of any kinds, the URL configuration and script prefix looked
    up once: what a template renders its links with (``reader.jinja2``)."""
    prefix, urlconf = get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF

    def url_of(obj) -> str:
        name = obj._meta.model_name
        return _filler(name, prefix, urlconf)(getattr(obj, URL_KEYS[name]))

    return url_of


def dossier_url(*codes: str) -> str:
    """/relations/by-ir/: the two codes in alphabetical order (the converter lower-cases)."""
    first, second = sorted(code.lower() for code in codes)
    return reverse("dossier", kwargs={"first": first, "second": second})
