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
        # The content is what is checked here: schemathesis' WSGI transport does not undo
        # Brotli or gzip (tests/core/test_compression.py checks those).
        headers={"Accept-Encoding": "identity"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
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


# --- Hardening (issue 11): nothing of the request in a header, OPTIONS, and the schema agreeing
# with what the API accepts -----------------------------------------------------------------------
@pytest.mark.parametrize("version", ["\n", "\x00", 'x";filename="evil.html', "2", "1 "])
def test_a_schema_version_that_does_not_exist_is_a_400_and_no_header_echoes_it(client, version):
    response = client.get("/api/schema/", {"version": version})
    assert response.status_code == 400
    assert response.json() == {"version": ["There is one version of this API: 1."]}
    assert "Content-Disposition" not in response


@pytest.mark.parametrize(
    ("query", "accept", "name"),
    [
        ("", "application/vnd.oai.openapi", "relata-api.yaml"),
        ("?version=1", "application/vnd.oai.openapi", "relata-api.yaml"),
        ("?version=", "application/vnd.oai.openapi+json", "relata-api.json"),
    ],
)
def test_the_schema_downloads_under_a_fixed_name(client, query, accept, name):
    response = client.get(f"/api/schema/{query}", HTTP_ACCEPT=accept)
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'inline; filename="{name}"'
    assert response["Content-Type"].startswith(accept)


def test_a_language_that_is_not_ours_is_a_400_and_leaves_nothing_behind(client):
    """drf-spectacular activated any ``?lang=``; Django keeps every language ever activated."""
    from django.utils.translation import trans_real

    before = len(trans_real._translations)
    for lang in ("fr-zz1", "fr-zz2", "x" * 500, "en\x00"):
        response = client.get("/api/schema/", {"lang": lang})
        assert response.status_code == 400, lang
        assert "lang" in response.json()
    assert len(trans_real._translations) == before
    assert client.get("/api/schema/", {"lang": "en-gb"}).status_code == 200


def test_options_is_answered_on_the_docs_and_the_schema(client):
    docs = client.options("/api/docs/")
    assert docs.status_code == 200
    assert {"GET", "OPTIONS"} <= {m.strip() for m in docs["Allow"].split(",")}
    assert client.options("/api/schema/").status_code < 500


def test_the_docs_point_at_the_schema_whatever_their_query(client):
    script = client.get("/api/docs/", {"script": "", "version": 'x"', "lang": "zz"})
    assert script.status_code == 200
    assert '  url: "/api/schema/",' in script.content.decode().splitlines()


def openapi(client) -> dict:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    return response.json()


def list_operations(schema: dict):
    for path_, operations in schema["paths"].items():
        parameters = {p["name"]: p for p in operations["get"].get("parameters", ())}
        if "per_page" in parameters and "{" not in path_:
            yield path_, operations["get"], parameters


def test_per_page_is_a_400_outside_the_range_the_schema_gives(client, seed):
    for path_, operation, parameters in list_operations(openapi(client)):
        if path_ == "/api/changes/":
            continue  # its own range, tested in test_changes
        per_page = parameters["per_page"]["schema"]
        assert (per_page["minimum"], per_page["maximum"], per_page["default"]) == (1, 100, 50)
        assert "400" in operation["responses"], path_
        for value in ("1", "100", ""):
            assert client.get(path_, {"per_page": value}).status_code == 200, (path_, value)
        for value in ("null", "false", "0", "101", "-1", "1.0", "1e1", "٣"):
            response = client.get(path_, {"per_page": value})
            assert response.status_code == 400, (path_, value)
            assert response.json() == {"per_page": ["A whole number from 1 to 100."]}


def test_dates_are_typed_as_the_fuzzy_dates_they_are(client, seed):
    schema = openapi(client)
    dates = [
        ("/api/events/", "from"),
        ("/api/events/", "to"),
        ("/api/relations/{pair}/", "as_of"),
    ]
    for path_, name in dates:
        (parameter,) = [p for p in schema["paths"][path_]["get"]["parameters"] if p["name"] == name]
        assert parameter["schema"]["format"] == "fuzzy-date"
        assert parameter["schema"]["maxLength"] == 100
        assert "Accepted forms: 2008;" in parameter["description"]
        assert "400" in schema["paths"][path_]["get"]["responses"]
    # What the schema says of them holds: too long, or no year in it, is refused.
    for value in ("x" * 101, "sometime"):
        assert client.get("/api/events/", {"from": value}).status_code == 400
        assert client.get("/api/relations/by-ir/", {"as_of": value}).status_code == 400


def test_a_country_code_that_names_no_state_is_a_documented_400(client, seed):
    schema = openapi(client)
    for path_ in ("/api/events/", "/api/memberships/"):
        operation = schema["paths"][path_]["get"]
        (country,) = [p for p in operation["parameters"] if p["name"] == "country"]
        assert "another is a 400" in country["description"]
        assert "400" in operation["responses"]
        response = client.get(path_, {"country": "AA"})
        assert response.status_code == 400
        assert "aa" in str(response.json()["country"]).lower()
