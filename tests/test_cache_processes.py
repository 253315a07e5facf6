"""After every write path, the next request on every surface reflects it, in every process.

Two gunicorn processes (A and B) serve the site with the shared cache (real Redis at
127.0.0.1:6379), as production does; a third (truth) serves it with no cache at all. Writes are
made here, in the test's own process, through each write path for real (committed
transactions). After each one, every surface fetched from A and from B must read exactly as the
uncached truth: a stale cached answer anywhere (facets, reference data, rankings, dossier counts
and summaries, the relationships index, negative look-ups) shows as a difference.
"""

from __future__ import annotations

import http.client
import io
import os
import signal
import socket
import subprocess
import sys
import time
from http import HTTPStatus
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from core import cache as kb_cache
from exchange.models import Import
from relations.models import Domain, Event, Status
from tests.exchange.worker import work
from tests.factories import EventFactory

ROOT = Path(__file__).resolve().parents[1]
REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
SHARED = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS,
        "KEY_PREFIX": "relata-test",
    }
}

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

SURFACES = [
    "/timeline/?country=no&country=se",
    "/timeline/",
    "/timeline.json?country=no",
    "/relations/",
    "/relations/no-se/",
    "/countries/no/",
    "/countries/se/",
    "/officials/cache-official/",
    "/officials/not-yet-here/",
    "/api/events/?country=no",
    "/api/relations/no-se/",
]


