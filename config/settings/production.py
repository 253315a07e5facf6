"""Production: every secret from the environment, HTTPS only, `check --deploy` clean."""

from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_str
from config.settings.base import *  # noqa: F403

# base.py already refuses to start without SECRET_KEY; refuse a short or dev one too.
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith(("dev-", "test-")):  # noqa: F405
    raise ImproperlyConfigured("SECRET_KEY must be a random string of at least 50 characters.")

# Cached public answers are keyed by the knowledge-base version, read through this cache: a
# cache of its own in each process would let one worker serve what another has just changed
# (core.cache). Refuse it rather than serve stale pages.
if not env_str("REDIS_URL", ""):
    raise ImproperlyConfigured(
        "Set REDIS_URL (e.g. redis://127.0.0.1:6379/0): production needs a cache shared by "
        "every worker process, or edits would reach some of them and not others."
    )

DEBUG = False

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
