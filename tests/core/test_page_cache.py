"""The page cache (core.page_cache): whole answers for anonymous readers, keyed by version."""

from __future__ import annotations

import datetime
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core import cache as kb_cache
from core import page_cache
from relations.models import Event, Status
from relations.roles import ANALYST
from tests.factories import EventFactory
from tests.security.pages import DATA, PUBLIC

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("page_cache_on"),
]

SECURITY = (
    "Content-Security-Policy",
    "Permissions-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
)


@pytest.fixture
def page_cache_on():
    with override_settings(PAGE_CACHE_SECONDS=600, PAGE_CACHE_MAX_AGE=60, PAGE_CACHE_STALE=300):
        yield


@pytest.fixture
def events(db):
    return [
        EventFactory(title="Nordic talks", countries=["NO", "SE"]),
        EventFactory(title="Unfinished draft", countries=["NO"], status=Status.DRAFT, citations=1),
    ]


def get(client, url, **headers):
    """The answer, a stream read to its end (a half-read export keeps its transaction open)."""
    response = client.get(url, headers=headers)
    if response.streaming:
        response.body = b"".join(response.streaming_content)
    return response


def queries(client, url, **headers):
    with CaptureQueriesContext(connection) as captured:
        response = get(client, url, **headers)
    return response, len(captured)


def test_a_second_anonymous_request_does_no_sql_and_says_how_to_cache_it(
    client, events, django_assert_num_queries
):
    first = client.get("/timeline/?country=no")
    assert first.status_code == HTTPStatus.OK
    with django_assert_num_queries(0):
        second = client.get("/timeline/?country=no")
    assert second.status_code == HTTPStatus.OK
    assert second.content == first.content
    assert "Nordic talks" in second.text
    for response in (first, second):
        control = response["Cache-Control"]
        assert "public" in control and "max-age=60" in control
        assert "stale-while-revalidate=300" in control
        assert response["ETag"].startswith('W/"') and response["ETag"] == first["ETag"]
        assert response["Last-Modified"] == first["Last-Modified"]
        assert "Accept-Encoding" in response["Vary"]
    # Another URL is another page, with its own tag.
    other = client.get("/timeline/?country=se")
    assert other["ETag"] != first["ETag"]


def test_a_conditional_request_is_a_304_before_any_query(client, events, django_assert_num_queries):
    first = client.get("/countries/no/")
    validators = {
        "If-None-Match": {"If-None-Match": first["ETag"]},
        "If-Modified-Since": {"If-Modified-Since": first["Last-Modified"]},
    }
    for name, headers in validators.items():
        with django_assert_num_queries(0):
            response = client.get("/countries/no/", headers=headers)
        assert response.status_code == HTTPStatus.NOT_MODIFIED, name
        assert response["ETag"] == first["ETag"] and not response.content
    # A process that has not stored the page (or evicted it) knows the version all the same.
    cache.clear()
    page_cache._changed(kb_cache.version())
    with django_assert_num_queries(0):
        response = client.get("/countries/no/", headers={"If-None-Match": first["ETag"]})
    assert response.status_code == HTTPStatus.NOT_MODIFIED
    assert "public" in response["Cache-Control"]
    # A tag of another version is not current.
    stale = first["ETag"].replace('W/"', 'W/"9')
    response = client.get("/countries/no/", headers={"If-None-Match": stale})
    assert response.status_code == HTTPStatus.OK


def test_publishing_in_the_admin_makes_the_next_request_fresh(
    client, admin_client, events, django_capture_on_commit_callbacks
):
    draft = events[1]
    timeline = client.get("/timeline/?country=no")
    missing = client.get(f"/events/{draft.slug}/")
    assert missing.status_code == HTTPStatus.NOT_FOUND
    assert "public" not in missing["Cache-Control"] and "no-cache" in missing["Cache-Control"]
    assert "Unfinished draft" not in timeline.text
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            "/admin/relations/event/", {"action": "publish", "_selected_action": [draft.pk]}
        )
    assert Event.objects.get(pk=draft.pk).status == Status.PUBLISHED
    assert client.get(f"/events/{draft.slug}/").status_code == HTTPStatus.OK
    fresh = client.get("/timeline/?country=no")
    assert "Unfinished draft" in fresh.text
    assert fresh["ETag"] != timeline["ETag"]
    again = client.get("/timeline/?country=no", headers={"If-None-Match": timeline["ETag"]})
    assert again.status_code == HTTPStatus.OK


