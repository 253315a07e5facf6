"""Duplicates: the warning ignores open-sided dates and offers a merge; a merge moves the other
event's citations, participants, statements and agreements to the kept one and removes the
other (recoverable), in one transaction, with history on both."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group
from django.db.models import ProtectedError
from django.test import Client
from django.urls import reverse

from relations.models import Citation, Event, Statement, Status
from relations.roles import ANALYST, EDITOR
from tests.factories import (
    AgreementFactory,
    CitationFactory,
    EventFactory,
    OfficialFactory,
    StatementFactory,
    country,
    domain,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def users(django_user_model):
    made = {}
    for role in (ANALYST, EDITOR):
        user = django_user_model.objects.create_user(role.lower(), password="pw", is_staff=True)
        user.groups.add(Group.objects.get(name=role))
        made[role] = user
    return made


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def merge_url(kept, other) -> str:
    return reverse("admin:relations_event_merge", args=[kept.pk]) + f"?from={other.pk}"


# --- Possible duplicates -------------------------------------------------------------------------
@pytest.mark.parametrize("open_date", ["by 2010", "until 2011", "since 2008",
                                       "in recent years, as of July 2010"])  # fmt: skip
def test_open_sided_dates_are_never_duplicates_either_way(open_date):
    closed = EventFactory(date="June 2009", countries=["BY", "IR"])
    twin = EventFactory(date="2009", countries=["BY", "IR"])
    trend = EventFactory(date=open_date, countries=["BY", "IR"])
    assert trend.possible_duplicates() == []
    assert closed.possible_duplicates() == [twin]


def test_the_warning_offers_merge_into_this_where_the_user_may(users):
    draft = EventFactory(title="Gas talks", date="June 2010", countries=["BY", "IR"],
                         status=Status.DRAFT)  # fmt: skip
    published = EventFactory(title="Gas deal", date="2010", countries=["BY", "IR"])
    data = {
        "title": "Talks on gas", "date": "late June 2010", "place": "", "summary": "",
        "domains": [domain("energy").pk], "countries": [country("BY").pk, country("IR").pk],
        "sequence": "0", "status": "draft", "slug": "",
        "citations-TOTAL_FORMS": "0", "citations-INITIAL_FORMS": "0",
        "citations-MIN_NUM_FORMS": "0", "citations-MAX_NUM_FORMS": "1000",
    }  # fmt: skip
    response = logged_in(users[ANALYST]).post(reverse("admin:relations_event_add"), data,
                                              follow=True)  # fmt: skip
    new = Event.objects.get(title="Talks on gas")
    [warning] = [str(m) for m in response.context["messages"] if "duplicates" in str(m)]
    assert f'<a href="{merge_url(draft, new)}">merge into this</a>'.replace("&", "&amp;") in warning
    assert merge_url(published, new) not in warning
    assert "published: an editor can merge it" in warning


# --- The merge ---------------------------------------------------------------------------------
@pytest.fixture
def pair():
    """Two records of one meeting: the kept one published, the other a cited draft with more
    participants, a statement made at it and an agreement signed there."""
    pair = {"date": "2009", "countries": ["BY", "IR"]}
    kept = EventFactory(title="Semashko meets Raei", slug="semashko-raei", **pair)
    other = EventFactory(
        title="Belarus-Iran talks", slug="talks-2009", place="Minsk", **pair,
        status=Status.DRAFT, citations=2,
    )  # fmt: skip
    other.officials.add(OfficialFactory(name="Reza Raei"))
    other.agreements.add(AgreementFactory(title="Loan", status=Status.DRAFT))
    StatementFactory(event=other, status=Status.DRAFT)
    # Both cite one footnote: it stays one citation, with the other's remark.
    shared = kept.citations.get()
    CitationFactory(event=other, footnote=shared.footnote, note="same meeting")
    return kept, other


def test_the_confirm_page_shows_both(users, pair, django_assert_max_num_queries):
    kept, other = pair
    client = logged_in(users[EDITOR])
    with django_assert_max_num_queries(25):
        page = client.get(merge_url(kept, other))
    assert page.status_code == HTTPStatus.OK
    assert "Semashko meets Raei" in page.text and "Belarus-Iran talks" in page.text
    assert "Reza Raei" in page.text and 'name="csrfmiddlewaretoken"' in page.text
    assert "merged talks-2009 into semashko-raei" in page.text


def test_merging_moves_everything_and_removes_the_other(users, pair):
    kept, other = pair
    other_citations = set(other.citations.exclude(footnote__citations__event=kept)
                          .values_list("pk", flat=True))  # fmt: skip
    history_before = kept.history.count()
    client = logged_in(users[EDITOR])

    response = client.post(merge_url(kept, other), {"from": other.pk})

    assert response.status_code == HTTPStatus.FOUND
    assert not Event.objects.filter(pk=other.pk).exists()
    kept.refresh_from_db()
    assert kept.status == Status.PUBLISHED and kept.title == "Semashko meets Raei"
    assert kept.place == "Minsk"  # taken where the kept one had none
    assert other_citations <= set(kept.citations.values_list("pk", flat=True))
    assert kept.citations.count() == 3  # its own, the other's two; the shared footnote once
    assert kept.citations.get(footnote__citations__note="same meeting")  # remark kept
    assert [o.name for o in kept.officials.all()] == ["Reza Raei"]
    assert [a.title for a in kept.agreements.all()] == ["Loan"]
    assert Statement.objects.get().event == kept
    # One entry on each, saying what happened.
    reason = "merged talks-2009 into semashko-raei"
    assert kept.history.count() == history_before + 1
    assert kept.history.first().history_change_reason == reason
    gone = Event.history.filter(id=other.pk).order_by("-history_date", "-history_id")
    assert [(r.history_type, r.history_change_reason) for r in gone[:1]] == [("-", reason)]
    # Recoverable like any deletion, as a draft.
    client.post(reverse("admin:relations_event_recover", args=[gone[0].history_id]))
    assert Event.objects.get(pk=other.pk).status == Status.DRAFT


def test_merging_a_published_event_is_an_editors_act(users):
    kept = EventFactory(date="May 2009", countries=["BY", "IR"], status=Status.DRAFT)
    other = EventFactory(date="2009", countries=["BY", "IR"])  # published, cited
    analyst = logged_in(users[ANALYST])
    assert analyst.get(merge_url(kept, other)).status_code == HTTPStatus.FORBIDDEN
    forced = analyst.post(merge_url(kept, other), {"from": other.pk})
    assert forced.status_code == HTTPStatus.FORBIDDEN
    assert Event.objects.filter(pk=other.pk, status=Status.PUBLISHED).exists()

    logged_in(users[EDITOR]).post(merge_url(kept, other), {"from": other.pk})
    assert not Event.objects.filter(pk=other.pk).exists()
    assert kept.citations.count() == 1  # moved to the kept event: nothing left uncited


def test_analyst_merges_drafts(users):
    kept, other = (EventFactory(date="2009", countries=["BY"], status=Status.DRAFT)
                   for _ in range(2))  # fmt: skip
    logged_in(users[ANALYST]).post(merge_url(kept, other), {"from": other.pk})
    assert list(Event.objects.all()) == [kept]


def test_no_merge_without_the_csrf_token(users, pair):
    kept, other = pair
    client = Client(enforce_csrf_checks=True)
    client.force_login(users[EDITOR])
    response = client.post(merge_url(kept, other), {"from": other.pk})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert Event.objects.filter(pk=other.pk).exists()


def test_a_merge_that_cannot_finish_leaves_everything_as_it_was(users, pair, monkeypatch):
    kept, other = pair

    def protected(self, *args, **kwargs):
        raise ProtectedError("still needed", [OfficialFactory.build(name="a later record")])

    monkeypatch.setattr(Event, "delete", protected)
    citations = set(Citation.objects.filter(event=other).values_list("pk", flat=True))
    client = logged_in(users[EDITOR])
    response = client.post(merge_url(kept, other), {"from": other.pk}, follow=True)
    assert "Nothing was merged" in response.text
    assert set(Citation.objects.filter(event=other).values_list("pk", flat=True)) == citations
    assert Event.objects.get(pk=other.pk).officials.exists()
    assert not kept.officials.exists()
    assert Statement.objects.get().event_id == other.pk
