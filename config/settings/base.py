"""Settings shared by every environment; each value that differs comes from the environment."""

import base64
import hashlib
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP

from config.env import env_bool, env_int, env_list, env_networks, env_rate, env_str

BASE_DIR = Path(__file__).resolve().parents[2]

# --- Core -------------------------------------------------------------------------------------
DEBUG = env_bool("DEBUG", default=False)
SECRET_KEY = env_str("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

INSTALLED_APPS = [
    "config.admin_site.RelataAdminConfig",  # django.contrib.admin, with our site-wide pages
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django_filters",
    "simple_history",
    "import_export",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served by us (no CDN)
    "axes",
    "django_tasks_db",
    "health_check",
    "core",
    "sources",
    "relations",
    "reader",
    "exchange",
    "intake",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A database that does not answer is a 503 with Retry-After, not a 500 (core.faults).
    "core.faults.DatabaseUnavailableMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # After CSP: gives admin pages their nonce policy; Permissions-Policy (see Security headers).
    "core.headers.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Whole public pages for anonymous readers, keyed by the knowledge-base version: inside
    # the security headers (added to cached answers on their way out), after WhiteNoise (static
    # files never reach it), outside compression (stored compressed). docs/performance.md
    "core.page_cache.PageCacheMiddleware",
    # A page the cache did not have reads the replica if it has caught up (core.replica).
    "core.replica.ReplicaMiddleware",
    # Brotli or gzip, never for the admin (BREACH: core.compress).
    "core.compress.CompressionMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: counts failed logins and locks out (see Auth below).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                # {% csp_nonce_attr %} in the admin's templates (never in public ones).
                "django.template.context_processors.csp",
            ],
        },
    },
    # The reader site's hot templates (a timeline page renders some 2,000 values): Jinja2
    # renders them several times faster than Django's engine. Found under templates/jinja2/.
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "reader.jinja2.environment", "autoescape": True},
    },
]

# --- Database ---------------------------------------------------------------------------------
# DATABASE_URL selects PostgreSQL in production and tests; unset, an SQLite file serves the demo.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
# DATABASE_REPLICA_URL adds a streaming replica of that database: public reads go there when it
# has caught up, everything else stays on the primary (core.replica, docs/deploy.md).
if _replica_url := env_str("DATABASE_REPLICA_URL", ""):
    DATABASES["replica"] = dj_database_url.parse(
        _replica_url, conn_max_age=env_int("CONN_MAX_AGE", 60), conn_health_checks=True
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}  # tests read what they wrote
    DATABASE_ROUTERS = ["core.replica.ReplicaRouter"]
# Paths whose reads never go to a replica, whoever asks (core.replica).
PRIMARY_ONLY_PATHS = ("/admin/",)
for _database in DATABASES.values():
    if _database["ENGINE"].endswith("postgresql"):
        # Each request runs in a process of its own, so a query's parallel workers take the
        # cores other requests need, and PostgreSQL's costs chose them where one process is
        # faster: a two-word search walked the date index with 2 workers probing twice the
        # events (10^6, docs/performance.md). DB_PARALLEL_WORKERS allows some again.
        # Added to what the URL's query string gives (connect_timeout, application_name...).
        _options = _database.setdefault("OPTIONS", {})
        _options["options"] = " ".join(
            filter(
                None,
                [
                    _options.get("options"),
                    f"-c max_parallel_workers_per_gather={env_int('DB_PARALLEL_WORKERS', 0)}",
                ],
            )
        )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache -----------------------------------------------------------------------------------
# Public answers (facets, rankings, dossiers, the index...) are cached under the knowledge-base
# version (core.cache), which is itself read through this cache. REDIS_URL shares it between
# worker processes and servers (redis://127.0.0.1:6379/0), so a write seen by one is seen by
# all. Without it each process keeps its own in memory: fine for development and tests, refused
# by config.settings.production.
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env_str("REDIS_URL")}
        if env_str("REDIS_URL", "")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# --- Page cache (core.page_cache; docs/performance.md) --------------------------------------------
# How long a stored page may stay in the cache (0: no page cache). Pages are keyed by the
# knowledge-base version and the day, so this only bounds memory, never staleness.
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 60 * 60)
# What a reverse proxy, CDN or browser is told: fresh for MAX_AGE seconds after it fetched a
# page (so a publish shows there within that), then served stale for up to STALE seconds more
# while it revalidates (a 304, no query, when nothing was published).
PAGE_CACHE_MAX_AGE = env_int("PAGE_CACHE_MAX_AGE", 60)
PAGE_CACHE_STALE = env_int("PAGE_CACHE_STALE", 300)
# Never cached (URL names): the health check, the streamed exports, and what mirrors fetch (the
# changes feed reads the history, which a draft's edit writes without a bump; the fixture).
PAGE_CACHE_EXCLUDE = {
    "healthz",
    "timeline-csv",
    "timeline-json",
    "api:changes",
    "api:fixture",
}

# --- Auth -------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"
# django-axes first: it refuses a locked-out login before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling (django-axes, database handler): LOGIN_FAILURE_LIMIT wrong passwords for one
# username from one client address lock that pair out (429, core.lockout's page) until
# LOGIN_COOLOFF_MINUTES pass with no further attempt, or an editor deletes its access attempt
# in the admin (relations/roles.py). Other users, and the same user elsewhere, are unaffected.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15))
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "core.client_ip.client_ip"
AXES_LOCKOUT_CALLABLE = "core.lockout.lockout_response"
# Behind reverse proxies: how many append to X-Forwarded-For (core.client_ip; 0: REMOTE_ADDR).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Security defaults (production tightens further) ------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"


