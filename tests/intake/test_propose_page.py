"""A second, made-up page: the rules are general, not the seed's facts."""

from decimal import Decimal

import pytest

from intake.propose import read_page
from relations.models import Country, Official, Organisation

PAGE = """\
{{ page.chrome }}
March 3, 2015
Kenya-Uganda Relations
Trade Relationship:
In early 2012, Kenyan President Mwai Kibaki met Ugandan President Yoweri Museveni in \
Nairobi.<sup>1</sup> \
According to Kibaki, “the two countries will double their trade within five years.”<sup>2</sup>
Energy:
Subsequently, the African Development Bank agreed to lend $300 million to Uganda National Oil \
Company for a pipeline to Mombasa.<sup>3</sup> Museveni added that the pipeline would cut fuel \
prices.<sup>4</sup>
Security Cooperation:
Despite growing pressure from the United Nations, Kenya and Uganda signed a treaty on border \
patrols in 2013.<sup>5</sup> Uganda, as a member of the East African Community, has backed \
Kenya’s bid.<sup>6</sup>
Notes
1. The Standard, 12 March 2012.
2. Daily Monitor, 13 March 2012.
3. Reuters, 2 May 2012.
4. Reuters, 3 May 2012.
5. UN press briefing, 2013.
6. EAC communiqué, 2014.
"""


@pytest.fixture
def read(db):
    kenya, uganda = Country.objects.get(code="KE"), Country.objects.get(code="UG")
    kenya.aliases = [*kenya.aliases, "Nairobi", "Mombasa"]  # "Kenyan", "Ugandan": by rule
    kenya.save()
    Official.objects.create(slug="mwai-kibaki", name="Mwai Kibaki", country=kenya)
    Official.objects.create(slug="yoweri-museveni", name="Yoweri Museveni", country=uganda)
    Organisation.objects.create(slug="afdb", name="African Development Bank", short_name="AfDB")
    Organisation.objects.create(slug="eac", name="East African Community", short_name="EAC")
    Organisation.objects.create(slug="un", name="United Nations", short_name="UN")
    return read_page(PAGE)


def keys(refs):
    return [r.key or f"new:{r.name}" for r in refs]


def test_the_page_head_notes_and_warnings(read):
    assert (read.title, read.date, read.problems) == ("Kenya-Uganda Relations", "March 3, 2015", [])
    assert read.warnings and "markup" in read.warnings[0]
    assert [n.locator for n in read.notes] == [f"note {n}" for n in range(1, 7)]
    assert read.notes[2].excerpt == "Reuters, 2 May 2012."  # the note's text, not the sentence
    # "Trade" is a topic the Economic domain lists; no domain is about security
    assert [(r.name, r.as_written) for r in read.new_domains] == [
        ("Security", "Security Cooperation")
    ]
    assert ("organisation", "Uganda National Oil Company") in {
        (r.kind, r.name) for r in read.new_records
    }


def test_a_meeting_its_posts_and_a_statement_made_there(read):
    event, *rest = [p for p in read.proposals if 1 in p.notes]
    assert (event.kind, event.date, event.date_as_read) == ("event", "early 2012", "In early 2012")
    assert keys(event.countries) == ["KE", "UG"] and event.place == "Nairobi"
    assert keys(event.officials) == ["mwai-kibaki", "yoweri-museveni"]
    assert keys(event.domains) == ["economic"]
    posts = {(p.official.key, p.title, p.country.key) for p in rest if p.kind == "position"}
    assert posts == {("mwai-kibaki", "President", "KE"), ("yoweri-museveni", "President", "UG")}
    (said,) = [p for p in read.proposals if 2 in p.notes]
    assert (said.kind, said.form, said.verb, said.speaker.key) == (
        "statement",
        "quote",
        "said",
        "mwai-kibaki",
    )
    assert said.quote == "the two countries will double their trade within five years."
    assert said.event == event.id and said.date == "by 3 March 2015"  # a speaker who was there
    assert keys(said.countries) == ["KE", "UG"]


def test_a_loan_subsequently_agreed_and_what_was_added(read):
    agreement, event = [p for p in read.proposals if 3 in p.notes]
    assert (agreement.kind, agreement.agreement_kind, agreement.stage) == (
        "agreement",
        "loan",
        "agreed",
    )
    assert (agreement.value_amount, agreement.value_currency) == (Decimal("300000000.00"), "USD")
    assert agreement.date == "after early 2012, by 3 March 2015"
    assert keys(agreement.organisations) == ["afdb", "new:Uganda National Oil Company"]
    assert keys(agreement.domains) == ["energy"]
    assert event.agreements == [agreement.id] and event.date == agreement.date
    (added,) = [p for p in read.proposals if 4 in p.notes]
    assert (added.form, added.verb, added.speaker.key) == ("paraphrase", "added", "yoweri-museveni")
    assert added.quote == "the pipeline would cut fuel prices"
    assert added.event == event.id and added.date == event.date


def test_a_third_partys_pressure_concerns_the_pair_and_precedes_the_treaty(read):
    pressure, treaty, signing = [p for p in read.proposals if 5 in p.notes]
    assert keys(pressure.organisations) == ["un"] and pressure.concerns == ["ke-ug"]
    assert pressure.date == "before 2013"
    assert (treaty.agreement_kind, treaty.stage, treaty.date) == ("treaty", "signed", "2013")
    assert keys(treaty.countries) == ["KE", "UG"] and keys(treaty.domains) == ["new:Security"]
    assert signing.agreements == [treaty.id] and signing.concerns == []


def test_a_membership_and_an_undated_present_perfect(read):
    backed, membership = [p for p in read.proposals if 6 in p.notes]
    assert (backed.kind, backed.date, backed.date_as_read) == (
        "event",
        "by 3 March 2015",
        "has backed",
    )
    assert (membership.member.key, membership.organisation.key) == ("UG", "eac")


@pytest.mark.django_db
def test_a_sum_agreed_without_a_known_kind_is_an_agreement_all_the_same():
    page = read_page("Kenya and Uganda signed a $50m deal in 2014.[1] Kenya and Uganda met.[2]")
    deal, event, met = page.proposals
    assert (deal.kind, deal.agreement_kind, deal.stage, deal.value_amount) == (
        "agreement",
        "other",
        "signed",
        Decimal("50000000.00"),
    )
    assert event.agreements == [deal.id] and (met.kind, met.agreements) == ("event", [])


@pytest.mark.django_db
def test_a_fact_under_two_markers_is_one_claim_and_a_speaker_may_follow_his_words():
    Official.objects.create(slug="mwai-kibaki", name="Mwai Kibaki")
    page = read_page(
        "Kenya and Uganda met in May 2012.[1][2] “We will double trade,” declared Mwai Kibaki.[3]"
    )
    (met,) = [p for p in page.proposals if p.kind == "event"]
    assert met.notes == [1, 2]
    (said,) = [p for p in page.proposals if p.kind == "statement"]
    assert (said.speaker.key, said.verb, said.quote) == (
        "mwai-kibaki",
        "declared",
        "We will double trade",
    )
