"""The screens of "Bring in a page": who may use them, the paste form's refusals, the one
confirm screen (what it shows, its query count) and what travels signed.

The engine is replaced by hand-made pages here (tests/intake/pages.py): these tests check the
screens whatever the engine proposes; one test runs the real engine end to end.
"""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse

from intake import admin as intake_admin
from relations.models import Event, Statement
from relations.roles import ANALYST, EDITOR
from sources.models import Footnote, Source
from tests.intake import pages
from tests.intake.kb import SEED_PAGE

pytestmark = pytest.mark.django_db

URL = "/admin/intake/page/"


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The seed, loaded once for the module in a transaction rolled back at its end (each
    test's own transaction is a savepoint inside it)."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("loaddata", "belarus-iran-2010", verbosity=0)
        yield
        transaction.set_rollback(True)


@pytest.fixture
def seed(seeded, db):
    """The seed (as tests/conftest.py's fixture of the same name), loaded once."""


@pytest.fixture
def analyst(client, django_user_model, seed):
    user = django_user_model.objects.create_user("anna", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=ANALYST))
    client.force_login(user)
    return client


@pytest.fixture
def engine(monkeypatch):
    """The engine replaced by a hand-made page; ``engine.page`` may be changed per test."""

    class Engine:
        page = pages.page()
        calls: list = []

        def __call__(self, text, notes, *, source_date, title):
            self.calls.append((text, notes, source_date, title))
            return self.page

    fake = Engine()
    monkeypatch.setattr(intake_admin, "read_page", fake)
    return fake


def paste(client, **data):
    return client.post(URL, {"text": pages.TEXT, "notes": "", **data})


def test_the_page_is_reached_from_the_admin_home_by_analysts_and_editors(
    client, django_user_model, seed
):
    for role in (ANALYST, EDITOR):
        user = django_user_model.objects.create_user(role, password="pw", is_staff=True)
        user.groups.add(Group.objects.get(name=role))
        client.force_login(user)
        home = client.get(reverse("admin:index"))
        assert reverse("admin:intake_page") in home.text
        assert "Bring in a page" in home.text
        assert client.get(URL).status_code == HTTPStatus.OK


def test_anonymous_people_are_sent_to_log_in_and_staff_without_the_rights_are_refused(
    client, django_user_model, seed
):
    response = client.get(URL)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("admin:login"))
    clerk = django_user_model.objects.create_user("clerk", password="pw", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="add_event"))
    client.force_login(clerk)
    assert client.get(URL).status_code == HTTPStatus.FORBIDDEN
    assert client.post(URL, {"text": "x[1]"}).status_code == HTTPStatus.FORBIDDEN
    assert "Bring in a page" not in client.get(reverse("admin:index")).text


def test_no_step_is_taken_without_a_csrf_token(analyst, engine):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(_user(analyst.session["_auth_user_id"]))
    assert strict.post(URL, {"text": pages.TEXT}).status_code == HTTPStatus.FORBIDDEN
    assert strict.post(URL, {"state": "x"}).status_code == HTTPStatus.FORBIDDEN
    assert engine.calls == []


def _user(pk):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(pk=pk)


