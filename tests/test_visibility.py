"""Every public surface shows exactly what ``relations.visibility`` allows.

A matrix of records in every editorial state and dependency case, each carrying a token of its
own (in its slug, title or quote, and its citation's excerpt). What a reader may see is worked
out here by hand, independently of the module; each surface is then read as a reader (or a
program) gets it, and the tokens it shows are compared with that set: nothing hidden leaks, and
nothing visible within the surface's scope is missing.
"""

from __future__ import annotations

import io
import json
import re
from http import HTTPStatus

import pytest
from django.core.management import call_command

from relations import visibility
from relations.models import (
    Agreement,
    Citation,
    Country,
    Domain,
    Event,
    Official,
    Organisation,
    Position,
    Statement,
    Status,
)
from sources.models import Footnote, Source
from tests.factories import (
    CitationFactory,
    EventFactory,
    FootnoteFactory,
    MembershipFactory,
    StatementFactory,
)

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r"zq\d\dq")

# token: (kind, status, what makes the case). Tokens never contain one another.
CASES = {
    "zq01q": ("event", "published", "a published event"),
    "zq02q": ("event", "draft", "a draft event"),
    "zq03q": ("event", "review", "an event awaiting review"),
    "zq04q": ("agreement", "published", "a published agreement, linked to both events"),
    "zq05q": ("agreement", "draft", "a draft agreement linked to the published event"),
    "zq06q": ("statement", "published", "said by an official at the published event"),
    "zq07q": ("statement", "published", "said by an official at the draft event"),
    "zq08q": ("statement", "published", "joint, at the published event"),
    "zq09q": ("statement", "published", "joint, at the draft event: no one to attribute"),
    "zq10q": ("statement", "draft", "a draft statement at the published event"),
    "zq11q": ("position", "published", "a published post"),
    "zq12q": ("position", "draft", "a draft post"),
}

# Worked out by hand from the cases: this list, not the module, is the reference.
VISIBLE = {"zq01q", "zq04q", "zq06q", "zq07q", "zq08q", "zq11q"}
HIDDEN = set(CASES) - VISIBLE


def tokens(kind: str | None = None, among: set[str] = VISIBLE) -> set[str]:
    return {t for t in among if kind is None or CASES[t][0] == kind}


@pytest.fixture
def matrix(db):
    no, se = Country.objects.get(code="NO"), Country.objects.get(code="SE")
    economic = Domain.objects.get(slug="economic")
    source = Source.objects.create(slug="matrix-source", title="The matrix wire", published="2010")
    official = Official.objects.create(slug="matrix-official", name="Ola Matrix", country=no)
    body = Organisation.objects.create(slug="matrix-body", name="Matrix Council", country=no)
    records = {}

    def claim(token, model, **fields):
        status = CASES[token][1]
        obj = model.objects.create(slug=token, status=status, **fields)
        footnote = Footnote.objects.create(
            source=source, locator=f"note {token}", excerpt=f"Excerpt {token}."
        )
        Citation.objects.create(footnote=footnote, **{model._meta.model_name: obj})
        records[token] = obj
        return obj

    for token in ("zq01q", "zq02q", "zq03q"):
        event = claim(token, Event, title=f"Talks {token}", date="May 2009", place="Oslo")
        event.countries.set([no, se])
        event.domains.set([economic])
        event.officials.set([official])
        event.organisations.set([body])
    for token in ("zq04q", "zq05q"):
        agreement = claim(
            token, Agreement, title=f"Accord {token}", kind=Agreement.Kind.MOU, date="June 2009"
        )
        agreement.countries.set([no, se])
        agreement.organisations.set([body])
        agreement.domains.set([economic])
    records["zq01q"].agreements.set([records["zq04q"], records["zq05q"]])
    records["zq02q"].agreements.set([records["zq04q"]])
    statements = {
        "zq06q": {"speaker": official, "event": records["zq01q"]},
        "zq07q": {"speaker": official, "event": records["zq02q"]},
        "zq08q": {"event": records["zq01q"]},
        "zq09q": {"event": records["zq02q"]},
        "zq10q": {"speaker": official, "event": records["zq01q"]},
    }
    for token, fields in statements.items():
        statement = claim(token, Statement, quote=f"We agree {token}.", date="May 2009", **fields)
        statement.countries.set([no, se])
        statement.domains.set([economic])
    for token in ("zq11q", "zq12q"):
        claim(token, Position, official=official, title=f"Envoy {token}", country=no, start="2008")
    return records


def shown(text: str) -> set[str]:
    return set(TOKEN.findall(text))


def check(text: str, expected: set[str], surface: str) -> None:
    found = shown(text)
    assert not found & HIDDEN, f"{surface} shows what readers may not see: {found & HIDDEN}"
    assert expected <= found, f"{surface} leaves out what readers may see: {expected - found}"


