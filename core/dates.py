"""Fuzzy dates: what an analyst typed, read as an inclusive interval of days and a precision.

Sources date things at every precision: "2008", "May 2007", "late June 2010", "c. 2008",
"the 1990s", "2010-06/2010-07", "since 2007", or only on one side: "by 2005", "after May 2009"
(one time no later, or no earlier, than a date; not the span "until 2005"). Words that need
their context ("subsequently", "undated", "in recent years") are resolved once, at entry, into
such text (:func:`resolve_relative`). We keep the text as typed and derive an inclusive
``[lower, upper]`` interval of ``datetime.date``s, so filters can match by interval overlap and
lists can sort by bounds, while :meth:`FuzzyDate.display` reads the date back at the precision
it was given. EDTF (ISO 8601-2) is the standard we lean on for the terse forms (``2008~``,
``199X``, ``2007/..``, ``[..1998]``); the prose forms are what analysts actually type.

The parser is a few small tables of anchored regular expressions tried in order: one date's
forms in :mod:`core.date_units`, spans and bounds here. Every pattern is a plain sequence (no
nested repetition), and input longer than :data:`MAX_LENGTH` is refused before any pattern
runs, so no input can make it backtrack for long.

This module must stay importable without Django settings: it is used by fields, forms, the
admin and tests that run before the project is configured. Messages are therefore plain strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from django.core.exceptions import ValidationError

from core.date_units import (
    MONTH_NAMES,
    POINT_PRECISIONS,
    YEAR,
    Point,
    Precision,
    Unreadable,
    day_group,
    month_group,
    pattern,
    read_point,
    unit,
)

__all__ = [
    "ACCEPTED_FORMS",
    "INVALID_CODE",
    "MAX_LENGTH",
    "MONTH_NAMES",
    "ONE_DAY",
    "OPEN_LOWER",
    "OPEN_UPPER",
    "POINT_PRECISIONS",
    "FuzzyDate",
    "Precision",
    "long_date",
    "overlaps",
    "parse_fuzzy_date",
    "resolve_relative",
]

# Open sides are stored as the extreme dates rather than NULL, so that "lower <= x" and
# "upper >= x" filters and (lower, upper) ordering work on plain indexed columns.
OPEN_LOWER = date(1, 1, 1)
OPEN_UPPER = date(9999, 12, 31)
ONE_DAY = timedelta(days=1)

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
    "by/no later than/as early as/before 2005",
    "after/no earlier than 2007",
    "after May 2009, by July 2010",
    "in recent years, as of July 2010",
    "subsequently or undated (resolved at entry)",
)


def long_date(day: date) -> str:
    """'21 June 2010', whatever the process locale: how a single day is written everywhere
    (reader pages through relations.presentation, the admin's reading of a date)."""
    return f"{day.day} {MONTH_NAMES[day.month - 1]} {day.year}"


# -- Reading intervals and bounds -------------------------------------------------------------


class _Reading(NamedTuple):
    """What a text says: one date (start is end), an interval, or an open interval (a None);
    for a bounded time, the word before each side ("after" May 2009, "by" 6 July 2010)."""

    precision: Precision
    start: Point | None
    end: Point | None
    after: str = ""  # "after" (from the day after start) or "no earlier than" (from its first)
    by: str = ""  # "before" (to the day before end) or "by", "as early as"... (to its last)

    def fields(self) -> tuple[date, date, Precision, bool]:
        lower, upper = OPEN_LOWER, OPEN_UPPER
        if self.start:
            lower = self.start.upper + ONE_DAY if self.after == "after" else self.start.lower
        if self.end:
            upper = self.end.lower - ONE_DAY if self.by == "before" else self.end.upper
        approximate = any(p.approximate for p in (self.start, self.end) if p)
        return lower, upper, self.precision, approximate

    def display(self) -> str:
        """The canonical text: each date at its own precision, the analyst's words kept."""
        start = self.start.display() if self.start else ""
        end = self.end.display() if self.end else ""
        match self.precision:
            case Precision.OPEN:
                return f"since {start}" if self.start else f"until {end}"
            case Precision.INTERVAL:
                return _interval_display(self.start, self.end)
            case Precision.NOT_AFTER:
                return f"{self.by} {end}"
            case Precision.NOT_BEFORE:
                return f"{self.after} {start}"
            case Precision.WINDOW:
                return f"{self.after} {start}, {self.by} {end}"
            case Precision.RECENT:
                return f"in recent years, as of {end}"
        return start


_DASH = "[-\u2013\u2014]"

# Ranges whose start borrows the end's year or month, joined by a dash: June to July 2010,
# 21 to 30 June 2010, June 21 to 30, 2010, 21 June to 3 July 2010; and 2007 to 2009, because
# "2007-2009" with an unspaced hyphen would otherwise be read as an ISO month. Each yields its
# two dates written out in full, which are then read like any other interval.
_COMPACT_FORMS: tuple[re.Pattern[str], ...] = (
    pattern(r"(?P<y1>[0-9]{4}) ?" + _DASH + r" ?(?P<y2>[0-9]{4})"),
    pattern(rf"{month_group('m1')} ?{_DASH} ?{month_group('m2')},? {YEAR}"),
    pattern(rf"{day_group('d1')} ?{_DASH} ?{day_group('d2')} {month_group('m1')},? {YEAR}"),
    pattern(rf"{month_group('m1')} {day_group('d1')} ?{_DASH} ?{day_group('d2')},? {YEAR}"),
    pattern(
        rf"{day_group('d1')} {month_group('m1')} ?{_DASH} ?"
        rf"{day_group('d2')} {month_group('m2')},? {YEAR}"
    ),
)

# Between two full dates: EDTF "/", " to ", or a dash. A hyphen must be spaced, because
# "2010-06" and "mid-2008" contain one.
_SEPARATOR = pattern(r" ?/ ?| to | ?[\u2013\u2014] ?| - ")
_AND = pattern(" and ")

# "06/21/2010" or "21.06.2010": day or month first? Refuse with a reason rather than guess.
_NUMERIC_DATE = pattern(r"[0-9]{1,2}[./][0-9]{1,2}[./][0-9]{2,4}")


def _compact_ends(match: re.Match[str]) -> tuple[str, str]:
    g = match.groupdict()
    if g.get("y1"):
        return g["y1"], g["y2"]
    year = g["year"]
    if not g.get("d1"):
        return f"{g['m1']} {year}", f"{g['m2']} {year}"
    return f"{g['d1']} {g['m1']} {year}", f"{g['d2']} {g.get('m2') or g['m1']} {year}"


def _interval(start_text: str, end_text: str) -> _Reading:
    start, end = read_point(start_text), read_point(end_text)
    if end.upper < start.lower:
        raise Unreadable(f"an interval's end ({end_text}) is before its start ({start_text})")
    return _Reading(Precision.INTERVAL, start, end)


def _read_span(text: str) -> _Reading:
    """Read one date, an interval, or an EDTF open interval ("2007/..", "../2009")."""
    for form in _COMPACT_FORMS:
        match = form.fullmatch(text)
        if match:
            return _interval(*_compact_ends(match))
    if _NUMERIC_DATE.fullmatch(text):
        raise Unreadable(
            'a numeric date could mean day or month first; write "21 June 2010" or "2010-06-21"'
        )
    separators = list(_SEPARATOR.finditer(text))
    if not separators:
        point = read_point(text)
        return _Reading(point.precision, point, point)
    if len(separators) > 1:
        raise Unreadable("an interval joins exactly two dates, but this has more")
    separator = separators[0]
    start, end = text[: separator.start()], text[separator.end() :]
    open_start, open_end = start in ("", ".."), end in ("", "..")
    if open_start and open_end:
        raise Unreadable("an interval needs at least one end")
    if separator.group().strip() == "/":  # EDTF: an empty or ".." side is open
        if open_start:
            return _Reading(Precision.OPEN, None, read_point(end))
        if open_end:
            return _Reading(Precision.OPEN, read_point(start), None)
    elif open_end:
        raise Unreadable(f'an interval needs an end; for an open end write "since {start}"')
    elif open_start:
        raise Unreadable(f'an interval needs a start; for an open start write "until {end}"')
    return _interval(start, end)


# One time known only to lie no later, or no earlier, than a date: "by 2005", "after May 2009",
# "after May 2009, by 6 July 2010". "before" and "after" leave the date itself out ("after May
# 2009" starts on 1 June), the other words take it in. Tried in order with fullmatch; the window
# first, since its start would otherwise be read as "May 2009, by 6 July 2010". Each side's words
# are kept for display; EDTF's sets ("[..1998]": 1998 or earlier) read as "by", "no earlier than".
_AFTER = "after|no earlier than"
_BY = "by|no later than|as early as|before"
_BY_IN_WINDOW = "by|no later than|before"
_BOUNDED_FORMS: tuple[tuple[re.Pattern[str], Precision], ...] = (
    (
        pattern(rf"(?P<after>{_AFTER}) (?P<start>.+?),? (?P<by>{_BY_IN_WINDOW}) (?P<end>.+)"),
        Precision.WINDOW,
    ),
    (pattern(rf"(?P<by>{_BY}) (?P<end>.+)"), Precision.NOT_AFTER),
    (pattern(rf"(?P<after>{_AFTER}) (?P<start>.+)"), Precision.NOT_BEFORE),
    (pattern(r"\[\.\.(?P<end>[^\]]+)\]"), Precision.NOT_AFTER),
    (pattern(r"\[(?P<start>[^\]]+?)\.\.\]"), Precision.NOT_BEFORE),
    (pattern(r"(?:in )?recent years,? as of (?P<end>.+)"), Precision.RECENT),
)

# Words whose date depends on their context: refused here with what they need, resolved at
# entry by resolve_relative (kind "after": the previous fact's date; the others: the source's).
_RELATIVE_FORMS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (pattern("subsequently|afterwards|later"), "after", 'say after what, e.g. "after May 2009"'),
    (
        pattern("undated|by the source['\u2019]?s date"),
        "by",
        'say by when (the source\'s date), e.g. "by July 2010"',
    ),
    (
        pattern("in recent years"),  # bare "recent years" is not how sources put it
        "recent",
        'say as of when (the source\'s date), e.g. "in recent years, as of July 2010"',
    ),
)


