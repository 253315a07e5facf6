"""Reading fuzzy dates: the shared vectors, our own, errors, order, overlap and robustness.

The shared vectors (``fuzzy-dates.tsv``, beside DESIGN.md) are authoritative and read at test
time; the tables below extend them, and still run when that file is not available. Relative
dates ("subsequently", "undated", "in recent years") are resolved against their context by the
vectors of ``fuzzy-dates-relative.tsv``.
"""

from __future__ import annotations

import csv
import os
import random
import string
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from django.core.exceptions import ValidationError

from core import dates
from core.dates import (
    ACCEPTED_FORMS,
    OPEN_LOWER,
    OPEN_UPPER,
    FuzzyDate,
    Precision,
    overlaps,
    parse_fuzzy_date,
    resolve_relative,
)
from relations.models import Event
from tests.factories import EventFactory

EN = "\u2013"  # en dash, spelled out so that it cannot be mistaken for a hyphen
EM = "\u2014"

# -- Vectors --------------------------------------------------------------------------------


class Vector(NamedTuple):
    text: str
    lower: date
    upper: date
    precision: Precision
    approximate: bool
    display: str | None  # None: any faithful rendering


def _bound(text: str, open_value: date) -> date:
    return open_value if text == "open" else date.fromisoformat(text)


def _vector(
    text: str,
    lower: str,
    upper: str,
    precision: Precision,
    display: str | None,
    *,
    approximate: bool = False,
) -> Vector:
    return Vector(
        text,
        _bound(lower, OPEN_LOWER),
        _bound(upper, OPEN_UPPER),
        precision,
        approximate,
        display,
    )


def _id(text: object) -> str:
    if not isinstance(text, str):
        return repr(text)
    if not text.strip():
        return repr(text)
    return text if len(text) <= 40 else f"{text[:20]}...({len(text)} chars)"


# The vectors live in the repo (a copy of shared/fuzzy-dates.tsv, extended, never weakened), so
# the suite never depends on a folder outside the clone; the team's copy is checked against it.
VECTORS = Path(__file__).with_name("fuzzy-dates.tsv")


def _team_vectors_file() -> Path | None:
    candidates = [Path(__file__).resolve().parents[3] / "shared" / "fuzzy-dates.tsv"]
    if os.environ.get("RELATA_SHARED"):
        candidates.append(Path(os.environ["RELATA_SHARED"]) / "fuzzy-dates.tsv")
    return next((path for path in candidates if path.is_file()), None)


def test_our_vectors_hold_every_vector_of_the_teams_file():
    team = _team_vectors_file()
    if team is None:
        pytest.skip("the team's shared/fuzzy-dates.tsv is not beside this clone")
    ours = set(VECTORS.read_text(encoding="utf-8").splitlines())
    missing = [line for line in team.read_text(encoding="utf-8").splitlines() if line not in ours]
    assert not missing, f"shared vectors missing from {VECTORS.name}: {missing}"


def _tsv_precision(text: str) -> tuple[Precision, bool]:
    """The file names precisions by value or label, with " (approximate)" appended."""
    approximate = text.endswith(" (approximate)")
    text = text.removesuffix(" (approximate)")
    by_label = {precision.label: precision for precision in Precision}
    return (Precision(text) if text in Precision.values else by_label[text]), approximate


def _load_shared_vectors() -> tuple[list[Vector], list[str]]:
    path = VECTORS
    accepted: list[Vector] = []
    refused: list[str] = []
    with path.open(encoding="utf-8", newline="") as lines:
        # Lines are not stripped (the empty input's line starts with a tab) and quotes are data.
        rows = csv.reader(
            (line for line in lines if not line.startswith("#")),
            delimiter="\t",
            quoting=csv.QUOTE_NONE,
        )
        for row in rows:
            text, lower, upper, precision, display = (row + [""] * 5)[:5]
            if (text, lower) == ("input", "lower"):
                continue
            if lower == "error":
                refused.append(text)
                continue
            precision, approximate = _tsv_precision(precision)
            accepted.append(
                Vector(
                    text,
                    _bound(lower, OPEN_LOWER),
                    _bound(upper, OPEN_UPPER),
                    precision,
                    approximate,
                    display or None,
                )
            )
    return accepted, refused


SHARED_ACCEPTED, SHARED_REFUSED = _load_shared_vectors()


def _shared_params(values: list[Any], text_of: Callable[[Any], str] = str) -> list[Any]:
    """One param per vector of the TSV."""
    assert values, f"no vectors read from {VECTORS}"
    return [pytest.param(value, id=_id(text_of(value))) for value in values]


Y, M, D = Precision.YEAR, Precision.MONTH, Precision.DAY
POM, POY, DEC = Precision.PART_OF_MONTH, Precision.PART_OF_YEAR, Precision.DECADE
INT, OPEN = Precision.INTERVAL, Precision.OPEN
NA, NB, WIN, REC = Precision.NOT_AFTER, Precision.NOT_BEFORE, Precision.WINDOW, Precision.RECENT

