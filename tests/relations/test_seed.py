"""The seed page, end to end: every footnote is a citation of the right claim, every fact and
every dated sentence is in the fixture at the precision the page gives."""

import re
from decimal import Decimal
from pathlib import Path

import pytest

from core.dates import parse_fuzzy_date
from relations.models import Agreement, Citation, Event, Official, Organisation, Statement
from sources.models import Source

pytestmark = [pytest.mark.sqlite, pytest.mark.usefixtures("seed")]

# The page as the analysts keep it (a copy of shared/seed/belarus-iran-2010.txt, kept beside
# the fixture it became, so the suite never depends on a folder outside the clone).
SEED = Path(__file__).resolve().parents[2] / "fixtures" / "belarus-iran-2010.txt"
TEAM_SEED = Path(__file__).resolve().parents[3] / "shared" / "seed" / "belarus-iran-2010.txt"
SOURCE = "belarus-iran-foreign-relations-2010"

# note -> the claims it backs, as (kind, slug). Written from reading the page; the test below
# proves the fixture matches both this table and the page's own text.
EXPECTED = {
    1: {
        ("event", "2008-nam-commends-iran-nuclear-compliance"),
        ("agreement", "treaty-on-the-non-proliferation-of-nuclear-weapons"),
    },
    2: {
        ("event", "2008-06-nam-ministerial-tehran-backs-enrichment"),
        ("event", "until-2008-06-censure-of-iran-nuclear-programme"),
    },
    3: {
        ("event", "until-2010-07-belarus-iran-closer-economic-ties"),
        ("statement", "ahmadinejad-close-cooperation-in-various-areas"),
        ("position", "mahmoud-ahmadinejad-president-of-iran"),
    },
    4: {
        ("event", "2007-05-belarus-iran-agree-deeper-bilateral-trade"),
        ("statement", "2007-05-lukashenko-strategic-partnership"),
        ("position", "alexander-lukashenko-president-of-belarus"),
    },
    5: {
        ("event", "2009-05-semashko-raei-jofeir-oil-project"),
        ("position", "vladimir-semashko-deputy-prime-minister-of-belarus"),
        ("position", "reza-raei-vice-governor-central-bank-of-iran"),
    },
    6: {
        ("event", "2009-central-bank-of-iran-agrees-212m-loan-to-belarusneft"),
        ("agreement", "central-bank-of-iran-loan-to-belarusneft-jofeir"),
    },
    7: {("event", "until-2010-07-belarus-iran-political-partnership")},
    8: {("statement", "ahmadinejad-tehran-minsk-ties-growing")},
    9: {
        ("event", "2007-05-belarus-iran-agree-to-counter-pressure"),
        ("statement", "2007-05-belarus-iran-act-jointly-against-pressure"),
    },
    10: {
        ("event", "2010-06-latushka-icro-iranian-art-exhibition-minsk"),
        ("position", "pavel-latushka-minister-of-culture-of-belarus"),
    },
    11: {("statement", "2010-06-icro-press-release-latushka-artists-association")},
    12: {("event", "2010-06-late-lukashenko-turns-to-iran-after-russia-gas-row")},
    13: {("event", "2010-06-late-lukashenko-turns-to-iran-after-russia-gas-row")},
}

MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
DATE_PHRASE = re.compile(rf"\b(?:(?:early|mid-|late) )?(?:(?:{MONTHS}) )?(?:19|20)\d\d\b")


def footnoted_sentences() -> dict[int, str]:
    """Each footnote number with the text it closes (from the previous marker or line start)."""
    notes = {}
    for line in SEED.read_text(encoding="utf-8").splitlines():
        for match in re.finditer(r"(.*?)\[(\d+)\]", line):
            notes[int(match.group(2))] = match.group(1).strip()
    return notes


def plain(text: str) -> str:
    """Fold typographic quotes and apostrophes so verbatim comparisons are about words."""
    return text.translate(str.maketrans("“”’‘", "\"\"''"))


@pytest.fixture(scope="module")
def sentences():
    return footnoted_sentences()


def test_our_copy_of_the_page_is_the_teams():
    if not TEAM_SEED.exists():
        pytest.skip("the team's shared/seed folder is not beside this clone")
    assert SEED.read_bytes() == TEAM_SEED.read_bytes()


def claims_citing(note: int) -> set[tuple[str, str]]:
    citations = Citation.objects.filter(source__slug=SOURCE, locator=f"note {note}")
    return {(c.claim_kind, c.claim.slug) for c in citations.select_related(*Citation.claim_fields)}


def test_the_page_has_thirteen_footnotes(sentences):
    assert sorted(sentences) == list(range(1, 14))


def test_the_source_is_the_page_itself():
    source = Source.objects.get(slug=SOURCE)
    assert source.title == "Belarus-Iran Foreign Relations"
    assert str(parse_fuzzy_date(source.published)) == "6 July 2010"
    assert source.published_precision == "day"
    assert set(Citation.objects.values_list("source__slug", flat=True)) == {SOURCE}