def _style_hash(declarations: str) -> str:
    """A CSP source allowing one exact style="..." attribute (with 'unsafe-hashes')."""
    digest = hashlib.sha256(declarations.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


# Content-Security-Policy (docs/security.md). Public pages are cached whole, so no nonce: no
# inline script or style at all, every script and stylesheet a file of our own.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
# The admin (core.headers; never cached): a nonce per response for its own inline scripts and
# styles (Django's admin templates carry it), and one exact style attribute of a third-party
# template, nothing else inline. (django-import-export's import pages need none; its export
# page, which Relata does not use, would need two more: docs/security.md.)
ADMIN_STYLE_ATTRIBUTES = [
    "border-top: 0",  # simple_history/object_history_list.html (each record's History page)
]
SECURE_CSP_ADMIN = SECURE_CSP | {
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [
        CSP.SELF,
        CSP.NONCE,
        CSP.UNSAFE_HASHES,
        *map(_style_hash, ADMIN_STYLE_ATTRIBUTES),
    ],
}
# The API's HTML pages: Swagger UI's stylesheet draws its icons as data: images, and DRF's
# browsable API has one exact style attribute (a button's float) on its filtered lists.
SECURE_CSP_API = SECURE_CSP | {
    "style-src": [CSP.SELF, CSP.UNSAFE_HASHES, _style_hash("float: right; margin-right: 10px")],
    "img-src": [CSP.SELF, "data:"],
}
CSP_BY_URL_NAMESPACE = {"admin": SECURE_CSP_ADMIN, "api": SECURE_CSP_API}
# Powerful browser features no page of ours uses, refused to it and to anything it embeds.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}

# --- History ----------------------------------------------------------------------------------
# Viewing history needs the history model's view permission, reverting its change permission:
# analysts see every version, editors revert (see relations/roles.py).
SIMPLE_HISTORY_ENFORCE_HISTORY_MODEL_PERMISSIONS = True

# --- CSV import (django-import-export) -----------------------------------------------------
# Importing needs the change permission (EventAdmin also asks for add): staff alone is not enough.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "change"
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True

# --- Fixtures ---------------------------------------------------------------------------------
FIXTURE_DIRS = [BASE_DIR / "fixtures"]

# --- Public API (api/: Django REST framework, drf-spectacular) ----------------------------------
# Read-only and anonymous: each API view sets no authentication and AllowAny itself, so these
# defaults stay DRF's for anything else. No CORS headers are sent (no django-cors-headers).
THROTTLE_RATES = {
    "anon": env_rate("API_THROTTLE_RATE", "300/min"),
    "export": env_rate("EXPORT_THROTTLE_RATE", "30/hour"),
}
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Per client address (core.throttle), 429 with Retry-After; "off" for no limit. "anon" is
    # the API (every API request is anonymous), "export" /timeline.csv, .json and .atom.
    "DEFAULT_THROTTLE_CLASSES": ["core.throttle.AnonRateThrottle"],
    "DEFAULT_THROTTLE_RATES": THROTTLE_RATES,
}
# Addresses and networks never throttled (e.g. 127.0.0.1,::1 for the loopback load benchmark).
THROTTLE_ALLOW_IPS = env_networks("THROTTLE_ALLOW_IPS")
SPECTACULAR_SETTINGS = {
    "TITLE": "Relata API",
    "DESCRIPTION": "The published data of Relata, a knowledge base of foreign relations between "
    "states: read-only, anonymous, keyset-paged, with a changes feed for mirrors. See "
    "docs/api.md.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],
    "SCHEMA_PATH_PREFIX": "/api/",
    # Swagger UI from our own static files (drf-spectacular-sidecar), not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # One name for the precision of every fuzzy date (events, sources, posts...).
    "ENUM_NAME_OVERRIDES": {"PrecisionEnum": "core.dates.Precision"},
}

# --- Background tasks (django.tasks, database backend django-tasks-db) --------------------------
# Admin fixture imports run in a worker (`manage.py db_worker`), never inside a request.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Upload limits (exchange.uploads; docs/exchange.md) -----------------------------------------
# A file over its view's limit is refused as it starts to arrive, before anything keeps it.
FILE_UPLOAD_HANDLERS = [
    "exchange.uploads.UploadLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Where uploads wait for the worker (web and worker processes must share it); default: the
# system's temporary directory, relata-imports/.
EXCHANGE_UPLOAD_DIR = env_str("EXCHANGE_UPLOAD_DIR", "") or None
EXCHANGE_FIXTURE_MAX_UPLOAD = env_int("EXCHANGE_FIXTURE_MAX_UPLOAD", 256 * 1024 * 1024)
EXCHANGE_CSV_MAX_UPLOAD = env_int("EXCHANGE_CSV_MAX_UPLOAD", 64 * 1024)

# --- Warm-up after a publish (reader/warm.py; docs/performance.md) ------------------------------
# Called after every bump of the knowledge-base version (core.cache), the new number in the cache:
# reader.warm.queue enqueues one task (debounced) for the worker, which computes the new
# version's costly public answers (facets, the relationships index, rankings...) into the shared
# cache, so that no reader pays for them. Only worth it where the worker shares the web
# processes' cache: on by default with REDIS_URL; WARM_AFTER_PUBLISH=0 turns it off.
AFTER_BUMP = (
    ["reader.warm.queue"] if env_bool("WARM_AFTER_PUBLISH", bool(env_str("REDIS_URL", ""))) else []
)
# Pages the warm-up also renders into the page cache, as an anonymous reader asks for them:
# absolute URLs, since scheme and host are part of the page cache's key (comma-separated in the
# environment), e.g. https://relata.example/timeline/,https://relata.example/relations/
WARM_URLS = env_list("WARM_URLS", [])