EXTRA_ACCEPTED: list[Vector] = [
    # Years, at the edges of what we accept.
    _vector("1000", "1000-01-01", "1000-12-31", Y, "1000"),
    _vector("2999", "2999-01-01", "2999-12-31", Y, "2999"),
    _vector("  2008 ", "2008-01-01", "2008-12-31", Y, "2008"),
    _vector("IN 2008", "2008-01-01", "2008-12-31", Y, "2008"),
    # Months: ISO, names, abbreviations (with "Sept"), dots, leap years.
    _vector("2007-5", "2007-05-01", "2007-05-31", M, "May 2007"),
    _vector("Sept 2009", "2009-09-01", "2009-09-30", M, "September 2009"),
    _vector("Sept. 2009", "2009-09-01", "2009-09-30", M, "September 2009"),
    _vector("sep 2009", "2009-09-01", "2009-09-30", M, "September 2009"),
    _vector("SEPTEMBER 2009", "2009-09-01", "2009-09-30", M, "September 2009"),
    _vector("Dec. 2008", "2008-12-01", "2008-12-31", M, "December 2008"),
    _vector("May, 2007", "2007-05-01", "2007-05-31", M, "May 2007"),
    _vector("February 2000", "2000-02-01", "2000-02-29", M, "February 2000"),
    _vector("Feb 1900", "1900-02-01", "1900-02-28", M, "February 1900"),
    _vector("2100-02", "2100-02-01", "2100-02-28", M, "February 2100"),
    # Days: ISO, day-month-year, month-day-year; displayed day first without a leading zero.
    _vector("2010-06-21", "2010-06-21", "2010-06-21", D, "21 June 2010"),
    _vector("June 21, 2010", "2010-06-21", "2010-06-21", D, "21 June 2010"),
    _vector("July 06, 2010", "2010-07-06", "2010-07-06", D, "6 July 2010"),
    _vector("21 Jun 2010", "2010-06-21", "2010-06-21", D, "21 June 2010"),
    _vector("21 jun. 2010", "2010-06-21", "2010-06-21", D, "21 June 2010"),
    _vector("June 21 2010", "2010-06-21", "2010-06-21", D, "21 June 2010"),
    _vector("Jun 21, 2010", "2010-06-21", "2010-06-21", D, "21 June 2010"),
    _vector("21st June 2010", "2010-06-21", "2010-06-21", D, "21 June 2010"),
    _vector("2008-02-29", "2008-02-29", "2008-02-29", D, "29 February 2008"),
    _vector("29 Feb 2008", "2008-02-29", "2008-02-29", D, "29 February 2008"),
    _vector("1 January 2000", "2000-01-01", "2000-01-01", D, "1 January 2000"),
    _vector("2010-12-31", "2010-12-31", "2010-12-31", D, "31 December 2010"),
    # Parts of a month: 1-10, 11-20, 21 to the month's end.
    _vector("mid June 2010", "2010-06-11", "2010-06-20", POM, "mid-June 2010"),
    _vector("early-June 2010", "2010-06-01", "2010-06-10", POM, "early June 2010"),
    _vector("early Feb 2009", "2009-02-01", "2009-02-10", POM, "early February 2009"),
    _vector("late Feb 2009", "2009-02-21", "2009-02-28", POM, "late February 2009"),
    _vector("late December 2010", "2010-12-21", "2010-12-31", POM, "late December 2010"),
    _vector("late Sept. 2010", "2010-09-21", "2010-09-30", POM, "late September 2010"),
    # Parts of a year: January-April, May-August, September-December.
    _vector("mid 2008", "2008-05-01", "2008-08-31", POY, "mid-2008"),
    _vector("Late 2008", "2008-09-01", "2008-12-31", POY, "late 2008"),
    _vector("In mid-2008", "2008-05-01", "2008-08-31", POY, "mid-2008"),
    _vector("EARLY 2009", "2009-01-01", "2009-04-30", POY, "early 2009"),
    # Approximate: the bounds of the plain date, flagged.
    _vector("c.2008", "2008-01-01", "2008-12-31", Y, "c. 2008", approximate=True),
    _vector("ca. 2008", "2008-01-01", "2008-12-31", Y, "c. 2008", approximate=True),
    _vector("ca 2008", "2008-01-01", "2008-12-31", Y, "c. 2008", approximate=True),
    _vector("about 2008", "2008-01-01", "2008-12-31", Y, "c. 2008", approximate=True),
    _vector("around 2008", "2008-01-01", "2008-12-31", Y, "c. 2008", approximate=True),
    _vector("approx. 2008", "2008-01-01", "2008-12-31", Y, "c. 2008", approximate=True),
    _vector("In c. 2008", "2008-01-01", "2008-12-31", Y, "c. 2008", approximate=True),
    _vector("c. May 2008", "2008-05-01", "2008-05-31", M, "c. May 2008", approximate=True),
    _vector("2008-05~", "2008-05-01", "2008-05-31", M, "c. May 2008", approximate=True),
    _vector("May 2008~", "2008-05-01", "2008-05-31", M, "c. May 2008", approximate=True),
    _vector("2010-06-21~", "2010-06-21", "2010-06-21", D, "c. 21 June 2010", approximate=True),
    _vector(
        "circa late June 2010",
        "2010-06-21",
        "2010-06-30",
        POM,
        "c. late June 2010",
        approximate=True,
    ),
    _vector("about mid-2008", "2008-05-01", "2008-08-31", POY, "c. mid-2008", approximate=True),
    _vector("c. 1990s", "1990-01-01", "1999-12-31", DEC, "c. 1990s", approximate=True),
    # Decades.
    _vector("199x", "1990-01-01", "1999-12-31", DEC, "1990s"),
    _vector("201X", "2010-01-01", "2019-12-31", DEC, "2010s"),
    _vector("2000s", "2000-01-01", "2009-12-31", DEC, "2000s"),
    _vector("1990's", "1990-01-01", "1999-12-31", DEC, "1990s"),
    _vector("the 1990s", "1990-01-01", "1999-12-31", DEC, "1990s"),
    _vector("In the 1990s", "1990-01-01", "1999-12-31", DEC, "1990s"),
    # Intervals between years, every way of joining them.
    _vector("2007 to 2009", "2007-01-01", "2009-12-31", INT, f"2007{EN}2009"),
    _vector(f"2007 {EN} 2009", "2007-01-01", "2009-12-31", INT, f"2007{EN}2009"),
    _vector(f"2007{EN}2009", "2007-01-01", "2009-12-31", INT, f"2007{EN}2009"),
    _vector(f"2007 {EM} 2009", "2007-01-01", "2009-12-31", INT, f"2007{EN}2009"),
    _vector("2007 - 2009", "2007-01-01", "2009-12-31", INT, f"2007{EN}2009"),
    _vector("2007-2009", "2007-01-01", "2009-12-31", INT, f"2007{EN}2009"),
    _vector("2007 / 2009", "2007-01-01", "2009-12-31", INT, f"2007{EN}2009"),
    _vector("from 2007 to 2009", "2007-01-01", "2009-12-31", INT, f"2007{EN}2009"),
    _vector("between 2007 and 2009", "2007-01-01", "2009-12-31", INT, f"2007{EN}2009"),
    _vector("2008/2008", "2008-01-01", "2008-12-31", INT, f"2008{EN}2008"),
    # Intervals of months and days share their year (and month) in display.
    _vector(f"June{EN}July 2010", "2010-06-01", "2010-07-31", INT, f"June{EN}July 2010"),
    _vector("June-July 2010", "2010-06-01", "2010-07-31", INT, f"June{EN}July 2010"),
    _vector("Jun - Jul 2010", "2010-06-01", "2010-07-31", INT, f"June{EN}July 2010"),
    _vector("2010-12/2011-01", "2010-12-01", "2011-01-31", INT, f"December 2010 {EN} January 2011"),
    _vector("2010-06-21/2010-06-30", "2010-06-21", "2010-06-30", INT, f"21{EN}30 June 2010"),
    _vector(f"21{EN}30 June 2010", "2010-06-21", "2010-06-30", INT, f"21{EN}30 June 2010"),
    _vector("21-30 June 2010", "2010-06-21", "2010-06-30", INT, f"21{EN}30 June 2010"),
    _vector(f"June 21{EN}30, 2010", "2010-06-21", "2010-06-30", INT, f"21{EN}30 June 2010"),
    _vector("2010-06-21/2010-07-03", "2010-06-21", "2010-07-03", INT, f"21 June {EN} 3 July 2010"),
    _vector(
        f"21 June {EN} 3 July 2010", "2010-06-21", "2010-07-03", INT, f"21 June {EN} 3 July 2010"
    ),
    _vector(
        "2010-12-21/2011-01-05",
        "2010-12-21",
        "2011-01-05",
        INT,
        f"21 December 2010 {EN} 5 January 2011",
    ),
    # Intervals of mixed precision keep each end's own precision.
    _vector("May 2007/late 2009", "2007-05-01", "2009-12-31", INT, f"May 2007 {EN} late 2009"),
    _vector(
        f"May 2007 {EN} late 2009", "2007-05-01", "2009-12-31", INT, f"May 2007 {EN} late 2009"
    ),
    _vector(
        "early June 2010/late July 2010",
        "2010-06-01",
        "2010-07-31",
        INT,
        f"early June 2010 {EN} late July 2010",
    ),
    _vector("2009/May 2009", "2009-01-01", "2009-05-31", INT, f"2009 {EN} May 2009"),
    _vector("1990s/2000s", "1990-01-01", "2009-12-31", INT, f"1990s {EN} 2000s"),
    _vector(
        f"c. 2007 {EN} 2009",
        "2007-01-01",
        "2009-12-31",
        INT,
        f"c. 2007 {EN} 2009",
        approximate=True,
    ),
    _vector("2007/2009~", "2007-01-01", "2009-12-31", INT, f"2007 {EN} c. 2009", approximate=True),
    # Open intervals.
    _vector("from 2007", "2007-01-01", "open", OPEN, "since 2007"),
    _vector("2007/", "2007-01-01", "open", OPEN, "since 2007"),
    _vector("Since May 2007", "2007-05-01", "open", OPEN, "since May 2007"),
    _vector("2007-05/..", "2007-05-01", "open", OPEN, "since May 2007"),
    _vector("since mid-2007", "2007-05-01", "open", OPEN, "since mid-2007"),
    _vector("2010-06-21/", "2010-06-21", "open", OPEN, "since 21 June 2010"),
    _vector("since c. 2007", "2007-01-01", "open", OPEN, "since c. 2007", approximate=True),
    _vector("till 2009", "open", "2009-12-31", OPEN, "until 2009"),
    _vector("../2009", "open", "2009-12-31", OPEN, "until 2009"),
    _vector("/2009", "open", "2009-12-31", OPEN, "until 2009"),
    _vector("until late June 2010", "open", "2010-06-30", OPEN, "until late June 2010"),
    _vector("until 21 June 2010", "open", "2010-06-21", OPEN, "until 21 June 2010"),
    # No later than a date: one time, at any day up to the last the words allow.
    _vector("BY 2005", "open", "2005-12-31", NA, "by 2005"),
    _vector("by 2005-07", "open", "2005-07-31", NA, "by July 2005"),
    _vector("by late June 2010", "open", "2010-06-30", NA, "by late June 2010"),
    _vector("by the 1990s", "open", "1999-12-31", NA, "by 1990s"),
    _vector("by 2005~", "open", "2005-12-31", NA, "by c. 2005", approximate=True),
    _vector("No later than 21 June 2010", "open", "2010-06-21", NA, "no later than 21 June 2010"),
    _vector("as early as May 1998", "open", "1998-05-31", NA, "as early as May 1998"),
    _vector(
        "As early as c. 1998", "open", "1998-12-31", NA, "as early as c. 1998", approximate=True
    ),
    _vector("before late 2009", "open", "2009-08-31", NA, "before late 2009"),
    _vector("before 2010-06-21", "open", "2010-06-20", NA, "before 21 June 2010"),
    _vector("before 1 January 2000", "open", "1999-12-31", NA, "before 1 January 2000"),
    _vector("before March 2008", "open", "2008-02-29", NA, "before March 2008"),
    _vector("[..2005-07]", "open", "2005-07-31", NA, "by July 2005"),
    # No earlier than a date: "after" starts the day after it ends, "no earlier than" on it.
    _vector("After May 2009", "2009-06-01", "open", NB, "after May 2009"),
    _vector("after 31 December 2009", "2010-01-01", "open", NB, "after 31 December 2009"),
    _vector("after February 2008", "2008-03-01", "open", NB, "after February 2008"),
    _vector("after c. May 2009", "2009-06-01", "open", NB, "after c. May 2009", approximate=True),
    _vector("no earlier than mid-2008", "2008-05-01", "open", NB, "no earlier than mid-2008"),
    _vector("[2007-05..]", "2007-05-01", "open", NB, "no earlier than May 2007"),
    # Both at once, in any pairing of the words; the comma is optional, and shown.
    _vector(
        "after June 21, 2010, before 2011",
        "2010-06-22",
        "2010-12-31",
        WIN,
        "after 21 June 2010, before 2011",
    ),
    _vector(
        "after May 2009 by 6 July 2010",
        "2009-06-01",
        "2010-07-06",
        WIN,
        "after May 2009, by 6 July 2010",
    ),
    _vector(
        "no earlier than 2007, no later than 2009",
        "2007-01-01",
        "2009-12-31",
        WIN,
        "no earlier than 2007, no later than 2009",
    ),
    _vector(
        "no earlier than 2007, before 2009",
        "2007-01-01",
        "2008-12-31",
        WIN,
        "no earlier than 2007, before 2009",
    ),
    _vector("after 2009, before 2011", "2010-01-01", "2010-12-31", WIN, "after 2009, before 2011"),
    _vector("after 2009, by 2010", "2010-01-01", "2010-12-31", WIN, "after 2009, by 2010"),
    _vector(
        "after c. 2008, by 2010",
        "2009-01-01",
        "2010-12-31",
        WIN,
        "after c. 2008, by 2010",
        approximate=True,
    ),
    # In recent years, as of a date: any time up to it.
    _vector(
        "In recent years, as of July 2010",
        "open",
        "2010-07-31",
        REC,
        "in recent years, as of July 2010",
    ),
    _vector("recent years, as of 2010", "open", "2010-12-31", REC, "in recent years, as of 2010"),
    _vector(
        "in recent years as of 2010-07-06",
        "open",
        "2010-07-06",
        REC,
        "in recent years, as of 6 July 2010",
    ),
]

