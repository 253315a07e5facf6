"""Names found in text: every record's names and aliases, in one pass."""

import pytest

from intake import gazetteer
from relations.models import Country, Official
from tests.intake.kb import load_reference


@pytest.fixture
def names(db):
    load_reference()
    return gazetteer.build()


def found(names, text, kinds=()):
    return [(m.text, m.kind, m.ref.key) for m in names.find(text, kinds)]


def test_aliases_fold_case_and_name_their_country(names):
    assert found(names, "belarussian officials in MINSK and Tehran", ("country",)) == [
        ("belarussian", "country", "BY"),
        ("MINSK", "country", "BY"),
        ("Tehran", "country", "IR"),
    ]


def test_names_sit_on_word_boundaries(names):
    assert found(names, "a woman from Romania", ("country",)) == [("Romania", "country", "RO")]
    assert found(names, "Iranians", ("country",)) == []


def test_the_longest_name_wins_where_names_overlap(names):
    text = "the Central Bank of the Islamic Republic of Iran and the Islamic Republic"
    assert found(names, text) == [
        ("Central Bank of the Islamic Republic of Iran", "organisation", "central-bank-of-iran"),
        ("Islamic Republic", "country", "IR"),
    ]


def test_acronyms_match_only_in_capitals(names):
    assert found(names, "the EU and the UN told a nam", ("organisation",)) == [
        ("EU", "organisation", "european-union"),
        ("UN", "organisation", "united-nations"),
    ]


def test_a_name_shortened_as_its_parent_is(names):
    assert found(names, "censure from the UN Security Council") == [
        ("UN Security Council", "organisation", "un-security-council")
    ]


def test_a_surname_no_one_else_shares_names_an_official(names):
    assert found(names, "According to President Ahmadinejad, Lukashenka") == [
        ("Ahmadinejad", "official", "mahmoud-ahmadinejad"),
        ("Lukashenka", "official", "alexander-lukashenko"),
    ]
    assert found(names, "ahmadinejad") == []  # a surname is capitalised
    Official.objects.create(slug="other-ahmadinejad", name="Other Ahmadinejad")
    assert found(gazetteer.build(), "President Ahmadinejad") == []  # shared: ambiguous


def test_domains_are_found_by_name_and_by_the_topics_they_list(names):
    assert found(names, "cultural ties, oil and gas, and loans", ("domain",)) == [
        ("cultural", "domain", "cultural"),
        ("oil", "domain", "energy"),
        ("gas", "domain", "energy"),
        ("loans", "domain", "economic"),
    ]


def test_the_gazetteer_is_rebuilt_when_the_knowledge_base_changes(
    names, django_capture_on_commit_callbacks
):
    assert found(gazetteer.load(), "Byelorussia", ("country",))[0][2] == "BY"
    assert found(gazetteer.load(), "Belarusia", ("country",)) == []
    with django_capture_on_commit_callbacks(execute=True):
        country = Country.objects.get(code="BY")
        country.aliases = [*country.aliases, "Belarusia"]
        country.save()
    assert found(gazetteer.load(), "Belarusia", ("country",)) == [("Belarusia", "country", "BY")]


def test_a_states_adjective_by_rule_where_the_rule_is_safe(names):
    text = "Russian, Kenyan and Saudi Arabian envoys; a Nigerian and a Nigerien"
    assert found(names, text, ("country",)) == [
        ("Russian", "country", "RU"),
        ("Kenyan", "country", "KE"),
        ("Saudi Arabian", "country", "SA"),
        ("Nigerian", "country", "NG"),
    ]
