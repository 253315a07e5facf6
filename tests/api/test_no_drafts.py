"""The bar, for the API: no resource, filter, dossier or change shows a draft (or a claim in
review), not even its key.

The public site's own test makes a draft of every kind of claim, each with a marker in its
words, cited and linked to the seed's published data (tests/test_no_drafts.py); here every
API list (every page), every record in them, the events filtered every way that would find the
drafts, every dossier and the whole changes feed are read, and none may show a marker or a
draft's key. The drafts' own URLs must not exist.

A published *joint* statement made at a draft event (no speaker: the event's parties said it
together) is as hidden as the event, since without it the words are nobody's
(``relations.visibility``).

Footnotes are listed when a visible claim cites them: one cited only by a draft (here a draft
membership's) is not listed and its excerpt never appears; one a draft shares with published
claims is listed without the draft among the claims it backs.
"""

import pytest

from relations.models import Country, Organisation, Position, Statement, Status
from sources.models import Footnote, Source
from tests.api.conftest import LISTS, path
from tests.factories import CitationFactory, MembershipFactory, StatementFactory
from tests.test_no_drafts import MARKERS, SOURCE, make_drafts

pytestmark = pytest.mark.django_db

FILTERED_EVENTS = [
    "country=by&country=ir",
    "country=by&order=newest",
    "organisation=central-bank-of-iran",
    "organisation=non-aligned-movement",
    "official=alexander-lukashenko",
    "domain=diplomatic&domain=energy",
    "agreement_kind=mou",
    "from=June 2010",
    f"q={MARKERS['event']}",
    f"q={MARKERS['statement']}",
]
FILTERED_MEMBERSHIPS = [
    "country=by",
    "organisation=non-aligned-movement",
    "country=by&organisation=non-aligned-movement",
]


def read_all(client, url: str) -> list[str]:
    """The bodies of ``url`` and of every page after it, and of every record they list (but
    countries: 250 of them, and a country names no claim)."""
    bodies = []
    while url:
        response = client.get(path(url))
        assert response.status_code == 200, (url, response.content[:500])
        bodies.append(response.content.decode())
        body = response.json()
        records = body.get("results", []) if isinstance(body, dict) else body
        for record in records:
            if isinstance(record, dict) and record.get("url") and "code" not in record:
                detail = client.get(path(record["url"]))
                assert detail.status_code == 200, record["url"]
                bodies.append(detail.content.decode())
        url = body.get("next") if isinstance(body, dict) else None
    return bodies


JOINT = "QXJOINTSTATEMENTMARKER"


def joint_statement_at(event) -> Statement:
    """Published words said together at ``event``: nobody's but the event's parties'."""
    joint = StatementFactory(
        slug="joint-at-draft-event",
        status=Status.PUBLISHED,
        quote=f"{JOINT} we agree",
        speaker=None,
        event=event,
        date="late June 2010",
        citations__source=Source.objects.get(slug=SOURCE),
        citations__locator=JOINT,
    )
    joint.countries.set(event.countries.all())
    return joint


MEMBERSHIP = "QXDRAFTMEMBERSHIPMARKER"
FOOTNOTE = "QXDRAFTONLYFOOTNOTEMARKER"
SHARED_NOTE = "note 4"  # the seed's footnote that published claims cite too


def draft_membership(status) -> tuple:
    """A draft membership, cited by a footnote no published claim cites, and by one that
    published claims cite too."""
    membership = MembershipFactory(
        slug="draft-membership",
        status=status,
        role=f"{MEMBERSHIP} observer",
        member_country=Country.objects.get(code="BY"),
        organisation=Organisation.objects.get(slug="non-aligned-movement"),
        start="as early as 1998",
        citations=0,
    )
    only = CitationFactory(
        membership=membership,
        source=Source.objects.get(slug=SOURCE),
        locator="draft only",
        excerpt=f"{FOOTNOTE} Belarus joined as an observer.",
        note=f"{FOOTNOTE} the analyst's note",
    ).footnote
    shared = Footnote.objects.get(source__slug=SOURCE, locator=SHARED_NOTE)
    CitationFactory(membership=membership, footnote=shared, note=f"{MEMBERSHIP} note")
    return membership, only, shared


