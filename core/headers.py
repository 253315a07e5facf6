"""Security headers Django does not send by itself, and the admin's own CSP.

- ``Permissions-Policy`` from ``PERMISSIONS_POLICY`` (Django has no setting for it).
- ``CSP_BY_URL_NAMESPACE``: the views of a URL namespace get that policy instead of
  ``SECURE_CSP``. The admin's (every view in ``admin:``, its login and 404s included) is
  ``SECURE_CSP`` plus a per-request nonce, for the admin's own ``{% csp_nonce_attr %}`` scripts
  and styles: admin pages are never cached, so a nonce can be fresh for each; the public
  site's pages are, so their policy has none.

Put after ``django.middleware.csp.ContentSecurityPolicyMiddleware``: it reads the policy this
sets on the response (as ``csp_override`` would). See docs/security.md.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if match is not None and not hasattr(response, "_csp_config"):  # a view's own wins
            for namespace in match.namespaces:
                if namespace in settings.CSP_BY_URL_NAMESPACE:
                    response._csp_config = settings.CSP_BY_URL_NAMESPACE[namespace]
                    break
        if settings.PERMISSIONS_POLICY:
            response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response
