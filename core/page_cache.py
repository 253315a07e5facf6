"""Whole public pages and API answers, cached for anonymous readers and by HTTP caches.

Every public page and API answer is a function of its URL and the knowledge-base version
(``core.cache``), and of the day: the dossier says "as of" today, and rather than keep a list
of the pages that show the date (and forget one), every page keys on the day too. So for an
anonymous GET or HEAD this middleware

- answers ``If-None-Match`` / ``If-Modified-Since`` with a 304 from the version alone, before
  any query (the version and its ``changed`` time are read through the cache);
- serves the page stored for this version, day and full URL, with the request's ``Vary``
  headers (``Accept``, ``Accept-Encoding``...), through Django's ``get_cache_key`` /
  ``learn_cache_key`` under a key prefix that carries version and day (``relata:page:v…:…``);
- otherwise lets the view answer and, for a 200 that is not streamed, sets no cookie and does
  not refuse caching itself, stores it and sends ``ETag`` (weak: the version, the day, the URL
  and ``Accept``), ``Last-Modified`` (when the version was bumped, or the day began if later)
  and ``Cache-Control: public, max-age=PAGE_CACHE_MAX_AGE,
  stale-while-revalidate=PAGE_CACHE_STALE`` for a reverse proxy or CDN.

Publishing invalidates by bumping the version: the next request reads under new keys, and the
old entries expire unread (``PAGE_CACHE_SECONDS``). Nothing is purged by URL.

Never cached: a request with a session cookie or an ``Authorization`` header (staff and
analysts: not served from the cache, never stored, and answered ``private, no-cache``), the
admin, ``PAGE_CACHE_EXCLUDE`` (``/healthz``, the exports, the changes feed, the fixture), a
streamed answer, and every status but 200 — a draft's 404 is neither stored nor left for a
proxy to keep (``no-cache``), so publishing it shows at once. ``PAGE_CACHE_SECONDS = 0`` turns
the whole thing off (the test settings do).

It sits inside the security-header middlewares, so that CSP, Permissions-Policy and the rest
are added to every answer on its way out, cached or not, and outside compression, so that a
cached page is stored compressed, once per encoding. See docs/performance.md.
"""

from __future__ import annotations

import datetime
import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, ResolverMatch, resolve
from django.utils import timezone
from django.utils.cache import (
    get_cache_key,
    get_conditional_response,
    learn_cache_key,
    patch_cache_control,
)
from django.utils.http import http_date

from core import cache as kb_cache
from core import compress
from core.models import KnowledgeBaseVersion

CHANGED_KEY = "relata:kb-changed:v{}"
UNCACHEABLE = ("private", "no-cache", "no-store")


def _changed(number: int) -> datetime.datetime:
    """When version ``number`` began: cached with the number, so it costs no query."""
    key = CHANGED_KEY.format(number)
    changed = cache.get(key)
    if changed is None:
        row = KnowledgeBaseVersion.objects.filter(pk=1).values_list("number", "changed").first()
        changed = row[1] if row and row[0] == number else timezone.now()
        cache.set(key, changed, kb_cache.ANSWER_TIMEOUT)
    return changed


def anonymous(request: HttpRequest) -> bool:
    """No session cookie, no credentials: decided without a query."""
    return (
        settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "HTTP_AUTHORIZATION" not in request.META
    )


def _cacheable_view(match: ResolverMatch) -> bool:
    if "admin" in match.namespaces:
        return False
    return match.view_name not in settings.PAGE_CACHE_EXCLUDE


class PageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not settings.PAGE_CACHE_SECONDS or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        if not anonymous(request):
            return self._private(self.get_response(request))
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return self._uncached(self.get_response(request))
        if not _cacheable_view(match):
            return self.get_response(request)
        return self._cached(request, match)

    def _cached(self, request: HttpRequest, match: ResolverMatch) -> HttpResponse:
        # One spelling per encoding we answer with, so the Vary'd key has at most four.
        request.META["HTTP_ACCEPT_ENCODING"] = ", ".join(compress.accepted(request))
        number = kb_cache.version()
        day = timezone.localdate()
        prefix = f"relata:page:v{number}:{day.isoformat()}"
        url = request.build_absolute_uri()
        accept = request.META.get("HTTP_ACCEPT", "")
        digest = hashlib.blake2b(f"{url}\n{accept}".encode(), digest_size=9).hexdigest()
        etag = f'W/"{number}-{day:%Y%m%d}-{digest}"'
        midnight = datetime.datetime.combine(day, datetime.time(), timezone.get_current_timezone())
        modified = int(max(_changed(number), midnight).timestamp())

        key = get_cache_key(request, prefix, "GET", cache=cache)
        stored = cache.get(key) if key else None
        if stored is not None:
            request.resolver_match = match  # core.headers picks the view's CSP by it
            # A 304 (with the stored answer's headers), else the stored answer itself.
            return get_conditional_response(request, etag, modified, stored) or stored
        not_modified = get_conditional_response(request, etag, modified)
        if not_modified is not None:  # stored by another cache (evicted here): still current
            request.resolver_match = match
            return self._validators(not_modified, etag, modified)

        response = self.get_response(request)
        if (
            request.method != "GET"
            or response.status_code != 200
            or response.streaming
            or response.cookies
            or any(word in response.get("Cache-Control", "") for word in UNCACHEABLE)
        ):
            return self._uncached(response)
        self._validators(response, etag, modified)
        key = learn_cache_key(request, response, settings.PAGE_CACHE_SECONDS, prefix, cache)
        cache.set(key, response, settings.PAGE_CACHE_SECONDS)
        return response

    @staticmethod
    def _validators(response: HttpResponse, etag: str, modified: int) -> HttpResponse:
        response.headers["ETag"] = etag
        response.headers["Last-Modified"] = http_date(modified)
        patch_cache_control(
            response,
            public=True,
            max_age=settings.PAGE_CACHE_MAX_AGE,
            stale_while_revalidate=settings.PAGE_CACHE_STALE,
        )
        return response

    @staticmethod
    def _private(response: HttpResponse) -> HttpResponse:
        """A signed-in user's answer: for their browser only, checked each time."""
        if not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_cache=True)
        return response

    @staticmethod
    def _uncached(response: HttpResponse) -> HttpResponse:
        """Anything but a cacheable 200 (a draft's 404...): no proxy may keep it unchecked."""
        if response.status_code != 200 and not response.has_header("Cache-Control"):
            patch_cache_control(response, no_cache=True)
        return response
