"""Model behaviour and the database's own guarantees (constraints hold without the ORM's help)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from relations.models import Agreement, Citation, Country, Event, Position, Statement
from tests.factories import (
    AgreementFactory,
    CitationFactory,
    EventFactory,
    OfficialFactory,
    OrganisationFactory,
    PositionFactory,
    SourceFactory,
    StatementFactory,
    country,
)

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def refused(**kwargs):
    return pytest.raises(IntegrityError, **kwargs)


# --- Fuzzy dates on models -------------------------------------------------------------------
def test_saving_derives_bounds_and_precision_from_the_text():
    event = EventFactory(date="  In  late June 2010 ")
    event.refresh_from_db()
    assert event.date == "In late June 2010"
    assert (event.date_lower, event.date_upper) == (
        datetime.date(2010, 6, 21),
        datetime.date(2010, 6, 30),
    )
    assert event.date_precision == "part-of-month"
    assert str(event.fuzzy_date) == "late June 2010"


def test_changing_the_text_moves_the_bounds():
    event = EventFactory(date="2008")
    event.date = "May 2009"
    event.save(update_fields=["date"])
    event.refresh_from_db()
    assert (event.date_lower, event.date_upper) == (
        datetime.date(2009, 5, 1),
        datetime.date(2009, 5, 31),
    )


def test_unreadable_date_is_a_validation_error_listing_accepted_forms():
    event = Event(title="A visit", date="recent years", slug="a-visit")
    with pytest.raises(ValidationError) as error:
        event.full_clean()
    message = " ".join(error.value.message_dict["date"])
    assert "recent years" in message
    assert "late June 2010" in message  # the accepted forms are listed


def test_blank_optional_date_has_no_bounds():
    statement = StatementFactory(date="")
    statement.refresh_from_db()
    assert (statement.date_lower, statement.date_upper, statement.date_precision) == (
        None,
        None,
        "",
    )


# --- Constraints in the database ------------------------------------------------------------
def test_event_requires_a_date_in_the_database():
    with refused():
        Event.objects.bulk_create([Event(title="No date", slug="no-date", date="")])


def test_bounds_cannot_be_reversed_even_bypassing_the_orm():
    event = EventFactory()
    with refused(), transaction.atomic():
        Event.objects.filter(pk=event.pk).update(date_lower=datetime.date(2011, 1, 1))


def test_bounds_must_accompany_the_text():
    event = EventFactory()
    with refused(), transaction.atomic():
        Event.objects.filter(pk=event.pk).update(date_upper=None)


def test_position_cannot_end_before_it_starts():
    with refused(), transaction.atomic():
        PositionFactory(start="2009", end="2007")
    position = PositionFactory(start="2007", end="May 2009")
    assert position.held == "2007 – May 2009"


def test_position_is_held_somewhere():
    with refused(), transaction.atomic():
        PositionFactory(country=None, organisation=None)


def test_agreement_value_is_positive_and_has_a_currency():
    with refused(), transaction.atomic():
        AgreementFactory(value_amount=Decimal("-5"), value_currency="USD")
    with refused(), transaction.atomic():
        AgreementFactory(value_amount=Decimal("5"), value_currency="")
    with refused(), transaction.atomic():
        AgreementFactory(value_amount=Decimal("5"), value_currency="usd")
    with refused(), transaction.atomic():
        AgreementFactory(value_amount=None, value_currency="USD")
    assert AgreementFactory(value_amount=Decimal("212000000"), value_currency="USD").pk


def test_statement_needs_words_and_someone_who_said_them():
    with refused(), transaction.atomic():
        StatementFactory(quote="")
    with refused(), transaction.atomic():
        StatementFactory(speaker=None)
    assert StatementFactory(speaker=None, speaker_organisation=OrganisationFactory()).pk


@pytest.mark.parametrize("claims", [[], ["event", "agreement"]], ids=["none", "two"])
def test_citation_supports_exactly_one_claim(claims):
    made = {"event": EventFactory, "agreement": AgreementFactory}
    with refused(), transaction.atomic():
        CitationFactory(**{claim: made[claim]() for claim in claims})


def test_citation_of_the_same_place_twice_is_refused():
    event, source = EventFactory(), SourceFactory()
    CitationFactory(event=event, source=source, locator="note 1")
    with refused(), transaction.atomic():
        CitationFactory(event=event, source=source, locator="note 1")
    # ...but another claim may cite the same place.
    assert CitationFactory(agreement=AgreementFactory(), source=source, locator="note 1").pk


def test_slugs_are_unique_and_made_from_date_and_title():
    first = EventFactory(title="Lukashenko visits Tehran", date="May 2007")
    second = EventFactory(title="Lukashenko visits Tehran", date="May 2007")
    assert first.slug == "may-2007-lukashenko-visits-tehran"
    assert second.slug == "may-2007-lukashenko-visits-tehran-2"
    with refused(), transaction.atomic():
        EventFactory(slug=first.slug)


def test_country_codes_are_iso_shaped():
    with refused(), transaction.atomic():
        Country.objects.create(code="by", alpha_3="BYX", name="Lowercase")
    with refused(), transaction.atomic():
        Country.objects.create(code="BYR", alpha_3="BYZ", name="Three letters")


def test_protected_references_keep_facts_whole():
    from django.db.models import ProtectedError

    position = PositionFactory()
    with pytest.raises(ProtectedError):
        position.official.delete()
    citation = CitationFactory(event=EventFactory())
    with pytest.raises(ProtectedError):
        citation.source.delete()


# --- QuerySets ------------------------------------------------------------------------------
def test_published_hides_drafts():
    published = EventFactory()
    EventFactory(status="draft")
    assert list(Event.objects.published()) == [published]


@pytest.mark.parametrize(
    ("date", "lower", "upper", "matches"),
    [
        ("2008", "2008-06", "2008-07", True),  # imprecise, but overlapping
        ("May 2007", "2007", "2007", True),
        ("May 2007", "2008", None, False),
        ("since 2007", None, "1999", False),
        ("since 2007", "2030", None, True),
        ("until 2009", None, "1995", True),
        ("late June 2010", "2010-06-25", "2010-07-01", True),
        ("late June 2010", "2010-06-01", "2010-06-20", False),
    ],
)
def test_between_matches_by_interval_overlap(date, lower, upper, matches):
    event = EventFactory(date=date)
    assert (event in Event.objects.between(lower, upper)) is matches


def test_between_accepts_dates():
    event = EventFactory(date="May 2007")
    assert event in Event.objects.between(datetime.date(2007, 5, 31), None)
    assert event not in Event.objects.between(datetime.date(2007, 6, 1), None)


def test_involving_requires_every_country_and_accepts_codes():
    pair = EventFactory(countries=["BY", "IR"])
    EventFactory(countries=["BY", "RU"])
    assert list(Event.objects.involving("by", "ir")) == [pair]
    assert list(Event.objects.involving(country("IR"))) == [pair]
    assert Event.objects.involving("BY").count() == 2


def test_in_domains_lists_each_event_once():
    both = EventFactory(domains=["economic", "energy"])
    EventFactory(domains=["cultural"])
    assert list(Event.objects.in_domains("economic", "energy")) == [both]


def test_chronological_orders_by_bounds():
    later = EventFactory(date="2010")
    earlier_narrow = EventFactory(date="early 2009")
    earlier = EventFactory(date="2009")
    assert list(Event.objects.chronological()) == [earlier_narrow, earlier, later]


def test_natural_keys_round_trip():
    event = EventFactory()
    position = PositionFactory()
    citation = CitationFactory(position=position, locator="note 9")
    assert Event.objects.get_by_natural_key(*event.natural_key()) == event
    assert Country.objects.get_by_natural_key("BY").name == "Belarus"
    assert citation.natural_key() == (citation.footnote.slug, "position", position.slug)
    assert citation.footnote.slug == f"{citation.source.slug}-note-9"
    assert Citation.objects.get_by_natural_key(*citation.natural_key()) == citation


def test_the_factories_cite_every_published_claim_as_the_product_requires():
    for factory in (EventFactory, AgreementFactory, StatementFactory, PositionFactory):
        assert factory().citations.count() == 1
        assert factory(status="draft").citations.count() == 0
    for model in (Event, Agreement, Statement, Position):
        assert not model.objects.published().uncited().exists()


def test_citations_for_claims_of_several_kinds_in_one_query(django_assert_num_queries):
    event, statement = EventFactory(citations=2), StatementFactory(citations=1)
    cited = [*event.citations.all(), *statement.citations.all()]
    AgreementFactory(citations=1)  # not asked for
    with django_assert_num_queries(1):
        assert list(Citation.objects.for_claims([event, statement])) == cited
    assert len(cited) == 3


def test_string_forms_read_well():
    official = OfficialFactory(name="Vladimir Semashko")
    position = PositionFactory(official=official, title="Deputy Prime Minister")
    assert str(position) == "Vladimir Semashko, Deputy Prime Minister (Belarus)"
    statement = StatementFactory(speaker=official, quote="x" * 100)
    assert str(statement).startswith("Vladimir Semashko: “xxx") and str(statement).endswith("…”")
    assert str(EventFactory(title="Talks", date="2008")) == "2008: Talks"
    assert str(Agreement(title="Loan")) == "Loan"
    assert Statement._meta.ordering and Position._meta.ordering


def test_full_clean_of_a_new_event_derives_its_bounds_first():
    event = Event(title="A visit", date="late June 2010", slug="a-visit")
    event.full_clean()  # the bounds constraints are checked against derived bounds
    assert event.date_lower == datetime.date(2010, 6, 21)


def test_a_currency_must_exist():
    agreement = Agreement(
        title="Loan", slug="loan", value_amount=Decimal("1"), value_currency="XYZ"
    )
    with pytest.raises(ValidationError) as error:
        agreement.full_clean()
    assert "not an ISO 4217 currency code" in str(error.value.message_dict["value_currency"])
    agreement.value_currency = "IRR"
    agreement.full_clean()
