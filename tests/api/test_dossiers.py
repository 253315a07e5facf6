"""Dossiers in the API (/api/relations/): the same sections, items, order and footnotes as the
public page, since both come from reader/dossiers' builder."""

import re

import pytest

from relations.models import Event

pytestmark = pytest.mark.django_db


def page_items(client, url: str) -> tuple[list[str], int]:
    """The public page's items (as "kind-slug" anchors, in page order) and its note count."""
    html = client.get(url).content.decode()
    items = re.findall(r'<p class="item item-\w+" id="([\w-]+)"', html)
    return items, len(re.findall(r'<li id="note-\d+"', html))


@pytest.mark.sqlite
@pytest.mark.parametrize("as_of", ["", "2008"])
def test_a_dossier_says_what_its_page_says(client, seed, api_get, as_of):
    query = f"?as_of={as_of}" if as_of else ""
    dossier = api_get(f"/api/relations/by-ir/{query}")
    items, notes = page_items(client, f"/relations/by-ir/{query}")
    assert items
    assert [f"{i['kind']}-{i['key']}" for s in dossier["sections"] for i in s["items"]] == items
    assert [n["number"] for n in dossier["notes"]] == list(range(1, notes + 1))
    assert dossier["title"] == "Belarus–Iran"
    assert dossier["html_url"].endswith(f"/relations/by-ir/{query}".split("?")[0])
    if as_of:
        assert dossier["as_of"] == "2008-12-31"
        assert dossier["span"][1] <= 2008


def test_items_link_to_their_claims_and_notes_to_their_sources(client, seed, api_get):
    dossier = api_get("/api/relations/by-ir/")
    numbers = {n["number"] for n in dossier["notes"]}
    for section in dossier["sections"]:
        for item in section["items"]:
            assert api_get(item["url"])["slug"] == item["key"]
            assert set(item["notes"]) <= numbers
            assert f'id="{item["kind"]}-{item["key"]}"' in item["html"]
    for note in dossier["notes"]:
        assert api_get(note["source"]["url"])["slug"] == note["source"]["slug"]
        assert note["claims"]
    counts = dossier["counts"]
    assert counts["event"] == Event.objects.published().involving("BY", "IR").count()


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
