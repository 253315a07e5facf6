"""Fuzzy dates: what an analyst typed, read as an inclusive interval of days and a precision.

Sources date things at every precision: "2008", "May 2007", "late June 2010", "c. 2008",
"the 1990s", "2010-06/2010-07", "since 2007". We keep the text as typed and derive an inclusive
``[lower, upper]`` interval of ``datetime.date``s, so filters can match by interval overlap and
lists can sort by bounds, while :meth:`FuzzyDate.display` reads the date back at the precision
it was given. EDTF (ISO 8601-2) is the standard we lean on for the terse forms (``2008~``,
``199X``, ``2007/..``); the prose forms are what analysts actually type.

The parser is a small table of anchored regular expressions tried in order. Every pattern is a
plain sequence (no nested repetition), and input longer than :data:`MAX_LENGTH` is refused before
any pattern runs, so no input can make it backtrack for long.

This module must stay importable without Django settings: it is used by fields, forms, the
admin and tests that run before the project is configured. Messages are therefore plain strings.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import models

__all__ = [
    "ACCEPTED_FORMS",
    "INVALID_CODE",
    "MAX_LENGTH",
    "OPEN_LOWER",
    "OPEN_UPPER",
    "FuzzyDate",
    "Precision",
    "overlaps",
    "parse_fuzzy_date",
]

# Open sides are stored as the extreme dates rather than NULL, so that "lower <= x" and
# "upper >= x" filters and (lower, upper) ordering work on plain indexed columns.
OPEN_LOWER = date(1, 1, 1)
OPEN_UPPER = date(9999, 12, 31)

# Four-digit years only: "08" or "20080" are typos far more often than they are dates.
MIN_YEAR, MAX_YEAR = 1000, 2999

# The longest sensible date ("approximately 21 September 2010 to approximately 30 September
# 2010") is under 70 characters; refusing longer input up front bounds the parser's work.
MAX_LENGTH = 100

INVALID_CODE = "invalid_fuzzy_date"

# Ranges are displayed with an en dash, unspaced between bare numbers or names ("2007" to
# "2009") and spaced between full dates ("May 2007", "late 2009").
EN_DASH = "\u2013"

ACCEPTED_FORMS: tuple[str, ...] = (
    "2008",
    "2007-05 or May 2007",
    "2010-06-21, 21 June 2010 or June 21, 2010",
    "early/mid/late June 2010",
    "early/mid-/late 2009",
    "c. 2008 or 2008~",
    "1990s or 199X",
    "2010-06/2010-07 (any two dates joined by /)",
    "since 2007 or 2007/..",
    "until 2009 or ../2009",
)


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


def long_date(day: date) -> str:
    """'21 June 2010', whatever the process locale: how a single day is written everywhere
    (reader pages through relations.presentation, the admin's reading of a date)."""
    return f"{day.day} {MONTH_NAMES[day.month - 1]} {day.year}"


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


class _Unreadable(Exception):
    """Raised inside the parser; ``reason`` says what was wrong, when we can tell."""

    def __init__(self, reason: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class _Point:
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


def _unit(d: date, precision: Precision, approximate: bool = False) -> _Point:
    """The year, month or day containing ``d``."""
    if precision == Precision.YEAR:
        return _Point(date(d.year, 1, 1), date(d.year, 12, 31), precision, approximate)
    if precision == Precision.MONTH:
        end = date(d.year, d.month, _last_day(d.year, d.month))
        return _Point(date(d.year, d.month, 1), end, precision, approximate)
    return _Point(d, d, Precision.DAY, approximate)


# -- Reading one date -----------------------------------------------------------------------

_MONTH_ALTERNATIVES = "|".join(sorted(_MONTH_NUMBERS, key=len, reverse=True))


def _month(group: str) -> str:
    return rf"(?P<{group}>{_MONTH_ALTERNATIVES})\.?"


def _day(group: str) -> str:
    return rf"(?P<{group}>[0-9]{{1,2}})(?:st|nd|rd|th)?"


# Years take any run of digits so that "20080" or "08" get a precise complaint, not a shrug.
_YEAR = r"(?P<year>[0-9]+)"
_PART = r"(?P<part>early|mid|late)[- ]"


def _pattern(regex: str) -> re.Pattern[str]:
    return re.compile(regex, re.IGNORECASE)


# Tried in order with fullmatch; the forms do not overlap, the order is for the reader.
_POINT_FORMS: tuple[tuple[re.Pattern[str], Precision], ...] = (
    (_pattern(rf"{_YEAR}-(?P<month>[0-9]{{1,2}})-(?P<day>[0-9]{{1,2}})"), Precision.DAY),
    (_pattern(rf"{_day('day')} {_month('month')},? {_YEAR}"), Precision.DAY),
    (_pattern(rf"{_month('month')} {_day('day')},? {_YEAR}"), Precision.DAY),
    (_pattern(rf"{_PART}{_month('month')},? {_YEAR}"), Precision.PART_OF_MONTH),
    (_pattern(rf"{_YEAR}-(?P<month>[0-9]{{1,2}})"), Precision.MONTH),
    (_pattern(rf"{_month('month')},? {_YEAR}"), Precision.MONTH),
    (_pattern(rf"{_PART}{_YEAR}"), Precision.PART_OF_YEAR),
    (_pattern(_YEAR), Precision.YEAR),
    (_pattern(r"(?:the )?(?P<decade>[0-9]{3})0'?s"), Precision.DECADE),
    (_pattern(r"(?P<decade>[0-9]{3})X"), Precision.DECADE),  # EDTF
)

# A word where a month name belongs ("Jnue 2010", "21 Juné 2010", "summer 2009"): name it.
_NOT_A_MONTH = re.compile(
    r"(?:[0-9]{1,2} )?(?:(?:early|mid|late)[- ])?(?P<word>[^\W\d_]+)\.?(?: [0-9]{1,2},?)? [0-9]+",
    re.IGNORECASE,
)

# "c. 2008", "c.2008", "ca. 2008", "circa 2008", "about 2008": a dot may be followed directly by
# the date, a bare word needs its space (so no month name or year is ever eaten by it).
_APPROXIMATE_PREFIX = _pattern(
    r"(?:c|ca|approx)\. ?|(?:c|ca|circa|about|around|approx|approximately) "
)


def _year(digits: str) -> int:
    year = int(digits)
    if len(digits) != 4 or not MIN_YEAR <= year <= MAX_YEAR:
        raise _Unreadable(
            f"year {digits} is not supported (write four digits, {MIN_YEAR} to {MAX_YEAR})"
        )
    return year


def _month_number(token: str) -> int:
    if token.isdigit():
        number = int(token)
        if not 1 <= number <= 12:
            raise _Unreadable(f"month {number} does not exist")
        return number
    return _MONTH_NUMBERS[token.lower()]


def _point_from(match: re.Match[str], precision: Precision, approximate: bool) -> _Point:
    groups = match.groupdict()
    if precision == Precision.DECADE:
        start = _year(groups["decade"] + "0")
        return _Point(date(start, 1, 1), date(start + 9, 12, 31), precision, approximate)
    year = _year(groups["year"])
    if precision == Precision.YEAR:
        return _unit(date(year, 1, 1), precision, approximate)
    if precision == Precision.PART_OF_YEAR:
        first = _PART_START_MONTH[groups["part"].lower()]
        lower = date(year, first, 1)
        upper = date(year, first + 3, _last_day(year, first + 3))
        return _Point(lower, upper, precision, approximate)
    month = _month_number(groups["month"])
    if precision == Precision.MONTH:
        return _unit(date(year, month, 1), precision, approximate)
    last = _last_day(year, month)
    if precision == Precision.PART_OF_MONTH:
        first = _PART_START_DAY[groups["part"].lower()]
        upper = date(year, month, first + 9 if first < 21 else last)
        return _Point(date(year, month, first), upper, precision, approximate)
    day = int(groups["day"])
    if not 1 <= day <= last:
        name = MONTH_NAMES[month - 1]
        raise _Unreadable(f"{day} {name} {year} is not a date ({name} {year} has {last} days)")
    return _unit(date(year, month, day), Precision.DAY, approximate)


def _read_point(text: str) -> _Point:
    """Read one date, possibly approximate ("c. 2008", "2008-05~"); never an interval."""
    approximate = False
    prefix = _APPROXIMATE_PREFIX.match(text)
    if prefix:
        approximate, text = True, text[prefix.end() :]
    if text.endswith("~"):
        if approximate:
            raise _Unreadable("it is marked approximate twice")
        approximate, text = True, text[:-1]
    if text.endswith(("?", "%")):
        # EDTF "?" means uncertain, which is not "approximate"; storing it as such would change
        # what the source said, and we have nowhere else to keep it.
        raise _Unreadable(
            'uncertain dates ("?" or "%") are not supported; for an approximate date write "c."'
            ' before it or "~" after it'
        )
    for pattern, precision in _POINT_FORMS:
        match = pattern.fullmatch(text)
        if match:
            return _point_from(match, precision, approximate)
    not_a_month = _NOT_A_MONTH.fullmatch(text)
    if not_a_month:
        raise _Unreadable(f'"{not_a_month["word"]}" is not a month name')
    raise _Unreadable()


# -- Reading intervals ------------------------------------------------------------------------


class _Reading(NamedTuple):
    """What a text says: one date (start is end), an interval, or an open interval (a None)."""

    precision: Precision
    start: _Point | None
    end: _Point | None

    def fields(self) -> tuple[date, date, Precision, bool]:
        lower = self.start.lower if self.start else OPEN_LOWER
        upper = self.end.upper if self.end else OPEN_UPPER
        approximate = any(p.approximate for p in (self.start, self.end) if p)
        return lower, upper, self.precision, approximate


_DASH = "[-\u2013\u2014]"

# Ranges whose start borrows the end's year or month, joined by a dash: June to July 2010,
# 21 to 30 June 2010, June 21 to 30, 2010, 21 June to 3 July 2010; and 2007 to 2009, because
# "2007-2009" with an unspaced hyphen would otherwise be read as an ISO month. Each yields its
# two dates written out in full, which are then read like any other interval.
_COMPACT_FORMS: tuple[re.Pattern[str], ...] = (
    _pattern(r"(?P<y1>[0-9]{4}) ?" + _DASH + r" ?(?P<y2>[0-9]{4})"),
    _pattern(rf"{_month('m1')} ?{_DASH} ?{_month('m2')},? {_YEAR}"),
    _pattern(rf"{_day('d1')} ?{_DASH} ?{_day('d2')} {_month('m1')},? {_YEAR}"),
    _pattern(rf"{_month('m1')} {_day('d1')} ?{_DASH} ?{_day('d2')},? {_YEAR}"),
    _pattern(rf"{_day('d1')} {_month('m1')} ?{_DASH} ?{_day('d2')} {_month('m2')},? {_YEAR}"),
)

# Between two full dates: EDTF "/", " to ", or a dash. A hyphen must be spaced, because
# "2010-06" and "mid-2008" contain one.
_SEPARATOR = _pattern(r" ?/ ?| to | ?[\u2013\u2014] ?| - ")
_AND = _pattern(" and ")

# "06/21/2010" or "21.06.2010": day or month first? Refuse with a reason rather than guess.
_NUMERIC_DATE = _pattern(r"[0-9]{1,2}[./][0-9]{1,2}[./][0-9]{2,4}")


def _compact_ends(match: re.Match[str]) -> tuple[str, str]:
    g = match.groupdict()
    if g.get("y1"):
        return g["y1"], g["y2"]
    year = g["year"]
    if not g.get("d1"):
        return f"{g['m1']} {year}", f"{g['m2']} {year}"
    return f"{g['d1']} {g['m1']} {year}", f"{g['d2']} {g.get('m2') or g['m1']} {year}"


def _interval(start_text: str, end_text: str) -> _Reading:
    start, end = _read_point(start_text), _read_point(end_text)
    if end.upper < start.lower:
        raise _Unreadable(f"an interval's end ({end_text}) is before its start ({start_text})")
    return _Reading(Precision.INTERVAL, start, end)


def _read_span(text: str) -> _Reading:
    """Read one date, an interval, or an EDTF open interval ("2007/..", "../2009")."""
    for pattern in _COMPACT_FORMS:
        match = pattern.fullmatch(text)
        if match:
            return _interval(*_compact_ends(match))
    if _NUMERIC_DATE.fullmatch(text):
        raise _Unreadable(
            'a numeric date could mean day or month first; write "21 June 2010" or "2010-06-21"'
        )
    separators = list(_SEPARATOR.finditer(text))
    if not separators:
        point = _read_point(text)
        return _Reading(point.precision, point, point)
    if len(separators) > 1:
        raise _Unreadable("an interval joins exactly two dates, but this has more")
    separator = separators[0]
    start, end = text[: separator.start()], text[separator.end() :]
    open_start, open_end = start in ("", ".."), end in ("", "..")
    if open_start and open_end:
        raise _Unreadable("an interval needs at least one end")
    if separator.group().strip() == "/":  # EDTF: an empty or ".." side is open
        if open_start:
            return _Reading(Precision.OPEN, None, _read_point(end))
        if open_end:
            return _Reading(Precision.OPEN, _read_point(start), None)
    elif open_end:
        raise _Unreadable(f'an interval needs an end; for an open end write "since {start}"')
    elif open_start:
        raise _Unreadable(f'an interval needs a start; for an open start write "until {end}"')
    return _interval(start, end)


def _read(text: str) -> _Reading:
    """Read whitespace-normalised text, or raise _Unreadable."""
    if not text:
        raise _Unreadable("it is empty")
    if len(text) > MAX_LENGTH:
        raise _Unreadable(f"it is {len(text)} characters long; a date takes at most {MAX_LENGTH}")
    if text[:3].lower() == "in ":  # "In May 2009", as sentences in the sources begin
        text = text[3:]
    keyword, _, rest = text.partition(" ")
    match keyword.lower():
        case "since":
            return _Reading(Precision.OPEN, _read_point(rest), None)
        case "until" | "till":
            return _Reading(Precision.OPEN, None, _read_point(rest))
        case "from":  # "from 2007" is open-ended, "from 2007 to 2009" is not
            reading = _read_span(rest)
            if reading.precision == Precision.INTERVAL:
                return reading
            if reading.precision == Precision.OPEN:
                raise _Unreadable()
            return _Reading(Precision.OPEN, reading.start, None)
        case "between":
            separator = _AND.search(rest)
            if not separator:
                raise _Unreadable('"between" needs two dates joined by "and"')
            return _interval(rest[: separator.start()], rest[separator.end() :])
        case "after" | "before":
            # Does "after 2007" include 2007? Sources disagree, so make the analyst say it.
            raise _Unreadable(
                f'"{keyword}" is ambiguous about the date itself; write "since ..." or "until ..."'
            )
    return _read_span(text)


def _normalise(text: str) -> str:
    return " ".join(text.split())


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _invalid(value: object, reason: str | None) -> ValidationError:
    shown = f'"{_shorten(_normalise(value))}"' if isinstance(value, str) else repr(value)
    message = f"Could not read {shown} as a date"
    if reason:
        message += f": {reason}"
    message += ". Accepted forms: " + "; ".join(ACCEPTED_FORMS) + "."
    # Django interpolates params into the message with "%", so a "%" the analyst typed must be
    # escaped; the value itself is passed as a param for callers that want it whole.
    return ValidationError(message.replace("%", "%%"), code=INVALID_CODE, params={"value": value})


# -- The public value -----------------------------------------------------------------------


def overlaps(
    a_lower: date | None, a_upper: date | None, b_lower: date | None, b_upper: date | None
) -> bool:
    """Whether two inclusive intervals share at least one day; None is an unbounded side."""
    return (a_lower is None or b_upper is None or a_lower <= b_upper) and (
        b_lower is None or a_upper is None or b_lower <= a_upper
    )


@dataclass(frozen=True)
class FuzzyDate:
    """A date as typed, with the inclusive interval of days it means and its precision."""

    text: str  # as typed, whitespace-normalised
    lower: date  # inclusive; OPEN_LOWER when open
    upper: date  # inclusive; OPEN_UPPER when open
    precision: Precision
    approximate: bool = False

    def __post_init__(self) -> None:
        # Values rebuilt from database rows carry the precision as a plain string.
        object.__setattr__(self, "precision", Precision(self.precision))
        if self.lower > self.upper:
            raise ValueError(f"{self.text!r}: lower bound {self.lower} is after {self.upper}")

    @classmethod
    def parse(cls, text: str) -> FuzzyDate:
        """Read ``text``; raise ValidationError (code "invalid_fuzzy_date") if we cannot."""
        if not isinstance(text, str):
            reason = "it is empty" if text is None else f"expected text, not {type(text).__name__}"
            raise _invalid(text, reason)
        normalised = _normalise(text)
        try:
            reading = _read(normalised)
        except _Unreadable as error:
            raise _invalid(text, error.reason) from None
        return cls(normalised, *reading.fields())

    def display(self) -> str:
        """The canonical reading at the original precision; parsing it gives the same value."""
        if self.precision not in (Precision.INTERVAL, Precision.OPEN):
            return _Point(self.lower, self.upper, self.precision, self.approximate).display()
        start, end = self._ends()
        if start is None:
            return f"until {end.display()}"
        if end is None:
            return f"since {start.display()}"
        return _interval_display(start, end)

    __str__ = display

    @property
    def is_open(self) -> bool:
        return self.lower == OPEN_LOWER or self.upper == OPEN_UPPER

    def sort_key(self) -> tuple[date, date]:
        """Chronological order: by start, then the narrower (earlier-ending) first."""
        return (self.lower, self.upper)

    def overlaps(self, lower: date | None, upper: date | None) -> bool:
        """Whether this date shares at least one day with [lower, upper] (None: unbounded)."""
        return overlaps(self.lower, self.upper, lower, upper)

    def within(self, lower: date | None, upper: date | None) -> bool:
        """Whether every day this date may mean lies in [lower, upper] (None: unbounded).

        A date that overlaps a filter but is not within it is imprecise relative to it.
        """
        return (lower is None or lower <= self.lower) and (upper is None or self.upper <= upper)

    def _ends(self) -> tuple[_Point | None, _Point | None]:
        """The start and end of an (open) interval, at the precision they were typed in.

        Bounds alone cannot tell "May 2007" from "mid-2007" (both start on 1 May), so we read
        the text again. Should it not agree with the fields (a value built by hand), fall back
        to the coarsest of year, month or day that fits the bounds.
        """
        try:
            reading = _read(_normalise(self.text))
        except _Unreadable:
            reading = None
        if reading is not None and reading.fields() == (
            self.lower,
            self.upper,
            self.precision,
            self.approximate,
        ):
            return reading.start, reading.end
        is_open = self.precision == Precision.OPEN
        starts_open = is_open and self.lower == OPEN_LOWER and self.upper != OPEN_UPPER
        ends_open = is_open and not starts_open
        unit = _coarsest_unit(
            None if starts_open else self.lower, None if ends_open else self.upper
        )
        start = None if starts_open else _unit(self.lower, unit, self.approximate)
        end = None if ends_open else _unit(self.upper, unit, self.approximate and start is None)
        return start, end


def _coarsest_unit(lower: date | None, upper: date | None) -> Precision:
    for unit in (Precision.YEAR, Precision.MONTH):
        if (lower is None or _unit(lower, unit).lower == lower) and (
            upper is None or _unit(upper, unit).upper == upper
        ):
            return unit
    return Precision.DAY


def _interval_display(start: _Point, end: _Point) -> str:
    """Share the year (and month) where both ends have the same precision; else write both."""
    s, e = start.lower, end.lower
    if not (start.approximate or end.approximate) and start.precision == end.precision:
        if start.precision == Precision.YEAR:
            return f"{s.year}{EN_DASH}{e.year}"
        if start.precision == Precision.MONTH and s.year == e.year:
            return f"{MONTH_NAMES[s.month - 1]}{EN_DASH}{MONTH_NAMES[e.month - 1]} {s.year}"
        if start.precision == Precision.DAY and s.year == e.year:
            if s.month == e.month:
                return f"{s.day}{EN_DASH}{e.day} {MONTH_NAMES[s.month - 1]} {s.year}"
            return (
                f"{s.day} {MONTH_NAMES[s.month - 1]} {EN_DASH} "
                f"{e.day} {MONTH_NAMES[e.month - 1]} {s.year}"
            )
    return f"{start.display()} {EN_DASH} {end.display()}"


def parse_fuzzy_date(text: str) -> FuzzyDate:
    """Read what an analyst typed; raise ValidationError saying why and listing accepted forms."""
    return FuzzyDate.parse(text)
