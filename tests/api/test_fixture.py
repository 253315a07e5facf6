"""/api/fixture/: the records named, as export_kb writes them without drafts, with what they
refer to and their citations (with their footnotes); what a reader may not see is simply
absent."""

import io
import json

import pytest

from exchange.export import Exporter
from exchange.selection import Selection
from relations.models import Country, Event, Membership, Organisation, Relationship, Status
from sources.models import Footnote
from tests.factories import (
    AgreementFactory,
    EventFactory,
    FootnoteFactory,
    MembershipFactory,
    OrganisationFactory,
    SourceFactory,
    StatementFactory,
    relationship,
)

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

EVENT = "2009-central-bank-of-iran-agrees-212m-loan-to-belarusneft"


def fixture(client, query: str, status: int = 200):
    response = client.get(f"/api/fixture/?{query}")
    assert response.status_code == status, response.content[:500]
    return response


def test_a_record_comes_as_the_export_writes_it_with_what_it_needs(client, seed):
    response = fixture(client, f"event={EVENT}&organisation=icro&country=by")
    assert response["Content-Type"].startswith("application/json")
    roots = {
        Event: Event.objects.filter(slug=EVENT),
        Organisation: Organisation.objects.filter(slug="icro"),
        Country: Country.objects.filter(code="BY"),
    }
    expected = io.StringIO()
    Exporter(Selection(roots=roots)).write(expected)
    assert response.content.decode() == expected.getvalue()
    records = json.loads(response.content)
    models = {r["model"] for r in records}
    # the event, its agreement, the organisations and countries named, citations, the source
    assert {
        "relations.event",
        "relations.agreement",
        "relations.citation",
        "sources.source",
        "relations.country",
        "relations.organisation",
    } <= models
    cited = [r for r in records if r["model"] == "relations.citation"]
    assert {r["fields"]["event"][0] for r in cited if r["fields"]["event"]} == {EVENT}
    assert {r["fields"]["agreement"] is not None for r in cited} == {True, False}


def test_what_a_reader_may_not_see_is_absent(client, seed):
    draft = EventFactory(slug="draft-talks", status=Status.DRAFT, citations=0)
    event = EventFactory(slug="public-talks")
    event.agreements.add(AgreementFactory(slug="draft-deal", status=Status.DRAFT, citations=0))
    StatementFactory(slug="joint-words", event=draft, speaker=None)
    body = fixture(client, "event=draft-talks,public-talks&statement=joint-words").content
    records = json.loads(body)
    keys = {r["fields"].get("slug") for r in records}
    assert "public-talks" in keys
    assert not {"draft-talks", "draft-deal", "joint-words"} & keys
    assert b"draft-" not in body
    (public,) = [r for r in records if r["fields"].get("slug") == "public-talks"]
    assert public["fields"]["agreements"] == []


def test_footnotes_memberships_and_relationships_come_with_what_they_need(client, db):
    """A footnote while a visible claim cites it (with its source, not its claims); a
    membership with its citations and their footnotes; a relationship with its countries and
    the domains its sections name."""
    source = SourceFactory(slug="wire")
    shown, hidden = FootnoteFactory(source=source), FootnoteFactory(source=source)
    nam = OrganisationFactory(slug="nam")
    MembershipFactory(slug="by-in-nam", organisation=nam, citations__footnote=shown)
    EventFactory(slug="draft-talks", status=Status.DRAFT, citations=1, citations__footnote=hidden)
    pair = relationship("BY", "IR")
    pair.sections = [{"domain": "cultural"}]
    pair.save()
    query = f"footnote={shown.slug},{hidden.slug}&membership=by-in-nam&relationship=by-ir"
    body = fixture(client, query).content.decode()
    expected = io.StringIO()
    roots = {
        Footnote: Footnote.objects.filter(slug__in=[shown.slug, hidden.slug]),
        Membership: Membership.objects.filter(slug="by-in-nam"),
        Relationship: Relationship.objects.filter(slug="by-ir"),
    }
    Exporter(Selection(roots=roots)).write(expected)
    assert body == expected.getvalue()
    records = json.loads(body)
    keys = {(r["model"], r["fields"].get("slug") or r["fields"].get("code")) for r in records}
    assert {
        ("sources.footnote", shown.slug),
        ("sources.source", "wire"),
        ("relations.membership", "by-in-nam"),
        ("relations.organisation", "nam"),
        ("relations.relationship", "by-ir"),
        ("relations.country", "BY"),
        ("relations.country", "IR"),
        ("relations.domain", "cultural"),
    } <= keys
    assert hidden.slug not in body and "draft-talks" not in body
    (cited,) = [r["fields"] for r in records if r["model"] == "relations.citation"]
    assert (cited["footnote"], cited["membership"]) == ([shown.slug], ["by-in-nam"])


@pytest.mark.parametrize(
    "query",
    [
        "",
        "event=",
        "event=a%00",
        "event=a,,b",
        "event=has space",
        "event=" + ",".join(f"e{n}" for n in range(201)),
        "citation=x",  # citations come with their claims; not asked for alone
    ],
)
def test_queries_it_cannot_read_are_a_400(client, seed, query):
    fixture(client, query, status=400)


def test_unknown_keys_answer_an_empty_fixture(client, seed):
    assert json.loads(fixture(client, "event=no-such-event&country=zz").content) == []
