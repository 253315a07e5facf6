"""The warm-up after a publish: a new version's costly public answers, computed by the worker
before any reader asks for them.

Every cached public answer is keyed by the knowledge-base version (``core.cache``), so a
publish makes them all cold at once, and the first readers after it paid for them: at 10^6
events about a second each for the facets of the whole timeline and for the relationships
index, a few hundred milliseconds for a busy country's rankings, a second for the busiest
dossier's counts. So after each bump ``core.cache`` calls what ``settings.AFTER_BUMP`` names,
:func:`queue`, which enqueues one task, :func:`warm_caches`, for the worker (``manage.py
db_worker``). The task computes what :func:`plan` lists, for the version current when it runs,
into the shared cache, by calling the functions the views call: the answers and their keys
are the views' own, so nothing here can drift from what a reader would compute. Then it renders
``settings.WARM_URLS`` as an anonymous reader would request them, through Django's handler,
which stores them in the page cache (``core.page_cache``) when that is on.

Debounced: a bump queues a task only if none is queued and not yet started (a flag in the
shared cache, cleared by the task as it starts, before it reads the version). A burst of
publishes queues one task; a publish made while a task runs queues the next, which will find
what did not change still warm. The flag expires after ``QUEUED_TIMEOUT``, so a task lost with
its queue holds nothing back for long.

A warm-up only helps where the worker shares the web processes' cache (``REDIS_URL``), so the
settings ask for it only then. ``manage.py warm_caches`` runs the same plan at once: after a
deploy, a cache flush, or before a benchmark.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.db.models import Count
from django.http import HttpRequest, QueryDict
from django.tasks import task

from reader import home
from reader.dossiers import index
from reader.dossiers.build import Dossier
from reader.pages.countries import country_summary
from reader.timeline.facets import facet_data
from reader.timeline.request import Timeline
from relations.filters import reference
from relations.models import Country, Event

logger = logging.getLogger(__name__)

#: Set while a warm-up task is queued and not started.
QUEUED_KEY = "relata:warm-queued"
QUEUED_TIMEOUT = 15 * 60
#: Country pages whose rankings are warmed: the countries in the most events.
COUNTRIES = 20
#: Dossiers whose counts are warmed: the busiest pairs of the relationships index, which links
#: to them.
DOSSIERS = 10
#: What a browser sends: the page cache keeps one page per encoding it offers (``core.compress``).
ACCEPT_ENCODING = "gzip, deflate, br, zstd"

Job = tuple[str, Callable[[], object]]


# --- What is warmed: the one list -------------------------------------------------------------
def plan() -> Iterator[Job]:
    """What the warm-up computes, most read first, as (label, job). Every job calls what a view
    calls; the home page's counts are its view's context."""
    yield "reference data", reference
    yield "timeline facets", lambda: facet_data(timeline())
    yield "relationships index", index.busiest
    yield "home page counts", lambda: home.HomeView().get_context_data()
    # The first links the whole timeline offers: its domains.
    for domain in reference().domains:
        query = f"domain={domain.slug}"
        yield f"timeline facets, {query}", lambda query=query: facet_data(timeline(query))
    for country in busiest_countries(COUNTRIES):
        yield f"country {country.code}", lambda country=country: country_summary(country)
    for first, second in busiest_pairs(DOSSIERS):
        yield f"dossier {first.code}-{second.code}", Dossier(first, second).build
    for url in settings.WARM_URLS:
        yield url, lambda url=url: render(url)


def timeline(query: str = "") -> Timeline:
    """The timeline a request for ``/timeline/?<query>`` reads (its filter and page)."""
    request = HttpRequest()
    request.method = "GET"
    request.GET = QueryDict(query)
    found = Timeline(request)
    if not found.valid:
        raise ValueError(f"Not a valid timeline filter: {query!r}")
    return found


def busiest_countries(limit: int) -> list[Country]:
    """The countries in the most events (drafts included: an index-only count, a guess at
    which pages readers open, never shown)."""
    ranked = list(
        Event.countries.through.objects.values("country_id")
        .annotate(events=Count("*"))
        .order_by("-events", "country_id")
        .values_list("country_id", flat=True)[:limit]
    )
    countries = Country.objects.in_bulk(ranked)
    return [countries[pk] for pk in ranked if pk in countries]


def busiest_pairs(limit: int) -> list[tuple[Country, Country]]:
    """The first pairs of the relationships index, as it ranks them (cached)."""
    pairs = [pair["codes"].split("–") for pair in index.busiest()[:limit]]
    countries = Country.objects.in_bulk(
        {code for pair in pairs for code in pair}, field_name="code"
    )
    return [(countries[a], countries[b]) for a, b in pairs if a in countries and b in countries]


def render(url: str) -> int:
    """Request ``url`` (absolute: scheme and host are part of the page cache's key) as an
    anonymous reader with a browser's ``Accept-Encoding``, through Django's whole handler, as
    a web process would serve it (the page cache stores a 200); anything else raises."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"WARM_URLS takes absolute http(s) URLs: {url!r}")
    secure = parts.scheme == "https"
    environ = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": parts.path or "/",
        "QUERY_STRING": parts.query,
        "SERVER_NAME": parts.hostname,
        "SERVER_PORT": str(parts.port or (443 if secure else 80)),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": parts.netloc,
        "HTTP_ACCEPT": "text/html,application/xhtml+xml,*/*;q=0.8",
        "HTTP_ACCEPT_ENCODING": ACCEPT_ENCODING,
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": parts.scheme,
        "wsgi.input": _Empty(),
        "wsgi.errors": _Empty(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    if secure and settings.SECURE_PROXY_SSL_HEADER:  # as the proxy in front would say
        header, value = settings.SECURE_PROXY_SSL_HEADER
        environ[header] = value
    statuses = []
    response = _handler()(environ, lambda status, headers, exc_info=None: statuses.append(status))
    for _ in response:  # a page is not streamed, but close() must run (request_finished)
        pass
    response.close()
    status = int(statuses[0].split()[0])
    if status != 200:  # a host not in ALLOWED_HOSTS, a redirect to HTTPS, a page gone...
        raise ValueError(f"{url} answered {statuses[0]}: nothing stored")
    return status


class _Empty:
    def read(self, *args) -> bytes:
        return b""

    def readline(self, *args) -> bytes:
        return b""

    def write(self, *args) -> None:
        pass

    def flush(self) -> None:
        pass


_handlers: list[WSGIHandler] = []


def _handler() -> WSGIHandler:
    if not _handlers:  # loads the middleware once per process
        _handlers.append(WSGIHandler())
    return _handlers[0]


# --- Running it ---------------------------------------------------------------------------------
def size() -> int:
    """How many jobs the plan has, about (without running the queries that pick them)."""
    return 4 + len(reference().domains) + COUNTRIES + DOSSIERS + len(settings.WARM_URLS)


def run(progress: Callable[[str], None] | None = None) -> dict[str, float]:
    """Every job of the plan for the current version: seconds each, by label. A job that fails
    is logged and left for its first reader; the others still run."""
    timings: dict[str, float] = {}
    for label, job in plan():
        started = time.monotonic()
        try:
            job()
        except Exception:
            logger.exception("Warming %s failed", label)
        timings[label] = round(time.monotonic() - started, 3)
        if progress is not None:
            progress(label)
    return timings


@task()
def warm_caches() -> dict[str, float]:
    """The warm-up, in the worker, for the version current when it starts."""
    cache.delete(QUEUED_KEY)  # from now on, a bump queues another: this one may read too early
    return run()


def queue() -> None:
    """After a bump (``settings.AFTER_BUMP``): one warm-up task, unless one is already queued
    and not started — it will read the new version when it starts. Never fails the write that
    bumped: a warm-up not queued leaves the answers to their first readers, as before."""
    if not cache.add(QUEUED_KEY, True, QUEUED_TIMEOUT):
        return
    try:
        warm_caches.enqueue()
    except Exception:
        cache.delete(QUEUED_KEY)
        logger.exception("Could not queue the warm-up after a publish")
