"""Test settings: PostgreSQL by default (the local server), SQLite when DATABASE_URL says so."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-insecure-key")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/relata")

from config.settings.base import *  # noqa: F403

DEBUG = False
# Fast hashing: tests create users, and the production hasher costs ~0.3 s each.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Serve static files straight from the app and project folders, without collectstatic.
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
# The suite requests the API and exports far faster than any person: no limits here
# (tests/security/test_throttles.py sets them with override_settings).
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {"anon": None, "export": None},
}
# Client.login authenticates without a request; django-axes' stock backend refuses that.
AUTHENTICATION_BACKENDS = [
    "core.lockout.RequestOptionalAxesBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Most tests write through the ORM inside a rolled-back transaction (on_commit never bumps the
# version) and then request again: no page cache here (tests/core/test_page_cache.py and the
# cache-process servers switch it on).
PAGE_CACHE_SECONDS = 0
# No warm-up task after each bump, whatever REDIS_URL says (tests/warm switches it on).
AFTER_BUMP: list[str] = []
