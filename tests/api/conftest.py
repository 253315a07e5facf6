"""The API's tests share one load of the seed per module, and read lists as a client would."""

from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.db import transaction

LISTS = [
    "events",
    "agreements",
    "statements",
    "positions",
    "memberships",
    "footnotes",
    "countries",
    "domains",
    "organisations",
    "officials",
    "sources",
    "relationships",
]


def path(url: str) -> str:
    """An absolute API link as the test client wants it: path and query."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def get_json(client, url: str, status: int = 200, **params):
    response = client.get(path(url), params)
    assert response.status_code == status, (url, response.content[:2000])
    return response.json()


def every_page(client, url: str, *, link: str = "next", limit: int = 500) -> list[dict]:
    """The results of ``url`` and of every page its ``link`` links lead to, in order."""
    results: list[dict] = []
    for _ in range(limit):
        body = get_json(client, url)
        results += body["results"]
        url = body[link]
        if not url:
            return results
    raise AssertionError(f"more than {limit} pages")


@pytest.fixture
def api_get(client):
    return lambda url, status=200, **params: get_json(client, url, status, **params)


@pytest.fixture(scope="module")
def _module_seed(django_db_setup, django_db_blocker):
    """The seed dossier, loaded once per module inside a transaction that is rolled back at its
    end. Each test runs in a savepoint within it (pytest-django's ``db``), so a test that
    writes still leaves the next one the seed as loaded."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            call_command("loaddata", "belarus-iran-2010", verbosity=0)
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def seed(_module_seed, db):
    """The seed, as tests/conftest.py's fixture gives it, without loading it for every test."""
