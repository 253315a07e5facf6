"""Every page type in Chromium under the real Content-Security-Policy: none reports a
violation or a console error, and each still works (timeline.js runs, Swagger UI renders
the API's operations, the admin's scripts run).

The policies themselves (nonce or not, which directives) are tests/security/test_headers.py's.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.admin import log_in
from tests.security.pages import ADMIN, LOGIN, PUBLIC, admin_url

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# Registered before any script of the page runs, so violations while parsing count too.
LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`
    + ` at ${e.sourceFile}:${e.lineNumber}`);
});
"""

# What an XSS would do; under the policy the script is refused (and a violation reported).
INJECT = """() => {
  const script = document.createElement("script");
  script.textContent = "window.__injected = true";
  document.head.append(script);
  return window.__injected === true;
}"""


class Watch:
    """What the browser reports on a page: CSP violations, console errors, uncaught errors."""

    def __init__(self, page: Page) -> None:
        self.page, self.errors = page, []
        page.add_init_script(LISTEN)
        page.on("console", self.console)
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        page.on("response", lambda r: r.status >= 400 and self.errors.append(f"{r.status} {r.url}"))

    def console(self, message) -> None:
        # The browser asks for /favicon.ico by itself; the site has none (not a policy matter).
        if message.type == "error" and not message.location["url"].endswith("/favicon.ico"):
            self.errors.append(f"{message.text} ({message.location['url']})")

    def visit(self, url: str) -> None:
        self.errors.clear()
        response = self.page.goto(url, wait_until="load")
        assert response is not None and response.status == 200, url

    def assert_clean(self, what: str) -> None:
        """No violation so far, then the policy in force: an injected inline script is refused."""
        violations = self.page.evaluate("window.__violations")
        assert violations == [], f"{what}: {violations}"
        assert self.errors == [], f"{what}: {self.errors}"
        assert self.page.evaluate(INJECT) is False, f"{what}: an inline script ran"


def test_every_page_type_runs_under_the_policy(page: Page, live_server, live_data, editor):
    watch = Watch(page)
    base = live_server.url
    for name, url in PUBLIC.items():
        watch.visit(base + url)
        if name.startswith("timeline"):
            # timeline.js ran: it adds its live status line, and filters in place (fetch).
            expect(page.locator("form.filter-form [role=status]")).to_have_count(1)
        if name == "timeline":
            page.get_by_label("Economic", exact=True).check()
            expect(page).to_have_url(re.compile(r"domain=economic"))
            expect(page.locator("form.filter-form [role=status]")).not_to_be_empty()
        if name == "API docs":
            # Swagger UI rendered the schema: the operations are listed.
            events = page.locator(".opblock-summary-path[data-path='/api/events/']")
            expect(events).to_be_visible()
        watch.assert_clean(name)

    watch.visit(base + LOGIN)
    watch.assert_clean("admin login")
    watch.errors.clear()  # the login page's refused injection
    log_in(page, base, editor.username)
    watch.assert_clean("admin index")
    for name in ADMIN:
        watch.visit(base + admin_url(name))
        if name == "admin change form":
            # The admin's scripts ran: select2 (autocomplete) turned the selects into widgets.
            expect(page.locator(".select2").first).to_be_visible()
        watch.assert_clean(name)
