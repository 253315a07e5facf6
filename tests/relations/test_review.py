"""Review as one page: the home's count, the queue of every kind with its citations, the
editor's publish and return (with a comment the analyst reads), and the staff-only preview."""

import re
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group
from django.core import serializers
from django.test import Client
from django.urls import reverse

from exchange.spec import BY_MODEL
from relations.admin import review
from relations.models import Agreement, Event, Membership, Position, Statement, Status
from tests.factories import (
    AgreementFactory,
    EventFactory,
    MembershipFactory,
    PositionFactory,
    StatementFactory,
)

pytestmark = pytest.mark.django_db

FACTORIES = {
    "event": EventFactory,
    "statement": StatementFactory,
    "position": PositionFactory,
    "agreement": AgreementFactory,
    "membership": MembershipFactory,
}


@pytest.fixture
def users(django_user_model):
    def staff(name, role):
        user = django_user_model.objects.create_user(name, password="pw", is_staff=True)
        user.groups.add(Group.objects.get(name=role))
        return user

    return {"analyst": staff("anna", "Analyst"), "editor": staff("eddie", "Editor")}


@pytest.fixture
def editor(users):
    client = Client()
    client.force_login(users["editor"])
    return client


@pytest.fixture
def analyst(users):
    client = Client()
    client.force_login(users["analyst"])
    return client


def awaiting(kind, n=0, **fields):
    """A cited claim awaiting review, its citation's locator, source and excerpt distinct."""
    return FACTORIES[kind](
        status=Status.REVIEW,
        citations=1,
        citations__locator=f"note {kind}-{n}",
        citations__excerpt=f"Excerpt of {kind} {n}.",
        **fields,
    )


def decide(client, claim, decision, comment="", loaded=None):
    return client.post(
        reverse("admin:review_decide", args=[claim._meta.model_name, claim.pk]),
        {
            "decision": decision,
            "comment": comment,
            "loaded_updated": loaded or claim.updated.isoformat(),
        },
    )


