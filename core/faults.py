"""Faults answered honestly: a database that does not answer is a 503 with Retry-After.

Two ways in, one answer (``unavailable``):

- ``DatabaseUnavailableMiddleware.process_exception``: a view (or its template) that cannot
  reach the database;
- ``server_error`` (``handler500`` in config/urls.py): the same failure anywhere else, e.g. a
  middleware reading the session before the view. Django turns every exception inside the
  middleware chain into a response where it happens, through ``handler500``, so wrapping
  ``get_response`` would never see it.

Nothing needs restarting when the database is back: Django checks a persistent connection
before reusing it (``conn_health_checks``) and drops one that saw an error at the end of the
request, so the next request connects afresh.

A streamed export has sent its status before the fault: ``broken_stream_guard`` ends it in a
way clients can detect (docs/operations.md, "Broken streams").
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable, Iterator
from itertools import chain

from django import db
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views.defaults import server_error as django_server_error

try:  # Django wraps the driver's errors; a stray one from psycopg itself is the same fault.
    import psycopg

    DRIVER_ERRORS: tuple[type[Exception], ...] = (psycopg.OperationalError, psycopg.InterfaceError)
except ImportError:  # the SQLite demo needs no psycopg
    DRIVER_ERRORS = ()

#: Connection refused or lost, server shutting down, statement timeout, deadlock: worth a retry.
DATABASE_ERRORS = (db.OperationalError, db.InterfaceError, *DRIVER_ERRORS)
#: Seconds a client should wait before trying again (a restart or failover takes about this).
RETRY_AFTER = 30
MESSAGE = "The database is not answering at the moment; please try again shortly."

logger = logging.getLogger("relata.faults")


def is_database_unavailable(exc: BaseException | None) -> bool:
    return isinstance(exc, DATABASE_ERRORS)


def unavailable(request: HttpRequest, exc: BaseException) -> HttpResponse:
    """A 503 that asks to retry: JSON for the API and JSON exports, else a plain page that needs
    no database (rendered without the request, so no context processor reaches for the user)."""
    logger.warning(
        "Database unavailable: %s %s (%s: %s)",
        request.method,
        request.path,
        type(exc).__name__,
        str(exc).strip().splitlines()[0] if str(exc).strip() else "",
    )
    if request.path.startswith("/api/") or request.path.endswith(".json"):
        response: HttpResponse = JsonResponse({"detail": MESSAGE}, status=503)
    else:
        body = render_to_string("503.html", {"message": MESSAGE, "retry_after": RETRY_AFTER})
        response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    # Never kept by a cache: the outage is over in seconds, the page must not outlive it.
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """Answers 503 with Retry-After, not 500, when a view cannot reach the database."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_database_unavailable(exception):
            return unavailable(request, exception)
        return None


def server_error(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """``handler500``: Django calls it inside the ``except`` block of the failure, so the
    exception is at hand; a database fault outside any view still answers 503."""
    exc = sys.exc_info()[1]
    if is_database_unavailable(exc):
        return unavailable(request, exc)
    return django_server_error(request, *args, **kwargs)


# --- Broken streams ----------------------------------------------------------------------------
def started[T](items: Iterator[T]) -> Iterator[T]:
    """The iterator with its first item already read, in the view: a database that does not
    answer then gives a 503 before any byte is sent, not a 200 that stops at once."""
    for first in items:
        return chain([first], items)
    return iter(())


def broken_stream_guard(chunks: Iterable[str], *, marker: str, what: str) -> Iterator[str]:
    """Passes the chunks on; if producing one fails, sends ``marker`` (the format's own sign
    of an incomplete document) and re-raises, so that the server aborts the response instead
    of ending it cleanly (gunicorn closes the connection without the final empty chunk of
    HTTP/1.1 chunked encoding: clients report an incomplete read)."""
    try:
        yield from chunks
    except Exception as exc:
        logger.error("Stream %s cut short by %s: %s", what, type(exc).__name__, exc)
        yield marker
        raise
