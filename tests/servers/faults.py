"""Settings of the gunicorn server that tests/ops/test_faults.py takes through a database
outage: production's persistent, health-checked connections (the test settings close them
after each request), a cache in the process (the outage is the database's alone)."""

from config.settings.test import *  # noqa: F403

DATABASES["default"]["CONN_MAX_AGE"] = 60  # noqa: F405
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # noqa: F405
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