# (text, what the message must say beyond the accepted forms; None: nothing in particular)
EXTRA_REFUSED: list[tuple[str, str | None]] = [
    ("2010-00", "month 0 does not exist"),
    ("2010-13-01", "month 13 does not exist"),
    ("2008-21", "month 21 does not exist"),  # an EDTF season: not supported
    ("2010-06-00", "0 June 2010 is not a date"),
    ("2010-06-31", "31 June 2010 is not a date (June 2010 has 30 days)"),
    ("0 June 2010", "0 June 2010 is not a date"),
    ("2009-02-29", "29 February 2009 is not a date"),
    ("1900-02-29", "29 February 1900 is not a date"),
    ("February 30, 2008", "30 February 2008 is not a date"),
    ("0999", "year 0999 is not supported"),
    ("3000", "year 3000 is not supported"),
    ("20080", "year 20080 is not supported"),
    ("May 08", "year 08 is not supported"),
    ("0990s", "year 0990 is not supported"),
    ("Jnue 2010", '"Jnue" is not a month name'),
    ("21 Juné 2010", '"Juné" is not a month name'),
    ("summer 2009", '"summer" is not a month name'),
    ("2008?", "uncertain dates"),
    ("2008%", "uncertain dates"),
    ("c. 2008~", "approximate twice"),
    ("../..", "needs at least one end"),
    ("/", "needs at least one end"),
    (f"2007{EN}", 'write "since 2007"'),
    (f"{EN} 2009", 'write "until 2009"'),
    ("2007/2008/2009", "exactly two dates"),
    ("late 2009/early 2009", "an interval's end (early 2009) is before its start (late 2009)"),
    (f"July{EN}June 2010", "an interval's end (June 2010) is before its start (July 2010)"),
    ("2010-07/2010-06", "an interval's end (2010-06) is before its start (2010-07)"),
    ("06/21/2010", "could mean day or month first"),
    ("21.06.2010", "could mean day or month first"),
    ("2010/06", "year 06 is not supported"),
    ("between 2007", '"between" needs two dates joined by "and"'),
    ("x" * 101, "101 characters long"),
    (" ", "it is empty"),
    ("\t\n ", "it is empty"),
    ("recent years", None),
    ("after 2009, before 2010", "no day is both after 2009 and before 2010"),
    ("after 2010, by 2009", "no day is both after 2010 and by 2009"),
    ("no earlier than 2010, before 2010", "no day is both no earlier than 2010 and before 2010"),
    ("subsequently", '"subsequently" is relative: say after what, e.g. "after May 2009"'),
    ("Afterwards", '"Afterwards" is relative: say after what'),
    ("later", '"later" is relative: say after what'),
    ("undated", '"undated" is relative: say by when (the source\'s date), e.g. "by July 2010"'),
    ("by the source's date", "is relative: say by when"),
    ("by the source\u2019s date", "is relative: say by when"),
    ("by the sources date", "is relative: say by when"),
    ("in recent years", '"in recent years" is relative: say as of when'),
    ("In recent years", "is relative: say as of when"),
    ("by summer 2009", '"summer" is not a month name'),
    ("by", None),
    ("after", None),
    ("before", None),
    ("no later than", None),
    ("as early as", None),
    ("no earlier than", None),
    ("by ", None),
    ("[..]", None),
    ("[..1998", None),
    ("..1998]", None),
    ("[1998..2000]", None),
    ("[..1998]~", None),
    ("by 2005/2006", None),
    ("by since 2005", None),
    ("after until 2009", None),
    ("as early as 1998/..", None),
    ("in by 2005", None),
    ("after May 2009, as early as 2010", None),
    ("after May 2009, since 2010", None),
    ("by 2010, after 2009", None),
    ("in recent years, as of", None),
    ("in recent years, as of 2009/2010", None),
    ("in recent years, by 2010", None),
    ("subsequently, by 2010", None),
    ("\x00", None),
    ("2008\x00", None),
    ("\uff12\uff10\uff10\uff18", None),  # fullwidth digits
    ("\u0662\u0660\u0660\u0668", None),  # Arabic-Indic digits
    ("since", None),
    ("until", None),
    ("in", None),
    ("c.", None),
    ("~", None),
    ("..", None),
    ("2008~~", None),
    ("since 2007/2009", None),
    ("from ../2009", None),
    ("2007 onwards", None),
    (f"mid-June{EN}July 2010", None),
    ("2008-06-21T10:00", None),
    ("-2008", None),
    ("2008-W01", None),
    ("19XX", None),
]


