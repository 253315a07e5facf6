"""Browser tests: Debian's Chromium, driven by Playwright, against pytest-django's live server.

Run with ``.venv/bin/python -m pytest tests/browser``; every test here is marked ``browser``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.sql import emit_post_migrate_signal
from django.db import DEFAULT_DB_ALIAS

from relations.countries import sync_countries
from relations.models import Country
from relations.roles import ANALYST, EDITOR
from tests.browser.admin import PASSWORD

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives a real browser against a live server")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Let Django's ORM run beside Playwright's event loop, for these tests only.

    Playwright's sync API marks an event loop as running in the test's thread between its calls,
    and Django refuses database queries where a loop runs unless DJANGO_ALLOW_ASYNC_UNSAFE is
    set. Set it around each test's whole protocol (the database flush comes after the
    fixtures' teardown), never for the session: ``manage.py check --deploy``, which another
    test runs in a subprocess, rightly fails when it is set.
    """
    if item.get_closest_marker("browser") is None:  # (a hook of the session, for every test)
        return (yield)
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        return (yield)
    finally:
        if previous is None:
            del os.environ[ASYNC_UNSAFE]
        else:
            os.environ[ASYNC_UNSAFE] = previous


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium, headless; no browser is ever downloaded here."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def live_data(transactional_db):
    """The live server's data: what ``migrate`` makes, plus the Belarus–Iran seed.

    The live server answers from its own thread and connection, so the test's data must be
    committed: the database is transactional, and flushed after each test, which empties every
    table, including what the data migration made (countries, domains) and ``post_migrate``
    (content types, permissions, the roles' groups). Re-create all of it, idempotently, so the
    tests pass on a fresh, a flushed or a reused (``--reuse-db``) database alike; the seed
    brings the six domains (as migration 0002 makes them), organisations, officials and a
    source, and refers to countries by their codes, so countries go first.
    """
    sync_countries(Country)
    emit_post_migrate_signal(verbosity=0, interactive=False, db=DEFAULT_DB_ALIAS)
    call_command("loaddata", "belarus-iran-2010", verbosity=0)


@pytest.fixture
def staff(live_data, django_user_model):
    """Make a staff user in one of the editorial roles, who logs in with ``PASSWORD``."""

    def make(username: str, role: str):
        user = django_user_model.objects.create_user(
            username, f"{username}@example.org", PASSWORD, is_staff=True
        )
        user.groups.add(Group.objects.get(name=role))
        return user

    return make


@pytest.fixture
def analyst(staff):
    return staff("anna.analyst", ANALYST)


@pytest.fixture
def editor(staff):
    return staff("eddie.editor", EDITOR)
