"""The analysts' workspace as analysts and editors use it: roles, publishing, history,
stale edits, recovery and the duplicate guard, all through real HTTP requests."""

import datetime
import io
import re
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from core import cache as kb
from core.admin_base import date_reading
from relations.models import Citation, Event, Membership, Statement, Status
from sources.models import Footnote
from tests.factories import (
    EventFactory,
    FootnoteFactory,
    MembershipFactory,
    OfficialFactory,
    OrganisationFactory,
    SourceFactory,
    country,
    domain,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def make_user(django_user_model):
    def make(role: str):
        user = django_user_model.objects.create_user(role.lower(), password="pw", is_staff=True)
        user.groups.add(Group.objects.get(name=role))
        return user

    return make


@pytest.fixture
def analyst(client, make_user):
    client.force_login(make_user("Analyst"))
    return client


@pytest.fixture
def editor(client, make_user):
    client.force_login(make_user("Editor"))
    return client


def event_form(**overrides):
    data = {
        "title": "Lukashenko visits Tehran",
        "date": "late June 2010",
        "place": "Tehran",
        "summary": "",
        "domains": [domain("energy").pk, domain("diplomatic").pk],
        "countries": [],
        "organisations": [],
        "officials": [],
        "agreements": [],
        "sequence": "0",
        "status": "draft",
        "slug": "",
        "citations-TOTAL_FORMS": "0",
        "citations-INITIAL_FORMS": "0",
        "citations-MIN_NUM_FORMS": "0",
        "citations-MAX_NUM_FORMS": "1000",
    }
    return data | overrides


NO_CITATIONS = {
    "citations-TOTAL_FORMS": "0",
    "citations-INITIAL_FORMS": "0",
    "citations-MIN_NUM_FORMS": "0",
    "citations-MAX_NUM_FORMS": "1000",
}


def statement_form(**overrides):
    data = {
        "form": "paraphrase",
        "quote": "relations with Iran are part of a move away from Russia",
        "verb": "added",
        "speaker": "",
        "speaker_organisation": "",
        "context": "",
        "language": "en",
        "date": "",
        "sequence": "0",
        "status": "draft",
        "slug": "",
        **NO_CITATIONS,
    }
    return data | overrides


def membership_form(**overrides):
    data = {
        "member_country": "",
        "member_organisation": "",
        "role": "member",
        "organisation": "",
        "start": "",
        "end": "",
        "sequence": "0",
        "status": "draft",
        "slug": "",
        **NO_CITATIONS,
    }
    return data | overrides


def with_citation(data, source, locator="p. 1"):
    """``data`` citing the footnote at ``locator`` in ``source`` (made if not there yet)."""
    footnote, _ = Footnote.objects.get_or_create(source=source, locator=locator)
    return data | {
        "citations-TOTAL_FORMS": "1",
        "citations-0-footnote": footnote.pk,
        "citations-0-note": "",
    }


def change_form(client, event):
    """The change form's current values, as a browser would submit them back."""
    response = client.get(reverse("admin:relations_event_change", args=[event.pk]))
    page = response.content.decode()
    loaded = re.search(r'name="loaded_updated" value="([^"]+)"', page)
    citations = list(event.citations.all())
    data = event_form(
        title=event.title,
        date=event.date,
        status=event.status,
        slug=event.slug,
        domains=[d.pk for d in event.domains.all()],
        countries=[c.pk for c in event.countries.all()],
        loaded_updated=loaded.group(1),
    )
    data["citations-TOTAL_FORMS"] = data["citations-INITIAL_FORMS"] = str(len(citations))
    for i, citation in enumerate(citations):
        data |= {
            f"citations-{i}-id": citation.pk,
            f"citations-{i}-event": event.pk,
            f"citations-{i}-footnote": citation.footnote_id,
            # Each row's version as shown, as the parent's: a row changed since is refused.
            f"citations-{i}-loaded_updated": re.search(
                rf'name="citations-{i}-loaded_updated" value="([^"]+)"', page
            ).group(1),
        }
    return data


ADD = reverse("admin:relations_event_add")
CHANGELIST = reverse("admin:relations_event_changelist")


# --- Entering an event ------------------------------------------------------------------------
def test_analyst_enters_an_event_and_sees_how_the_date_was_read(analyst):
    response = analyst.post(ADD, with_citation(event_form(), SourceFactory()), follow=True)
    assert response.status_code == HTTPStatus.OK
    event = Event.objects.get()
    assert (event.date_lower, event.date_upper) == (
        datetime.date(2010, 6, 21),
        datetime.date(2010, 6, 30),
    )
    assert event.status == Status.DRAFT
    shown = [str(m) for m in response.context["messages"]]
    assert "Read “late June 2010” as 21 June 2010 – 30 June 2010 (part of month)." in shown
    assert event.citations.count() == 1


def test_an_unreadable_date_is_refused_with_the_accepted_forms(analyst):
    response = analyst.post(ADD, event_form(date="Jumne 2010"))
    assert response.status_code == HTTPStatus.OK  # the form again, with its error
    errors = response.context["adminform"].form.errors["date"]
    assert "Jumne 2010" in errors[0] and "late June 2010" in errors[0]
    assert not Event.objects.exists()


# --- Dates relative to the source, resolved once at entry -------------------------------------
@pytest.mark.parametrize(
    ("typed", "stored", "upper"),
    [
        ("undated", "by 6 July 2010", datetime.date(2010, 7, 6)),
        ("by the source's date", "by 6 July 2010", datetime.date(2010, 7, 6)),
        ("in recent years", "in recent years, as of 6 July 2010", datetime.date(2010, 7, 6)),
        ("late June 2010", "late June 2010", datetime.date(2010, 6, 30)),  # not relative
    ],
)
def test_a_relative_date_is_resolved_once_from_the_cited_sources_date(
    analyst, typed, stored, upper
):
    source = SourceFactory(published="6 July 2010")
    response = analyst.post(ADD, with_citation(event_form(date=typed), source), follow=True)
    event = Event.objects.get()
    assert (event.date, event.date_upper) == (stored, upper)
    shown = [str(m) for m in response.context["messages"]]
    resolved = f"Date: “{typed}” was resolved once, from the cited source's date, and is "
    assert any(m.startswith(resolved) for m in shown) == (typed != stored)
    # The change page's preview reads the stored text; the record no longer depends on the
    # source: correcting the source's date leaves the claim's as it was entered.
    page = analyst.get(reverse("admin:relations_event_change", args=[event.pk]))
    assert page.context["adminform"].form["date"].value() == stored
    assert date_reading(stored) in page.content.decode()
    source.published = "2011"
    source.save()
    event.refresh_from_db()
    assert event.date == stored


def test_the_date_is_resolved_against_the_first_cited_footnotes_source(analyst):
    first = FootnoteFactory(source=SourceFactory(published="July 2010"), locator="note 2")
    second = FootnoteFactory(source=SourceFactory(published="2009"), locator="note 1")
    data = event_form(date="undated") | {
        "citations-TOTAL_FORMS": "3",
        "citations-0-footnote": second.pk,
        "citations-0-DELETE": "on",  # removed before saving: not cited
        "citations-1-footnote": first.pk,
        "citations-2-footnote": second.pk,
    }
    analyst.post(ADD, data)
    event = Event.objects.get()
    assert event.date == "by July 2010"
    assert sorted(event.citations.values_list("footnote__locator", flat=True)) == [
        "note 1",
        "note 2",
    ]


@pytest.mark.parametrize(
    ("typed", "published", "cited", "reason"),
    [
        ("undated", "6 July 2010", False, "it needs the source's date"),
        ("in recent years", "", True, "it needs the source's date"),
        ("by the source's date", "2009/2010", True, "the source's date (2009–2010) is not a"),
        ("subsequently", "6 July 2010", True, "it needs the date of the fact it follows"),
    ],
)
def test_a_relative_date_without_its_context_is_refused_and_nothing_saved(
    analyst, typed, published, cited, reason
):
    data = event_form(date=typed)
    if cited:
        data = with_citation(data, SourceFactory(published=published))
    response = analyst.post(ADD, data)
    assert response.status_code == HTTPStatus.OK  # the form again, with its error
    [error] = response.context["adminform"].form.errors["date"]
    assert f'"{typed}" is relative: {reason}' in error
    assert reason in response.content.decode().replace("&#x27;", "'")
    assert not Event.objects.exists() and not Citation.objects.exists()


def test_a_relative_date_is_resolved_on_every_claim_form(analyst):
    """A post's or a membership's start as well as an event's date: here a statement's."""
    speaker = OfficialFactory()
    footnote = FootnoteFactory(source=SourceFactory(published="2010-07-06"), locator="note 5")
    data = statement_form(speaker=speaker.pk, date="in recent years") | {
        "citations-TOTAL_FORMS": "1",
        "citations-0-footnote": footnote.pk,
    }
    analyst.post(reverse("admin:relations_statement_add"), data)
    statement = Statement.objects.get()
    assert statement.date == "in recent years, as of 6 July 2010"
    assert statement.citations.get().footnote == footnote


# --- Roles ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url", ["/admin/auth/user/", "/admin/auth/group/", "/admin/auth/user/add/"]
)
def test_analysts_and_editors_never_reach_users_or_groups(client, make_user, url):
    for role in ("Analyst", "Editor"):
        client.force_login(make_user(role))
        assert client.get(url).status_code == HTTPStatus.FORBIDDEN


