"""The new shape survives an exchange whole: export → import into an empty database → export
gives the same bytes with every field of the fidelity issue filled (footnotes shared by several
claims, memberships, ``concerns``, "according to", a paraphrase in two fragments, an unnamed
body based abroad, a relationship's dossier settings, the order within a date), and claims of
the same date keep the analyst's order through it."""

import pytest

from relations.models import Citation, Event, Membership, Organisation, Relationship, Statement
from sources.models import Footnote
from tests.exchange.conftest import export, keys, records, rolled_back, settle_times, write
from tests.factories import (
    AgreementFactory,
    EventFactory,
    FootnoteFactory,
    MembershipFactory,
    OfficialFactory,
    OrganisationFactory,
    PositionFactory,
    SourceFactory,
    StatementFactory,
    country,
    relationship,
)

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def build_everything() -> None:
    """One of each new thing, filled in, with drafts among them."""
    source = SourceFactory(slug="page", title="Belarus–Iran relations", published="6 July 2010")
    note_4 = FootnoteFactory(source=source, locator="note 4", excerpt="In May 2007, the two …")
    note_1 = FootnoteFactory(source=source, locator="note 1", excerpt="… a part of NAM …")
    by_ir = relationship("IR", "BY")  # stored in code order whatever the order given
    by_ir.introduction = "Two states under Western criticism."
    by_ir.sections = [{"domain": "nuclear", "title": "Nuclear"}, {"domain": "economic"}]
    by_ir.save()
    nam = OrganisationFactory(slug="non-aligned-movement", name="Non-Aligned Movement")
    bank = OrganisationFactory(
        slug="iranian-state-bank-abroad",
        name="a state-owned Iranian bank abroad",
        unnamed=True,
        country=country("IR"),
        location=country("AE"),
    )
    press = OrganisationFactory(slug="irna", name="IRNA", kind=Organisation.Kind.MEDIA)
    lukashenko = OfficialFactory(slug="alexander-lukashenko", country=country("BY"))
    PositionFactory(
        slug="lukashenko-president", official=lukashenko, title="President", sequence=1,
        citations__footnote=note_4,
    )  # fmt: skip
    MembershipFactory(
        slug="belarus-in-nam", organisation=nam, role="member", start="as early as 1998",
        citations__footnote=note_1,
    )  # fmt: skip
    MembershipFactory(
        slug="bank-observer-in-nam", member_country=None, member_organisation=bank,
        organisation=nam, role="observer", status="draft", citations=0,
    )  # fmt: skip
    trade = EventFactory(
        slug="2007-05-trade", title="Belarus and Iran agree on trade", date="May 2007",
        sequence=1, countries=["BY", "IR"], domains=["economic"], according_to=press,
        according_to_official=lukashenko, citations__footnote=note_4,
    )  # fmt: skip
    censure = EventFactory(
        slug="2007-05-censure", title="Others censure Iran", date="May 2007", sequence=0,
        countries=["IR", "US"], domains=["nuclear"], citations__footnote=note_1,
    )  # fmt: skip
    censure.concerns.set([by_ir])
    loan = AgreementFactory(
        slug="loan", title="A loan", date="after May 2009, by 6 July 2010", sequence=3,
        value_amount=212_000_000, value_currency="USD", according_to=press,
        citations__footnote=note_4,
    )  # fmt: skip
    loan.organisations.set([bank])
    loan.concerns.set([by_ir])
    trade.agreements.set([loan])
    paraphrase = StatementFactory(
        slug="lukashenko-partnership", form=Statement.Form.PARAPHRASE, verb="added",
        quote="this desire is part of a move\naway from dependency on one source",
        speaker=lukashenko, event=trade, date="May 2007", sequence=2,
        citations__footnote=note_4,  # one footnote, backing four claims
    )  # fmt: skip
    paraphrase.concerns.set([by_ir])
    paraphrase.countries.set([country("BY"), country("IR")])
    settle_times()


