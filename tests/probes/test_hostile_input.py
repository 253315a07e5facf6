"""Hostile input over every public URL and query parameter: never a 5xx.

The routes come from the URLconf (every pattern but the admin's), their parameters from the
OpenAPI schema and the reader's forms (tests/probes/hostile.py). Two passes on the seed:

1. a grid (some 4,000 requests): every route × every method; every route × every parameter it
   reads × hostile values (control characters, NUL, huge numbers, unicode, broken
   percent-encoding, dates past the calendar's edges, SQL and HTML fragments, very long
   strings): the sharpest (``CORE``) everywhere, the rest in turns; every path parameter ×
   hostile values, alike;
2. hypothesis (1,200 requests): requests that mix them (several parameters, repeated ones,
   unknown ones, odd methods and Accept headers), derandomized so that CI sees the same
   requests every run.

Before the fixes of issue 11 the grid found the Atom feed's control characters, the schema's
``version`` copied into a header and ``OPTIONS /api/docs/``. bench/hostile.py sends the whole
grid and more, 15,000 requests, to a running server.

Requests go to the WSGI application in-process, as a server would hand them over (a raw WSGI
environ: percent-decoded path, raw query string), each in a savepoint so that one that breaks
the transaction cannot hide the next. Django's test client would double the cost of a request
(it copies every template context), and its count is what the probe is for. A streamed body is
read to its end: a stream cut by an error is a failure too.
"""

from __future__ import annotations

import io
import time
import traceback
from collections import Counter
from urllib.parse import parse_qs, unquote_to_bytes, urlsplit

import pytest
from django.core.signals import got_request_exception, request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.fixture import MODELS
from exchange.changelog import LOGGED
from exchange.spec import key_field
from relations.models import Country, Domain
from tests.api.conftest import _module_seed, seed  # noqa: F401  (one seed for the module)
from tests.probes.hostile import (
    READER_PARAMS,
    Route,
    grid,
    known_values,
    pretty,
    requests,
    routes,
)

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

EXAMPLES, BATCH = 300, 4  # hypothesis examples, of four requests each (cheaper to draw)


# --- Sending ----------------------------------------------------------------------------------
class Probe:
    """Sends requests to the WSGI application and keeps what went wrong."""

    def __init__(self) -> None:
        self.app = get_wsgi_application()
        self.statuses: Counter[int] = Counter()
        self.seconds: Counter[str] = Counter()  # by the path's first two segments
        self.failures: dict[str, str] = {}  # what failed (first request of each kind) -> how
        self._error: str | None = None

    def __enter__(self) -> Probe:
        # As Django's test client does: a request must not close the test's connection (the
        # seed is in its transaction).
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        got_request_exception.connect(self._caught)
        return self

    def __exit__(self, *exc) -> None:
        got_request_exception.disconnect(self._caught)
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)

    def _caught(self, sender, request=None, **kwargs) -> None:
        self._error = traceback.format_exc(limit=-4)

    @property
    def count(self) -> int:
        return self.statuses.total()

    def send(self, method: str, path: str, query_string: str = "", accept: str = "*/*") -> int:
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
            "QUERY_STRING": query_string,
            "SERVER_NAME": "testserver",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "testserver",
            "HTTP_ACCEPT": accept,
            "wsgi.input": io.BytesIO(b""),
            "wsgi.url_scheme": "http",
            "wsgi.errors": io.StringIO(),
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "wsgi.version": (1, 0),
        }
        started: list[str] = []
        self._error = None
        clock = time.perf_counter()
        try:
            with transaction.atomic():
                body = self.app(environ, lambda status, *_: started.append(status))
                try:
                    for _ in body:  # a stream is read to its end
                        pass
                finally:
                    if hasattr(body, "close"):
                        body.close()
            status = int(started[0].split()[0])
        except Exception:
            status, self._error = 599, traceback.format_exc(limit=-4)  # a stream cut short
        self.statuses[status] += 1
        self.seconds["/".join(path.split("/")[:3])] += time.perf_counter() - clock
        healthz_verdict = path == "/healthz" and status == 503 and self._error is None
        if status >= 500 and not healthz_verdict:
            kind = (self._error or f"status {status}").strip().splitlines()[-1][:200]
            self.failures.setdefault(kind, f"{pretty(method, path, query_string)}\n{self._error}")
        return status

    def report(self, what: str, seconds: float, cpu: float) -> str:
        statuses = ", ".join(f"{code}: {n}" for code, n in sorted(self.statuses.items()))
        slowest = ", ".join(f"{p} {s:.1f} s" for p, s in self.seconds.most_common(6))
        return (
            f"hostile-input probe, {what}: {self.count} requests in {seconds:.1f} s "
            f"({self.seconds.total():.1f} s answering them, {cpu:.1f} s of this process's CPU) "
            f"({statuses}; slowest paths: {slowest})"
        )

    def verdict(self) -> str:
        return "\n".join(
            f"- {kind}\n  first seen: {how}".replace("\n", "\n    ")
            for kind, how in self.failures.items()
        )


