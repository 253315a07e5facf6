"""The reading rules one by one: posts, agreements and sums, clauses, background, memberships."""

from decimal import Decimal

import pytest

from intake import gazetteer, posts, rules
from tests.intake.kb import load_reference


@pytest.mark.parametrize(
    ("words", "title"),
    [
        ("Deputy PM", "Deputy Prime Minister"),
        ("Culture Minister", "Minister of Culture"),
        ("Foreign Minister", "Minister of Foreign Affairs"),
        ("Prime Minister", "Prime Minister"),
        ("Vice Governor", "Vice Governor"),
        ("President", "President"),
    ],
)
def test_a_posts_title_is_written_out(words, title):
    assert posts.normalise_title(words) == title


@pytest.mark.parametrize(
    ("text", "kind", "stage", "amount", "currency"),
    [
        ("the bank agreed to lend $212m to X", "loan", "agreed", "212000000", "USD"),
        ("they signed a treaty worth €1.5 billion", "treaty", "signed", "1500000000", "EUR"),
        ("a memorandum was proposed, 40 million roubles", "mou", "proposed", "40000000", "RUB"),
        ("the two agreed to work towards deeper trade", "", "agreed", None, ""),
    ],
)
def test_an_agreements_kind_stage_and_value(text, kind, stage, amount, currency):
    assert (rules.agreement_kind(text), rules.stage(text)) == (kind, stage)
    value, unit = rules.value(text)
    assert (value, unit) == ((Decimal(amount) if amount else None), currency)


def test_despite_fronts_a_fact_of_its_own_and_a_list_does_not_end_it():
    text = (
        "Despite increasing censure from the UN Security Council, the European Union, and the "
        "United States, Belarus and the movement as a whole expressed their support."
    )
    background, main = rules.concession(text)
    assert background.endswith("the European Union, and the United States")
    assert main.startswith("Belarus and the movement")
    assert rules.concession("They met despite it.") == ("", "They met despite it.")


def test_reasons_and_place_descriptions_name_no_one_who_took_part():
    text = (
        "Lukashenko announced that in light of a recent row with Russia over gas supplies, "
        "Belarus would look to Iran, located in south-western Asia near the border with Iraq."
    )
    spans = [text[s:e] for s, e in rules.background_spans(text)]
    assert spans[0] == "in light of a recent row with Russia over gas supplies"
    assert "near the border with Iraq" in spans[-1]


def test_clauses_split_at_semicolons_and_asides_never_in_quotes():
    text = "A grew; B said “x; y” and, as C, did D."
    quoted = [(q.start, q.end) for q in rules.quotes(text)]
    assert rules.clauses(text, quoted) == ["A grew", "B said “x; y”", "as C, did D."]


@pytest.mark.django_db
def test_posts_as_the_page_states_them():
    load_reference()
    names = gazetteer.build()
    text = (
        "In May 2009, Belarussian Deputy PM Vladimir Semashko met with Vice Governor of the "
        "Central Bank of the Islamic Republic of Iran, Reza Raei; Belarus’ Culture Minister "
        "Pavel Latushka and President Ahmadinejad were there. The Chinese Foreign Minister "
        "Alexander Lukashenko (sic) came too."
    )
    found = {
        (p.official.key, p.title, p.country.key, p.organisation.key if p.organisation else "")
        for p in posts.posts(text, names.find(text), names)
    }
    assert found == {
        ("vladimir-semashko", "Deputy Prime Minister", "BY", ""),
        ("reza-raei", "Vice Governor", "IR", "central-bank-of-iran"),
        ("pavel-latushka", "Minister of Culture", "BY", "belarus-ministry-of-culture"),
        ("mahmoud-ahmadinejad", "President", "IR", ""),
        ("alexander-lukashenko", "Minister of Foreign Affairs", "BY", ""),  # not "Chinese …"
    }
    assert posts.posts("Lukashenko spoke.", names.find("Lukashenko spoke."), names) == []


@pytest.mark.django_db
def test_memberships_and_unknown_names():
    load_reference()
    names = gazetteer.build()
    text = "Belarus, as a part of the Non-Aligned Movement, backed the EU."
    assert [r.key for r in rules.membership_of(text, names.find(text))] == ["non-aligned-movement"]
    text = "The loan went to state-run oil company Belarusneftx for the Jofeir field. Minsk agreed."
    offered = [
        (n.match.ref.kind, n.match.text, n.takes_part)
        for n in rules.unknown_names(text, names.find(text))
    ]
    # a body named after "company" takes part; a field is only mentioned
    assert offered == [("organisation", "Belarusneftx", True), ("organisation", "Jofeir", False)]
    text = "Belarus and the Shanghai Cooperation Organisation met Iranian President Mwai Kibaki."
    offered = [
        (n.match.ref.kind, n.match.text) for n in rules.unknown_names(text, names.find(text))
    ]
    assert offered == [
        ("organisation", "Shanghai Cooperation Organisation"),
        ("official", "Mwai Kibaki"),
    ]
    later = rules.unknown_names(
        "Kibaki spoke.", [], {"Kibaki": offered and names.country_ref("KE")}
    )
    assert [n.match.ref.key for n in later] == ["KE"]  # a name the page gave before