def test_analyst_cannot_publish(analyst):
    event = EventFactory(status=Status.DRAFT, citations=1)
    # The status choices leave out "published"...
    response = analyst.post(ADD, with_citation(event_form(status="published"), SourceFactory()))
    assert "status" in response.context["adminform"].form.errors
    assert Event.objects.count() == 1
    # ...the publish action is not offered, and posting it anyway does nothing.
    page = analyst.get(CHANGELIST).content.decode()
    assert 'value="publish"' not in page and 'value="submit_for_review"' in page
    analyst.post(CHANGELIST, {"action": "publish", "_selected_action": [event.pk]})
    event.refresh_from_db()
    assert event.status == Status.DRAFT


def test_analyst_submits_for_review(analyst):
    event = EventFactory(status=Status.DRAFT)
    analyst.post(CHANGELIST, {"action": "submit_for_review", "_selected_action": [event.pk]})
    event.refresh_from_db()
    assert event.status == Status.REVIEW
    assert not Event.objects.published().exists()


def test_analyst_deletes_drafts_but_not_published_records(analyst):
    draft, published = EventFactory(status=Status.DRAFT), EventFactory()
    delete = "admin:relations_event_delete"
    url = reverse(delete, args=[published.pk])
    assert analyst.get(url).status_code == HTTPStatus.FORBIDDEN
    assert analyst.post(url, {"post": "yes"}).status_code == HTTPStatus.FORBIDDEN
    # Bulk deletion that includes a published event is refused too.
    response = analyst.post(
        CHANGELIST,
        {"action": "delete_selected", "_selected_action": [draft.pk, published.pk], "post": "yes"},
    )
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert Event.objects.count() == 2
    analyst.post(reverse(delete, args=[draft.pk]), {"post": "yes"})
    assert list(Event.objects.all()) == [published]