# -- Parsing --------------------------------------------------------------------------------


def _assert_reads_as(vector: Vector) -> None:
    fuzzy = parse_fuzzy_date(vector.text)
    assert (fuzzy.lower, fuzzy.upper, fuzzy.precision, fuzzy.approximate) == (
        vector.lower,
        vector.upper,
        vector.precision,
        vector.approximate,
    )


@pytest.mark.parametrize("vector", _shared_params(SHARED_ACCEPTED, lambda v: v.text))
def test_shared_vector_is_read_as_its_interval(vector: Vector) -> None:
    _assert_reads_as(vector)


@pytest.mark.parametrize("vector", EXTRA_ACCEPTED, ids=[_id(v.text) for v in EXTRA_ACCEPTED])
def test_extra_vector_is_read_as_its_interval(vector: Vector) -> None:
    _assert_reads_as(vector)


def test_text_is_kept_as_typed_with_whitespace_normalised() -> None:
    assert parse_fuzzy_date("  In\tlate \n June\u00a0 2010 ").text == "In late June 2010"


@pytest.mark.parametrize(
    "text",
    [
        "2008",
        "2007-05",
        "May 2007",
        "2010-06-21",
        "21 June 2010",
        "June 21, 2010",
        "early June 2010",
        "mid June 2010",
        "mid-June 2010",
        "late June 2010",
        "early 2009",
        "mid-2009",
        "late 2009",
        "c. 2008",
        "2008~",
        "1990s",
        "199X",
        "2010-06/2010-07",
        "since 2007",
        "2007/..",
        "until 2009",
        "../2009",
        "by 2005",
        "no later than 2005",
        "as early as 2005",
        "before 2005",
        "after 2007",
        "no earlier than 2007",
        "after May 2009, by July 2010",
        "in recent years, as of July 2010",
    ],
)
def test_every_example_in_the_help_text_is_accepted(text: str) -> None:
    parse_fuzzy_date(text)


