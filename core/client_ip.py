"""The client's IP address: one rule for login lockouts (django-axes) and throttles.

Behind ``TRUSTED_PROXY_COUNT`` reverse proxies, each of which appends the address it received
the request from to ``X-Forwarded-For``, the client is the entry that many places from the
right: what the outermost proxy saw. Entries further left came from the client and may be
forged, so they are never read. With no proxy (the default) it is ``REMOTE_ADDR``. See
docs/security.md, "The proxy contract".
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if not proxies:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = [hop for hop in hops if hop]
    if not hops:
        return remote  # not through the proxy (a health check on the loopback, say)
    candidate = hops[-min(proxies, len(hops))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
