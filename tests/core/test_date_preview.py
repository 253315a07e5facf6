"""The fuzzy date field's live reading (core.date_preview): the admin's own reading of a date,
or the parser's refusal, answered to staff only and without a query of its own."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from core.admin_base import date_reading
from core.date_preview import read_date

URL = reverse("admin:date_preview")


@pytest.mark.parametrize(
    "text", ["late June 2010", "2010-06-21/2010-06-30", "by 2005", "c. 2008", " May   2007 "]
)
def test_a_readable_date_reads_as_the_admin_reads_it_after_saving(text):
    answer = read_date(text)
    assert answer["ok"] is True
    assert answer["reading"] == date_reading(text)  # one rule: the "as read" field's


def test_the_reading_gives_bounds_precision_and_the_canonical_text():
    answer = read_date("2010-06-21/2010-06-30")
    assert answer["reading"] == "21 June 2010 – 30 June 2010 (interval)"
    assert answer["display"] == "21–30 June 2010"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Jumne 2010", '"Jumne" is not a month name'),
        ("06/21/2010", "could mean day or month first"),
        ("x" * 150, "a date takes at most 100"),
    ],
)
def test_an_unreadable_date_gets_the_parsers_reason_without_the_forms_list(text, reason):
    answer = read_date(text)
    assert answer["ok"] is False and not answer.get("relative")
    assert reason in answer["reading"]
    assert "Accepted forms" not in answer["reading"]  # the field lists them already


@pytest.mark.parametrize(
    ("text", "needs"),
    [
        ("undated", "it needs the source's date"),
        ("in recent years", "it needs the source's date"),
        ("subsequently", "it needs the date of the fact it follows"),
    ],
)
def test_a_relative_word_says_what_date_it_needs(text, needs):
    answer = read_date(text)
    assert answer == {"ok": False, "relative": True, "reading": f'"{text}" is relative: {needs}.'}


def test_nothing_typed_reads_as_nothing():
    assert read_date("   ") == {"ok": False, "reading": ""}


@pytest.mark.django_db
def test_staff_get_the_reading_as_json_with_no_query_beyond_the_login(
    admin_client, django_assert_max_num_queries
):
    with django_assert_max_num_queries(2):  # the session and the user
        response = admin_client.get(URL, {"text": "late June 2010"})
    assert response.status_code == HTTPStatus.OK
    assert response.json()["reading"] == "21 June 2010 – 30 June 2010 (part of month)"
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_visitors_and_non_staff_users_are_sent_to_log_in(client, django_user_model):
    """As on every admin page: the reading is for staff."""
    for user in (None, django_user_model.objects.create_user("reader", password="pw")):
        if user:
            client.force_login(user)
        response = client.get(URL, {"text": "2008"})
        assert response.status_code == HTTPStatus.FOUND
        assert "/login/" in response["Location"]
        assert b"2008" not in response.content


@pytest.mark.django_db
def test_only_get_is_answered(admin_client):
    assert admin_client.post(URL, {"text": "2008"}).status_code == HTTPStatus.METHOD_NOT_ALLOWED
