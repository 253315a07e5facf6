"""Issue 13, item 5: after a publish, readers never pay for the costly answers cold.

A publish (a bump of the knowledge-base version, committed) queues one warm-up task; the worker
(``manage.py db_worker``, run here in this process, so that it shares the test's cache as
production's shares Redis) computes the facets of the whole timeline, the relationships index,
the busiest countries' rankings and dossiers for the new version; the next reader's request
computes none of them. A draft's edit queues nothing, and a burst of publishes queues one task.
"""

from io import StringIO

import pytest
from django.core.cache import cache as django_cache
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from core import cache
from reader import warm
from reader.dossiers import counts, index
from reader.pages import countries
from reader.timeline import facets
from relations.models import Country, Status
from tests.factories import EventFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

TASK = "reader.warm.warm_caches"


@pytest.fixture(autouse=True)
def warm_after_publish(settings):
    settings.AFTER_BUMP = ["reader.warm.queue"]
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def published(django_capture_on_commit_callbacks):
    """Publish an event (committed: the callbacks run), as an analyst's save does."""

    def publish(**fields):
        with django_capture_on_commit_callbacks(execute=True):
            return EventFactory(countries=["BY", "IR"], **fields)

    return publish


def queued() -> int:
    return DBTaskResult.objects.filter(task_path=TASK).ready().count()


@pytest.fixture
def work(monkeypatch):
    """``manage.py db_worker --batch``: run what is queued, then stop. In this process, on the
    test's connection: the worker would close it between tasks (its connections are its own),
    as Django's test client keeps a request from closing it."""
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    return lambda: call_command(
        "db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0
    )


class Computed:
    """Counts the calls of the functions that compute the costly answers on a miss."""

    def __init__(self, monkeypatch):
        self.calls: list[str] = []
        for module, name in (
            (facets, "facet_rows"),
            (index, "rank"),
            (countries, "rank"),
            (counts, "count"),
        ):
            monkeypatch.setattr(module, name, self.counting(f"{module.__name__}.{name}", module))

    def counting(self, label, module):
        original = getattr(module, label.rsplit(".", 1)[1])

        def wrapper(*args, **kwargs):
            self.calls.append(label)
            return original(*args, **kwargs)

        return wrapper


def test_a_publish_queues_one_warm_up_and_a_burst_still_one(published):
    published()
    assert queued() == 1
    published()
    published()
    assert queued() == 1  # queued, not started: it will read the newest version when it does


def test_a_drafts_edit_queues_nothing(django_capture_on_commit_callbacks):
    before = cache.version()
    with django_capture_on_commit_callbacks(execute=True):
        draft = EventFactory(status=Status.DRAFT, countries=["BY", "IR"])
    with django_capture_on_commit_callbacks(execute=True):
        draft.title = "Still a draft"
        draft.save()
    assert cache.version() == before
    assert queued() == 0


def test_no_warm_up_unless_the_settings_ask(settings, published):
    settings.AFTER_BUMP = []
    published()
    assert queued() == 0


def test_after_the_worker_ran_readers_compute_nothing(client, published, work, monkeypatch):
    published()
    published(title="The newest", date="June 2009")  # a second publish, before the worker
    version = cache.version()
    work()
    assert DBTaskResult.objects.get(task_path=TASK).status == "SUCCESSFUL"
    assert cache.version() == version
    assert django_cache.get(warm.QUEUED_KEY) is None

    computed = Computed(monkeypatch)
    with CaptureQueriesContext(connection) as queries:
        timeline = client.get("/timeline/")
    assert timeline.status_code == 200
    assert "The newest" in timeline.content.decode()  # warmed for the latest version
    assert not [q for q in queries if "WITH filtered" in q["sql"]]  # no facet query
    for url in ("/relations/", "/countries/by/", "/relations/by-ir/"):
        assert client.get(url).status_code == 200
    assert computed.calls == []


def test_a_publish_while_the_warm_up_runs_queues_the_next(published, work, monkeypatch):
    published()
    during = []

    def publish_meanwhile():
        if not during:  # the task has started: its flag is down
            during.append(published())

    monkeypatch.setattr(warm, "COUNTRIES", 0)
    real_plan = warm.plan
    monkeypatch.setattr(warm, "plan", lambda: [("publish", publish_meanwhile), *real_plan()])
    work()  # runs the task queued meanwhile too, in the same batch
    assert during
    assert DBTaskResult.objects.filter(task_path=TASK, status="SUCCESSFUL").count() == 2


def test_the_task_warms_the_version_current_when_it_runs(published, work, monkeypatch):
    published()
    published()  # bumped again after the task was queued
    work()
    computed = Computed(monkeypatch)
    index.busiest()
    assert computed.calls == []


def test_a_failing_part_is_left_to_its_reader_and_the_rest_is_warmed(published, monkeypatch):
    published()

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(facets, "facet_rows", broken)
    timings = warm.run()
    assert "timeline facets" in timings and "relationships index" in timings
    computed = Computed(monkeypatch)
    index.busiest()
    assert computed.calls == []


def test_the_command_warms_and_reports(published, monkeypatch):
    published()
    out = StringIO()
    call_command("warm_caches", "--no-progress", stdout=out)
    assert "timeline facets" in out.getvalue() and "total" in out.getvalue()
    computed = Computed(monkeypatch)
    index.busiest()
    countries.country_summary(Country.objects.get(code="BY"))
    assert computed.calls == []


@pytest.fixture
def keep_connection():
    """As Django's test client does: the handler's request_started and request_finished would
    close the test's connection, inside its transaction."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


def test_warm_urls_are_stored_in_the_page_cache_for_readers(client, settings, keep_connection):
    settings.PAGE_CACHE_SECONDS = 60
    settings.ALLOWED_HOSTS = ["relata.example"]
    settings.WARM_URLS = ["http://relata.example/timeline/"]
    OrganisationFactory()
    EventFactory(countries=["BY", "IR"])
    assert warm.render(settings.WARM_URLS[0]) == 200
    with CaptureQueriesContext(connection) as queries:
        page = client.get(
            "/timeline/", HTTP_HOST="relata.example", HTTP_ACCEPT_ENCODING=warm.ACCEPT_ENCODING
        )
    assert page.status_code == 200
    assert len(queries) == 0  # served from the page cache


def test_a_url_that_cannot_be_stored_is_reported(settings, keep_connection):
    settings.PAGE_CACHE_SECONDS = 60
    settings.ALLOWED_HOSTS = ["relata.example"]
    with pytest.raises(ValueError, match="400"):
        warm.render("http://elsewhere.example/timeline/")
    with pytest.raises(ValueError, match="absolute"):
        warm.render("/timeline/")
