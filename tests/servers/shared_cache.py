"""Settings of a test server process that shares the cache (Redis) with the others."""

import os

from config.settings.test import *  # noqa: F403

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["TEST_REDIS_URL"],
        "KEY_PREFIX": "relata-test",
    }
}
ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
# The page cache too (core.page_cache): pages one process stores, the others serve.
PAGE_CACHE_SECONDS = 600