# -- Display --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "vector",
    _shared_params([v for v in SHARED_ACCEPTED if v.display], lambda v: v.text),
)
def test_shared_vector_displays_as_listed(vector: Vector) -> None:
    assert parse_fuzzy_date(vector.text).display() == vector.display


_DISPLAYED = [v for v in EXTRA_ACCEPTED if v.display]


@pytest.mark.parametrize("vector", _DISPLAYED, ids=[_id(v.text) for v in _DISPLAYED])
def test_extra_vector_displays_at_its_precision(vector: Vector) -> None:
    fuzzy = parse_fuzzy_date(vector.text)
    assert fuzzy.display() == vector.display
    assert str(fuzzy) == vector.display


_ALL_ACCEPTED = SHARED_ACCEPTED + EXTRA_ACCEPTED


@pytest.mark.parametrize("vector", _ALL_ACCEPTED, ids=[_id(v.text) for v in _ALL_ACCEPTED])
def test_display_reads_back_as_the_same_date(vector: Vector) -> None:
    fuzzy = parse_fuzzy_date(vector.text)
    again = parse_fuzzy_date(fuzzy.display())
    assert (again.lower, again.upper, again.precision, again.approximate) == (
        fuzzy.lower,
        fuzzy.upper,
        fuzzy.precision,
        fuzzy.approximate,
    )
    assert again.display() == fuzzy.display()


def test_value_rebuilt_from_database_columns_displays_from_its_text() -> None:
    # The model stores text, bounds and precision (as a plain string); "May 2007" and
    # "mid-2007" start on the same day, so only the text can say which was meant.
    fuzzy = FuzzyDate("since mid-2007", date(2007, 5, 1), OPEN_UPPER, "open")
    assert fuzzy.precision is Precision.OPEN
    assert fuzzy.display() == "since mid-2007"
    assert FuzzyDate("since May 2007", date(2007, 5, 1), OPEN_UPPER, "open").display() == (
        "since May 2007"
    )
    # "by 1998", "as early as 1998" and "[..1998]" mean the same days: the text keeps the words.
    as_early_as = FuzzyDate("as early as 1998", OPEN_LOWER, date(1998, 12, 31), "not-after")
    assert as_early_as.precision is Precision.NOT_AFTER
    assert as_early_as.display() == "as early as 1998"
    assert FuzzyDate("before 2009", OPEN_LOWER, date(2008, 12, 31), "not-after").display() == (
        "before 2009"
    )
    # Bounds that disagree with the text (a row edited by hand) are shown as they are.
    assert FuzzyDate("before 2009", OPEN_LOWER, date(2009, 12, 31), "not-after").display() == (
        "by 2009"
    )


@pytest.mark.parametrize(
    ("lower", "upper", "precision", "approximate", "expected"),
    [
        (date(2008, 1, 1), date(2008, 3, 31), INT, False, f"January{EN}March 2008"),
        (date(2007, 1, 1), date(2009, 12, 31), INT, False, f"2007{EN}2009"),
        (date(2010, 6, 21), date(2010, 6, 30), INT, False, f"21{EN}30 June 2010"),
        (date(2007, 1, 1), date(2009, 12, 31), INT, True, f"c. 2007 {EN} 2009"),
        (date(2007, 5, 1), OPEN_UPPER, OPEN, False, "since May 2007"),
        (OPEN_LOWER, date(2009, 12, 31), OPEN, False, "until 2009"),
        (OPEN_LOWER, date(2010, 6, 30), OPEN, True, "until c. June 2010"),
        (OPEN_LOWER, date(2005, 12, 31), NA, False, "by 2005"),
        (OPEN_LOWER, date(2009, 3, 31), NA, False, "by March 2009"),
        (OPEN_LOWER, date(2005, 12, 31), NA, True, "by c. 2005"),
        (date(2009, 6, 1), OPEN_UPPER, NB, False, "no earlier than June 2009"),
        (
            date(2009, 6, 1),
            date(2010, 7, 6),
            WIN,
            False,
            "no earlier than June 2009, by 6 July 2010",
        ),
        (date(2008, 1, 1), date(2009, 12, 31), WIN, True, "no earlier than c. 2008, by 2009"),
        (OPEN_LOWER, date(2010, 7, 6), REC, False, "in recent years, as of 6 July 2010"),
    ],
    ids=str,
)
def test_value_built_by_hand_displays_from_its_bounds(
    lower: date, upper: date, precision: Precision, approximate: bool, expected: str
) -> None:
    fuzzy = FuzzyDate("", lower, upper, precision, approximate)
    assert fuzzy.display() == expected
    again = parse_fuzzy_date(expected)
    assert (again.lower, again.upper, again.precision, again.approximate) == (
        lower,
        upper,
        precision,
        approximate,
    )


def test_value_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValueError, match="after"):
        FuzzyDate("2009/2007", date(2009, 1, 1), date(2007, 12, 31), Precision.INTERVAL)


def test_precision_values_fit_their_column() -> None:
    assert max(len(value) for value in Precision.values) <= 16
    assert Precision.OPEN.label == "open interval"
    assert Precision.values == [
        *("day", "part-of-month", "month", "part-of-year", "year", "decade", "interval"),
        *("open", "not-after", "not-before", "window", "recent"),
    ]


# -- Errors ---------------------------------------------------------------------------------

ACCEPTED_FORMS_TEXT = "Accepted forms: " + "; ".join(ACCEPTED_FORMS) + "."


def _refusal(value: object) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        parse_fuzzy_date(value)  # type: ignore[arg-type]
    error = caught.value
    assert error.code == "invalid_fuzzy_date"
    assert error.params == {"value": value}
    assert error.messages[0].endswith(ACCEPTED_FORMS_TEXT)
    return error