def test_analyst_can_correct_a_published_event_but_not_unpublish_it(analyst):
    event = EventFactory()
    data = change_form(analyst, event) | {"title": "Corrected title", "status": "draft"}
    analyst.post(reverse("admin:relations_event_change", args=[event.pk]), data)
    event.refresh_from_db()
    assert (event.title, event.status) == ("Corrected title", Status.PUBLISHED)


def test_editor_publishes_only_cited_claims_and_names_those_without(editor):
    cited = EventFactory(status="review", citations=1)
    uncited = EventFactory(status="review", title="Bare")
    response = editor.post(
        CHANGELIST,
        {"action": "publish", "_selected_action": [cited.pk, uncited.pk]},
        follow=True,
    )
    assert "Nothing was published" in response.content.decode()
    assert "Bare" in response.content.decode()
    assert not Event.objects.published().exists()
    editor.post(CHANGELIST, {"action": "publish", "_selected_action": [cited.pk]})
    assert list(Event.objects.published()) == [cited]
    assert cited.history.first().history_user.username == "editor"


def test_a_published_claim_cannot_lose_its_last_citation(editor):
    event = EventFactory()  # with one citation
    data = change_form(editor, event) | {"citations-0-DELETE": "on"}
    response = editor.post(reverse("admin:relations_event_change", args=[event.pk]), data)
    assert "cannot be published without a citation" in response.content.decode()
    assert event.citations.count() == 1


