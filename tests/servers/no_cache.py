"""Settings of a test server process that caches nothing: the truth the others must match."""

from config.settings.test import *  # noqa: F403

CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
