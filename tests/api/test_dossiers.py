"""Dossiers in the API (/api/relations/): the same sections, items, order and footnotes as the
public page, since both come from reader/dossiers' builder."""

import re
from decimal import Decimal

import pytest

from relations.models import Agreement, Event
from tests.factories import (
    AgreementFactory,
    CitationFactory,
    EventFactory,
    OfficialFactory,
    PositionFactory,
    SourceFactory,
    StatementFactory,
    country,
    relationship,
)
from tests.reader.test_dossier import Page

pytestmark = pytest.mark.django_db


def page_items(client, url: str) -> tuple[list[str], int]:
    """The public page's items (as "kind-slug" anchors, in page order) and its note count."""
    html = client.get(url).content.decode()
    items = re.findall(r'<p class="item item-\w+" id="([\w-]+)"', html)
    return items, len(re.findall(r'<li id="note-\d+"', html))


def api_items(dossier: dict) -> list[dict]:
    return [item for section in dossier["sections"] for item in section["items"]]


@pytest.mark.sqlite
@pytest.mark.parametrize("as_of", ["", "2008"])
def test_a_dossier_says_what_its_page_says(client, seed, api_get, as_of):
    query = f"?as_of={as_of}" if as_of else ""
    dossier = api_get(f"/api/relations/by-ir/{query}")
    items, notes = page_items(client, f"/relations/by-ir/{query}")
    assert items
    assert [f"{i['kind']}-{i['slug']}" for i in api_items(dossier)] == items
    assert [n["number"] for n in dossier["notes"]] == list(range(1, notes + 1))
    assert dossier["title"] == "Belarus–Iran"
    assert dossier["html_url"].endswith(f"/relations/by-ir/{query}".split("?")[0])
    if as_of:
        assert dossier["as_of"] == "2008-12-31"
        assert dossier["span"][1] <= 2008


def test_items_link_to_their_claims_and_notes_to_their_sources(client, seed, api_get):
    dossier = api_get("/api/relations/by-ir/")
    numbers = {n["number"] for n in dossier["notes"]}
    for item in api_items(dossier):
        assert api_get(item["url"])["slug"] == item["slug"] == item["key"]
        assert set(item["notes"]) <= numbers
        assert f'id="{item["kind"]}-{item["slug"]}"' in item["html"]
        for part in item["parts"]:
            assert api_get(part["url"])["slug"] == part["slug"]
            assert f'id="{part["kind"]}-{part["slug"]}"' in item["html"]
    for note in dossier["notes"]:
        assert api_get(note["source"]["url"])["slug"] == note["source"]["slug"]
        assert note["claims"]
        assert note["locator"]
    # The pair's events: those both took part in, and those that concern the pair.
    published = Event.objects.published()
    both = set(published.involving("BY", "IR").values_list("pk", flat=True))
    concerning = set(published.filter(concerns__slug="by-ir").values_list("pk", flat=True))
    assert dossier["counts"]["event"] == len(both | concerning)


@pytest.mark.sqlite
def test_each_item_carries_the_notes_its_paragraph_shows(client, api_get):
    """Per item: every number its paragraph shows, its own, and each part's; per note: the
    number, the locator and the source, as the page lists them."""
    am, az = country("AM"), country("AZ")
    source = SourceFactory(slug="qx-source")
    envoy = OfficialFactory(name="Ara Example")
    post = PositionFactory(official=envoy, title="Envoy", country=am, citations=0)
    event = EventFactory(countries=[am, az], date="May 2009", citations=0)
    event.officials.add(envoy)
    loan = AgreementFactory(
        title="A credit",
        kind=Agreement.Kind.LOAN,
        value_amount=Decimal(212_000_000),
        value_currency="USD",
        purpose="Ours.",
        citations=0,
    )
    event.agreements.add(loan)
    words = StatementFactory(speaker=envoy, quote="Words.", event=event, date="2009", citations=0)
    for claim in (event, loan, post):
        CitationFactory(source=source, locator="note 5", **{claim._meta.model_name: claim})
    CitationFactory(source=source, locator="note 6", statement=words)
    pair = relationship("AM", "AZ")
    pair.introduction = "Two neighbours."
    pair.sections = [{"domain": "economic", "title": "Economic Relationship"}]
    pair.save()
    dossier = api_get("/api/relations/am-az/")
    page = Page(client.get("/relations/am-az/").content.decode())
    [item] = api_items(dossier)
    assert item["slug"] == event.slug
    assert item["notes"] == sorted(set(page.items[f"event-{event.slug}"].markers)) == [1, 2]
    assert item["own_notes"] == [1]
    assert [(p["kind"], p["slug"], p["notes"]) for p in item["parts"]] == [
        ("agreement", loan.slug, [1]),
        ("statement", words.slug, [2]),
    ]
    assert {
        "kind": "official",
        "key": envoy.slug,
        "name": "Ara Example",
        "role": "Envoy of Armenia",
    } in item["participants"]
    assert 'class="background"' in item["html"]
    assert [(n["number"], n["locator"], n["source"]["slug"]) for n in dossier["notes"]] == [
        (1, "note 5", "qx-source"),
        (2, "note 6", "qx-source"),
    ]
    assert {"kind": "position", "key": post.slug} in dossier["notes"][0]["claims"]
    assert dossier["introduction"] == "Two neighbours."
    assert [s["name"] for s in dossier["sections"]] == ["Economic Relationship"]


@pytest.mark.sqlite
def test_the_busiest_relationships(client, seed, api_get):
    pairs = api_get("/api/relations/")
    assert pairs[0]["codes"] == "BY–IR"
    assert pairs[0]["events"] == Event.objects.published().involving("BY", "IR").count()
    assert api_get(pairs[0]["url"])["title"] == "Belarus–Iran"
    assert client.get(pairs[0]["html_url"].removeprefix("http://testserver")).status_code == 200


def test_one_address_per_pair(client, seed):
    response = client.get("/api/relations/ir-by/?as_of=2009")
    assert response.status_code == 301
    assert response["Location"] == "/api/relations/by-ir/?as_of=2009"


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/relations/by-by/", 404),
        ("/api/relations/by-zz/", 404),
        ("/api/relations/b-ir/", 404),
        ("/api/relations/by-ir-ru/", 404),
        ("/api/relations/by%00-ir/", 404),
        ("/api/relations/by-ir/?as_of=someday", 400),
        ("/api/relations/by-ir/?as_of=since 2009", 400),
        ("/api/relations/by-ir/?as_of=2009%00", 400),
    ],
)
def test_what_is_not_a_dossier(client, seed, url, status):
    response = client.get(url)
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
