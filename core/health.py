"""``/healthz``: is this install able to serve? Database, cache, task worker.

    GET /healthz               plain text: "database: OK" ... one line per check
    GET /healthz?format=json   (or Accept: application/json): {"database": "OK", ...}

200 when every check passes, 503 with Retry-After when one fails; never cached. Cheap: a
``SELECT 1``, a cache write and read, one indexed query on the task queue.

The checks are django-health-check's (the worker's is ours: django-tasks-db keeps no
heartbeat, so a worker is judged by its queue, a task due for minutes that nobody has taken),
run here in the request's own thread: its view runs them in fresh threads, each opening a new
database connection, where this one asks the worker process's persistent connection, the one
its pages use, and whether it came back after an outage.
"""

from __future__ import annotations

import dataclasses
import datetime
import inspect
import logging
from http import HTTPStatus

from asgiref.sync import async_to_sync
from django import db
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.views import View
from health_check.base import HealthCheck
from health_check.checks import Cache, Database
from health_check.exceptions import HealthCheckException, ServiceUnavailable

from core.faults import RETRY_AFTER

logger = logging.getLogger("relata.health")


@dataclasses.dataclass
class TaskWorker(HealthCheck):
    """Fails when a task has waited longer than ``delay`` past its start time: no worker
    (``manage.py db_worker``) is taking tasks from the queue. An idle queue passes."""

    alias: str = "default"
    delay: datetime.timedelta = dataclasses.field(default=datetime.timedelta(minutes=5), repr=False)

    def run(self) -> None:
        from django_tasks_db.models import DBTaskResult, get_date_max

        cutoff = timezone.now() - self.delay
        # A task to run at once has run_after at the far end of time (django-tasks-db's mark).
        overdue = (
            DBTaskResult.objects.using(self.alias)
            .ready()
            .filter(Q(run_after__lte=cutoff) | Q(run_after=get_date_max(), enqueued_at__lte=cutoff))
        )
        try:
            waiting = overdue.order_by().values_list("enqueued_at", flat=True).first()
        except db.Error as error:
            raise ServiceUnavailable("Task queue unreadable (database)") from error
        if waiting is not None:
            raise ServiceUnavailable(f"A task has waited since {waiting:%Y-%m-%d %H:%M:%S} UTC")


CHECKS: dict[str, HealthCheck] = {
    "database": Database(),
    "cache": Cache(),
    "task_worker": TaskWorker(),
}


def run(check: HealthCheck) -> str:
    """'OK', or what failed (django-health-check's messages, which name no secret)."""
    try:
        if inspect.iscoroutinefunction(check.run):
            async_to_sync(check.run)()
        else:
            check.run()
    except HealthCheckException as error:
        logger.warning("Health check %r failed: %s", check, error)
        return str(error)
    except Exception:
        logger.exception("Health check %r failed unexpectedly", check)
        return "Unavailable: unexpected error"
    return "OK"


class HealthView(View):
    http_method_names = ["get", "head"]

    def get(self, request: HttpRequest) -> HttpResponse:
        results = {name: run(check) for name, check in CHECKS.items()}
        healthy = all(result == "OK" for result in results.values())
        if request.GET.get("format") == "json" or "json" in request.headers.get("accept", ""):
            response: HttpResponse = JsonResponse(results)
        else:
            text = "".join(f"{name}: {result}\n" for name, result in results.items())
            response = HttpResponse(text, content_type="text/plain; charset=utf-8")
        if not healthy:
            response.status_code = HTTPStatus.SERVICE_UNAVAILABLE
            response["Retry-After"] = str(RETRY_AFTER)
        add_never_cache_headers(response)
        patch_vary_headers(response, ["Accept"])
        return response
