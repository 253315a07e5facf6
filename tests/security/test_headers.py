"""Security headers on every page type, with production's security settings over HTTPS.

Content-Security-Policy: no nonce on public pages (they are cached whole), a fresh nonce on
admin pages, which their inline scripts and styles carry; HSTS, nosniff, Referrer-Policy,
Permissions-Policy and Cross-Origin-Opener-Policy everywhere. What the browser makes of the
policies is tests/browser/test_csp.py's part.
"""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth.models import Group
from django.test import override_settings

from relations.roles import EDITOR
from tests.security.pages import ADMIN, DATA, LOGIN, PUBLIC, admin_url
from tests.test_settings import REDIS_URL, STRONG_KEY, manage

# Production's own values, read from config.settings.production in a process of its own (it
# refuses to load without a strong key and a shared cache).
PRODUCTION_SECURITY = """
import json
from django.conf import settings
names = [n for n in dir(settings) if n.startswith(("SECURE_", "CSP_", "PERMISSIONS_POLICY"))]
print(json.dumps({n: getattr(settings, n) for n in names}))
"""


@pytest.fixture(scope="module")
def production_security():
    result = manage(
        "shell",
        "-c",
        PRODUCTION_SECURITY,
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=STRONG_KEY,
        REDIS_URL=REDIS_URL,
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    values["SECURE_PROXY_SSL_HEADER"] = tuple(values["SECURE_PROXY_SSL_HEADER"])
    assert values["SECURE_HSTS_SECONDS"] > 0 and values["SECURE_SSL_REDIRECT"]
    return values


@pytest.fixture
def production(production_security, seed):
    with override_settings(**production_security):
        yield


@pytest.fixture
def editor(django_user_model):
    user = django_user_model.objects.create_user("editor", is_staff=True)
    user.groups.add(Group.objects.get(name=EDITOR))
    return user


def policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


def get(client, url: str):
    """The response to a GET over HTTPS, and its body (a stream read to the end)."""
    response = client.get(url, secure=True)
    assert response.status_code == 200, url
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body.decode()


def assert_common_headers(response) -> None:
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]
    directives = policy(response)
    for directive, value in {
        "default-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'none'",
        "frame-ancestors": "'none'",
        "form-action": "'self'",
    }.items():
        assert directives[directive] == value


def nonce_policy(client, url: str) -> str:
    """The page's nonce, in its policy and on its inline scripts and styles."""
    response, body = get(client, url)
    assert_common_headers(response)
    directives = policy(response)
    nonce = re.fullmatch(r"'self' 'nonce-([\w-]+)'", directives["script-src"]).group(1)
    assert f"'nonce-{nonce}'" in directives["style-src"], url
    assert f'nonce="{nonce}"' in body, url
    return nonce


@pytest.mark.django_db
def test_every_page_type_carries_the_headers(client, production, editor):
    """One test over every page type, so the seed loads once."""
    for url in [*PUBLIC.values(), *DATA.values()]:
        response, body = get(client, url)
        assert_common_headers(response)
        directives = policy(response)
        assert directives["script-src"] == "'self'", url
        assert "nonce" not in response["Content-Security-Policy"] and "nonce=" not in body
        if not url.startswith("/api/"):
            assert directives["style-src"] == "'self'", url

    assert nonce_policy(client, LOGIN) != nonce_policy(client, LOGIN)  # fresh each time
    client.force_login(editor)
    for name in ADMIN:
        nonce_policy(client, admin_url(name))