def redis_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A gunicorn worker on the test database, with the given cache."""

    def __init__(self, name: str, *, cached: bool) -> None:
        self.name, self.port = name, free_port()
        db = settings.DATABASES["default"]
        url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "TEST_REDIS_URL": REDIS,
            "DJANGO_SETTINGS_MODULE": f"tests.servers.{'shared_cache' if cached else 'no_cache'}",
        }
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "gunicorn", "config.wsgi"),
                *("-b", f"127.0.0.1:{self.port}", "-w", "1", "--log-level", "warning"),
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                self.get("/")
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server {name} did not start")

    def get(self, url: str) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        connection.request("GET", url, headers={"Host": "localhost"})
        response = connection.getresponse()
        body = response.read().decode()
        connection.close()
        return response.status, body

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=20)


@pytest.fixture
def servers(transactional_db):
    if not redis_available():
        pytest.fail("Redis is not answering at 127.0.0.1:6379 (bin/test starts it)")
    with override_settings(CACHES=SHARED):
        from django.core.cache import cache

        cache.clear()
        started = [
            Server("A", cached=True),
            Server("B", cached=True),
            Server("truth", cached=False),
        ]
        try:
            yield started
        finally:
            for server in started:
                server.stop()
            cache.clear()


def assert_in_step(servers, step: str) -> None:
    *cached, truth = servers
    for url in SURFACES:
        status, expected = truth.get(url)
        assert status in (HTTPStatus.OK, HTTPStatus.NOT_FOUND), (step, url, status)
        for server in cached:
            got = server.get(url)
            assert got == (status, expected), (
                f"after {step}: {url} is stale on server {server.name}"
            )


def warm(servers) -> None:
    for server in servers[:-1]:
        for url in SURFACES:
            server.get(url)


@pytest.fixture
def data(db):
    from relations.models import Official
    from tests.factories import CitationFactory

    # A flushed database (after an earlier transactional test) has the countries (they are
    # synced after every migrate and flush) but not the starting domains of migration 0002.
    Domain.objects.get_or_create(slug="economic", defaults={"name": "Economic", "position": 20})
    official = Official.objects.create(slug="cache-official", name="Kari Cache")
    events = []
    for n, date in enumerate(("2007", "May 2008", "2009"), start=1):
        event = EventFactory(
            title=f"Nordic talks {n}", date=date, countries=["NO", "SE"], status=Status.PUBLISHED
        )
        event.officials.set([official])
        CitationFactory(event=event)
        events.append(event)
    return events


def test_every_write_path_is_seen_by_every_process(servers, data, admin_client, settings, tmp_path):
    settings.EXCHANGE_UPLOAD_DIR = tmp_path / "uploads"
    warm(servers)
    assert_in_step(servers, "start")

    # An editor unpublishes the only events of the pair in the admin (an action).
    warm(servers)
    changelist = "/admin/relations/event/"
    response = admin_client.post(
        changelist,
        {"action": "unpublish", "_selected_action": [e.pk for e in data[:2]]},
    )
    assert response.status_code == HTTPStatus.FOUND
    assert Event.objects.filter(pk=data[0].pk, status=Status.DRAFT).exists()
    assert_in_step(servers, "the admin's unpublish action")

    # ... and publishes them again.
    warm(servers)
    admin_client.post(
        changelist, {"action": "publish", "_selected_action": [e.pk for e in data[:2]]}
    )
    assert_in_step(servers, "the admin's publish action")

    # An edit of a published event's date through the ORM (a change form's save).
    warm(servers)
    event = Event.objects.get(pk=data[2].pk)
    event.date = "2011"
    event.save()
    assert_in_step(servers, "an edit of a published event")

    # A deletion in the admin, then its recovery from history.
    warm(servers)
    deleted = data[1]
    delete_url = reverse("admin:relations_event_delete", args=[deleted.pk])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == HTTPStatus.FOUND
    assert not Event.objects.filter(pk=deleted.pk).exists()
    assert_in_step(servers, "a deletion in the admin")
    warm(servers)
    record = Event.history.get(id=deleted.pk, history_type="-")
    admin_client.post(reverse("admin:relations_event_recover", args=[record.history_id]))
    assert Event.objects.filter(pk=deleted.pk).exists()
    assert_in_step(servers, "recovering a deleted event")

    # A revert to an earlier version from the admin's history.
    warm(servers)
    event = Event.objects.get(pk=data[0].pk)
    first = event.history.order_by("history_date").first()
    revert_url = reverse("admin:relations_event_simple_history", args=[event.pk, first.pk])
    form = admin_client.get(revert_url).context["adminform"].form
    values = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    event.refresh_from_db()
    values |= {"_change_history": "1", "loaded_updated": event.updated.isoformat()}
    event.title = "Nordic talks, retitled"
    event.save()
    assert_in_step(servers, "a change to revert")
    warm(servers)
    values["loaded_updated"] = Event.objects.get(pk=event.pk).updated.isoformat()
    assert admin_client.post(revert_url, values).status_code == HTTPStatus.FOUND
    assert Event.objects.get(pk=event.pk).title == "Nordic talks 1"
    assert_in_step(servers, "a revert")

    # A new official (a negative look-up answered earlier must not stick).
    warm(servers)
    from relations.models import Official

    Official.objects.create(slug="not-yet-here", name="Newly Here")
    assert_in_step(servers, "a new official")

    # The admin's fixture import (upload, dry run, confirm): bulk SQL, no signals.
    warm(servers)
    seed = ROOT / "fixtures" / "belarus-iran-2010.json"
    upload = SimpleUploadedFile("seed.json", seed.read_bytes())
    assert admin_client.post(
        reverse("admin:exchange_import_add"), {"file": upload}
    ).status_code == (HTTPStatus.FOUND)
    work()  # the dry run, as the worker runs it (exchange.tasks)
    token = Import.objects.latest("created").token
    admin_client.post(reverse("admin:exchange_import_confirm", args=[token]))
    work()  # the import
    assert Event.objects.filter(slug__startswith="2008-06-nam").exists()
    assert_in_step(servers, "the admin's fixture import")

    # import_kb --update of a file that retitles a published event.
    warm(servers)
    edited = tmp_path / "edited.json"
    edited.write_text(seed.read_text().replace("NAM Ministerial Conference", "NAM Conference"))
    call_command("import_kb", str(edited), update=True, no_progress=True, stdout=io.StringIO())
    assert_in_step(servers, "import_kb --update")

    # generate_kb and its --replace (delete_generated): bulk SQL, no history.
    warm(servers)
    call_command("generate_kb", events=40, seed=7, no_progress=True, stdout=io.StringIO())
    assert_in_step(servers, "generate_kb")
    warm(servers)
    call_command(
        "generate_kb", events=10, seed=7, replace=True, no_progress=True, stdout=io.StringIO()
    )
    assert_in_step(servers, "generate_kb --replace")


def test_a_drafts_edit_keeps_the_caches_warm(servers, data):
    before = kb_cache.version()
    draft = EventFactory(title="Unfinished", countries=["NO"], status=Status.DRAFT)
    draft.title = "Still unfinished"
    draft.save()
    assert kb_cache.version() == before
    published = Event.objects.get(pk=data[0].pk)
    published.title = "Nordic talks, retitled"
    published.save()
    assert kb_cache.version() > before


def test_a_page_one_process_stores_another_serves_until_a_publish(servers, data):
    a, b, truth = servers
    url = f"/events/{data[0].slug}/"
    assert "Nordic talks 1" in a.get(url)[1]  # stored by A
    # A change that bumps nothing (an update: no signals) shows only where nothing is stored.
    Event.objects.filter(pk=data[0].pk).update(title="Nordic talks, quietly renamed")
    assert "quietly renamed" in truth.get(url)[1]
    assert "Nordic talks 1" in b.get(url)[1]  # B serves A's page: no query of its own
    kb_cache.bump()  # as a publish does, on commit (autocommit here: at once)
    for server in (a, b):
        assert "quietly renamed" in server.get(url)[1], server.name
