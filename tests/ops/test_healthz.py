"""``/healthz``: database, cache and task worker; 200 or 503 with Retry-After; never cached."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from core.faults import RETRY_AFTER

pytestmark = pytest.mark.django_db


def assert_never_cached(response) -> None:
    cache_control = response["Cache-Control"]
    for directive in ("no-cache", "no-store", "must-revalidate", "max-age=0"):
        assert directive in cache_control, cache_control


def test_healthy_in_text_and_json(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode() == "database: OK\ncache: OK\ntask_worker: OK\n"
    assert_never_cached(response)
    assert "Retry-After" not in response
    expected = {"database": "OK", "cache": "OK", "task_worker": "OK"}
    assert client.get("/healthz?format=json").json() == expected
    assert client.get("/healthz", headers={"accept": "application/json"}).json() == expected


def test_database_down_is_503(client, database_down):
    response = client.get("/healthz?format=json")
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER)
    assert_never_cached(response)
    body = response.json()
    assert body["cache"] == "OK"
    assert body["database"].startswith("Unavailable")
    assert body["task_worker"].startswith("Unavailable")


def enqueue(**fields) -> DBTaskResult:
    task = DBTaskResult.objects.create(
        task_path="exchange.tasks.run_import", args_kwargs={"args": [], "kwargs": {}}, **fields
    )
    return task


def backdate(task: DBTaskResult, minutes: int) -> None:
    then = timezone.now() - datetime.timedelta(minutes=minutes)
    DBTaskResult.objects.filter(pk=task.pk).update(enqueued_at=then)


def test_a_task_nobody_takes_is_503(client):
    """No worker: a task to run at once still waiting after five minutes."""
    task = enqueue(backend_name="default")
    backdate(task, 1)
    assert client.get("/healthz").status_code == 200  # a worker has a moment to take it
    backdate(task, 6)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER)
    assert "task_worker: Unavailable: A task has waited since" in response.content.decode()


def test_tasks_taken_or_not_yet_due_are_healthy(client):
    later = timezone.now() + datetime.timedelta(hours=1)
    backdate(enqueue(backend_name="default", run_after=later), 60)
    backdate(enqueue(backend_name="default", status="RUNNING"), 60)
    backdate(enqueue(backend_name="default", status="SUCCESSFUL"), 60)
    assert client.get("/healthz").status_code == 200
    assert DBTaskResult.objects.filter(run_after=get_date_max()).count() == 2
