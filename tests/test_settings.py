"""Settings come from the environment, and production settings are safe by construction."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

ROOT = settings.BASE_DIR
STRONG_KEY = "k" * 30 + "-production-secret-0123456789abcdef"


REDIS_URL = "redis://127.0.0.1:6379/0"


def manage(*args, **env):
    unset = {"SECRET_KEY", "DEBUG", "REDIS_URL"}
    environment = {k: v for k, v in os.environ.items() if k not in unset}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=STRONG_KEY,
        ALLOWED_HOSTS="relata.example.org",
        REDIS_URL=REDIS_URL,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_a_cache_of_its_own_in_each_process():
    result = manage(
        "check",
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=STRONG_KEY,
        ALLOWED_HOSTS="relata.example.org",
    )
    assert result.returncode != 0
    assert "Set REDIS_URL" in result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", DJANGO_SETTINGS_MODULE="config.settings.production")
    assert result.returncode != 0
    assert "Set the SECRET_KEY environment variable" in result.stderr


def test_production_refuses_a_weak_secret_key():
    result = manage(
        "check", DJANGO_SETTINGS_MODULE="config.settings.production", SECRET_KEY="dev-x"
    )
    assert "at least 50 characters" in result.stderr


def test_a_malformed_boolean_is_an_error_not_a_guess():
    result = manage("check", DJANGO_SETTINGS_MODULE="config.settings.dev", DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_sqlite_is_the_default_database_when_database_url_is_unset():
    code = "from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])"
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=environment | {"DJANGO_SETTINGS_MODULE": "config.settings.dev"},
        capture_output=True,
        text=True,
    )
    assert result.stdout.strip().endswith("sqlite3"), result.stderr


def test_a_malformed_throttle_rate_is_an_error_not_a_guess():
    result = manage(
        "check", DJANGO_SETTINGS_MODULE="config.settings.dev", EXPORT_THROTTLE_RATE="lots"
    )
    assert result.returncode != 0
    assert "EXPORT_THROTTLE_RATE='lots' is not a rate" in result.stderr


@pytest.mark.django_db
def test_postgresql_connections_run_queries_without_parallel_workers():
    """A web server's cores each have a request: a query's parallel workers would take them."""
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL setting")
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone()[0] == "0"


def test_the_database_urls_own_options_are_kept_beside_ours():
    code = (
        "from django.conf import settings; o = settings.DATABASES['default']['OPTIONS']; "
        "print(o['connect_timeout'], o['application_name'], o['options'])"
    )
    url = "postgres://u@127.0.0.1:5432/x?connect_timeout=5&application_name=relata-web"
    result = manage(
        "shell", "-c", code, DJANGO_SETTINGS_MODULE="config.settings.dev", DATABASE_URL=url
    )
    assert result.stdout.strip().splitlines()[-1].split() == [
        "5",
        "relata-web",
        "-c",
        "max_parallel_workers_per_gather=0",
    ], result.stderr


def test_a_replica_url_adds_the_replica_its_router_and_our_options():
    code = (
        "from django.conf import settings; r = settings.DATABASES['replica']; "
        "print(r['HOST'], r['PORT'], r['NAME'], r['TEST']['MIRROR'], "
        "settings.DATABASE_ROUTERS[0], r['OPTIONS']['options'])"
    )
    result = manage(
        "shell",
        "-c",
        code,
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        DATABASE_URL="postgres://u@127.0.0.1:5432/relata",
        DATABASE_REPLICA_URL="postgres://u@10.0.0.2:5433/relata",
    )
    assert result.stdout.strip().splitlines()[-1].split() == [
        "10.0.0.2",
        "5433",
        "relata",
        "default",
        "core.replica.ReplicaRouter",
        "-c",
        "max_parallel_workers_per_gather=0",
    ], result.stderr


def test_without_a_replica_url_every_read_stays_on_the_one_database():
    code = (
        "from django.conf import settings; "
        "print(sorted(settings.DATABASES), settings.DATABASE_ROUTERS)"
    )
    result = manage(
        "shell",
        "-c",
        code,
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        DATABASE_URL="postgres://u@127.0.0.1:5432/relata",
    )
    assert result.stdout.strip().splitlines()[-1] == "['default'] []", result.stderr
