"""A database that does not answer is a 503 with Retry-After, never a 500 (finding 10).

Through the test client on the real middleware chain: the view's failure
(``DatabaseUnavailableMiddleware.process_exception``) and a failure before the view
(``handler500``, ``core.faults.server_error``).
"""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from core.faults import RETRY_AFTER

pytestmark = pytest.mark.django_db


def assert_unavailable(response, content_type: str) -> None:
    assert response.status_code == 503, response.status_code
    assert response["Retry-After"] == str(RETRY_AFTER)
    assert response["Content-Type"].startswith(content_type)
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("url", ["/timeline/", "/countries/by/", "/relations/", "/"])
def test_a_page_answers_503_with_a_plain_page(client, database_down, url):
    response = client.get(url)
    assert_unavailable(response, "text/html")
    html = response.content.decode()
    assert "Back shortly" in html
    # CSP script-src 'self': nothing inline.
    assert "<script" not in html and "<style" not in html and " style=" not in html


@pytest.mark.parametrize(
    "url", ["/api/events/", "/api/relations/by-ir/", "/api/changes/?since=2010-01-01T00:00:00Z"]
)
def test_the_api_answers_503_in_json(client, database_down, url):
    response = client.get(url)
    assert_unavailable(response, "application/json")
    assert "try again" in response.json()["detail"]


@pytest.mark.parametrize("url", ["/timeline.csv", "/timeline.json?country=by"])
def test_an_export_answers_503_before_it_starts(client, database_down, url):
    """Not a 200 whose body stops at once: the first rows are read before the status goes."""
    response = client.get(url)
    assert_unavailable(response, "text/html" if url.endswith(".csv") else "application/json")


def test_the_admin_answers_503(client, database_down):
    client.cookies["sessionid"] = "x" * 32  # a signed-in editor: the session is in the DB
    assert_unavailable(client.get("/admin/"), "text/html")


@override_settings(CSRF_USE_SESSIONS=True)
def test_a_failure_before_the_view_answers_503(database_down):
    """CSRF's process_view reads the session before any view runs: Django turns that into a
    response at once, through handler500, where process_exception never sees it."""
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = "x" * 32
    response = client.post("/admin/login/", {"username": "editor", "password": "x"})
    assert_unavailable(response, "text/html")


def test_other_errors_stay_500(database_down):
    """Only unavailability is a 503: handler500 keeps Django's page for everything else."""
    from django.test import RequestFactory

    from core.faults import server_error

    request = RequestFactory().get("/")
    try:
        raise ValueError("a bug")
    except ValueError:
        response = server_error(request)
    assert response.status_code == 500
    assert "Retry-After" not in response


def test_pages_answer_again_once_it_is_back(client, database_down):
    """Recovery without a restart: the same process answers as soon as it can connect (the
    gunicorn test in test_faults.py stops and restarts a real server under load)."""
    assert client.get("/api/events/").status_code == 503
    database_down.restore()
    assert client.get("/api/events/").status_code == 200
    assert client.get("/timeline/").status_code == 200
