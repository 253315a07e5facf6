import pytest
from django.conf import settings
from django.core.management import call_command

# Marks by what a test uses, before ``-m`` selects (bin/test runs browser tests apart).
pytest_plugins = ["tests.marks"]


def pytest_report_header(config):
    db = settings.DATABASES["default"]
    where = db["NAME"] if db["ENGINE"].endswith("sqlite3") else f"{db['HOST']}:{db['PORT']}"
    return f"database: {db['ENGINE'].rsplit('.', 1)[-1]} ({where})"


@pytest.fixture
def seed(db):
    """The Belarus–Iran seed dossier, loaded as the README's demo loads it."""
    call_command("loaddata", "belarus-iran-2010", verbosity=0)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Pages cache rankings and facets per process; ids repeat across test databases (and the
    knowledge-base version, rolled back or flushed, repeats too)."""
    from django.core.cache import cache

    from relations.filters import forget_reference

    cache.clear()
    forget_reference()
    yield
    cache.clear()
    forget_reference()


@pytest.hookimpl(trylast=True)  # after pytest-django has grouped the tests by kind
def pytest_collection_modifyitems(items):
    """Browser tests last: Playwright's sync API leaves an event loop marked as running in the
    main thread for the rest of the session, where Django refuses database work (see
    tests/browser/conftest.py), so every test that needs the database goes before them."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
