"""The changes feed (/api/changes/): what the public saw change, in the order it became visible.

Reference data is created, updated and deleted as it is; a claim is "created" when it becomes
visible, "deleted" when unpublished or deleted while visible, and invisible while a draft; a
renamed key is a deletion and a creation (which names the old key); citations and links update
the claims that show them; a footnote is public while a visible claim cites it. Pages never
skip nor repeat a change, even among changes made at the same instant. (Changes that commit out
of order: tests/api/test_feed_order.py.)
"""

import datetime
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from exchange import changelog
from relations.models import Citation, Event, Status
from sources.models import Footnote
from tests.api.conftest import every_page, path
from tests.factories import (
    AgreementFactory,
    CitationFactory,
    EventFactory,
    FootnoteFactory,
    MembershipFactory,
    OrganisationFactory,
    SourceFactory,
    StatementFactory,
    relationship,
)

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

DRAFT, REVIEW, PUBLISHED = Status.DRAFT, Status.REVIEW, Status.PUBLISHED


def iso(moment: datetime.datetime) -> str:
    return moment.isoformat()


def changes_url(since: datetime.datetime, **params) -> str:
    return "/api/changes/?" + urlencode({"since": iso(since), **params})


def feed(client, since, *, model=None, **params) -> list[tuple[str, str, str]]:
    entries = every_page(client, changes_url(since, **params))
    models = (model,) if isinstance(model, str) else model
    return [
        (e["model"], e["key"], e["action"])
        for e in entries
        if model is None or e["model"] in models
    ]


def now() -> datetime.datetime:
    """A moment after every change so far became visible in the feed. (The feed numbers rows
    when it is read, so ``since`` also takes in earlier changes that no one had read yet.)"""
    changelog.sequence()
    return timezone.now()


@pytest.fixture
def start(seed):
    """A moment after the seed's history rows."""
    return now()


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
    cited_by = Footnote.objects.first()  # a seed footnote: no new source in the feed
    event = EventFactory(
        slug="summit", status=DRAFT, countries=["BY"], citations=1, citations__footnote=cited_by
    )
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
    since = now()
    citation = CitationFactory(event=published, locator="p. 1")
    citation.note = "the analyst's remark"
    citation.save()
    CitationFactory(event=draft, locator="p. 2")
    Citation.objects.get(pk=citation.pk).delete()
    assert feed(client, since, model="event") == [("event", "published-event", "updated")] * 3


def test_a_footnote_is_public_while_a_visible_claim_cites_it(client, start):
    """One place in a source, which several claims may cite: said nothing of (not even its
    key) while only a draft cites it; then created, edited and renamed as reference data, an
    edit also updating every visible claim that shows it."""
    wire = SourceFactory(slug="wire")
    talks = EventFactory(slug="talks", status=DRAFT)
    visit = EventFactory(slug="visit")
    since = now()
    note = FootnoteFactory(source=wire, locator="p. 3")
    CitationFactory(event=talks, footnote=note)
    note.excerpt = "They talked."
    note.save()
    assert feed(client, since, model=("footnote", "event")) == []
    talks.status = PUBLISHED
    talks.save()
    assert feed(client, since, model=("footnote", "event")) == [
        ("footnote", "wire-p-3", "created"),  # as it is now: cited by a visible claim
        ("event", "talks", "updated"),  # its citation
        ("footnote", "wire-p-3", "updated"),
        ("event", "talks", "updated"),
        ("event", "talks", "created"),
    ]
    since = now()
    CitationFactory(event=visit, footnote=note)  # now backing two events
    note.excerpt = "They talked at length."
    note.save()
    note.slug = "wire-page-3"
    note.save()
    entries = [e for e in every_page(client, changes_url(since)) if e["model"] != "source"]
    assert [(e["model"], e["key"], e["action"]) for e in entries] == [
        ("event", "visit", "updated"),
        ("footnote", "wire-p-3", "updated"),
        ("event", "talks", "updated"),
        ("event", "visit", "updated"),
        ("footnote", "wire-p-3", "deleted"),
        ("footnote", "wire-page-3", "created"),
        ("event", "talks", "updated"),
        ("event", "visit", "updated"),
    ]
    assert entries[5]["renamed_from"] == "wire-p-3"
    assert client.get(path(entries[5]["url"])).json()["slug"] == "wire-page-3"


def test_memberships_relationships_and_concerns_are_in_the_feed(client, start):
    nam = OrganisationFactory(slug="nam")
    since = now()
    member = MembershipFactory(slug="by-in-nam", organisation=nam, status=DRAFT, citations=1)
    assert feed(client, since, model="membership") == []  # a draft: nothing
    member.status = PUBLISHED
    member.save()
    pair = relationship("AR", "NZ")
    pair.sections = [{"domain": "nuclear", "title": "Nuclear first"}]
    pair.save()
    event = EventFactory(slug="censure", countries=["IR", "US"])
    since_event = now()
    event.concerns.add(pair)
    member.delete()
    assert feed(client, since, model="membership") == [
        ("membership", "by-in-nam", "created"),
        ("membership", "by-in-nam", "deleted"),
    ]
    assert feed(client, since, model="relationship") == [
        ("relationship", "ar-nz", "created"),
        ("relationship", "ar-nz", "updated"),
    ]
    assert feed(client, since_event, model="event") == [("event", "censure", "updated")]