def shown(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- The home page --------------------------------------------------------------------------
def test_the_home_says_how_many_items_await_review_and_links_there(
    editor, analyst, django_assert_max_num_queries
):
    for kind in FACTORIES:
        awaiting(kind)
    EventFactory(status=Status.DRAFT)
    EventFactory(status=Status.PUBLISHED)
    with django_assert_max_num_queries(7):
        page = editor.get(reverse("admin:index")).content.decode()
    assert 'data-review-count="5"' in page and "5 items await review" in page
    assert f'href="{reverse("admin:review")}"' in page
    assert "publish or return them" in page
    # Analysts see what waits, without the editor's invitation to decide.
    page = analyst.get(reverse("admin:index")).content.decode()
    assert "5 items await review" in page and "publish or return them" not in page


# --- The queue ------------------------------------------------------------------------------
def test_the_queue_lists_every_kind_with_its_citations_in_a_constant_number_of_queries(
    editor, django_assert_max_num_queries
):
    claims = [awaiting(kind, n) for n in range(3) for kind in FACTORIES]
    claims[0].place = "Tehran"
    claims[0].save()
    hidden = [EventFactory(status=Status.DRAFT), AgreementFactory(status=Status.PUBLISHED)]
    # 15 items of five kinds: a query per kind and per shown relation, not per item.
    with django_assert_max_num_queries(21):
        response = editor.get(reverse("admin:review"))
    page = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    for n in range(3):
        for kind in FACTORIES:
            assert f"note {kind}-{n}" in page and f"Excerpt of {kind} {n}." in page
    for claim in claims:
        assert f'id="review-{claim._meta.model_name}-{claim.pk}"' in page
    for claim in hidden:
        assert f'id="review-{claim._meta.model_name}-{claim.pk}"' not in page
    assert "Tehran" in page  # key fields: the event's place
    assert page.count('value="publish"') == 15 and page.count('value="return"') == 15


def test_the_queue_is_paged_oldest_change_first(editor, monkeypatch):
    monkeypatch.setattr(review, "PER_PAGE", 2)
    first, second, third = (awaiting("event", n) for n in range(3))
    page = editor.get(reverse("admin:review")).content.decode()
    assert page.index(f"review-event-{first.pk}") < page.index(f"review-event-{second.pk}")
    assert f"review-event-{third.pk}" not in page and "Page 1 of 2" in page
    page = editor.get(reverse("admin:review"), {"p": 2}).content.decode()
    assert f"review-event-{third.pk}" in page and f"review-event-{first.pk}" not in page


# --- Deciding -------------------------------------------------------------------------------
def test_an_editor_publishes_from_the_queue_through_the_publish_action(editor):
    statement = awaiting("statement", review_comment="Name the speaker's post.")
    response = decide(editor, statement, "publish")
    assert response.status_code == HTTPStatus.FOUND
    statement.refresh_from_db()
    assert statement.status == Status.PUBLISHED and statement.review_comment == ""
    assert statement.history.latest("history_date").history_user.username == "eddie"
    assert "1 published." in shown(editor.get(response["Location"]))


def test_an_uncited_claim_is_not_published_from_the_queue(editor):
    event = EventFactory(status=Status.REVIEW, citations=0)
    response = editor.get(reverse("admin:review")).content.decode()
    assert "No citation" in response
    follow = editor.get(decide(editor, event, "publish")["Location"])
    event.refresh_from_db()
    assert event.status == Status.REVIEW
    assert any("Nothing was published" in m for m in shown(follow))


def test_a_returned_claim_carries_the_comment_its_analyst_reads(editor, analyst):
    position = awaiting("position")
    response = decide(editor, position, "return", "Which ministry? <b>Check note 4.</b>")
    position.refresh_from_db()
    assert position.status == Status.DRAFT
    assert position.review_comment == "Which ministry? <b>Check note 4.</b>"
    assert any("returned to draft" in m for m in shown(editor.get(response["Location"])))
    # On the claim's page, escaped; and in the analysts' list.
    page = analyst.get(reverse("admin:relations_position_change", args=[position.pk]))
    html = page.content.decode()
    assert "Returned by an editor" in html
    assert "Which ministry? &lt;b&gt;Check note 4.&lt;/b&gt;" in html
    listing = analyst.get(reverse("admin:relations_position_changelist")).content.decode()
    assert "Which ministry?" in listing


def test_returning_needs_a_comment(editor):
    event = awaiting("event")
    follow = editor.get(decide(editor, event, "return", "  ")["Location"])
    event.refresh_from_db()
    assert event.status == Status.REVIEW
    assert any("with a comment" in m for m in shown(follow))


def test_a_decision_on_a_claim_changed_since_the_page_was_loaded_is_refused(editor):
    agreement = awaiting("agreement")
    loaded = agreement.updated.isoformat()
    agreement.title = "Changed meanwhile"
    agreement.save()
    follow = editor.get(decide(editor, agreement, "publish", loaded=loaded)["Location"])
    agreement.refresh_from_db()
    assert agreement.status == Status.REVIEW
    assert any("after this page was loaded" in m for m in shown(follow))
    # Nor on one already decided (by another editor, in another tab).
    agreement.status = Status.DRAFT
    agreement.save()
    decide(editor, agreement, "publish")
    agreement.refresh_from_db()
    assert agreement.status == Status.DRAFT


def test_analysts_view_the_queue_but_only_editors_decide(analyst, users):
    membership = awaiting("membership")
    page = analyst.get(reverse("admin:review"))
    assert page.status_code == HTTPStatus.OK
    assert f"review-membership-{membership.pk}" in page.content.decode()
    assert 'value="publish"' not in page.content.decode()
    assert decide(analyst, membership, "publish").status_code == HTTPStatus.FORBIDDEN
    assert decide(analyst, membership, "return", "no").status_code == HTTPStatus.FORBIDDEN
    membership.refresh_from_db()
    assert membership.status == Status.REVIEW
    # Anonymous visitors are sent to log in; a GET decides nothing; a POST needs its token.
    anonymous = Client()
    assert reverse("admin:login") in anonymous.get(reverse("admin:review"))["Location"]
    assert reverse("admin:login") in decide(anonymous, membership, "publish")["Location"]
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(users["editor"])
    assert decide(strict, membership, "publish").status_code == HTTPStatus.FORBIDDEN
    url = reverse("admin:review_decide", args=["membership", membership.pk])
    assert strict.get(url, {"decision": "publish"}).status_code == HTTPStatus.METHOD_NOT_ALLOWED
    membership.refresh_from_db()
    assert membership.status == Status.REVIEW


# --- The preview ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("event", "Event"),
        ("agreement", "Agreement"),
        ("statement", "Relations are excellent."),
        ("position", "Foreign Minister"),
        ("membership", "member"),
    ],
)
def test_staff_preview_a_draft_as_readers_will_see_it(analyst, kind, text):
    claim = FACTORIES[kind](status=Status.DRAFT, citations=1, citations__excerpt="Backed here.")
    url = reverse(f"admin:relations_{kind}_preview", args=[claim.pk])
    response = analyst.get(url)
    page = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert "Preview — not published." in page and text in page
    assert "Backed here." in page  # its notes, as the public page lists them
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    # Never to anonymous visitors, and the public URL still refuses the draft.
    assert reverse("admin:login") in Client().get(url)["Location"]
    if hasattr(claim, "get_absolute_url"):
        assert Client().get(claim.get_absolute_url()).status_code == HTTPStatus.NOT_FOUND


def test_the_event_preview_uses_the_public_template(analyst):
    event = EventFactory(status=Status.REVIEW, place="Minsk")
    response = analyst.get(reverse("admin:relations_event_preview", args=[event.pk]))
    assert "reader/pages/event.html" in [t.name for t in response.templates]


def test_a_posts_preview_draws_it_as_its_officials_page_does(analyst):
    """The preview and the official's page draw a post with the same macro (``post`` in
    templates/jinja2/reader/pages/parts.html): the same markup, the same note."""
    position = PositionFactory(status=Status.PUBLISHED, citations=1, citations__excerpt="Here.")
    url = reverse("admin:relations_position_preview", args=[position.pk])
    preview = " ".join(analyst.get(url).content.decode().split())
    public = Client().get(position.official.get_absolute_url()).content.decode()
    public = " ".join(public.split())
    for pattern in (r'<ol class="entries posts">.*?</ol>', r'<ol class="notes">.*?</ol>'):
        assert re.search(pattern, public).group(0) in preview


def test_view_on_site_of_a_draft_is_its_preview(analyst):
    draft = EventFactory(status=Status.DRAFT)
    page = analyst.get(reverse("admin:relations_event_change", args=[draft.pk])).content.decode()
    assert reverse("admin:relations_event_preview", args=[draft.pk]) in page
    published = EventFactory(status=Status.PUBLISHED)
    url = reverse("admin:relations_event_change", args=[published.pk])
    assert "/preview/" not in analyst.get(url).content.decode()


# --- Internal data --------------------------------------------------------------------------
def test_the_review_comment_is_never_exchanged():
    for model in (Event, Statement, Position, Agreement, Membership):
        assert "review_comment" not in BY_MODEL[model].names
    event = EventFactory(status=Status.DRAFT, review_comment="Internal: QXREVIEWNOTE")
    assert "QXREVIEWNOTE" not in serializers.serialize("json", [event])  # dumpdata's way