def test_the_paste_form_loads_in_constant_queries(analyst, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        response = analyst.get(URL)
    assert response.status_code == HTTPStatus.OK
    assert 'name="text"' in response.text
    assert "Belarus-Iran Foreign Relations" in response.text  # the existing source, offered


def test_what_the_engine_refuses_is_a_message_on_the_form_and_nothing_is_saved(analyst, engine):
    engine.page = pages.page(
        proposals=[], problems=["The page has no footnote markers ([1], ¹, (1) or <sup>1</sup>)."]
    )
    response = paste(analyst, text="A page without markers.")
    assert response.status_code == HTTPStatus.OK
    assert "has no footnote markers" in response.text
    assert "&lt;sup&gt;1&lt;/sup&gt;" in response.text  # escaped, as everything pasted
    assert Event.objects.count() == 12  # the seed's, no more


def test_a_paste_larger_than_django_reads_is_a_message_on_the_form_not_an_error_page(
    analyst, engine
):
    text = "Belarus and Iran met.[1] " * 220_000  # about 5 MB
    response = analyst.post(URL, {"text": text})
    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert "What was sent is larger than" in response.text
    assert 'name="text"' in response.text  # the form, to paste again
    assert engine.calls == []


def test_a_long_paste_within_djangos_limit_is_refused_by_the_form(analyst, engine, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
    response = analyst.post(URL, {"text": "Belarus and Iran met.[1] " * 10_000})
    assert response.status_code == HTTPStatus.OK
    assert "split it at a heading" in response.text
    assert engine.calls == []


@pytest.mark.parametrize(
    ("text", "notes", "message"),
    [
        ("Belarus and Iran met in 2008.", "", "has no footnote markers"),
        ("Belarus and Iran met in 2008.", "1. IRNA, 3 May 2008", "has no footnote markers"),
        ("Belarus met Iran.[1] <script>alert('x')</script>", "", "script"),
        ("Belarus met Iran.[1]", "1. <img src=x onerror=alert('x')>", "script"),
    ],
    ids=["no markers", "notes without markers", "a script", "a handler in the notes"],
)
def test_bad_input_is_a_message_on_the_form_nothing_saved_nothing_echoed_raw(
    analyst, text, notes, message
):
    """With the real engine (intake.propose), whose refusals the form shows."""
    before = Event.objects.count(), Footnote.objects.count()
    response = analyst.post(URL, {"text": text, "notes": notes})
    assert response.status_code == HTTPStatus.OK
    assert message in response.text
    assert 'class="errorlist' in response.text  # on the form, by its field
    assert "<script>alert" not in response.text and "<img src=x" not in response.text
    assert (Event.objects.count(), Footnote.objects.count()) == before
    assert "proposals" not in response.context  # the paste form again, not the confirm screen


def test_choosing_a_source_and_describing_a_new_one_is_refused(analyst, engine):
    source = Source.objects.get()
    response = paste(analyst, source=source.pk, source_title="Another")
    assert "not both" in response.text
    assert engine.calls == []


def test_the_confirm_screen_shows_every_proposal_editable_with_its_reading_and_notes(
    analyst, engine
):
    response = paste(analyst)
    assert response.status_code == HTTPStatus.OK
    html = response.text
    proposals = response.context["proposals"]
    assert [f["id"].value() for f in proposals.forms[:4]] == ["p1", "p2", "p3", "p4"]
    assert len(proposals.forms) == 6  # and two rows to add a proposal
    # the date as read, with its bounds and precision (core.admin_base.date_reading)
    assert "1 January 2008 – 31 December 2008 (year)" in html
    assert "Read from “Subsequently”" in html
    assert "some time up to 6 July 2010" in html
    # the note's excerpt: its text when the page lists notes, escaped
    assert "IRNA, 3 June 2009 &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html
    # the summary is a suggestion, never the field's value
    assert proposals.forms[0]["summary"].value() == ""
    assert "Belarus commended Iran&#x27;s compliance." in html
    assert "“Subsequently” read after the previous fact" in html  # the engine's doubt
    # the new source, prefilled from the page; the new official, offered unticked
    assert response.context["source_form"]["title"].value() == "Belarus-Iran Foreign Relations"
    assert response.context["source_form"]["published"].value() == "July 06, 2010"
    records = response.context["records"].forms
    assert (records[0]["name"].value(), records[0]["create"].value()) == ("Ivan Testov", False)
    assert engine.calls[0][2:] == ("", "")  # a new source: no date or title to read with


def test_the_confirm_screen_costs_the_same_queries_for_four_proposals_or_forty(
    analyst, engine, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8) as small:
        paste(analyst)
    many = [p for i in range(10) for p in pages.proposals()]
    for i, proposal in enumerate(many):
        proposal.id = f"p{i + 1}"
    engine.page = pages.page(proposals=many)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = paste(analyst)
    assert len(response.context["proposals"].forms) == 42


def test_a_source_chosen_on_the_paste_form_reads_the_page_at_its_date(analyst, engine):
    source = Source.objects.get()
    response = paste(analyst, source=source.pk)
    assert engine.calls[0][2:] == (source.published, source.title)
    assert response.context["source_form"] is None
    assert source.title in response.text


def test_notes_already_brought_in_for_that_source_are_shown_so_and_not_kept(analyst, engine):
    # The seed cites its note 1 to an event, 3 to a statement, 6 to an agreement; not 7.
    source = Source.objects.get()
    response = paste(analyst, source=source.pk)
    forms = response.context["proposals"].forms
    assert [f.already for f in forms[:4]] == [True, True, True, False]
    assert [f["keep"].value() for f in forms[:4]] == [False, False, False, True]
    assert response.text.count("Already brought in") == 3


def test_a_tampered_confirm_screen_saves_nothing(analyst, engine):
    response = paste(analyst)
    data = pages.form_data(response, **{"p-0-title": "Changed"})
    data["state"] = data["state"][:-3] + "abc"
    answer = analyst.post(URL, data, follow=True)
    assert "could not be read back" in answer.text
    assert Event.objects.filter(title="Changed").count() == 0


def test_another_users_confirm_screen_is_not_accepted(analyst, engine, client, django_user_model):
    response = paste(analyst)
    data = pages.form_data(response)
    other = django_user_model.objects.create_user("otto", password="pw", is_staff=True)
    other.groups.add(Group.objects.get(name=ANALYST))
    client.force_login(other)
    answer = client.post(URL, data, follow=True)
    assert "could not be read back" in answer.text
    assert (
        not Statement.objects.filter(quote__startswith="the two countries")
        .exclude(status="published")
        .exists()
    )


def test_corrections_on_the_screen_are_checked_and_shown_with_the_form_kept(analyst, engine):
    response = paste(analyst)
    data = pages.form_data(
        response,
        **{"p-0-countries": "BY, Narnia", "p-1-date": "the day after", "p-3-official": "Testov"},
    )
    answer = analyst.post(URL, data)
    assert answer.status_code == HTTPStatus.OK
    html = answer.text
    assert "No country is called “Narnia”" in html
    assert "the day after" in html  # what the analyst typed, kept
    assert "No official is called “Testov”" in html  # a new record must be ticked to be used
    assert Footnote.objects.filter(source__title="Belarus-Iran Foreign Relations").count() == 13


def test_the_real_engine_reads_the_seed_page_into_a_confirm_screen(analyst):
    response = paste(analyst, text=SEED_PAGE.read_text())
    assert response.status_code == HTTPStatus.OK
    assert len(response.context["notes"]) == 13
    assert response.context["proposals"].initial_form_count() >= 13


def test_a_new_source_named_like_an_existing_one_is_pointed_out(analyst, engine):
    response = paste(analyst)  # the page's title is the seed source's
    assert "exists already: to add to it" in response.text