@pytest.mark.parametrize("text", _shared_params(SHARED_REFUSED))
def test_shared_error_row_is_refused(text: str) -> None:
    _refusal(text)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2010-13", "month 13 does not exist"),
        ("31 June 2010", "31 June 2010 is not a date"),
        ("2010-02-30", "30 February 2010 is not a date"),
        ("2009/2007", "an interval's end (2007) is before its start (2009)"),
        ("", "it is empty"),
    ],
    ids=_id,
)
def test_shared_error_says_what_is_wrong(text: str, reason: str) -> None:
    assert f'Could not read "{text}" as a date: {reason}' in _refusal(text).messages[0]


@pytest.mark.parametrize(
    ("text", "reason"), EXTRA_REFUSED, ids=[_id(text) for text, _ in EXTRA_REFUSED]
)
def test_extra_error_is_refused(text: str, reason: str | None) -> None:
    message = _refusal(text).messages[0]
    if reason:
        assert reason in message


def test_unreadable_text_gets_the_plain_message() -> None:
    assert _refusal("recent years").messages == [
        'Could not read "recent years" as a date. Accepted forms: 2008; 2007-05 or May 2007; '
        "2010-06-21, 21 June 2010 or June 21, 2010; early/mid/late June 2010; "
        "early/mid-/late 2009; c. 2008 or 2008~; 1990s or 199X; "
        "2010-06/2010-07 (any two dates joined by /); since 2007 or 2007/..; "
        "until 2009 or ../2009; by/no later than/as early as/before 2005; "
        "after/no earlier than 2007; after May 2009, by July 2010; "
        "in recent years, as of July 2010; subsequently or undated (resolved at entry)."
    ]


def test_a_relative_word_is_refused_with_what_it_needs() -> None:
    """Bare, "subsequently" or "undated" would be a date more precise than anything known;
    resolve_relative turns them into a date at entry, from their context."""
    assert (
        _refusal("Subsequently")
        .messages[0]
        .startswith(
            'Could not read "Subsequently" as a date: "Subsequently" is relative: say after what, '
            'e.g. "after May 2009". Accepted forms:'
        )
    )


def test_message_keeps_a_typed_percent_sign() -> None:
    # Django interpolates params into messages with "%"; the analyst's "%" must survive it.
    assert 'Could not read "50% of 2008" as a date' in _refusal("50% of 2008").messages[0]


def test_message_shortens_a_long_value_but_params_keep_it_whole() -> None:
    text = "2008 " * 40
    error = _refusal(text)
    assert len(error.messages[0]) < 600
    assert error.params == {"value": text}


@pytest.mark.parametrize(
    ("value", "reason"),
    [(None, "it is empty"), (2008, "expected text, not int"), (b"2008", "not bytes")],
    ids=_id,
)
def test_non_text_is_refused(value: object, reason: str) -> None:
    assert reason in _refusal(value).messages[0]


def test_a_date_object_is_refused() -> None:
    assert "not date" in _refusal(date(2008, 1, 1)).messages[0]


# -- Relative dates, resolved at entry --------------------------------------------------------

RELATIVE_VECTORS = Path(__file__).with_name("fuzzy-dates-relative.tsv")


class Relative(NamedTuple):
    text: str
    source: FuzzyDate | None
    previous: FuzzyDate | None
    stored: str  # "error": refused
    display: str  # for a refusal: what its message says


def _context(text: str) -> FuzzyDate | None:
    return parse_fuzzy_date(text) if text else None


def _load_relative_vectors() -> list[Relative]:
    with RELATIVE_VECTORS.open(encoding="utf-8", newline="") as lines:
        rows = csv.reader(
            (line for line in lines if not line.startswith("#")),
            delimiter="\t",
            quoting=csv.QUOTE_NONE,
        )
        header, *rows = list(rows)
    assert header == ["input", "source", "previous", "stored", "display"]
    return [
        Relative(text, _context(source), _context(previous), stored, display)
        for text, source, previous, stored, display in rows
    ]


RELATIVE = _load_relative_vectors()
_RESOLVED = [v for v in RELATIVE if v.stored != "error"]
_UNRESOLVED = [v for v in RELATIVE if v.stored == "error"]


def _relative_id(vector: Relative) -> str:
    source = f"source {vector.source.text}" if vector.source else ""
    previous = f"previous {vector.previous.text}" if vector.previous else ""
    return " / ".join(part for part in (vector.text, source, previous) if part)


@pytest.mark.parametrize("vector", _RESOLVED, ids=[_relative_id(v) for v in _RESOLVED])
def test_relative_date_is_stored_as_a_date_read_from_its_context(vector: Relative) -> None:
    stored = resolve_relative(vector.text, source=vector.source, previous=vector.previous)
    assert stored == vector.stored
    fuzzy = parse_fuzzy_date(stored)
    assert fuzzy.display() == vector.display
    # Resolved once: what is stored is no longer relative, so it stays as it is.
    assert resolve_relative(stored, source=vector.source, previous=vector.previous) == stored
    if stored == vector.text:
        return
    with pytest.raises(ValidationError, match="is relative"):
        parse_fuzzy_date(vector.text)
    # Never more precise than its context: the bounds are the anchors' own.
    if vector.source:
        assert fuzzy.upper == vector.source.upper
    if fuzzy.precision in (NB, WIN):  # "subsequently": from the day after the previous fact
        assert fuzzy.lower == vector.previous.upper + timedelta(days=1)
    else:
        assert fuzzy.lower == OPEN_LOWER


@pytest.mark.parametrize("vector", _UNRESOLVED, ids=[_relative_id(v) for v in _UNRESOLVED])
def test_relative_date_without_the_context_it_needs_is_refused(vector: Relative) -> None:
    with pytest.raises(ValidationError) as caught:
        resolve_relative(vector.text, source=vector.source, previous=vector.previous)
    error = caught.value
    assert error.code == "invalid_fuzzy_date"
    assert error.params == {"value": vector.text}
    assert f'Could not read "{vector.text}" as a date: ' in error.messages[0]
    assert vector.display in error.messages[0]


def test_the_seed_pages_relative_dates_resolve_as_its_reviewed_reading_gives_them() -> None:
    """belarus-iran-2010-claims.tsv: note 6 "subsequently" (after May 2009, by 6 July 2010),
    notes 3 and 7 "in recent years" and note 8 undated, on a page of 6 July 2010."""
    page = parse_fuzzy_date("2010-07-06")
    may_2009 = parse_fuzzy_date("May 2009")
    assert resolve_relative("Subsequently", source=page, previous=may_2009) == (
        "after May 2009, by 6 July 2010"
    )
    assert resolve_relative("in recent years", source=page) == (
        "in recent years, as of 6 July 2010"
    )
    assert resolve_relative("undated", source=page) == "by 6 July 2010"


