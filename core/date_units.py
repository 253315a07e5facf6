"""One date at one precision: the units sources date things in, as the days each covers.

Part of the fuzzy-date mechanism, kept apart only so that each module stays small:
:mod:`core.dates` reads whole texts (spans, bounds, relative words) and is what other modules
import; this one reads and writes a single date, a day, a part of a month ("late June 2010"), a
month, a part of a year ("mid-2008"), a year or a decade, possibly approximate ("c. 2008",
"2008~"). Like core.dates it must import without Django settings.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from django.db import models

# Four-digit years only: "08" or "20080" are typos far more often than they are dates. The
# range also keeps every date read (and a day or a year either side of it, as "after"/"before"
# and the timeline's keyset split compute) well inside Python's 0001-01-01..9999-12-31, where
# the open sides are stored: arithmetic on those stored bounds is what overflows.
MIN_YEAR, MAX_YEAR = 1000, 2999


class Precision(models.TextChoices):
    """How precisely a date is known; stored in the database (values fit in 16 characters)."""

    DAY = "day", "day"
    PART_OF_MONTH = "part-of-month", "part of month (early/mid/late)"
    MONTH = "month", "month"
    PART_OF_YEAR = "part-of-year", "part of year (early/mid/late)"
    YEAR = "year", "year"
    DECADE = "decade", "decade"
    INTERVAL = "interval", "interval"
    OPEN = "open", "open interval"
    # One unknown time bounded on one side or both ("by 2005", "after May 2009"), not a span.
    NOT_AFTER = "not-after", "no later than"
    NOT_BEFORE = "not-before", "no earlier than"
    WINDOW = "window", "window (after one date, by another)"
    RECENT = "recent", "in recent years (as of a date)"


# What a single date (not a span, not a bound) can be read at: an anchor for relative words.
POINT_PRECISIONS = frozenset(
    {
        Precision.DAY,
        Precision.PART_OF_MONTH,
        Precision.MONTH,
        Precision.PART_OF_YEAR,
        Precision.YEAR,
        Precision.DECADE,
    }
)

# Spelled out rather than taken from calendar.month_name, which follows the process locale.
MONTH_NAMES: tuple[str, ...] = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


_MONTH_NUMBERS: dict[str, int] = {
    **{name.lower(): number for number, name in enumerate(MONTH_NAMES, start=1)},
    **{name[:3].lower(): number for number, name in enumerate(MONTH_NAMES, start=1)},
    "sept": 9,
}

# early/mid/late split a month into thirds by day (the last third takes the 31st) and a year
# into thirds by month; each entry is the first day or month of that part.
_PART_START_DAY = {"early": 1, "mid": 11, "late": 21}
_PART_START_MONTH = {"early": 1, "mid": 5, "late": 9}


def _part_display(part: str, rest: str) -> str:
    # House style (and the vectors) hyphenate "mid-June", but write "early June", "late June".
    return f"mid-{rest}" if part == "mid" else f"{part} {rest}"


class Unreadable(Exception):
    """Raised inside the parser; ``reason`` says what was wrong, when we can tell."""

    def __init__(self, reason: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Point:
    """One date (not an interval): the days it covers at its own precision."""

    lower: date
    upper: date
    precision: Precision
    approximate: bool = False

    def display(self) -> str:
        text = self._plain_display()
        return f"c. {text}" if self.approximate else text

    def _plain_display(self) -> str:
        d = self.lower
        month = MONTH_NAMES[d.month - 1]
        match self.precision:
            case Precision.DAY:
                return f"{d.day} {month} {d.year}"
            case Precision.PART_OF_MONTH:
                part = "early" if d.day <= 10 else "mid" if d.day <= 20 else "late"
                return _part_display(part, f"{month} {d.year}")
            case Precision.MONTH:
                return f"{month} {d.year}"
            case Precision.PART_OF_YEAR:
                part = "early" if d.month <= 4 else "mid" if d.month <= 8 else "late"
                return _part_display(part, str(d.year))
            case Precision.DECADE:
                return f"{d.year}s"
            case _:
                return str(d.year)


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def unit(d: date, precision: Precision, approximate: bool = False) -> Point:
    """The year, month or day containing ``d``."""
    if precision == Precision.YEAR:
        return Point(date(d.year, 1, 1), date(d.year, 12, 31), precision, approximate)
    if precision == Precision.MONTH:
        end = date(d.year, d.month, _last_day(d.year, d.month))
        return Point(date(d.year, d.month, 1), end, precision, approximate)
    return Point(d, d, Precision.DAY, approximate)


# -- Reading one date -----------------------------------------------------------------------

_MONTH_ALTERNATIVES = "|".join(sorted(_MONTH_NUMBERS, key=len, reverse=True))


def month_group(group: str) -> str:
    return rf"(?P<{group}>{_MONTH_ALTERNATIVES})\.?"


def day_group(group: str) -> str:
    return rf"(?P<{group}>[0-9]{{1,2}})(?:st|nd|rd|th)?"


# Years take any run of digits so that "20080" or "08" get a precise complaint, not a shrug.
YEAR = r"(?P<year>[0-9]+)"
_PART = r"(?P<part>early|mid|late)[- ]"


def pattern(regex: str) -> re.Pattern[str]:
    return re.compile(regex, re.IGNORECASE)


# Tried in order with fullmatch; the forms do not overlap, the order is for the reader.
_POINT_FORMS: tuple[tuple[re.Pattern[str], Precision], ...] = (
    (pattern(rf"{YEAR}-(?P<month>[0-9]{{1,2}})-(?P<day>[0-9]{{1,2}})"), Precision.DAY),
    (pattern(rf"{day_group('day')} {month_group('month')},? {YEAR}"), Precision.DAY),
    (pattern(rf"{month_group('month')} {day_group('day')},? {YEAR}"), Precision.DAY),
    (pattern(rf"{_PART}{month_group('month')},? {YEAR}"), Precision.PART_OF_MONTH),
    (pattern(rf"{YEAR}-(?P<month>[0-9]{{1,2}})"), Precision.MONTH),
    (pattern(rf"{month_group('month')},? {YEAR}"), Precision.MONTH),
    (pattern(rf"{_PART}{YEAR}"), Precision.PART_OF_YEAR),
    (pattern(YEAR), Precision.YEAR),
    (pattern(r"(?:the )?(?P<decade>[0-9]{3})0'?s"), Precision.DECADE),
    (pattern(r"(?P<decade>[0-9]{3})X"), Precision.DECADE),  # EDTF
)

# A word where a month name belongs ("Jnue 2010", "21 Juné 2010", "summer 2009"): name it.
_NOT_A_MONTH = re.compile(
    r"(?:[0-9]{1,2} )?(?:(?:early|mid|late)[- ])?(?P<word>[^\W\d_]+)\.?(?: [0-9]{1,2},?)? [0-9]+",
    re.IGNORECASE,
)

# "c. 2008", "c.2008", "ca. 2008", "circa 2008", "about 2008": a dot may be followed directly by
# the date, a bare word needs its space (so no month name or year is ever eaten by it).
_APPROXIMATE_PREFIX = pattern(
    r"(?:c|ca|approx)\. ?|(?:c|ca|circa|about|around|approx|approximately) "
)


def _year(digits: str) -> int:
    year = int(digits)
    if len(digits) != 4 or not MIN_YEAR <= year <= MAX_YEAR:
        raise Unreadable(
            f"year {digits} is not supported (write four digits, {MIN_YEAR} to {MAX_YEAR})"
        )
    return year


def _month_number(token: str) -> int:
    if token.isdigit():
        number = int(token)
        if not 1 <= number <= 12:
            raise Unreadable(f"month {number} does not exist")
        return number
    return _MONTH_NUMBERS[token.lower()]


def _point_from(match: re.Match[str], precision: Precision, approximate: bool) -> Point:
    groups = match.groupdict()
    if precision == Precision.DECADE:
        start = _year(groups["decade"] + "0")
        return Point(date(start, 1, 1), date(start + 9, 12, 31), precision, approximate)
    year = _year(groups["year"])
    if precision == Precision.YEAR:
        return unit(date(year, 1, 1), precision, approximate)
    if precision == Precision.PART_OF_YEAR:
        first = _PART_START_MONTH[groups["part"].lower()]
        lower = date(year, first, 1)
        upper = date(year, first + 3, _last_day(year, first + 3))
        return Point(lower, upper, precision, approximate)
    month = _month_number(groups["month"])
    if precision == Precision.MONTH:
        return unit(date(year, month, 1), precision, approximate)
    last = _last_day(year, month)
    if precision == Precision.PART_OF_MONTH:
        first = _PART_START_DAY[groups["part"].lower()]
        upper = date(year, month, first + 9 if first < 21 else last)
        return Point(date(year, month, first), upper, precision, approximate)
    day = int(groups["day"])
    if not 1 <= day <= last:
        name = MONTH_NAMES[month - 1]
        raise Unreadable(f"{day} {name} {year} is not a date ({name} {year} has {last} days)")
    return unit(date(year, month, day), Precision.DAY, approximate)


def read_point(text: str) -> Point:
    """Read one date, possibly approximate ("c. 2008", "2008-05~"); never an interval."""
    approximate = False
    prefix = _APPROXIMATE_PREFIX.match(text)
    if prefix:
        approximate, text = True, text[prefix.end() :]
    if text.endswith("~"):
        if approximate:
            raise Unreadable("it is marked approximate twice")
        approximate, text = True, text[:-1]
    if text.endswith(("?", "%")):
        # EDTF "?" means uncertain, which is not "approximate"; storing it as such would change
        # what the source said, and we have nowhere else to keep it.
        raise Unreadable(
            'uncertain dates ("?" or "%") are not supported; for an approximate date write "c."'
            ' before it or "~" after it'
        )
    for form, precision in _POINT_FORMS:
        match = form.fullmatch(text)
        if match:
            return _point_from(match, precision, approximate)
    not_a_month = _NOT_A_MONTH.fullmatch(text)
    if not_a_month:
        raise Unreadable(f'"{not_a_month["word"]}" is not a month name')
    raise Unreadable()