def test_signed_in_users_neither_get_nor_fill_the_page_cache(client, events):
    analyst = User.objects.create_user("ana", is_staff=True)
    analyst.groups.add(Group.objects.get_or_create(name=ANALYST)[0])
    client.get("/timeline/?country=no")  # stored for anonymous readers
    # A change that bumps nothing (an update, no signals): the stored page still says the old.
    Event.objects.filter(title="Nordic talks").update(title="Nordic talks, renamed")
    assert "renamed" not in client.get("/timeline/?country=no").text

    from django.test import Client

    signed_in = Client()
    signed_in.force_login(analyst)
    own, count = queries(signed_in, "/timeline/?country=no")
    assert count > 0 and "renamed" in own.text  # never served the stored page
    assert own["Cache-Control"] == "private, no-cache"
    assert "ETag" not in own
    # A page an analyst asked for first is not stored for anonymous readers.
    signed_in.get("/countries/se/")
    _, count = queries(client, "/countries/se/")
    assert count > 0
    # Nor is anything asked with credentials.
    client.get("/countries/no/", headers={"Authorization": "Basic eDp5"})
    _, count = queries(client, "/countries/no/")
    assert count > 0


def test_the_admin_exports_and_health_check_are_never_cached(client, admin_client, events):
    for url in ("/admin/login/", "/healthz", "/timeline.csv?country=no", "/timeline.json"):
        get(client, url)
        response, count = queries(client, url)
        if url == "/healthz":
            assert count > 0  # checked again, not served from a store
        if url.startswith("/timeline."):
            assert response.streaming, url  # a stored answer would be a whole one
        assert "public" not in response.get("Cache-Control", ""), url
        assert "ETag" not in response, url
    # An editor's preview lives in the admin, which is never stored, for them or anyone.
    url = f"/admin/relations/event/{events[1].pk}/change/"
    admin_client.get(url)
    response, count = queries(admin_client, url)
    assert count > 0 and "public" not in response["Cache-Control"]


def test_the_api_is_cached_per_accept(client, events, django_assert_num_queries):
    url = "/api/events/?country=no"
    first = client.get(url, headers={"Accept": "application/json"})
    assert first.status_code == HTTPStatus.OK and "Accept" in first["Vary"]
    with django_assert_num_queries(0):
        second = client.get(url, headers={"Accept": "application/json"})
    assert second.json() == first.json() and second["Content-Type"] == first["Content-Type"]
    # The browsable API is another answer at the same URL: never served for the JSON one.
    other = client.get(url, headers={"Accept": "text/html"})
    assert other["Content-Type"].startswith("text/html")
    with django_assert_num_queries(0):
        again = client.get(url, headers={"Accept": "application/json"})
    assert again["Content-Type"] == first["Content-Type"]


def test_every_page_keys_on_the_day(client, events, monkeypatch):
    first = client.get("/relations/no-se/")
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    monkeypatch.setattr(timezone, "localdate", lambda *args: tomorrow)
    response, count = queries(client, "/relations/no-se/")
    assert count > 0 and response["ETag"] != first["ETag"]
    assert f"{tomorrow:%Y-%m-%d}" in response.text


def test_cached_answers_keep_their_security_headers(client, seed):
    for name, url in {**PUBLIC, **DATA}.items():
        first = get(client, url)
        second = get(client, url)
        for header in SECURITY:
            assert second.get(header) == first.get(header), (name, header)
        assert first.get("Content-Security-Policy"), name