def test_saving_as_published_requires_a_citation(editor):
    response = editor.post(ADD, event_form(status="published"))
    assert "cannot be published without a citation" in response.content.decode()
    assert not Event.objects.exists()


def test_editor_deletes_published_records(editor):
    event = EventFactory()
    editor.post(reverse("admin:relations_event_delete", args=[event.pk]), {"post": "yes"})
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    ("action", "before", "after"),
    [("publish", "review", "published"), ("unpublish", "published", "draft")],
)
def test_a_status_action_is_all_or_nothing(editor, monkeypatch, action, before, after):
    events = [EventFactory(status=before, citations=1) for _ in range(3)]
    save = Event.save
    saved = []

    def fail_on_the_third(self, *args, **kwargs):
        saved.append(self.pk)
        if len(saved) == 3:
            raise RuntimeError("the database went away")
        save(self, *args, **kwargs)

    monkeypatch.setattr(Event, "save", fail_on_the_third)
    with pytest.raises(RuntimeError):
        editor.post(CHANGELIST, {"action": action, "_selected_action": [e.pk for e in events]})
    monkeypatch.undo()
    assert len(saved) == 3  # two saved, then the failure...
    assert set(Event.objects.values_list("status", flat=True)) == {before}  # ...and rolled back
    editor.post(CHANGELIST, {"action": action, "_selected_action": [e.pk for e in events]})
    assert set(Event.objects.values_list("status", flat=True)) == {after}


def test_a_claim_cites_a_footnote_once(analyst):
    footnote = FootnoteFactory(source=SourceFactory(title="The page", outlet=""), locator="n. 1")
    data = event_form() | {
        "citations-TOTAL_FORMS": "2",
        "citations-0-footnote": footnote.pk,
        "citations-1-footnote": footnote.pk,
    }
    response = analyst.post(ADD, data)
    [formset] = response.context["inline_admin_formsets"]
    assert formset.formset.non_form_errors() == [
        "“The page — n. 1” is cited twice: a claim cites a footnote once (remove one row)."
    ]
    assert not Event.objects.exists()


# --- Memberships -----------------------------------------------------------------------------
MEMBERSHIP_ADD = reverse("admin:relations_membership_add")
MEMBERSHIPS = reverse("admin:relations_membership_changelist")


def test_analyst_enters_a_membership_with_its_citation(analyst):
    nam = OrganisationFactory(name="Non-Aligned Movement", kind="intergovernmental")
    source = SourceFactory(published="6 July 2010")
    data = membership_form(
        member_country=country("BY").pk, organisation=nam.pk, start="by the source's date"
    )
    response = analyst.post(MEMBERSHIP_ADD, with_citation(data, source, "note 9"), follow=True)
    assert response.status_code == HTTPStatus.OK
    membership = Membership.objects.get()
    assert (membership.member, membership.organisation, membership.role) == (
        country("BY"),
        nam,
        "member",
    )
    assert (membership.start, membership.status) == ("by 6 July 2010", Status.DRAFT)
    assert membership.citations.get().footnote.locator == "note 9"
    listed = analyst.get(MEMBERSHIPS).context["cl"].result_list
    assert [(str(m.member), m.n_citations) for m in listed] == [("Belarus", 1)]


@pytest.mark.parametrize("members", [("BY", "org"), ()])
def test_a_membership_has_exactly_one_member(analyst, members):
    member_org = OrganisationFactory()
    fields = {"organisation": OrganisationFactory().pk}
    if members:
        fields |= {"member_country": country("BY").pk, "member_organisation": member_org.pk}
    response = analyst.post(MEMBERSHIP_ADD, membership_form(**fields))
    errors = response.context["adminform"].form.non_field_errors()
    assert "A membership has one member: a state or an organisation." in errors
    assert not Membership.objects.exists()


