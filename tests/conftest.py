import pytest
from django.conf import settings
from django.core.management import call_command


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
    """Pages cache rankings and facets per process; ids repeat across test databases."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