def _relative_kind(text: str) -> tuple[str, str] | None:
    """The kind of a relative word, and what it needs; None when ``text`` is not one."""
    for form, kind, hint in _RELATIVE_FORMS:
        if form.fullmatch(text):
            return kind, hint
    return None


def _read_bounded(text: str) -> _Reading | None:
    """A time bounded on one side or both ("by 2005"); None when the text is not one."""
    for form, precision in _BOUNDED_FORMS:
        match = form.fullmatch(text)
        if match:
            return _bounded(precision, match.groupdict())
    return None


def _bounded(precision: Precision, parts: dict[str, str | None]) -> _Reading:
    """Read the dates a bounded form matched; refuse a window that no day fits."""
    start, end = parts.get("start"), parts.get("end")
    after = (parts.get("after") or "no earlier than").lower() if start else ""
    by = (parts.get("by") or "by").lower() if end else ""
    reading = _Reading(
        precision,
        read_point(start) if start else None,
        read_point(end) if end else None,
        after,
        by,
    )
    lower, upper, *_ = reading.fields()
    if upper < lower:
        raise Unreadable(f"no day is both {after} {start} and {by} {end}")
    return reading


def _read(text: str) -> _Reading:
    """Read whitespace-normalised text, or raise Unreadable."""
    if not text:
        raise Unreadable("it is empty")
    if len(text) > MAX_LENGTH:
        raise Unreadable(f"it is {len(text)} characters long; a date takes at most {MAX_LENGTH}")
    relative = _relative_kind(text)
    if relative:
        raise Unreadable(f'"{text}" is relative: {relative[1]}')
    bounded = _read_bounded(text)  # before "in " is dropped: "in recent years, as of 2010"
    if bounded:
        return bounded
    if text[:3].lower() == "in ":  # "In May 2009", as sentences in the sources begin
        text = text[3:]
    keyword, _, rest = text.partition(" ")
    match keyword.lower():
        case "since":
            return _Reading(Precision.OPEN, read_point(rest), None)
        case "until" | "till":
            return _Reading(Precision.OPEN, None, read_point(rest))
        case "from":  # "from 2007" is open-ended, "from 2007 to 2009" is not
            reading = _read_span(rest)
            if reading.precision == Precision.INTERVAL:
                return reading
            if reading.precision == Precision.OPEN:
                raise Unreadable()
            return _Reading(Precision.OPEN, reading.start, None)
        case "between":
            separator = _AND.search(rest)
            if not separator:
                raise Unreadable('"between" needs two dates joined by "and"')
            return _interval(rest[: separator.start()], rest[separator.end() :])
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
        except Unreadable as error:
            raise _invalid(text, error.reason) from None
        return cls(normalised, *reading.fields())

    def display(self) -> str:
        """The canonical reading at the original precision; parsing it gives the same value."""
        if self.precision in POINT_PRECISIONS:
            return Point(self.lower, self.upper, self.precision, self.approximate).display()
        return self._reading().display()

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

    def _ends(self) -> tuple[Point | None, Point | None]:
        """The start and end as typed ("May 2009" in "2009-05/2010-07"); None where open."""
        reading = self._reading()
        return reading.start, reading.end

    def _reading(self) -> _Reading:
        """What the text says, each date at the precision it was typed in.

        Bounds alone cannot tell "May 2007" from "mid-2007" (both start on 1 May), nor "by 2005"
        from "as early as 2005", so we read the text again. Should it not agree with the fields
        (a value built by hand), fall back to the coarsest of year, month or day that fits.
        """
        try:
            reading = _read(_normalise(self.text))
        except Unreadable:
            reading = None
        fields = (self.lower, self.upper, self.precision, self.approximate)
        if reading is not None and reading.fields() == fields:
            return reading
        return _reading_of_bounds(*fields)


