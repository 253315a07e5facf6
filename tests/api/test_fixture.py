"""/api/fixture/: the records named, as export_kb writes them without drafts, with what they
refer to and their citations; what a reader may not see is simply absent."""

import io
import json

import pytest

from exchange.export import Exporter
from exchange.selection import Selection
from relations.models import Country, Event, Organisation, Status
from tests.factories import AgreementFactory, EventFactory, StatementFactory

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
