"""The seed page, encoded: one footnote record per note of the page, each cited by exactly the
claims its sentence states, every date at the precision the page gives (relative words
resolved against the page's date), and the page's sentence order kept within a date.

What the dossier makes of it is tests/test_seed_fidelity.py's to check."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction

from core.dates import parse_fuzzy_date, resolve_relative
from relations.models import (
    Agreement,
    Citation,
    Event,
    Membership,
    Official,
    Organisation,
    Position,
    Relationship,
    Statement,
)
from sources.models import Footnote, Source

pytestmark = [pytest.mark.sqlite, pytest.mark.usefixtures("seed")]

# The page as the analysts keep it (a copy of shared/seed/belarus-iran-2010.txt, kept beside
# the fixture it became, so the suite never depends on a folder outside the clone).
SEED = Path(__file__).resolve().parents[2] / "fixtures" / "belarus-iran-2010.txt"
TEAM_SEED = Path(__file__).resolve().parents[3] / "shared" / "seed" / "belarus-iran-2010.txt"
SOURCE = "belarus-iran-foreign-relations-2010"

# note -> the claims it backs, as (kind, slug). Written from reading the page (and its reviewed
# reading, fixtures/belarus-iran-2010-claims.tsv); the tests below prove the fixture matches
# both this table and the page's own text.
EXPECTED = {
    1: {
        ("event", "2008-nam-commends-iran-nuclear-compliance"),
        ("event", "belarus-supports-iran-right-to-peaceful-nuclear-technology"),
        ("membership", "belarus-member-of-the-non-aligned-movement"),
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
    8: {
        ("statement", "ahmadinejad-tehran-minsk-ties-growing"),
        ("position", "mahmoud-ahmadinejad-president-of-iran"),
    },
    9: {
        ("event", "2007-05-belarus-iran-agree-to-counter-pressure"),
        ("statement", "2007-05-belarus-iran-act-jointly-against-pressure"),
    },
    10: {
        ("event", "2010-06-latushka-icro-iranian-art-exhibition-minsk"),
        ("position", "pavel-latushka-minister-of-culture-of-belarus"),
    },
    11: {("statement", "2010-06-icro-press-release-latushka-artists-association")},
    12: {
        ("event", "2010-06-late-lukashenko-turns-to-iran-after-russia-gas-row"),
        ("position", "alexander-lukashenko-president-of-belarus"),
    },
    13: {("statement", "2010-06-late-lukashenko-energy-ties-away-from-one-source")},
}

# Claims the page dates only relatively, as the reading resolves them against the page's date
# (6 July 2010): (kind, slug) -> (the page's words, the previous fact's date or None).
RELATIVE = {
    ("event", "belarus-supports-iran-right-to-peaceful-nuclear-technology"): ("undated", None),
    ("event", "until-2010-07-belarus-iran-closer-economic-ties"): ("in recent years", None),
    ("statement", "ahmadinejad-close-cooperation-in-various-areas"): ("undated", None),
    ("event", "2009-central-bank-of-iran-agrees-212m-loan-to-belarusneft"): (
        "subsequently",
        "May 2009",
    ),
    ("agreement", "central-bank-of-iran-loan-to-belarusneft-jofeir"): ("subsequently", "May 2009"),
    ("event", "until-2010-07-belarus-iran-political-partnership"): ("in recent years", None),
    ("statement", "ahmadinejad-tehran-minsk-ties-growing"): ("undated", None),
    ("statement", "2010-06-icro-press-release-latushka-artists-association"): ("undated", None),
}

MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
DATE_PHRASE = re.compile(rf"\b(?:(?:early|mid-|late) )?(?:(?:{MONTHS}) )?(?:19|20)\d\d\b")
MODELS = {
    "event": Event,
    "agreement": Agreement,
    "statement": Statement,
    "position": Position,
    "membership": Membership,
}


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


def claim(kind: str, slug: str):
    return MODELS[kind].objects.get(slug=slug)


@pytest.fixture(scope="module")
def _seed_once(django_db_setup, django_db_blocker):
    """The seed, loaded once for the module in a transaction rolled back at its end; each test
    runs in a savepoint within it (pytest-django's ``db``). These tests only read it."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            call_command("loaddata", "belarus-iran-2010", verbosity=0)
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def seed(_seed_once, db):
    """tests/conftest.py's seed, without loading it for every test."""


@pytest.fixture(scope="module")
def sentences():
    return footnoted_sentences()


def test_our_copy_of_the_page_is_the_teams():
    if not TEAM_SEED.exists():
        pytest.skip("the team's shared/seed folder is not beside this clone")
    assert SEED.read_bytes() == TEAM_SEED.read_bytes()


def claims_citing(note: int) -> set[tuple[str, str]]:
    citations = Citation.objects.filter(
        footnote__source__slug=SOURCE, footnote__locator=f"note {note}"
    )
    return {(c.claim_kind, c.claim.slug) for c in citations.select_related(*Citation.claim_fields)}


def test_the_page_has_thirteen_footnotes(sentences):
    assert sorted(sentences) == list(range(1, 14))


def test_the_source_is_the_page_itself():
    source = Source.objects.get(slug=SOURCE)
    assert source.title == "Belarus-Iran Foreign Relations"
    assert str(parse_fuzzy_date(source.published)) == "6 July 2010"
    assert source.published_precision == "day"
    assert set(Footnote.objects.values_list("source__slug", flat=True)) == {SOURCE}


@pytest.mark.parametrize("note", range(1, 14))
def test_a_note_is_one_footnote_cited_by_the_claims_it_states(note, sentences):
    footnote = Footnote.objects.get(source__slug=SOURCE, locator=f"note {note}")
    # Its excerpt is exactly the sentence the page's footnote closes.
    assert footnote.excerpt == sentences[note]
    assert claims_citing(note) == EXPECTED[note]


def test_no_citation_points_anywhere_else():
    assert sorted(Footnote.objects.values_list("locator", flat=True)) == sorted(
        f"note {n}" for n in range(1, 14)
    )
    # One citation per (note, claim): a post stated in two sentences cites both.
    assert Citation.objects.count() == sum(len(claims) for claims in EXPECTED.values()) == 27


@pytest.mark.parametrize("note", range(1, 14))
def test_dated_sentences_keep_their_precision(note, sentences):
    """Every date the page writes ("in 2008", "May 2007", "late June 2010") is the date of a
    claim that footnote backs, with the same bounds and precision."""
    dated = [
        parse_fuzzy_date(claim(kind, slug).date)
        for kind, slug in EXPECTED[note]
        if getattr(claim(kind, slug), "date", "")
    ]
    for phrase in DATE_PHRASE.findall(sentences[note]):
        meant = parse_fuzzy_date(phrase)
        assert any(
            (d.lower, d.upper, d.precision) == (meant.lower, meant.upper, meant.precision)
            for d in dated
        ), f"note {note}: no claim dated {phrase!r} (found {[str(d) for d in dated]})"


@pytest.mark.parametrize(("kind", "slug"), RELATIVE)
def test_relative_dates_are_resolved_against_the_pages_date(kind, slug):
    """ "Subsequently", "in recent years" and the undated: stored as core.dates resolves them
    (never a month the page does not give), with the bounds the parser derives."""
    words, previous = RELATIVE[kind, slug]
    published = parse_fuzzy_date(Source.objects.get(slug=SOURCE).published)
    after = parse_fuzzy_date(previous) if previous else None
    stored = claim(kind, slug)
    assert stored.date == resolve_relative(words, source=published, previous=after)
    meant = parse_fuzzy_date(stored.date)
    assert (stored.date_lower, stored.date_upper) == (meant.lower, meant.upper)
    assert meant.upper == published.upper  # true by the page's date, and no later


def test_the_censure_is_before_june_2008_and_concerns_belarus_iran():
    censure = Event.objects.get(slug="until-2008-06-censure-of-iran-nuclear-programme")
    assert censure.date == "before June 2008"
    assert str(censure.date_upper) == "2008-05-31"
    assert {c.code for c in censure.countries.all()} == {"IR", "US"}
    assert {o.short_name for o in censure.organisations.all()} == {"UNSC", "EU"}
    assert [r.slug for r in censure.concerns.all()] == ["by-ir"]


def test_every_claim_is_published_and_cited():
    for model in MODELS.values():
        assert model.objects.exists()
        assert not model.objects.drafts().exists()
        assert not model.objects.filter(citations__isnull=True).exists()


def test_quotes_are_verbatim_and_the_paraphrase_is_one(sentences):
    page = plain(" ".join(sentences.values()))
    quotes = Statement.objects.filter(form=Statement.Form.QUOTE)
    for statement in quotes:
        assert plain(statement.quote) in page, statement.slug
    assert quotes.count() == 5
    paraphrase = Statement.objects.get(form=Statement.Form.PARAPHRASE)
    assert (paraphrase.speaker.name, paraphrase.verb) == ("Alexander Lukashenko", "added")
    assert paraphrase.event.slug == "2010-06-late-lukashenko-turns-to-iran-after-russia-gas-row"
    assert "dependency on one source for oil and gas" in paraphrase.quote


def test_statements_made_at_events_belong_to_them():
    at = dict(Statement.objects.filter(event__isnull=False).values_list("slug", "event__slug"))
    assert at == {
        "2007-05-lukashenko-strategic-partnership": (
            "2007-05-belarus-iran-agree-deeper-bilateral-trade"
        ),
        "2007-05-belarus-iran-act-jointly-against-pressure": (
            "2007-05-belarus-iran-agree-to-counter-pressure"
        ),
        "2010-06-icro-press-release-latushka-artists-association": (
            "2010-06-latushka-icro-iranian-art-exhibition-minsk"
        ),
        "2010-06-late-lukashenko-energy-ties-away-from-one-source": (
            "2010-06-late-lukashenko-turns-to-iran-after-russia-gas-row"
        ),
    }
    joint = Statement.objects.get(slug="2007-05-belarus-iran-act-jointly-against-pressure")
    assert joint.speaker is None and joint.speaker_organisation is None
    release = Statement.objects.get(slug="2010-06-icro-press-release-latushka-artists-association")
    assert (release.speaker_organisation.short_name, release.context) == (
        "ICRO",
        "in a press release",
    )


def test_the_loan_agreement_and_its_announcement_are_one_fact():
    loan = Agreement.objects.get(kind=Agreement.Kind.LOAN)
    assert Agreement.objects.count() == 1  # no treaty the page does not describe
    assert (loan.value_amount, loan.value_currency) == (Decimal("212000000"), "USD")
    assert {o.slug for o in loan.organisations.all()} == {"central-bank-of-iran", "belarusneft"}
    assert "Jofeir" in loan.title
    # The page says what the loan is for in the sentence note 6 backs: nothing is left to tell
    # as unsourced background.
    assert loan.purpose == ""
    event = loan.events.get()
    assert event.title == "Central Bank of Iran agrees to lend $212m to Belarusneft"
    assert event.date == loan.date == "after May 2009, by 6 July 2010"


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


def test_belarus_is_a_member_of_the_non_aligned_movement_as_note_1_says():
    membership = Membership.objects.get()
    assert (membership.member_country.code, membership.organisation.short_name) == ("BY", "NAM")
    assert (membership.role, membership.start, membership.end) == ("member", "", "")


def test_the_named_organisations():
    names = {o.short_name or o.name for o in Organisation.objects.all()}
    assert {"NAM", "IAEA", "UNSC", "EU", "CBI", "Belarusneft", "ICRO"} <= names
    assert Organisation.objects.get(short_name="UNSC").parent.short_name == "UN"
    assert Organisation.objects.get(short_name="CBI").kind == Organisation.Kind.CENTRAL_BANK
    assert Organisation.objects.get(slug="belarusneft").kind == Organisation.Kind.STATE_COMPANY


def test_the_relationship_has_the_pages_sections():
    headings = re.findall(r"^(.+):$", SEED.read_text(encoding="utf-8"), re.MULTILINE)
    relationship = Relationship.objects.get()
    assert (relationship.slug, relationship.first.code, relationship.second.code) == (
        "by-ir",
        "BY",
        "IR",
    )
    assert [s["title"] for s in relationship.sections] == headings
    assert [s["domain"] for s in relationship.sections] == ["nuclear", "economic", "diplomatic"]


def test_events_sit_in_the_pages_domains():
    domains = {d for e in Event.objects.all() for d in e.domains.values_list("slug", flat=True)}
    assert domains == {"nuclear", "economic", "energy", "diplomatic", "cultural"}
    assert Event.objects.involving("BY", "IR").count() == 11  # all but the censure of Iran
    gas_row = Event.objects.get(date="late June 2010")
    assert {c.code for c in gas_row.countries.all()} == {"BY", "IR"}
    assert set(gas_row.domains.values_list("slug", flat=True)) == {"energy", "diplomatic"}
    exhibit = Event.objects.get(slug="2010-06-latushka-icro-iranian-art-exhibition-minsk")
    assert set(exhibit.domains.values_list("slug", flat=True)) == {"diplomatic", "cultural"}


@pytest.mark.parametrize("kind", ["event", "statement"])
def test_same_date_claims_keep_the_pages_order(kind):
    """Within one date, claims come in the order of the page's sentences (their notes)."""
    note_of = {claim: note for note, claims in EXPECTED.items() for claim in claims}
    by_date: dict[tuple, list[int]] = {}
    for c in MODELS[kind].objects.chronological():
        by_date.setdefault((c.date_lower, c.date_upper), []).append(note_of[kind, c.slug])
    for date, notes in by_date.items():
        assert notes == sorted(notes), f"{kind}s dated {date}: notes in order {notes}"
    assert any(len(notes) > 1 for notes in by_date.values())  # the test has something to order


def test_the_fixture_loads_twice_without_duplicates():
    before = Citation.objects.count(), Event.objects.count(), Footnote.objects.count()
    call_command("loaddata", "belarus-iran-2010", verbosity=0)
    assert (Citation.objects.count(), Event.objects.count(), Footnote.objects.count()) == before
