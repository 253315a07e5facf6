"""Which database a request reads from: the one rule for read replicas.

``DATABASE_REPLICA_URL`` adds a ``replica`` database (a PostgreSQL streaming replica of
``DATABASE_URL``'s) and this module's router and middleware (config.settings.base). Then:

* **Writes** always go to the primary (:class:`ReplicaRouter`), and so does everything outside
  a request: commands, the task worker, migrations.
* **A public read** (GET or HEAD, outside the admin, from a reader with no session cookie) goes to
  the replica, if the replica has caught up with the knowledge-base version the shared cache
  announces (``core.cache.version()``, bumped by every write readers can see). Otherwise,
  the whole request reads the primary.
* **Everything else** reads the primary: the admin, every POST, and anyone holding a session. The
  session rule covers analysts, the only users who write: their reads right after their own write
  stay on the primary, even for writes that change nothing readers see.

Why fall back rather than serve a lagging replica and say how current it is: cached answers
(facets, dossiers, whole pages) are keyed by the announced version (core.cache). A page computed
on a replica that is behind would be stored under the new version's key and served to every
reader until the next write: one lagging read would spread stale pages everywhere. A replica at
or past the announced version can never do that.

The version comes from ``KnowledgeBaseVersion``, a row that replicates with the data it counts,
so the replica's copy says exactly which writes it holds. Replicas only move forward, so each
process remembers the highest version it has seen there and asks again only when the announced
version passes it: a caught-up replica costs no query per request. A replica that cannot be
reached is skipped for :data:`RETRY_SECONDS`; readers get the primary meanwhile.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
import time
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpRequest, HttpResponse

from core import cache
from core.models import KnowledgeBaseVersion

REPLICA = "replica"
#: How long a replica that did not answer is left alone before it is tried again.
RETRY_SECONDS = 5.0
#: Methods that only read; any other request is a write and reads the primary.
SAFE_METHODS = frozenset({"GET", "HEAD"})

_reads: contextvars.ContextVar[str] = contextvars.ContextVar(
    "relata_reads", default=DEFAULT_DB_ALIAS
)


class ReplicaRouter:
    """Reads go where the current request was sent (the primary unless the middleware said
    otherwise); writes and migrations always go to the primary."""

    def db_for_read(self, model, **hints) -> str:
        return _reads.get()

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # one database's data, whichever copy it was read from

    def allow_migrate(self, db: str, app_label: str, model_name=None, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS


class _Replica:
    """What this process knows of the replica: the highest version seen there, and whether it
    is being left alone after failing to answer."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reached = 0
        self.down_until = 0.0

    def holds(self, number: int) -> bool:
        """Whether the replica holds every write up to version ``number``, and answers."""
        if time.monotonic() < self.down_until:
            return False
        try:
            # Django's once-per-request check of a persistent connection, made here rather
            # than at the view's first query: a replica that died after catching up is then
            # skipped like one that never answered, instead of failing every public read.
            connection = connections[REPLICA]
            connection.close_if_health_check_failed()
            connection.ensure_connection()
            if self.reached >= number:
                return True
            seen = (
                KnowledgeBaseVersion.objects.using(REPLICA)
                .filter(pk=1)
                .values_list("number", flat=True)
                .first()
            )
        except DatabaseError:
            self.down_until = time.monotonic() + RETRY_SECONDS
            return False
        with self._lock:
            self.reached = max(self.reached, seen or 0)
        return self.reached >= number


replica = _Replica()


def reads_replica(request: HttpRequest) -> int | None:
    """The version at which ``request`` may read the replica, or None: a public read by a
    reader with no session, and a replica that has caught up with the announced version."""
    if (
        request.method not in SAFE_METHODS
        or settings.SESSION_COOKIE_NAME in request.COOKIES
        or request.path_info.startswith(settings.PRIMARY_ONLY_PATHS)
    ):
        return None
    number = cache.version()
    return number if replica.holds(number) else None


class ReplicaMiddleware:
    """Sends a request's reads to the replica when :func:`reads_replica` allows it. Unused
    (removed from the chain at start) without a replica."""

    def __init__(self, get_response) -> None:
        if REPLICA not in settings.DATABASES:
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        number = reads_replica(request)
        if number is None:
            return self.get_response(request)
        with on_replica(number):
            response = self.get_response(request)
        if response.streaming:  # an export: its rows are read while it is sent, after return
            response.streaming_content = _streamed(number, response.streaming_content)
        return response


@contextlib.contextmanager
def on_replica(number: int) -> Iterator[None]:
    """Reads go to the replica inside, at version ``number`` (the one it was checked against):
    a bump announced meanwhile may not have reached the replica, and answers read there must
    not be stored under it (core.cache)."""
    token = _reads.set(REPLICA)
    try:
        with cache.pinned(number):
            yield
    finally:
        _reads.reset(token)


def _streamed(number: int, chunks: Iterable[bytes]) -> Iterator[bytes]:
    """``chunks``, each read on the replica at ``number``. Set around each step rather than
    once, so the variables are reset in the context that set them, whoever drives the loop."""
    iterator = iter(chunks)
    try:
        while True:
            with on_replica(number):
                chunk = next(iterator, None)
            if chunk is None:
                return
            yield chunk
    finally:
        if hasattr(iterator, "close"):
            iterator.close()
