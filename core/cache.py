"""When a cached public answer is stale: the one rule.

Every cached public answer (facets, reference data, rankings, dossier counts and summaries, the
relationships index, negative look-ups) is stored under a key that carries the knowledge-base
version, ``KnowledgeBaseVersion.number``. Every write that changes what readers see calls
``bump()``, which raises the number when its transaction commits; from then on every process
computes fresh answers under new keys, and the old entries expire unread.

What counts as "changes what readers see" is ``relations.visibility.affects_readers``; who calls
``bump()`` is listed in ``relations.signals`` (saves, deletions, links, through the ORM) and in
each bulk writer (``import_kb``, the admin's fixture import, ``generate_kb``,
``delete_generated``).

The number is read through the shared cache (Redis in production: ``config.settings.production``
refuses a per-process cache), so reading it costs no query. A bump writes the new number to
the cache after the commit; a process that finds no number in the cache reads the row and
*adds* it (never overwriting a newer one written meanwhile). Then it calls what
``settings.AFTER_BUMP`` names: ``reader.warm.queue``, which has a worker compute the new
version's costly answers before readers ask for them.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import hashlib
import threading
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, router, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string

from core.models import KnowledgeBaseVersion

VERSION_KEY = "relata:kb-version"
#: How long the cached number may be trusted without a bump seen. With a shared cache every
#: bump is written straight into it, so this only bounds a bump made by a process that could
#: not reach the cache (or a per-process cache in development).
VERSION_TIMEOUT = 30
#: Answers are keyed by version, so they never need to expire to be correct; this only lets
#: the cache reclaim answers no one asks for.
ANSWER_TIMEOUT = 24 * 60 * 60
_MISSING = object()
_pinned: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "relata_kb_version", default=None
)


@contextlib.contextmanager
def pinned(number: int):
    """``version()`` is ``number`` inside: a request reading a replica that holds ``number``
    must not store what it reads there under a newer version announced meanwhile."""
    token = _pinned.set(number)
    try:
        yield
    finally:
        _pinned.reset(token)


def version() -> int:
    """The knowledge base's current version (from the shared cache; the row on a miss)."""
    if (number := _pinned.get()) is not None:
        return number
    number = cache.get(VERSION_KEY)
    if number is None:
        number = _read()
        cache.add(VERSION_KEY, number, VERSION_TIMEOUT)
    return number


def _read(using: str | None = None) -> int:
    # The primary's row: the version announced to every process is the one writes have reached,
    # never a replica's (core.replica compares the two).
    using = using or router.db_for_write(KnowledgeBaseVersion)
    row = KnowledgeBaseVersion.objects.using(using).filter(pk=1).values_list("number", flat=True)
    number = row.first()
    if number is None:  # a database built without migrations (or emptied by a flush)
        KnowledgeBaseVersion.objects.using(using).get_or_create(pk=1)
        return 1
    return number


def bump(using: str | None = None) -> None:
    """Raise the version when the current transaction commits (now, outside one).

    Once per commit however many writes ask: publishing a hundred claims in one action bumps
    once. Every call registers a callback (so a rolled-back transaction loses nothing that a
    later one needs), and the callbacks registered since the last bump share one ticket: the
    first to run after a commit bumps, the others find the ticket used.
    """
    using = using or router.db_for_write(KnowledgeBaseVersion) or DEFAULT_DB_ALIAS
    tickets = _tickets.__dict__
    ticket = tickets.get(using)
    if ticket is None or ticket.used:
        ticket = tickets[using] = _Ticket()
    transaction.on_commit(functools.partial(_bump_once, using, ticket), using=using)


class _Ticket:
    used = False


_tickets = threading.local()  # per thread, as database connections are


def _bump_once(using: str, ticket: _Ticket) -> None:
    if not ticket.used:
        ticket.used = True
        _bump_now(using)


def _bump_now(using: str) -> None:
    rows = KnowledgeBaseVersion.objects.using(using).filter(pk=1)
    if not rows.update(number=F("number") + 1, changed=timezone.now()):
        KnowledgeBaseVersion.objects.using(using).get_or_create(pk=1)
        rows.update(number=F("number") + 1, changed=timezone.now())
    cache.set(VERSION_KEY, _read(using), VERSION_TIMEOUT)
    # With the new number in the cache: the warm-up of its answers (``reader.warm.queue``).
    for hook in settings.AFTER_BUMP:
        import_string(hook)()


def key(name: str, *parts: Any) -> str:
    """A cache key for the answer ``name`` to the question ``parts`` at this version."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=12).hexdigest() if parts else "-"
    return f"relata:{name}:v{version()}:{digest}"


def answer[T](name: str, compute: Callable[[], T], *parts: Any) -> T:
    """The cached answer to ``parts`` for ``name`` at this version, computed on a miss."""
    cache_key = key(name, *parts)
    value = cache.get(cache_key, _MISSING)
    if value is _MISSING:  # None is an answer too: "no such official" is cached like any other
        value = compute()
        cache.set(cache_key, value, ANSWER_TIMEOUT)
    return value