def _reading_of_bounds(lower: date, upper: date, precision: Precision, approx: bool) -> _Reading:
    """A span's ends share one unit ("January–March 2008"); a bounded time's sides do not."""
    has_start = precision not in (Precision.NOT_AFTER, Precision.RECENT)
    has_end = precision != Precision.NOT_BEFORE
    if precision == Precision.OPEN:
        has_end = lower == OPEN_LOWER and upper != OPEN_UPPER
        has_start = not has_end
    start_lower, end_upper = (lower if has_start else None), (upper if has_end else None)
    if precision in (Precision.OPEN, Precision.INTERVAL):
        start_unit = end_unit = _coarsest_unit(start_lower, end_upper)
    else:
        start_unit, end_unit = _coarsest_unit(start_lower, None), _coarsest_unit(None, end_upper)
    start = unit(lower, start_unit, approx) if has_start else None
    end = unit(upper, end_unit, approx and not has_start) if has_end else None
    return _Reading(precision, start, end, "no earlier than", "by")


def _coarsest_unit(lower: date | None, upper: date | None) -> Precision:
    for candidate in (Precision.YEAR, Precision.MONTH):
        if (lower is None or unit(lower, candidate).lower == lower) and (
            upper is None or unit(upper, candidate).upper == upper
        ):
            return candidate
    return Precision.DAY