def test_export_import_export_is_byte_identical_with_every_new_field(tmp_path, run_import):
    with rolled_back():
        build_everything()
        private, public = export(include_drafts=True), export()
        by_ir = export(relation="by-ir")
    rows = {(r["model"], r["fields"].get("slug")): r["fields"] for r in records(private)}
    # Every new field is in the file, filled.
    assert rows["relations.event", "2007-05-trade"]["sequence"] == 1
    assert rows["relations.event", "2007-05-trade"]["according_to"] == ["irna"]
    assert rows["relations.event", "2007-05-censure"]["concerns"] == [["by-ir"]]
    assert rows["relations.statement", "lukashenko-partnership"]["form"] == "paraphrase"
    assert rows["relations.statement", "lukashenko-partnership"]["verb"] == "added"
    bank = rows["relations.organisation", "iranian-state-bank-abroad"]
    assert (bank["unnamed"], bank["country"], bank["location"]) == (True, ["IR"], ["AE"])
    pair = rows["relations.relationship", "by-ir"]
    assert (pair["first"], pair["second"]) == (["BY"], ["IR"])
    assert pair["sections"] == [{"domain": "nuclear", "title": "Nuclear"}, {"domain": "economic"}]
    member = rows["relations.membership", "belarus-in-nam"]
    assert (member["start"], member["start_precision"]) == ("as early as 1998", "not-after")
    notes = [r for r in records(private) if r["model"] == "sources.footnote"]
    assert [n["fields"]["locator"] for n in notes] == ["note 1", "note 4"]
    shared = [r for r in records(private) if r["model"] == "relations.citation"]
    assert sum(c["fields"]["footnote"] == ["page-note-4"] for c in shared) == 4
    assert "bank-observer-in-nam" not in public  # a draft

    for text, options in (
        (private, {"include_drafts": True}),
        (public, {}),
        (by_ir, {"relation": "by-ir"}),
    ):
        with rolled_back():
            report = run_import(write(tmp_path / "kb.json", text))
            assert report.ok and report.loaded, report.lines()
            assert export(**options) == text
            again = run_import(write(tmp_path / "kb.json", text))
            assert again.totals().unchanged == again.records

    run_import(write(tmp_path / "kb.json", private))
    assert export(include_drafts=True) == private and export() == public
    assert export(relation="by-ir") == by_ir
    note = Footnote.objects.get(slug="page-note-4")
    assert {c.claim.slug for c in note.citations.all()} == {
        "2007-05-trade",
        "lukashenko-partnership",
        "loan",
        "lukashenko-president",
    }
    statement = Statement.objects.get(slug="lukashenko-partnership")
    assert statement.fragments == [
        "this desire is part of a move",
        "away from dependency on one source",
    ]
    assert Relationship.objects.get().slug == "by-ir"
    member = Membership.objects.get(slug="bank-observer-in-nam").member
    assert member.slug == "iranian-state-bank-abroad" and member.unnamed
    assert Citation.objects.filter(membership__slug="belarus-in-nam").get().locator == "note 1"


def test_claims_of_one_date_keep_the_analysts_order_through_export_wipe_and_import(
    tmp_path, run_import
):
    """Within a date the analyst's ``sequence`` orders claims, then the slug: never the id,
    which an import does not keep (it inserts in the file's order, by slug)."""
    with rolled_back():
        for slug, sequence in (("c-third", 2), ("b-first", 0), ("a-second", 1)):
            EventFactory(slug=slug, date="May 2007", sequence=sequence, countries=["BY", "IR"])
        order = list(Event.objects.chronological().values_list("slug", flat=True))
        by_id = list(Event.objects.order_by("id").values_list("slug", flat=True))
        text = export()
    assert order == ["b-first", "a-second", "c-third"] != by_id
    assert keys(text, "relations.event") == ["a-second", "b-first", "c-third"]  # file: by key

    report = run_import(write(tmp_path / "kb.json", text))
    assert report.loaded, report.lines()
    assert list(Event.objects.order_by("id").values_list("slug", flat=True)) != order
    assert list(Event.objects.chronological().values_list("slug", flat=True)) == order
    assert export() == text
