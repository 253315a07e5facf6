"""The API against its own OpenAPI schema: the schema validates, the docs load from our own
static files, and schemathesis finds no server error (nor a response that breaks the schema)
in requests generated from the schema, on the seed data.

The API is read-only, so the examples of one operation share the seed loaded for it (pytest-
django rolls it back once, at the end of each operation's test), and the examples are the same
on every run (derandomized), so that a failure in CI reproduces.
"""

import re

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.django_db

EXAMPLES = 40  # per operation; ~26 operations


# Generating the schema reads no data, so it can be loaded while tests are collected.
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@pytest.fixture
def connection_kept():
    """As Django's test client does: a request must not close the test's connection (and
    with it the transaction that holds the seed)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI failures reproduce
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
def test_generated_requests_get_no_server_error(case, seed, connection_kept):
    case.call_and_validate(
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ]
    )


def test_schema_validates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", tmp_path / "s.yaml")


def test_schema_is_served(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/events/" in schema["paths"]
    assert "/api/changes/" in schema["paths"]
    events = {p["name"] for p in schema["paths"]["/api/events/"]["get"]["parameters"]}
    assert {"q", "domain", "from", "to", "country", "official", "organisation"} <= events
    assert {"agreement_kind", "order", "cursor", "per_page"} <= events
    for name in ("memberships", "footnotes", "relationships"):
        assert {f"/api/{name}/", f"/api/{name}/{{slug}}/"} <= set(schema["paths"]), name
    memberships = schema["paths"]["/api/memberships/"]["get"]
    assert {"country", "organisation", "member_organisation"} <= {
        p["name"] for p in memberships["parameters"]
    }
    assert "400" in memberships["responses"]  # an unknown key
    pair = schema["paths"]["/api/relationships/{slug}/"]["get"]["parameters"]
    assert [p["schema"]["pattern"] for p in pair if p["in"] == "path"] == [
        "^[a-zA-Z]{2}(?:[a-zA-Z]{2})?-[a-zA-Z]{2}(?:[a-zA-Z]{2})?$"
    ]


def test_docs_load_their_scripts_from_this_site(client):
    html = client.get("/api/docs/").content.decode()
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', html)
    styles = re.findall(r'<link[^>]*href="([^"]+)"', html)
    assert scripts
    for url in scripts + styles:
        assert url.startswith("/"), f"{url} is not served by this site"
        assert not url.startswith("//"), url
        response = client.get(url)
        assert response.status_code == 200, url
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)


def test_swagger_ui_has_no_inline_script(client):
    """Its start-up script is a file of its own, so `script-src 'self'` would allow it."""
    html = client.get("/api/docs/").content.decode()
    inline = [s for s in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S) if s[1].strip()]
    assert inline == []
    assert "SwaggerUIBundle" not in html
