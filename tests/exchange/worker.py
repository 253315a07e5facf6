"""Running the queued tasks in a test.

:func:`work` runs them in this process, in the test's transaction, with django-tasks-db's own
``Worker.run_task`` (what ``manage.py db_worker`` calls for each task it claims): a test that
checks what an import does needs no second process. Its loop (``Worker.run``) cannot run here:
it closes the connection between tasks, which would end the test's transaction.
tests/exchange/test_import_task.py runs the real ``db_worker`` process instead.
"""

from __future__ import annotations

from django.db import transaction
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult


def work() -> int:
    """Run every task that is ready, in order; how many ran. A task that fails fails the test,
    with its traceback."""
    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    ran = 0
    while True:
        with transaction.atomic():  # as the worker claims one
            result = DBTaskResult.objects.ready().get_locked()
            if result is None:
                return ran
            result.claim(worker.worker_id)
        worker.run_task(result)
        result.refresh_from_db()
        assert result.status == "SUCCESSFUL", result.traceback
        ran += 1