@pytest.mark.parametrize(
    "text", ["", "  ", "2008", "since 2007", "recent years", "the day after the summit"]
)
def test_text_that_is_not_relative_is_returned_as_given(text: str) -> None:
    assert resolve_relative(text) is text


# -- Order and overlap ----------------------------------------------------------------------


def test_sort_key_orders_by_start_then_narrower_first() -> None:
    expected = [
        "until 2009",  # open start sorts first
        "1990s",
        "2007/2009",
        "since 2007",  # same start as 2007/2009, ends later
        "May 2007",
        "early 2008",
        "2008",
        "May 2008",
        "mid-2008",
        "late 2008",
        "early 2009",
        "2010-06/2010-07",
        "2010-06-21",
        "late June 2010",
    ]
    shuffled = expected[:]
    random.Random(2010).shuffle(shuffled)
    ordered = sorted((parse_fuzzy_date(text) for text in shuffled), key=FuzzyDate.sort_key)
    assert [fuzzy.text for fuzzy in ordered] == expected
    assert parse_fuzzy_date("late June 2010").sort_key() == (date(2010, 6, 21), date(2010, 6, 30))


# Bounded times sort by their bounds like any date: one open below by its latest day, one
# open above (or a window) by its earliest, which for "after May 2009" is 1 June 2009.
BOUNDED_ORDER = [
    "as early as 1998",
    "by 2005",
    "before 2009",  # ends on 31 December 2008
    "until 2009",  # the span, ending on 31 December 2009
    "in recent years, as of 6 July 2010",
    "2007",
    "no earlier than 2007",
    "May 2009",
    "after May 2009, by 6 July 2010",
    "after May 2009",
    "2010-06-21",
]


def test_sort_key_orders_bounded_times_by_their_bounds() -> None:
    shuffled = BOUNDED_ORDER[:]
    random.Random(2009).shuffle(shuffled)
    ordered = sorted((parse_fuzzy_date(text) for text in shuffled), key=FuzzyDate.sort_key)
    assert [fuzzy.text for fuzzy in ordered] == BOUNDED_ORDER
    assert parse_fuzzy_date("after May 2009").sort_key() == (date(2009, 6, 1), OPEN_UPPER)


@pytest.mark.parametrize(
    ("text", "lower", "upper", "overlapping", "within"),
    [
        ("2008", date(2008, 6, 1), date(2008, 7, 31), True, False),  # imprecise for the filter
        ("May 2007", date(2007, 1, 1), date(2007, 12, 31), True, True),
        ("since 2007", date(1990, 1, 1), date(2000, 12, 31), False, False),
        ("since 2007", date(2010, 1, 1), None, True, False),
        ("since 2007", date(2000, 1, 1), None, True, True),
        ("until 2009", None, date(2000, 1, 1), True, False),
        ("until 2009", None, None, True, True),
        ("until 2009", date(2010, 1, 1), None, False, False),
        ("late June 2010", date(2010, 6, 30), date(2010, 6, 30), True, False),  # last day
        ("late June 2010", date(2010, 6, 21), date(2010, 6, 21), True, False),  # first day
        ("late June 2010", date(2010, 7, 1), None, False, False),  # the next day
        ("late June 2010", None, date(2010, 6, 20), False, False),  # the day before
        ("2010-06-21", date(2010, 6, 21), date(2010, 6, 21), True, True),
        ("1990s", date(1995, 1, 1), date(2005, 12, 31), True, False),
        ("c. 2008", date(2008, 1, 1), date(2008, 12, 31), True, True),
        ("2010-06/2010-07", date(2010, 7, 15), date(2010, 8, 15), True, False),
        # Bounded times may lie anywhere on their open side, and nowhere beyond their bound.
        ("by 2005", None, date(2005, 12, 31), True, True),
        ("by 2005", date(2005, 6, 1), date(2005, 6, 30), True, False),
        ("by 2005", date(2006, 1, 1), None, False, False),
        ("as early as 1998", date(1998, 12, 31), None, True, False),
        ("as early as 1998", date(1999, 1, 1), None, False, False),
        ("[..1998]", date(1999, 1, 1), None, False, False),
        ("before 2009", date(2009, 1, 1), None, False, False),  # "until 2009" would overlap
        ("before 2009", date(2008, 12, 31), date(2008, 12, 31), True, False),
        ("after May 2009", None, date(2009, 5, 31), False, False),
        ("after May 2009", date(2009, 6, 1), date(2009, 6, 1), True, False),
        ("after May 2009", date(2009, 1, 1), None, True, True),
        ("no earlier than 2007", date(2007, 1, 1), None, True, True),
        ("no earlier than 2007", None, date(2006, 12, 31), False, False),
        ("after May 2009, by 6 July 2010", date(2009, 1, 1), date(2010, 12, 31), True, True),
        ("after May 2009, by 6 July 2010", date(2010, 7, 6), date(2010, 7, 6), True, False),
        ("after May 2009, by 6 July 2010", date(2010, 7, 7), None, False, False),
        ("after May 2009, by 6 July 2010", None, date(2009, 5, 31), False, False),
        ("in recent years, as of 6 July 2010", date(2008, 1, 1), date(2008, 12, 31), True, False),
        ("in recent years, as of 6 July 2010", None, date(2010, 7, 6), True, True),
        ("in recent years, as of 6 July 2010", date(2010, 7, 7), None, False, False),
    ],
    ids=str,
)
def test_overlap_and_within_a_filter(
    text: str, lower: date | None, upper: date | None, overlapping: bool, within: bool
) -> None:
    fuzzy = parse_fuzzy_date(text)
    assert fuzzy.overlaps(lower, upper) is overlapping
    assert fuzzy.within(lower, upper) is within


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((date(2008, 1, 1), date(2008, 12, 31)), (date(2008, 12, 31), date(2009, 1, 1)), True),
        ((date(2008, 1, 1), date(2008, 12, 31)), (date(2009, 1, 1), date(2009, 1, 1)), False),
        ((date(2008, 1, 1), date(2008, 12, 31)), (date(2007, 1, 1), date(2007, 12, 31)), False),
        ((date(2008, 1, 1), date(2008, 12, 31)), (date(2007, 1, 1), date(2010, 1, 1)), True),
        ((None, None), (None, None), True),
        ((None, date(2008, 1, 1)), (date(2008, 1, 1), None), True),
        ((None, date(2008, 1, 1)), (date(2008, 1, 2), None), False),
        ((date(2008, 1, 2), None), (None, date(2008, 1, 1)), False),
    ],
    ids=str,
)
def test_overlaps_is_inclusive_and_symmetric(a: tuple, b: tuple, expected: bool) -> None:
    assert overlaps(*a, *b) is expected
    assert overlaps(*b, *a) is expected


