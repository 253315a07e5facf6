"""The changes feed (/api/changes/): what the public saw change, from simple-history's tables.

Reference data is created, updated and deleted as it is; a claim is "created" when published,
"deleted" when unpublished or deleted while published, and invisible while a draft; a renamed
key is a deletion and a creation; citations and links update the claims that show them. Pages
never skip nor repeat a change, even among changes made at the same instant.
"""

import datetime
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from relations.models import Citation, Event, Status
from tests.api.conftest import every_page, path
from tests.factories import (
    AgreementFactory,
    CitationFactory,
    EventFactory,
    OrganisationFactory,
    SourceFactory,
    StatementFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

DRAFT, REVIEW, PUBLISHED = Status.DRAFT, Status.REVIEW, Status.PUBLISHED


def iso(moment: datetime.datetime) -> str:
    return moment.isoformat()


def changes_url(since: datetime.datetime, **params) -> str:
    return "/api/changes/?" + urlencode({"since": iso(since), **params})


def feed(client, since, *, model=None, **params) -> list[tuple[str, str, str]]:
    entries = every_page(client, changes_url(since, **params))
    return [
        (e["model"], e["key"], e["action"]) for e in entries if model is None or e["model"] == model
    ]


@pytest.fixture
def start(seed):
    """A moment after the seed was loaded (its history rows are older)."""
    return timezone.now()


def test_reference_data_is_created_updated_renamed_and_deleted(client, start):
    organisation = OrganisationFactory(slug="acme", name="Acme")
    organisation.name = "Acme Trading"
    organisation.save()
    organisation.slug = "acme-trading"
    organisation.save()
    organisation.delete()
    assert feed(client, start) == [
        ("organisation", "acme", "created"),
        ("organisation", "acme", "updated"),
        ("organisation", "acme", "deleted"),  # the old key is gone...
        ("organisation", "acme-trading", "created"),  # ...and the new one new
        ("organisation", "acme-trading", "deleted"),
    ]


def test_a_claim_exists_for_the_public_only_while_published(client, start):
    event = EventFactory(slug="summit", status=DRAFT, countries=["BY"])
    event.title = "Summit, still a draft"
    event.save()
    event.status = PUBLISHED
    event.save()
    event.title = "Summit in Minsk"
    event.save()
    event.status = REVIEW  # unpublished: withdrawn from the public view
    event.save()
    event.title = "Summit in Minsk, corrected"
    event.save()
    event.status = PUBLISHED
    event.save()
    event.slug = "minsk-summit"
    event.save()
    event.delete()
    never = EventFactory(slug="never-published", status=DRAFT)
    never.delete()
    assert feed(client, start) == [
        ("event", "summit", "created"),
        ("event", "summit", "updated"),
        ("event", "summit", "deleted"),
        ("event", "summit", "created"),
        ("event", "summit", "deleted"),
        ("event", "minsk-summit", "created"),
        ("event", "minsk-summit", "deleted"),
    ]


def test_links_lead_to_the_record_and_deletions_have_none(client, start):
    event = EventFactory(slug="visit")
    source = SourceFactory(slug="wire")
    source.delete()
    entries = every_page(client, changes_url(start))
    by_key = {(e["key"], e["action"]): e for e in entries}
    created = by_key["visit", "created"]
    assert client.get(path(created["url"])).json()["slug"] == event.slug
    assert by_key["wire", "deleted"]["url"] is None
    moment = datetime.datetime.fromisoformat(created["at"].replace("Z", "+00:00"))
    assert event.history.earliest().history_date == moment


def test_a_citation_updates_its_claim_if_published(client, start):
    published = EventFactory(slug="published-event")
    draft = EventFactory(slug="draft-event", status=DRAFT)
    since = timezone.now()
    citation = CitationFactory(event=published, locator="p. 1")
    citation.excerpt = "more words"
    citation.save()
    CitationFactory(event=draft, locator="p. 2")
    Citation.objects.get(pk=citation.pk).delete()
    assert feed(client, since, model="event") == [("event", "published-event", "updated")] * 3


def test_publishing_a_claim_updates_the_records_that_name_it(client, start):
    agreement = AgreementFactory(slug="gas-deal", status=DRAFT)
    event = EventFactory(slug="talks", status=DRAFT)
    event.agreements.set([agreement])
    published_event = EventFactory(slug="signing")
    published_event.agreements.set([agreement])
    statement = StatementFactory(slug="we-agreed", event=event)
    since = timezone.now()
    event.status = PUBLISHED  # now named by the statement made at it
    event.save()
    agreement.status = PUBLISHED  # now listed by the published events that link it
    agreement.save()
    assert feed(client, since) == [
        ("event", "talks", "created"),
        ("statement", statement.slug, "updated"),
        ("agreement", "gas-deal", "created"),
        ("event", "signing", "updated"),
        ("event", "talks", "updated"),
    ]


def test_pages_neither_skip_nor_repeat_changes_made_at_one_instant(client, start):
    moment = timezone.now() + datetime.timedelta(seconds=1)
    for make in (OrganisationFactory, SourceFactory, OrganisationFactory, SourceFactory):
        record = make.build()
        record._history_date = moment
        record.save()
    whole = every_page(client, changes_url(start, per_page=1000))
    assert len(whole) == 4
    assert [e["at"] for e in whole] == [whole[0]["at"]] * 4
    assert every_page(client, changes_url(start, per_page=1)) == whole
    assert every_page(client, changes_url(start, per_page=3)) == whole


def test_resume_where_the_last_poll_stopped(client, start):
    OrganisationFactory(slug="first")
    body = client.get(changes_url(start)).json()
    assert [e["key"] for e in body["results"]] == ["first"]
    assert body["next"] is None
    again = client.get(path(body["resume"])).json()
    assert again == {"next": None, "resume": body["resume"], "results": []}
    OrganisationFactory(slug="second")
    later = client.get(path(body["resume"])).json()
    assert [e["key"] for e in later["results"]] == ["second"]


def test_since_is_inclusive_and_later_changes_are_left_out(client, start):
    OrganisationFactory(slug="earlier")
    entries = every_page(client, changes_url(start))
    at = datetime.datetime.fromisoformat(entries[0]["at"].replace("Z", "+00:00"))
    assert [e["key"] for e in every_page(client, changes_url(at))] == ["earlier"]
    later = at + datetime.timedelta(microseconds=1)
    assert every_page(client, changes_url(later)) == []


def test_a_claim_loaded_without_history_counts_from_its_first_edit(client, start):
    """Bulk loads write no history: an edit is the first the feed knows of such a claim. It is
    "created" if the edit leaves it published; a draft's edit says nothing (it may never have
    been public, and its key must not show)."""
    published, draft = Event.objects.bulk_create(
        [
            Event(slug="loaded-published", title="A", date="2008", status=PUBLISHED),
            Event(slug="loaded-draft", title="B", date="2008", status=DRAFT),
        ]
    )
    assert feed(client, start) == []
    for event in Event.objects.filter(pk__in=[published.pk, draft.pk]):
        event.title += " (edited)"
        event.save()
    assert feed(client, start) == [("event", "loaded-published", "created")]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "since=",
        "since=yesterday",
        "since=2026-13-01T00:00:00Z",
        "since=2026-01-01T00:00:00Z%00",
        "since=2026-01-01&after=event.x",
        "since=2026-01-01&after=nosuch.1",
        "since=2026-01-01&after=event.1%00",
        "since=2026-01-01&per_page=0",
        "since=2026-01-01&per_page=1001",
        "since=2026-01-01&per_page=many",
    ],
)
def test_parameters_it_cannot_read_are_a_400(client, seed, query):
    response = client.get(f"/api/changes/?{query}")
    assert response.status_code == 400, response.content
    assert set(response.json()) <= {"since", "after", "per_page"}


@pytest.mark.parametrize(
    "since",
    [
        "2026-01-01",
        "2026-01-01T12:00:00+05:00",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-01:00",
        "9999-12-31T23:59:59.999999Z",
    ],
)
def test_any_readable_moment_is_answered(client, seed, since):
    response = client.get("/api/changes/?" + urlencode({"since": since}))
    assert response.status_code in (200, 400), response.content
