"""How records read: one module decides, and every surface says the same.

``relations.presentation`` writes dates, sums, names and links; the pages (Django and Jinja2
templates), the API and the exports call it. The unit tests pin its decisions; the surface tests
read one record on every surface and find the same words (and the same ``<time datetime>``).
"""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal
from http import HTTPStatus

import pytest

from core.dates import parse_fuzzy_date
from relations import presentation
from relations.models import Agreement, Citation, Country, Domain, Event, Status
from sources.models import Footnote, Source


# --- The decisions ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "reading", "machine"),
    [
        ("2010-06-21", "21 June 2010", "2010-06-21"),
        ("late June 2010", "late June 2010", "2010-06"),  # it lies in June: no more is claimed
        ("May 2007", "May 2007", "2007-05"),
        ("2008", "2008", "2008"),
        ("early 2008", "early 2008", "2008"),
        ("c. 2008", "c. 2008", ""),  # approximate: 2008 would say more than the source
        ("2009-05/2010-07", "May 2009 – July 2010", ""),  # a span: no single value fits
        ("until July 2010", "until July 2010", ""),  # open
        ("as early as 1998", "as early as 1998", ""),  # any time up to the end of 1998
        ("by 2010-07", "by July 2010", ""),
        ("after May 2009", "after May 2009", ""),
        ("after May 2009, by 2010-07-06", "after May 2009, by 6 July 2010", ""),  # both bounded
        ("in recent years, as of 6 July 2010", "in recent years, as of 6 July 2010", ""),
    ],
)
def test_a_date_is_never_shown_more_precisely_than_its_source(text, reading, machine):
    when = presentation.when(text)
    assert when.text == reading
    assert when.datetime == machine
    assert presentation.machine_date(parse_fuzzy_date(text)) == machine


def test_an_unreadable_stored_date_is_shown_as_typed_and_claims_nothing():
    when = presentation.when("the day after the summit")
    assert (when.text, when.datetime, when.bounds) == ("the day after the summit", "", "")


def test_bounds_say_what_an_imprecise_date_can_mean():
    assert presentation.when("late June 2010").bounds == "between 21 June 2010 and 30 June 2010"
    assert presentation.when("2010-06-21").bounds == ""


@pytest.mark.parametrize(
    ("text", "bounds"),
    [
        ("by 2005", "at any time up to 31 December 2005"),
        ("before 2009", "at any time up to 31 December 2008"),
        ("after May 2009", "at any time after 31 May 2009"),
        ("no earlier than 2007", "at any time after 31 December 2006"),
        ("since 2007", "at any time from 1 January 2007"),  # a span, not one time
        ("after May 2009, by 6 July 2010", "between 1 June 2009 and 6 July 2010"),
        ("in recent years, as of July 2010", "at any time up to 31 July 2010"),
    ],
)
def test_bounds_of_a_time_known_on_one_side_or_both(text, bounds):
    assert presentation.when(text).bounds == bounds


@pytest.mark.parametrize(
    ("amount", "currency", "compact", "exact"),
    [
        (212_000_000, "USD", "$212m", "212,000,000 USD"),
        (1_500_000_000, "EUR", "€1.5bn", "1,500,000,000 EUR"),
        (2_125_000_000, "USD", "$2.13bn", "2,125,000,000 USD"),  # half up, as reporters round
        (250_000, "USD", "$250,000", "250,000 USD"),  # under a million: in full
        (40_000_000_000, "IRR", "IRR 40bn", "40,000,000,000 IRR"),  # no sign: the code first
        (Decimal("1234.50"), "GBP", "£1,234.50", "1,234.50 GBP"),
    ],
)
def test_money_reads_as_reporters_write_it(amount, currency, compact, exact):
    money = presentation.money(amount, currency)
    assert (money.compact, money.exact) == (compact, exact)


def test_no_amount_is_no_money():
    assert presentation.money(None, "USD") is None


def test_organisations_take_the_article_english_gives_them():
    assert presentation.organisation_name("Non-Aligned Movement", "intergovernmental") == (
        "the Non-Aligned Movement"
    )
    assert presentation.organisation_name("Belarusneft", "state-company") == "Belarusneft"


# --- Every surface says the same ----------------------------------------------------------------
@pytest.fixture
def record(db):
    by, ir = Country.objects.get(code="BY"), Country.objects.get(code="IR")
    source = Source.objects.create(slug="one-source", title="One source", published="2010")
    footnote = Footnote.objects.create(source=source, locator="p. 1")
    agreement = Agreement.objects.create(
        slug="big-loan",
        title="A big loan",
        kind=Agreement.Kind.LOAN,
        date="late June 2010",
        value_amount=Decimal("2125000000"),
        value_currency="USD",
        status=Status.PUBLISHED,
    )
    agreement.countries.set([by, ir])
    agreement.domains.set([Domain.objects.get(slug="economic")])
    event = Event.objects.create(
        slug="loan-talks", title="Loan talks", date="late June 2010", status=Status.PUBLISHED
    )
    event.countries.set([by, ir])
    event.domains.set([Domain.objects.get(slug="economic")])
    event.agreements.set([agreement])
    for claim in (agreement, event):
        Citation.objects.create(footnote=footnote, **{claim._meta.model_name: claim})
    return event, agreement


def html(client, url):
    response = client.get(url)
    assert response.status_code == HTTPStatus.OK, url
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


TIME = re.compile(r'<time datetime="([^"]*)"[^>]*>\s*late June 2010\s*</time>')


@pytest.mark.parametrize(
    "url",
    ["/timeline/?country=by", "/events/loan-talks/", "/agreements/big-loan/", "/relations/by-ir/"],
)
def test_every_page_writes_the_date_alike(client, record, url):
    page = html(client, url)
    assert TIME.findall(page), f"{url} does not show late June 2010 as a <time>"
    assert set(TIME.findall(page)) == {"2010-06"}


@pytest.mark.parametrize("url", ["/agreements/big-loan/", "/relations/by-ir/"])
def test_every_page_writes_the_sum_alike(client, record, url):
    page = html(client, url)
    assert "$2.13bn" in page
    assert "$2.12bn" not in page


def test_the_api_and_the_exports_write_the_date_and_sum_as_the_pages_do(client, record):
    event = client.get("/api/events/loan-talks/").json()
    assert event["date_display"] == "late June 2010"
    agreement = client.get("/api/agreements/big-loan/").json()
    assert agreement["date_display"] == "late June 2010"
    assert agreement["value_display"] == "$2.13bn"
    rows = list(csv.DictReader(io.StringIO(html(client, "/timeline.csv?country=by"))))
    assert [r["date_display"] for r in rows] == ["late June 2010"]
    exported = json.loads(html(client, "/timeline.json?country=by"))
    events = exported["events"] if isinstance(exported, dict) else exported
    assert [e["date_display"] for e in events] == ["late June 2010"]


@pytest.mark.parametrize(
    ("name", "mid_sentence"),
    [
        ("United States", "the United States"),
        ("Netherlands", "the Netherlands"),
        ("Central African Republic", "the Central African Republic"),
        ("Cayman Islands", "the Cayman Islands"),
        ("Iran", "Iran"),
        ("Belarus", "Belarus"),
        (
            "South Georgia and the South Sandwich Islands",
            "South Georgia and the South Sandwich Islands",
        ),
        (
            "Saint Helena, Ascension and Tristan da Cunha",
            "Saint Helena, Ascension and Tristan da Cunha",
        ),
    ],
)
def test_states_take_the_article_english_gives_them(name, mid_sentence):
    assert presentation.country_name(name) == mid_sentence