def test_a_membership_is_published_only_with_a_citation(editor):
    uncited = MembershipFactory(status="review", citations=0)
    response = editor.post(
        MEMBERSHIPS, {"action": "publish", "_selected_action": [uncited.pk]}, follow=True
    )
    assert "Nothing was published" in response.content.decode()
    uncited.refresh_from_db()
    assert uncited.status == Status.REVIEW

    data = membership_form(
        member_country=country("IR").pk, organisation=OrganisationFactory().pk, status="published"
    )
    response = editor.post(MEMBERSHIP_ADD, data)
    assert "This membership cannot be published without a citation" in response.content.decode()
    assert Membership.objects.count() == 1

    editor.post(MEMBERSHIP_ADD, with_citation(data, SourceFactory()))
    published = Membership.objects.published().get()
    assert published.member == country("IR") and published.citations.count() == 1


def test_roles_cover_the_new_models(make_user):
    call_command("setup_roles", stdout=io.StringIO())
    analyst, editor = make_user("Analyst"), make_user("Editor")
    for model in ("membership", "footnote", "relationship"):
        for action in ("add", "change", "view"):
            permission = f"{'sources' if model == 'footnote' else 'relations'}.{action}_{model}"
            assert analyst.has_perm(permission) and editor.has_perm(permission)
    assert editor.has_perm("relations.publish_membership")
    assert not analyst.has_perm("relations.publish_membership")


# --- Nothing is lost --------------------------------------------------------------------------
def test_a_stale_edit_is_refused_and_the_first_kept(client, make_user):
    event = EventFactory(title="Original")
    first, second = make_user("Analyst"), make_user("Editor")
    client.force_login(first)
    firsts_form = change_form(client, event)
    client.force_login(second)
    seconds_form = change_form(client, event)
    url = reverse("admin:relations_event_change", args=[event.pk])

    client.post(url, seconds_form | {"title": "Second analyst's title"})
    client.force_login(first)
    response = client.post(url, firsts_form | {"title": "First analyst's title"})

    assert response.status_code == HTTPStatus.OK
    assert "was changed by editor" in response.content.decode()
    event.refresh_from_db()
    assert event.title == "Second analyst's title"