def body(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == HTTPStatus.OK, (url, response.status_code)
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def test_the_reference_set_is_the_modules_set(matrix):
    """The hand-worked set and the module agree, kind by kind."""
    for kind, model in visibility.CLAIM_MODELS.items():
        assert set(visibility.claims(model).values_list("slug", flat=True)) == tokens(kind)
    assert {c.locator.split()[-1] for c in visibility.citations()} == VISIBLE
    for token, obj in matrix.items():
        assert visibility.is_visible(obj) is (token in VISIBLE), token


PAIR = "?country=no&country=se"
AT_VISIBLE_EVENT = {"zq01q", "zq04q", "zq06q", "zq08q"}  # the event and what it links, shown


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"/timeline/{PAIR}", AT_VISIBLE_EVENT),
        (f"/timeline.json{PAIR}", {"zq01q"}),
        (f"/timeline.csv{PAIR}", {"zq01q"}),
        (f"/timeline.atom{PAIR}", {"zq01q"}),
        ("/relations/no-se/", {"zq01q", "zq04q", "zq06q", "zq07q", "zq08q"}),
        ("/relations/", set()),
        ("/countries/no/", {"zq01q"}),
        ("/officials/matrix-official/", {"zq01q", "zq06q", "zq07q", "zq11q"}),
        ("/organisations/matrix-body/", {"zq01q", "zq04q"}),
        ("/agreements/zq04q/", {"zq04q", "zq01q"}),
        ("/events/zq01q/", AT_VISIBLE_EVENT),
        ("/sources/matrix-source/", VISIBLE),
        ("/api/events/", {"zq01q"}),
        ("/api/events/zq01q/", {"zq01q", "zq04q"}),
        ("/api/agreements/", {"zq04q"}),
        ("/api/agreements/zq04q/", {"zq04q"}),
        ("/api/statements/", tokens("statement")),
        ("/api/statements/zq07q/", {"zq07q"}),
        ("/api/positions/", {"zq11q"}),
        ("/api/officials/matrix-official/", set()),
        ("/api/sources/matrix-source/", set()),
        ("/api/relations/no-se/", {"zq01q", "zq04q", "zq06q", "zq07q", "zq08q"}),
        ("/api/changes/?since=2000-01-01T00:00:00Z", VISIBLE),
    ],
)
def test_each_surface_shows_what_the_rule_allows(client, matrix, url, expected):
    check(body(client, url), expected, url)


@pytest.mark.parametrize("token", sorted(HIDDEN))
def test_a_hidden_claim_has_no_page_and_no_record(client, matrix, token):
    kind = CASES[token][0]
    urls = [f"/api/{kind}s/{token}/"]
    if kind in {"event", "agreement"}:
        urls.append(f"/{kind}s/{token}/")
    for url in urls:
        assert client.get(url).status_code == HTTPStatus.NOT_FOUND, url


def test_the_public_export_holds_what_the_rule_allows(matrix):
    out = io.StringIO()
    call_command("export_kb", stdout=out, no_progress=True)
    check(out.getvalue(), VISIBLE, "export_kb")
    records = [json.loads(line.rstrip(",")) for line in out.getvalue().splitlines()[1:-1]]
    claims = {r["fields"].get("slug") for r in records if r["model"] != "relations.citation"}
    assert claims & set(CASES) == VISIBLE
    # the statement made at the draft event is exported without it
    (at_draft,) = [r for r in records if r["fields"].get("slug") == "zq07q"]
    assert at_draft["fields"]["event"] is None


def test_drafts_are_exported_only_when_asked(matrix):
    out = io.StringIO()
    call_command("export_kb", stdout=out, no_progress=True, include_drafts=True)
    assert shown(out.getvalue()) == set(CASES)


# --- Footnotes and memberships (issue 10) ------------------------------------------------------
def test_a_footnote_is_visible_while_a_visible_claim_cites_it():
    shared = FootnoteFactory(locator="note 4", excerpt="They agreed.")
    event = EventFactory(citations=0)
    statement = StatementFactory(status=Status.DRAFT, citations=0)
    CitationFactory(footnote=shared, statement=statement)
    draft_only = FootnoteFactory(locator="note 5", excerpt="Not yet.")
    CitationFactory(footnote=draft_only, statement=statement)

    assert not visibility.is_visible(shared)
    assert set(visibility.footnotes()) == set()
    CitationFactory(footnote=shared, event=event)
    assert visibility.is_visible(shared)
    assert list(visibility.footnotes()) == [shared]  # once, though two claims cite it
    assert not visibility.is_visible(draft_only)


def test_a_membership_is_visible_when_published():
    published = MembershipFactory()
    draft = MembershipFactory(status=Status.DRAFT, citations=0)
    assert list(visibility.memberships()) == [published]
    assert visibility.is_visible(published) and not visibility.is_visible(draft)
