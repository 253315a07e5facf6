"""Dates read from a passage's words, through the one parser (core.dates)."""

import pytest

from core.dates import parse_fuzzy_date
from intake.rules import before, explicit_date, read_date

SOURCE = parse_fuzzy_date("July 06, 2010")


@pytest.mark.parametrize(
    ("words", "date", "as_read"),
    [
        ("In late June 2010, Lukashenko announced", "late June 2010", "In late June 2010"),
        ("the two agreed in May 2007 to", "May 2007", "in May 2007"),
        ("commended Iran in 2008 for its compliance", "2008", "in 2008"),
        ("it backed Iran as early as 1998", "as early as 1998", "as early as 1998"),
        ("on 21 June 2010 they met", "21 June 2010", "21 June 2010"),
        ("a loan of $212m, 1500 barrels", "", ""),
    ],
)
def test_a_date_the_words_give(words, date, as_read):
    found = explicit_date(words)
    assert (found.text, found.as_read) == (date, as_read)


def test_subsequently_is_after_the_previous_dated_sentence_by_the_source():
    found = read_date(
        "Subsequently, the bank agreed", source=SOURCE, previous=parse_fuzzy_date("May 2009")
    )
    assert (found.text, found.as_read) == ("after May 2009, by 6 July 2010", "Subsequently")
    assert found.value.precision == "window"
    lost = read_date("Subsequently, they met", source=SOURCE, previous=None)
    assert lost.text == "" and lost.doubt


def test_in_recent_years_is_as_of_the_source():
    found = read_date("ties grew in recent years", source=SOURCE, previous=None)
    assert found.text == "in recent years, as of 6 July 2010"


def test_an_undated_present_perfect_is_by_the_source():
    found = read_date("Belarus has expressed its support", source=SOURCE, previous=None)
    assert (found.text, found.as_read) == ("by 6 July 2010", "has expressed")
    assert read_date("they met", source=SOURCE, previous=None, undated=False).text == ""
    assert read_date("they met", source=SOURCE, previous=None).text == "by 6 July 2010"


def test_despite_is_before_the_fact_it_stands_against():
    assert before(parse_fuzzy_date("June 2008")).text == "before June 2008"
    assert before(parse_fuzzy_date("in recent years, as of 2010")).doubt
