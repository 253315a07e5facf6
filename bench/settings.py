"""Benchmark settings: production-like (DEBUG off), on the database DATABASE_URL names."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/relata_bench")

from config.settings.test import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
DATABASES["default"]["CONN_MAX_AGE"] = 600  # noqa: F405
# Production's limits (the test settings switch them off), with the loopback, where the load
# benchmark requests from far faster than they allow, on the allow-list (docs/security.md).
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": THROTTLE_RATES}  # noqa: F405
THROTTLE_ALLOW_IPS = ["127.0.0.1", "::1"]