def test_publishing_a_claim_updates_the_records_that_name_it(client, start):
    agreement = AgreementFactory(slug="gas-deal", status=DRAFT, citations=1)
    event = EventFactory(slug="talks", status=DRAFT, citations=1)
    event.agreements.set([agreement])
    published_event = EventFactory(slug="signing")
    published_event.agreements.set([agreement])
    statement = StatementFactory(slug="we-agreed", event=event)
    since = now()
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


def test_since_starts_where_changes_became_visible_not_where_they_were_dated(client, start):
    """A change dated long before ``since`` (import_kb dates its rows with the moment it
    started) is there if it became visible after it; changes visible before are not."""
    OrganisationFactory(slug="seen-before")
    moment = now()
    late = OrganisationFactory.build(slug="dated-early")
    late._history_date = moment - datetime.timedelta(hours=1)
    late.save()
    entries = every_page(client, changes_url(moment))
    assert [e["key"] for e in entries] == ["dated-early"]
    assert entries[0]["at"].startswith(str((moment - datetime.timedelta(hours=1)).year))
    assert every_page(client, changes_url(now())) == []


def test_after_is_a_position_in_the_feed(client, start):
    OrganisationFactory(slug="one")
    first = client.get(changes_url(start, per_page=1)).json()
    assert [e["key"] for e in first["results"]] == ["one"]
    assert "after=" in first["resume"] and "since" not in first["resume"]
    OrganisationFactory(slug="two")
    OrganisationFactory(slug="three")
    body = client.get(path(first["resume"])).json()  # per_page=1 is kept in the link
    assert [e["key"] for e in body["results"]] == ["two"]
    assert body["next"] == body["resume"]
    assert [e["key"] for e in every_page(client, path(body["next"]))] == ["three"]
    position = int(first["resume"].split("after=")[1].split("&")[0])
    assert [e["key"] for e in every_page(client, f"/api/changes/?after={position}")] == [
        "two",
        "three",
    ]


def test_a_renamed_record_names_its_old_key(client, start):
    event = EventFactory(slug="old-name")
    event.slug = "new-name"
    event.save()
    entries = every_page(client, changes_url(start, per_page=1000))
    comings_and_goings = [
        (e["key"], e["action"], e["renamed_from"])
        for e in entries
        if e["model"] == "event" and e["action"] != "updated"
    ]
    assert comings_and_goings == [
        ("old-name", "created", None),
        ("old-name", "deleted", None),
        ("new-name", "created", "old-name"),
    ]


def test_a_claim_renamed_as_it_is_withdrawn_is_deleted_under_the_key_readers_knew(client, start):
    event = EventFactory(slug="known-key")
    since = now()
    event.slug = "draft-key"
    event.status = DRAFT
    event.save()
    assert feed(client, since) == [("event", "known-key", "deleted")]


def test_a_joint_statement_comes_and_goes_with_its_event(client, start):
    """Said by the event's parties together, it is visible only while its event is; a
    statement with a speaker stays, naming the event only while it is visible."""
    event = EventFactory(slug="summit", status=DRAFT, citations=1)
    joint = StatementFactory(slug="joint-declaration", event=event, speaker=None)
    spoken = StatementFactory(slug="minister-said", event=event)
    CitationFactory(statement=joint)
    CitationFactory(statement=spoken)
    said = set(feed(client, start, model="statement"))  # the joint one is not said at all
    assert said == {("statement", "minister-said", a) for a in ("created", "updated")}
    since = now()
    event.status = PUBLISHED
    event.save()
    event.status = REVIEW
    event.save()
    assert feed(client, since) == [
        ("event", "summit", "created"),
        ("statement", "joint-declaration", "created"),
        ("statement", "minister-said", "updated"),
        ("event", "summit", "deleted"),
        ("statement", "joint-declaration", "deleted"),
        ("statement", "minister-said", "updated"),
    ]


def test_a_citation_moved_to_another_claim_updates_both(client, start):
    first, second = EventFactory(slug="first"), EventFactory(slug="second")
    citation = CitationFactory(event=first, locator="p. 9")
    since = now()
    citation.event = second
    citation.save()
    assert feed(client, since) == [("event", "second", "updated"), ("event", "first", "updated")]


def test_a_page_costs_a_few_queries_whatever_it_holds(client, start, django_assert_max_num_queries):
    for n in range(30):
        organisation = OrganisationFactory(slug=f"body-{n}")
        event = EventFactory(slug=f"meeting-{n}", status=DRAFT if n % 3 else PUBLISHED)
        event.organisations.set([organisation])
        StatementFactory(event=event, speaker=None if n % 2 else event.officials.first())
        CitationFactory(event=event)
    # Rows still waiting to be numbered, as after any write: the numbering is in the count.
    with django_assert_max_num_queries(20):
        body = client.get(changes_url(start, per_page=1000)).json()
    assert len(body["results"]) > 60 and body["next"] is None


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
    Citation.objects.bulk_create([Citation(event=published, footnote=Footnote.objects.first())])
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
        "after=",
        "after=-1",
        "after=1.5",
        "after=event.5",
        "after=1%00",
        "after=1234567890123456789",
        "per_page=10",
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
