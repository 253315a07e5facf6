"""The probes: hostile input, stored XSS, the permission matrix, faults, kills.

The browser probes share the browser tests' set-up (Debian's Chromium, headless): imported
here, where pytest looks for it. Hooks are found by
name in a conftest, so importing ``pytest_runtest_protocol`` makes the browser tests' rule
(Django's ORM allowed beside Playwright's event loop, for ``browser`` tests only) apply here.
"""

from tests.browser.conftest import (  # noqa: F401 (a fixture and hooks, found by name)
    browser_type_launch_args,
    pytest_configure,
    pytest_runtest_protocol,
)