@pytest.mark.parametrize(
    ("text", "is_open"),
    [
        ("since 2007", True),
        ("../2009", True),
        ("2007/2009", False),
        ("2008", False),
        ("by 2005", True),
        ("after May 2009", True),
        ("after May 2009, by 6 July 2010", False),
        ("in recent years, as of 2010", True),
    ],
)
def test_is_open(text: str, is_open: bool) -> None:
    assert parse_fuzzy_date(text).is_open is is_open


def test_classmethod_parse_is_parse_fuzzy_date() -> None:
    assert FuzzyDate.parse("late June 2010") == parse_fuzzy_date("late June 2010")


@pytest.mark.django_db
def test_queries_filter_and_order_bounded_times_by_their_bounds() -> None:
    """The indexed columns carry the bounds, so between() and chronological() need nothing
    new: "by 2005" is never in 2006, "after May 2009" never in May 2009."""
    events = {text: EventFactory(date=text) for text in BOUNDED_ORDER}
    by_2005 = events["by 2005"]
    assert (by_2005.date_lower, by_2005.date_upper, by_2005.date_precision) == (
        OPEN_LOWER,
        date(2005, 12, 31),
        "not-after",
    )
    listed = Event.objects.filter(pk__in=[e.pk for e in events.values()]).chronological()
    assert [event.date for event in listed] == BOUNDED_ORDER

    def dated_between(lower: str | None, upper: str | None) -> set[str]:
        return set(listed.between(lower, upper).values_list("date", flat=True))

    assert dated_between("May 2009", "May 2009") == {
        "until 2009",
        "in recent years, as of 6 July 2010",
        "no earlier than 2007",
        "May 2009",
    }
    assert dated_between("2006", "2006") == {
        "before 2009",
        "until 2009",
        "in recent years, as of 6 July 2010",
    }
    assert dated_between("7 July 2010", None) == {"no earlier than 2007", "after May 2009"}


# -- Robustness -----------------------------------------------------------------------------

_TOKENS = [
    *("2008", "2010", "1990", "06", "21", "0", "13", "31", "x", "X", "s", ",", ".", "'"),
    *("May", "June", "Sept.", "feb", "mid", "mid-", "late", "early", "c.", "circa", "about"),
    *("~", "?", "%", "/", "..", EN, EM, "-", " to ", " and ", "since", "until", "from"),
    *("between", "in", "the", "1990s", "199X", "\x00", "\u00e9", "\u0130", "\ud800", " "),
    *("by", "before", "after", "no later than", "as early as", "no earlier than", ", ", "[..", "["),
    *("..]", "]", "recent years", "as of", "subsequently", "undated"),
]


def _random_texts() -> list[str]:
    rng = random.Random(20100706)
    alphabet = (
        string.printable + f"{EN}{EM}\u2026\u00e9\u00df\u0130\u0131\u00a0\u2009\x00\U0001f642"
    )
    texts = ["".join(rng.choices(alphabet, k=rng.randint(0, 120))) for _ in range(200)]
    for _ in range(300):  # token soup reaches deeper into the grammar than random characters
        tokens = rng.choices(_TOKENS, k=rng.randint(1, 8))
        texts.append(rng.choice(["", " "]).join(tokens))
    valid = [vector.text for vector in EXTRA_ACCEPTED]
    for _ in range(300):  # near misses: one character of a good date inserted, dropped or changed
        text = rng.choice(valid)
        at = rng.randint(0, len(text))
        text = text[:at] + rng.choice(["", rng.choice(alphabet)]) + text[at + rng.randint(0, 1) :]
        texts.append(text)
    for _ in range(200):  # good dates joined in ways that are and are not intervals
        texts.append(rng.choice(["/", " to ", f" {EN} ", EN, "-", " "]).join(rng.sample(valid, 2)))
    return texts


_ADVERSARIAL = [
    "1" * 10_000,
    "2008/" * 2_000,
    "a " * 5_000,
    " to " * 2_500,
    "-" * 10_000,
    "mid-" * 2_500,
    "\x00" * 10_000,
    "June " * 2_000 + "2010",
    "21 " * 3_000 + "June 2010",
    "c. " * 3_000 + "2008",
    "(" * 10_000,
    "2008" + " " * 9_990 + "x",
    "1" * 100,
    "c. " * 33,
    "21-" * 33,
    "2008-" * 20,
    "May " * 24 + "2010",
    "between " * 12,
    "after " * 20,
    "after by " * 12,
    "after 2008, by " * 6 + "2009",
    "[" * 50 + ".." + "]" * 47,
    "in recent years, as of " * 4,
    "\ud800" * 50,
]


def test_any_text_parses_or_raises_validation_error() -> None:
    accepted = 0
    for text in _random_texts() + _ADVERSARIAL:
        try:
            fuzzy = parse_fuzzy_date(text)
        except ValidationError as error:
            assert error.code == "invalid_fuzzy_date"
            assert error.messages[0].endswith(ACCEPTED_FORMS_TEXT)
            continue
        accepted += 1
        assert fuzzy.lower <= fuzzy.upper
        again = parse_fuzzy_date(fuzzy.display())
        assert (again.lower, again.upper, again.precision, again.approximate) == (
            fuzzy.lower,
            fuzzy.upper,
            fuzzy.precision,
            fuzzy.approximate,
        ), text
    assert accepted >= 20  # the fuzz reached the accepting paths, not only the refusals


@pytest.mark.parametrize("text", _ADVERSARIAL, ids=_id)
def test_long_or_pathological_text_answers_quickly(text: str) -> None:
    started = time.perf_counter()
    with pytest.raises(ValidationError):
        parse_fuzzy_date(text)
    assert time.perf_counter() - started < 0.05


def test_module_imports_without_django_settings() -> None:
    env = {name: value for name, value in os.environ.items() if name != "DJANGO_SETTINGS_MODULE"}
    code = "import core.dates; from django.conf import settings; assert not settings.configured"
    subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(dates.__file__).resolve().parents[1],
        env=env,
        check=True,
    )
