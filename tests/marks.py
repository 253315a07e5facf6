"""Marks given by what a test uses, so that ``-m`` selects them whether or not their module
says so: bin/test runs the browser tests in a session of their own (see tests/conftest.py for
why they cannot share one with database tests)."""

import pytest

#: Playwright's fixtures: a test that asks for one drives a browser.
BROWSER_FIXTURES = frozenset({"page", "context", "browser", "new_context"})


@pytest.hookimpl(tryfirst=True)  # before the mark plugin deselects by ``-m``
def pytest_collection_modifyitems(items):
    for item in items:
        if BROWSER_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)