def test_editor_reverts_an_edit_from_history(editor):
    event = EventFactory(title="Right")
    url = reverse("admin:relations_event_change", args=[event.pk])
    editor.post(url, change_form(editor, event) | {"title": "Wrong"})
    event.refresh_from_db()
    assert event.title == "Wrong"

    original = event.history.order_by("history_date").first()
    revert_url = reverse("admin:relations_event_simple_history", args=[event.pk, original.pk])
    form = editor.get(revert_url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data |= {"_change_history": "1", "loaded_updated": event.updated.isoformat()}
    editor.post(revert_url, data)

    event.refresh_from_db()
    assert event.title == "Right"
    latest = event.history.order_by("-history_date", "-history_id").first()
    assert (latest.title, latest.history_user.username) == ("Right", "editor")


def test_analyst_sees_history_but_cannot_revert(analyst):
    event = EventFactory(title="Right")
    record = event.history.first()
    url = reverse("admin:relations_event_simple_history", args=[event.pk, record.pk])
    assert analyst.get(reverse("admin:relations_event_history", args=[event.pk])).status_code == 200
    assert analyst.post(url, {"title": "Sneaky"}).status_code == HTTPStatus.FORBIDDEN
    event.refresh_from_db()
    assert event.title == "Right"


def test_a_deleted_event_is_recovered_with_its_links_and_citations(editor):
    official = OfficialFactory()
    event = EventFactory(countries=["BY", "IR"], domains=["energy", "economic"])
    event.officials.add(official)
    event.save()  # history records the links as they stand
    [citation] = event.citations.all()
    locator = citation.locator
    pk, slug = event.pk, event.slug
    editor.post(reverse("admin:relations_event_delete", args=[pk]), {"post": "yes"})
    assert not Event.objects.filter(pk=pk).exists()
    assert not Citation.objects.filter(pk=citation.pk).exists()

    deleted = editor.get(reverse("admin:relations_event_deleted")).content.decode()
    assert event.title in deleted
    record = Event.history.get(id=pk, history_type="-")
    editor.post(reverse("admin:relations_event_recover", args=[record.history_id]))

    event = Event.objects.get(pk=pk)
    assert event.slug == slug
    assert {c.code for c in event.countries.all()} == {"BY", "IR"}
    assert {d.slug for d in event.domains.all()} == {"energy", "economic"}
    assert list(event.officials.all()) == [official]
    assert list(event.citations.values_list("footnote__locator", flat=True)) == [locator]


def test_analyst_cannot_recover(analyst):
    event = EventFactory(status="draft")
    analyst.post(reverse("admin:relations_event_delete", args=[event.pk]), {"post": "yes"})
    record = Event.history.get(id=event.pk, history_type="-")
    url = reverse("admin:relations_event_recover", args=[record.history_id])
    assert analyst.post(url).status_code == HTTPStatus.FORBIDDEN


# --- Duplicate guard ------------------------------------------------------------------------
def test_saving_a_likely_duplicate_warns_with_links_but_saves(analyst):
    existing = EventFactory(title="Gas talks", date="June 2010", countries=["BY", "IR"])
    EventFactory(title="Other pair", date="June 2010", countries=["BY", "RU"])
    EventFactory(title="A long trend", date="until 2011", countries=["BY", "IR"])
    from tests.factories import country

    data = event_form(countries=[country("BY").pk, country("IR").pk])
    response = analyst.post(ADD, data, follow=True)
    [warning] = [str(m) for m in response.context["messages"] if "duplicates" in str(m)]
    assert reverse("admin:relations_event_change", args=[existing.pk]) in warning
    assert "Gas talks" in warning
    assert "Other pair" not in warning and "A long trend" not in warning
    assert Event.objects.count() == 4


# --- Changelist filters -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("domain=energy", {"Energy talks"}),
        ("country=ir", {"Energy talks"}),
        ("date=2000s", {"Old visit"}),
        ("date=2010", {"Energy talks"}),
        ("status__exact=draft", {"Old visit"}),
    ],
)
def test_changelist_filters(editor, query, expected):
    EventFactory(title="Energy talks", date="2010", countries=["BY", "IR"], domains=["energy"])
    EventFactory(title="Old visit", date="2003", countries=["BY"], status="draft")
    response = editor.get(f"{CHANGELIST}?{query}")
    titles = {str(e.title) for e in response.context["cl"].result_list}
    assert titles == expected


@pytest.mark.parametrize("value", ["foo", "1800s", "2030s", "1949", "20105"])
def test_a_date_filter_not_offered_is_ignored_with_a_message_not_an_error(editor, value):
    EventFactory(title="Energy talks", date="2010")
    response = editor.get(f"{CHANGELIST}?date={value}")
    assert response.status_code == HTTPStatus.OK
    assert {e.title for e in response.context["cl"].result_list} == {"Energy talks"}
    shown = [str(m) for m in response.context["messages"]]
    assert shown == [
        f"The date filter “{value}” was ignored: choose a decade from 1950s to 2020s, or a "
        "year in one of them."
    ]


def test_deleting_an_event_with_statements_is_refused_not_a_crash(editor):
    from tests.factories import StatementFactory

    event = EventFactory()
    StatementFactory(event=event, speaker=None, quote="to act jointly")  # a joint statement
    url = reverse("admin:relations_event_delete", args=[event.pk])
    page = editor.get(url).content.decode()
    assert "would require deleting the following protected related objects" in page
    assert editor.post(url, {"post": "yes"}).status_code == HTTPStatus.OK  # the page again
    assert Event.objects.filter(pk=event.pk).exists()


def test_export_selection_as_a_fixture_brings_citations_and_sources(editor, seed):
    import json

    events = list(Event.objects.filter(date="May 2007"))
    response = editor.post(
        CHANGELIST, {"action": "export_fixture", "_selected_action": [e.pk for e in events]}
    )
    assert response["Content-Disposition"].startswith('attachment; filename="relata-event-')
    records = json.loads(response.content)
    models = [r["model"] for r in records]
    assert models.count("relations.event") == 2
    assert models.count("relations.citation") == 2
    assert models[0] == "sources.source"  # what the citations refer to comes first
    event = next(r for r in records if r["model"] == "relations.event")
    assert "pk" not in event and event["fields"]["countries"] == [["BY"], ["IR"]]