@pytest.mark.parametrize("note", range(1, 14))
def test_footnote_is_a_citation_of_the_right_claims(note, sentences):
    assert claims_citing(note) == EXPECTED[note]
    # Each citation quotes, as its excerpt, exactly the sentence the footnote closes.
    excerpts = set(
        Citation.objects.filter(locator=f"note {note}").values_list("excerpt", flat=True)
    )
    assert excerpts == {sentences[note]}


def test_no_citation_points_anywhere_else():
    locators = set(Citation.objects.values_list("locator", flat=True))
    assert locators == {f"note {n}" for n in range(1, 14)}
    # One citation per (note, claim): notes 12 and 13 both back the gas-row event.
    assert Citation.objects.count() == sum(len(claims) for claims in EXPECTED.values()) == 24


@pytest.mark.parametrize("note", range(1, 14))
def test_dated_sentences_keep_their_precision(note, sentences):
    """Every date the page writes ("in 2008", "May 2007", "late June 2010") is the date of a
    claim that footnote backs, with the same bounds and precision."""
    phrases = DATE_PHRASE.findall(sentences[note])
    dated = []
    for kind, slug in EXPECTED[note]:
        claim = Citation.objects.get(locator=f"note {note}", **{f"{kind}__slug": slug}).claim
        text = getattr(claim, "date", "")
        if text:
            dated.append(parse_fuzzy_date(text))
    for phrase in phrases:
        meant = parse_fuzzy_date(phrase)
        assert any(
            (d.lower, d.upper, d.precision) == (meant.lower, meant.upper, meant.precision)
            for d in dated
        ), f"note {note}: no claim dated {phrase!r} (found {[str(d) for d in dated]})"


def test_every_claim_is_published_and_cited():
    for model in (Event, Agreement, Statement):
        assert not model.objects.drafts().exists()
        assert not model.objects.filter(citations__isnull=True).exists()


def test_quotes_are_verbatim(sentences):
    page = plain(" ".join(sentences.values()))
    for statement in Statement.objects.all():
        assert plain(statement.quote) in page, statement.slug
    assert Statement.objects.count() == 5


def test_the_loan_agreement():
    loan = Agreement.objects.get(kind=Agreement.Kind.LOAN)
    assert (loan.value_amount, loan.value_currency) == (Decimal("212000000"), "USD")
    assert {o.slug for o in loan.organisations.all()} == {"central-bank-of-iran", "belarusneft"}
    assert "Jofeir" in loan.purpose
    assert loan.events.get().title == "Central Bank of Iran agrees to lend $212m to Belarusneft"
    # "Subsequently" after May 2009, on a page of July 2010.
    assert str(parse_fuzzy_date(loan.date)) == "May 2009 – July 2010"


def test_officials_hold_the_posts_the_page_gives():
    posts = {
        (
            p.official.name,
            p.title,
            p.country.code if p.country else None,
            p.organisation_id and p.organisation.slug,
        )
        for o in Official.objects.prefetch_related("positions__country", "positions__organisation")
        for p in o.positions.all()
    }
    assert posts == {
        ("Mahmoud Ahmadinejad", "President", "IR", None),
        ("Alexander Lukashenko", "President", "BY", None),
        ("Vladimir Semashko", "Deputy Prime Minister", "BY", None),
        ("Reza Raei", "Vice Governor", "IR", "central-bank-of-iran"),
        ("Pavel Latushka", "Minister of Culture", "BY", "belarus-ministry-of-culture"),
    }


def test_the_named_organisations():
    names = {o.short_name or o.name for o in Organisation.objects.all()}
    assert {"NAM", "IAEA", "UNSC", "EU", "CBI", "Belarusneft", "ICRO"} <= names
    assert Organisation.objects.get(short_name="UNSC").parent.short_name == "UN"
    assert Organisation.objects.get(short_name="CBI").kind == Organisation.Kind.CENTRAL_BANK
    assert Organisation.objects.get(slug="belarusneft").kind == Organisation.Kind.STATE_COMPANY


def test_events_sit_in_the_pages_domains():
    domains = {d for e in Event.objects.all() for d in e.domains.values_list("slug", flat=True)}
    assert domains == {"nuclear", "economic", "energy", "diplomatic", "cultural"}
    assert Event.objects.involving("BY", "IR").count() == 10  # all but the censure of Iran
    gas_row = Event.objects.get(date="late June 2010")
    assert {c.code for c in gas_row.countries.all()} == {"BY", "IR", "RU"}
    assert list(gas_row.domains.values_list("slug", flat=True)) == ["energy", "diplomatic"]


def test_the_fixture_loads_twice_without_duplicates(django_db_blocker):
    from django.core.management import call_command

    before = Citation.objects.count(), Event.objects.count()
    call_command("loaddata", "belarus-iran-2010", verbosity=0)
    assert (Citation.objects.count(), Event.objects.count()) == before
