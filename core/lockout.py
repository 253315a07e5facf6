"""Login lockouts (django-axes): the page a locked-out login gets, and request-less logins.

Settings and the rules (per username and client IP, cool-off, who unlocks) are in
config/settings/base.py, "Auth"; see docs/security.md, "Logins".
"""

from __future__ import annotations

import math

from axes import admin as axes_admin
from axes.backends import AxesStandaloneBackend
from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

TEMPLATE = "admin/locked_out.html"


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    """429 with Retry-After: the admin's own page saying why, for how long, and who unlocks."""
    cool_off = get_cool_off(request)
    context = {
        **admin.site.each_context(request),
        "title": "Too many failed logins",
        "username": get_client_username(request, credentials) or "",
        "failure_limit": get_failure_limit(request, credentials),
        "cool_off_minutes": math.ceil(cool_off.total_seconds() / 60) if cool_off else None,
    }
    response = TemplateResponse(request, TEMPLATE, context, status=429)
    if cool_off:
        response["Retry-After"] = str(math.ceil(cool_off.total_seconds()))
    return response.render()


class RequestOptionalAxesBackend(AxesStandaloneBackend):
    """For the test settings: ``Client.login`` authenticates without a request, which the
    stock backend refuses (no client, nothing to lock out). Logins over HTTP, the only ones
    there are in production, always have one and are checked as in production."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


class AccessAttemptAdmin(axes_admin.AccessAttemptAdmin):
    """django-axes' list of failed logins, where editors unlock one by deleting it.

    Without its "clean up expired attempts" action: that reads an attempt time axes sets only
    on login requests (anywhere else a 500), and a lockout expires by itself after the cool-off.
    """

    actions = []