# --- Readers' caches --------------------------------------------------------------------------
@pytest.fixture
def bumps(django_capture_on_commit_callbacks):
    """``bumps(write)``: whether ``write`` raised the knowledge-base version that keys every
    cached public answer. It may do so only once its transaction commits."""

    def run(write) -> bool:
        before = kb.version()
        with django_capture_on_commit_callbacks() as callbacks:
            write()
        assert kb.version() == before, "the version moved before the commit"
        for callback in callbacks:
            callback()
        return kb.version() != before

    return run


def change(client, claim, **fields):
    url = reverse("admin:relations_event_change", args=[claim.pk])
    return client.post(url, change_form(client, claim) | fields)


def test_editing_a_published_event_refreshes_readers_caches(editor, bumps):
    event = EventFactory()
    assert bumps(lambda: change(editor, event, title="Corrected"))
    event.refresh_from_db()
    assert event.title == "Corrected"


def test_a_drafts_edits_leave_readers_caches_warm(analyst, bumps):
    data = with_citation(event_form(), SourceFactory())  # the footnote exists beforehand
    assert not bumps(lambda: analyst.post(ADD, data))
    event = Event.objects.get()
    assert not bumps(lambda: change(analyst, event, title="Still a draft"))
    assert not bumps(
        lambda: analyst.post(
            CHANGELIST, {"action": "submit_for_review", "_selected_action": [event.pk]}
        )
    )
    assert not bumps(
        lambda: analyst.post(reverse("admin:relations_event_delete", args=[event.pk]), {"post": 1})
    )
    assert not Event.objects.exists()  # each write did happen


def test_a_published_events_citation_refreshes_readers_caches(editor, bumps):
    event = EventFactory()
    data = change_form(editor, event)
    data |= {
        "citations-TOTAL_FORMS": "2",
        "citations-1-footnote": FootnoteFactory(locator="p. 9").pk,
    }
    url = reverse("admin:relations_event_change", args=[event.pk])
    assert bumps(lambda: editor.post(url, data))
    assert event.citations.count() == 2


@pytest.mark.parametrize(
    ("action", "before"),
    [("publish", "review"), ("unpublish", "published"), ("delete_selected", "published")],
)
def test_actions_that_change_what_readers_see_refresh_their_caches(editor, bumps, action, before):
    events = [EventFactory(status=before, citations=1) for _ in range(2)]
    data = {"action": action, "_selected_action": [e.pk for e in events], "post": "yes"}
    assert bumps(lambda: editor.post(CHANGELIST, data))
    if action == "delete_selected":
        assert not Event.objects.exists()
    else:
        assert not Event.objects.filter(status=before).exists()


def test_deleting_reverting_and_recovering_refresh_readers_caches(editor, bumps):
    event = EventFactory(title="Right")
    change(editor, event, title="Wrong")
    original = event.history.order_by("history_date").first()
    revert_url = reverse("admin:relations_event_simple_history", args=[event.pk, original.pk])
    form = editor.get(revert_url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    event.refresh_from_db()
    data |= {"_change_history": "1", "loaded_updated": event.updated.isoformat()}
    assert bumps(lambda: editor.post(revert_url, data))
    event.refresh_from_db()
    assert event.title == "Right"

    delete_url = reverse("admin:relations_event_delete", args=[event.pk])
    assert bumps(lambda: editor.post(delete_url, {"post": "yes"}))
    record = Event.history.get(id=event.pk, history_type="-")
    recover_url = reverse("admin:relations_event_recover", args=[record.history_id])
    assert bumps(lambda: editor.post(recover_url))
    assert Event.objects.filter(pk=event.pk, status=Status.PUBLISHED).exists()


def test_editing_reference_data_refreshes_readers_caches(client, django_user_model, bumps):
    client.force_login(django_user_model.objects.create_superuser("root", "r@example.org", "pw"))
    source = SourceFactory(title="Old title")
    url = reverse("admin:sources_source_change", args=[source.pk])
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    assert bumps(lambda: client.post(url, data | {"title": "New title"}))
    source.refresh_from_db()
    assert source.title == "New title"