# --- The public surface, on the seed ----------------------------------------------------------
@pytest.fixture
def surface(seed):  # noqa: F811 (the seed fixture imported above)
    """(routes, {route name: [path values that exist]}, {parameter: values in earnest})."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    found = routes(schema)
    listed = set(schema["paths"])
    api_paths = {route.schema_path for route in found if route.name.startswith("api:")}
    assert listed <= api_paths, "every operation of the schema is a route of the URLconf"
    reader = {route.name for route in found if not route.name.startswith("api:")}
    assert reader == set(READER_PARAMS), "tell the probe what a new page reads"

    keys = {route.name: existing_keys(route) for route in found}
    missing = [name for name, values in keys.items() if not values]
    assert missing == [], "every route with a key gets a key that exists"
    return found, keys, known_values(reference(found, keys))


def existing_keys(route: Route) -> list[dict[str, str]]:
    """Path values that name a record a reader may see (so that the query reaches the view)."""
    if not route.keys:
        return [{}]
    if route.keys == ("first", "second"):
        return [{"first": "by", "second": "ir"}]
    if route.keys == ("pair",):
        return [{"pair": "by-ir"}]
    viewset = getattr(route.view, "cls", None)
    if viewset is not None:
        queryset, field = viewset.queryset.all(), viewset.lookup_field
    else:
        model = LOGGED[route.name]
        queryset, field = model._default_manager.all(), key_field(model)
        if hasattr(model, "status"):
            queryset = queryset.filter(status="published")
    values = queryset.order_by("pk").values_list(field, flat=True)[:2]
    return [{route.keys[0]: str(value).lower()} for value in values]


def reference(found: list[Route], keys: dict[str, list[dict[str, str]]]) -> dict:
    """The seed's keys, as the parameters that name records take them."""
    slugs = {name: [v["slug"] for v in keys[name]] for name in ("official", "organisation")}
    withdrawn = list(Country.objects.filter(withdrawn__isnull=False).values_list("code", flat=True))
    cursors = []
    for route in found:
        if route.name.endswith("-list") and "cursor" in route.params:
            cursors += next_cursors(route)
    return {
        "domains": list(Domain.objects.values_list("slug", flat=True)),
        "countries": ["by", "ir", "IR", "ru", *withdrawn[:1]],
        "officials": slugs["official"],
        "organisations": slugs["organisation"],
        "cursors": cursors[:20],
        "fixture": {
            kind: [
                str(k)
                for k in model._default_manager.order_by("pk").values_list(
                    key_field(model), flat=True
                )[:2]
            ]
            for kind, model in MODELS.items()
        },
    }


def next_cursors(route: Route) -> list[str]:
    """The `cursor` of a list's first `next` link (a real one, to start from)."""
    response = Client().get(route.template, {"per_page": 1})
    link = response.json().get("next") if response.status_code == 200 else None
    return parse_qs(urlsplit(link).query).get("cursor", []) if link else []


# --- 1. The grid ------------------------------------------------------------------------------
def test_every_route_parameter_and_hostile_value_gets_no_server_error(surface, capsys):
    found, keys, known = surface
    started, cpu = time.monotonic(), time.process_time()
    with Probe() as probe:
        for method, path, query_string in grid(found, keys, known):
            probe.send(method, path, query_string)
    seconds = time.monotonic() - started
    with capsys.disabled():
        print("\n" + probe.report("grid", seconds, time.process_time() - cpu))
    assert not probe.failures, probe.verdict()
    assert probe.count >= 3_900
    assert 429 not in probe.statuses, "the suite's settings throttle nothing"


# --- 2. Generated mixtures ------------------------------------------------------------------
def test_generated_requests_get_no_server_error(surface, capsys):
    found, keys, known = surface
    started, cpu = time.monotonic(), time.process_time()
    with Probe() as probe:

        @settings(
            max_examples=EXAMPLES,
            derandomize=True,  # the same requests on every run: a failure in CI reproduces
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(st.lists(requests(found, keys, known), min_size=BATCH, max_size=BATCH))
        def batch(drawn):
            for request in drawn:
                probe.send(*request)

        batch()
    seconds = time.monotonic() - started
    with capsys.disabled():
        print("\n" + probe.report("generated", seconds, time.process_time() - cpu))
    assert not probe.failures, probe.verdict()
    assert probe.count == EXAMPLES * BATCH