def draft_keys(event, agreement) -> list[str]:
    statement = Statement.objects.get(quote__contains=MARKERS["statement"])
    position = Position.objects.get(title__contains=MARKERS["position"])
    return [event.slug, agreement.slug, statement.slug, position.slug]


@pytest.mark.parametrize("status", [Status.DRAFT, Status.REVIEW])
def test_no_resource_dossier_or_change_shows_a_draft(client, seed, status):
    event, agreement = make_drafts(status)
    joint = joint_statement_at(event)  # published, but nobody's words without the event
    membership, only, shared = draft_membership(status)
    keys = [*draft_keys(event, agreement), joint.slug, membership.slug, only.slug]
    urls = [f"/api/{name}/?per_page=100" for name in LISTS]
    urls += [f"/api/events/?{query}" for query in FILTERED_EVENTS]
    urls += [f"/api/memberships/?{query}" for query in FILTERED_MEMBERSHIPS]
    urls += [f"/api/footnotes/{shared.slug}/"]
    urls += ["/api/relations/", "/api/relations/by-ir/?as_of=2011"]
    urls += ["/api/changes/?since=2000-01-01", "/api/changes/?since=2000-01-01&per_page=3"]
    bodies = [body for url in urls for body in read_all(client, url)]
    assert len(bodies) > 100
    for body in bodies:
        text = body.lower()
        markers = {**MARKERS, "joint statement": JOINT, "membership": MEMBERSHIP, "fn": FOOTNOTE}
        for kind, marker in markers.items():
            assert marker.lower() not in text, f"the draft {kind} shows: {body[:300]}"
        for key in keys:
            assert f'"{key}"' not in text and f"/{key}/" not in text, f"{key} shows: {body[:300]}"
    kinds = ["events", "agreements", "statements", "positions", "statements"]
    kinds += ["memberships", "footnotes"]
    for name, key in zip(kinds, keys, strict=True):
        assert client.get(f"/api/{name}/{key}/").status_code == 404, name
    # The shared footnote is listed, for its published claims only.
    backed = client.get(f"/api/footnotes/{shared.slug}/").json()["claims"]
    assert backed and "membership" not in {claim["kind"] for claim in backed}


def test_the_search_above_would_find_them_once_published(client, seed):
    """The test above is not passing because nothing it reads could show a draft."""
    event, agreement = make_drafts(Status.DRAFT)
    joint = joint_statement_at(event)
    membership, only, shared = draft_membership(Status.DRAFT)
    keys = [*draft_keys(event, agreement), joint.slug]
    for claim in (event, agreement, membership, *Statement.objects.filter(slug=keys[2])):
        claim.status = Status.PUBLISHED
        claim.save()
    found = client.get(f"/api/events/?q={MARKERS['event']}").json()["results"]
    assert [e["slug"] for e in found] == [event.slug]
    changes = client.get("/api/changes/?since=2000-01-01&per_page=1000").content.decode()
    for key in [*keys[:3], joint.slug]:
        assert f'"{key}"' in changes, key
    assert MARKERS["citation"] in client.get(f"/api/agreements/{agreement.slug}/").content.decode()
    # The joint words came with their event, and name it.
    shown = client.get(f"/api/statements/{joint.slug}/").json()
    assert shown["event"]["slug"] == event.slug
    assert JOINT in shown["citations"][0]["locator"]
    # The membership, its own footnote (excerpt and all), and its place on the shared one.
    members = client.get("/api/memberships/?country=by").json()["results"]
    assert membership.slug in [m["slug"] for m in members]
    footnotes = client.get("/api/footnotes/?per_page=100").content.decode()
    assert only.slug in footnotes and FOOTNOTE in footnotes
    backed = client.get(f"/api/footnotes/{shared.slug}/").json()["claims"]
    assert ("membership", membership.slug) in {(c["kind"], c["slug"]) for c in backed}


def test_published_words_said_at_a_draft_event_show_without_it(client, seed, api_get):
    make_drafts(Status.DRAFT)
    statements = api_get("/api/statements/?per_page=100")["results"]
    said = [s for s in statements if s["quote"] == "Relations with Iran are excellent."]
    assert len(said) == 1
    assert said[0]["event"] is None
