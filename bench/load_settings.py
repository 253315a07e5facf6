"""Production settings over plain HTTP on the loopback, for the load benchmark (bench/load.py).

``config.settings.production`` as it is: DEBUG off, the shared Redis cache (``REDIS_URL``, which
bench/load.py points at a database of its own), persistent connections, the page cache (unless
``PAGE_CACHE_SECONDS=0``), the API's throttles (with the loopback on ``THROTTLE_ALLOW_IPS``, as
docs/security.md says a load benchmark needs). Only what a loopback without TLS and without
``collectstatic`` needs differs: no redirect to HTTPS, static files found where they are, and the
stock views' routes added after ours (bench/load_urls.py), so that both are served alike.
"""

from config.settings.production import *  # noqa: F403

SECURE_SSL_REDIRECT = False  # plain HTTP on 127.0.0.1: no TLS in front
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
ROOT_URLCONF = "bench.load_urls"
