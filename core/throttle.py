"""Per-client request limits for anonymous bulk reads: the API and the timeline's exports.

One mechanism for both: DRF's sliding-window throttle (a list of request times per client in
the shared cache, so every worker process counts together), keyed by ``core.client_ip``.

- Rates are ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (``"anon"`` for the API, ``"export"``
  for /timeline.csv, .json and .atom), read at each request; ``None`` switches a limit off.
- Addresses and networks in ``THROTTLE_ALLOW_IPS`` are never limited (the load benchmark on
  the loopback, a known mirror).
- Over the limit: 429 with ``Retry-After`` (seconds). See docs/security.md, "Throttles".
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Callable
from functools import cache, wraps

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from core.client_ip import client_ip


@cache
def _networks(
    entries: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def is_allowed(ip: str) -> bool:
    """Whether ``ip`` is on the allow-list, ``THROTTLE_ALLOW_IPS``."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address in network for network in _networks(tuple(settings.THROTTLE_ALLOW_IPS)))


class ClientRateThrottle(SimpleRateThrottle):
    """DRF's throttle per client IP, its rate read from the settings at each request."""

    def __init__(self, scope: str | None = None) -> None:
        if scope is not None:
            self.scope = scope
        super().__init__()

    def get_rate(self) -> str | None:
        try:
            return api_settings.DEFAULT_THROTTLE_RATES[self.scope]
        except KeyError:
            raise ImproperlyConfigured(
                f"Set REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'][{self.scope!r}] (None for no limit)."
            ) from None

    def get_cache_key(self, request, view) -> str | None:
        ip = client_ip(request)
        if is_allowed(ip):
            return None  # not counted at all
        return self.cache_format % {"scope": self.scope, "ident": ip}

    def retry_after(self) -> int:
        # wait() is None when the history outgrew a rate lowered since: a whole period then.
        wait = self.wait()
        return max(1, math.ceil(self.duration if wait is None else wait))


class AnonRateThrottle(ClientRateThrottle):
    """The API's limit (every API view is anonymous): DRF answers 429 with Retry-After."""

    scope = "anon"


def throttled(scope: str) -> Callable:
    """Wrap a plain Django view in the ``scope`` limit: over it, 429 with Retry-After."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def limited(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            throttle = ClientRateThrottle(scope)
            if throttle.allow_request(request, None):
                return view(request, *args, **kwargs)
            seconds = throttle.retry_after()
            response = HttpResponse(
                f"Too many requests from your address: at most {throttle.num_requests} in "
                f"{throttle.duration} seconds. Try again in {seconds} seconds.\n",
                status=429,
                content_type="text/plain; charset=utf-8",
            )
            response["Retry-After"] = str(seconds)
            return response

        return limited

    return decorate