def _interval_display(start: Point, end: Point) -> str:
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


def resolve_relative(
    text: str, *, source: FuzzyDate | None = None, previous: FuzzyDate | None = None
) -> str:
    """The text to store for a date given relative to its context, resolved once, at entry.

    "undated" or "by the source's date" becomes "by <source>"; "in recent years" becomes "in
    recent years, as of <source>"; "subsequently" ("afterwards", "later") becomes "after
    <previous>", with ", by <source>" when the source's date is known. ``source`` is the citing
    source's publication date, ``previous`` the date of the fact this one follows; each is
    written as it displays, so the result is never more precise than they are. Text that is
    not relative is returned unchanged; missing or unusable context raises ValidationError.
    """
    relative = _relative_kind(_normalise(text)) if isinstance(text, str) else None
    if relative is None:
        return text
    if relative[0] != "after":
        as_of = _anchor(text, source, "the source's date")
        return f"by {as_of}" if relative[0] == "by" else f"in recent years, as of {as_of}"
    after = _anchor(text, previous, "the date of the fact it follows")
    if source is None:
        return f"after {after}"
    by = _anchor(text, source, "the source's date")
    if source.upper <= previous.upper:
        reason = f"the fact it follows ({after}) is not before the source's date ({by})"
        raise _invalid(text, reason)
    return f"after {after}, by {by}"


def _anchor(text: str, anchor: FuzzyDate | None, what: str) -> str:
    """How a relative word's anchor reads; refused unless it is one date (not a span)."""
    relative = f'"{_normalise(text)}" is relative'
    if anchor is None:
        raise _invalid(text, f"{relative}: it needs {what}")
    if anchor.precision not in POINT_PRECISIONS:
        raise _invalid(text, f"{relative}: {what} ({anchor.display()}) is not a single date")
    return anchor.display()
