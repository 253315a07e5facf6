"""What the hostile-input probe sends, and where: every public URL and every parameter.

Shared by the suite's probe (tests/probes/test_hostile_input.py, in-process, on the seed) and
the full-size run against a server (bench/hostile.py). Nothing here needs a database.

- Routes come from the URLconf (every pattern but the admin's), with their path parameters.
- Parameters come from the OpenAPI schema for the API (each operation's query parameters),
  from the forms of the reader's views (``READER_PARAMS``, checked against the URLconf), and
  ``UNLISTED`` for those a view reads that no schema lists.
- Values: control characters and NUL, huge and negative numbers, unicode, percent-encoding
  (double, broken, invalid UTF-8), dates at the calendar's edges, SQL and HTML fragments, very
  long strings; repeated parameters and unknown ones; each written as it goes on the wire.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from urllib.parse import quote

from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.regex_helper import normalize
from hypothesis import strategies as st

from reader.timeline.request import PARAMETER_ORDER

# --- Routes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str  # "timeline", "api:event-detail"
    template: str  # "/relations/%(first)s-%(second)s/"
    keys: tuple[str, ...]  # its path parameters, in order
    params: tuple[str, ...] = ()  # the query parameters it reads
    # Its parameters grouped by kind (those the schema describes alike are read alike, e.g. the
    # fixture's twelve lists of keys): the grid spreads its values over a group's members.
    groups: tuple[tuple[str, ...], ...] = ()
    view: object = field(default=None, compare=False, hash=False)

    @property
    def schema_path(self) -> str:
        return re.sub(r"%\((\w+)\)s", r"{\1}", self.template)

    def path(self, values: dict[str, str]) -> str:
        """The path with each key written as it goes on the wire (percent-encoded)."""
        return self.template % {k: wire(v) for k, v in values.items()}


def _part(regex: str) -> str:
    return regex.removeprefix("^").removesuffix(r"\Z").removesuffix("$")


def url_patterns() -> list[tuple[str, str, object]]:
    """(name, regex, view) of every public pattern: all but the admin's."""

    def walk(patterns, prefix: str, namespace: str):
        for pattern in patterns:
            regex = prefix + _part(pattern.pattern.regex.pattern)
            if isinstance(pattern, URLResolver):
                if pattern.app_name == "admin":
                    continue
                yield from walk(pattern.url_patterns, regex, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern):
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                yield name, regex, pattern.callback

    return list(walk(get_resolver().url_patterns, "", ""))


# The reader's views read their query through forms; the timeline's fields are the ones its
# canonical URLs order (a parameter added there is probed at once), plus the page number.
TIMELINE = (*PARAMETER_ORDER, "page")
READER_PARAMS: dict[str, tuple[str, ...]] = {
    "home": (),
    "timeline": TIMELINE,
    "timeline-csv": TIMELINE,
    "timeline-json": TIMELINE,
    "timeline-atom": TIMELINE,
    "relationships": ("first", "second"),
    "dossier": ("as_of",),
    "countries": (),
    "country": (),
    "organisation": (),
    "official": (),
    "agreement": (),
    "event": (),
    "source": (),
    "healthz": ("format",),
}
# What views read that the schema does not list (drf-spectacular's own views; DRF's format
# override, on every API view).
UNLISTED: dict[str, tuple[str, ...]] = {
    "api:schema": ("version", "lang", "format"),
    "api:docs": ("script", "lang", "version", "format"),
}
# Sent to every route: parameters no view knows.
JUNK_PARAMS = ("utm_source", "", "q[]", "__proto__", "per_page ", "FROM", "cursor\x00")


def routes(schema: dict) -> list[Route]:
    """Every public route with the parameters it reads; each API route's from the schema."""
    operations = {path: ops.get("get", {}) for path, ops in schema["paths"].items()}
    found = []
    for name, regex, view in url_patterns():
        ((template, keys),) = normalize(regex)
        route = Route(name, "/" + template, tuple(keys))
        kinds: dict[str, str] = {}
        if name.startswith("api:"):
            for p in operations.get(route.schema_path, {}).get("parameters", ()):
                if p["in"] == "query":
                    described = {k: v for k, v in p.items() if k not in ("name", "description")}
                    kinds[p["name"]] = repr(sorted(described.items()))
            params = (*kinds, *UNLISTED.get(name, ()), "format")
        else:
            params = READER_PARAMS[name]  # KeyError: a new page, tell the probe what it reads
        params = tuple(dict.fromkeys(params))
        groups: dict[str, list[str]] = {}
        for param in params:
            groups.setdefault(kinds.get(param, param), []).append(param)
        found.append(
            Route(
                name,
                route.template,
                route.keys,
                params,
                tuple(tuple(g) for g in groups.values()),
                view,
            )
        )
    return found


# --- Values ---------------------------------------------------------------------------------


class Raw(str):
    """A value already written as it goes on the wire (not percent-encoded again)."""


def wire(value: str) -> str:
    if isinstance(value, Raw):
        return str(value)
    return quote(value, safe="")


def query(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{wire(k)}={wire(v)}" for k, v in pairs)


def _cursor(text: str) -> str:
    return base64.b64encode(text.encode("utf-8", "surrogatepass")).decode()


HOSTILE: tuple[str, ...] = (
    # Empty, blank, control characters and NUL.
    "",
    " ",
    "\x00",
    "a\x00b",
    "ok\x08",
    "\x1b[31mred",
    "\t\n\r",
    "\x0b\x0c\x7f",
    "x\x85y",
    "\ufffe\uffff",
    # Numbers: huge, negative, odd notations.
    "0",
    "-1",
    "9" * 30,
    "-9223372036854775809",
    "9223372036854775808",
    "1e308",
    "NaN",
    "Infinity",
    "0x10",
    "1.5",
    "null",
    "false",
    "true",
    "[]",
    "{}",
    "\uff11\uff12",  # full-width digits
    "\u0663",  # Arabic-Indic three
    # Unicode that changes length with case, joins, reverses or decomposes.
    "\u0130stanbul",
    "stra\u00dfe",
    "\ufb00",
    "\u202eevil",
    "\U0001d518\U0001d52b\U0001d526",
    "\U0001f1e7\U0001f1fe",
    "e\u0301\u0301\u0301",
    "\u200b\u200d",
    # Percent-encoding, written raw: double, broken, invalid and overlong UTF-8, a lone surrogate.
    Raw("%"),
    Raw("%25"),
    Raw("%2500"),
    Raw("%zz"),
    Raw("%FF%FE"),
    Raw("%C0%AF"),
    Raw("%ED%A0%80"),
    Raw("%E2%82"),
    Raw("a%00b"),
    Raw("%0D%0ASet-Cookie:%20x=1"),
    "%s%n%x",
    'x";filename="evil.html',
    # Dates at the edges of the calendar and past them.
    "0001-01-01",
    "9999-12-31",
    "0000-00-00",
    "until 1000",
    "/2001",
    "../1000-01-01",
    "before 0001",
    "after 9999",
    "late December 9999",
    "after 2999",
    "before 1000",
    "2999/..",
    "2010-02-30",
    "+10000-01-01",
    "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00+14:00",
    "2010-06-21T25:61:00",
    "1000-01-01.1",
    "9999-12-31.999999999999999999",
    # SQL, HTML, templates, paths, search syntax.
    "' OR '1'='1",
    "1; DROP TABLE relations_event; --",
    "%' AND 1=1 --",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{7*7}}${7*7}",
    "../../etc/passwd",
    '"',
    '"unclosed phrase',
    "- -- ---",
    "-",
    "\\",
    "(*)?[|]",
    "OR AND NOT",
    # Long.
    "a" * 10_000,
    "9" * 5_000,
    "x " * 2_000,
    '"a" ' * 120,
    "-b " * 120,
)

# The sharpest of them, which the suite's grid sends to every parameter (the rest in turns).
CORE: tuple[str, ...] = (
    "",
    "\x00",
    "ok\x08",
    "\t\n\r",
    "\x0b\x0c\x7f",
    "x\x85y",
    "\ufffe\uffff",
    Raw("%FF%FE"),
    Raw("%ED%A0%80"),
    Raw("%0D%0ASet-Cookie:%20x=1"),
    'x";filename="evil.html',
    "9" * 30,
    "-1",
    "after 9999",
    "<script>alert(1)</script>",
    "a" * 10_000,
)
REST = tuple(value for value in HOSTILE if value not in CORE)

# Base64 cursors with hostile insides (the API's cursor is base64 of a query string).
CURSORS: tuple[str, ...] = (
    _cursor("p=0001-01-01&p=1"),
    _cursor("p=9999-12-31&p=9223372036854775807"),
    _cursor("p=9999-12-31&p=99999999999999999999999"),
    _cursor("p=0000-01-01&p=1&r=1"),
    _cursor("p=2010-01-01\x00&p=1"),
    _cursor("p=a&p=b&p=c&p=d"),
    _cursor("r=1"),
    _cursor("p=%ED%A0%80&p=1"),
    _cursor("\udcff"),
    "====",
    "a" * 4_000,
)


def known_values(reference: dict[str, list[str]]) -> dict[str, tuple[str, ...]]:
    """Values each parameter takes in earnest, from the data (``reference``) and the forms."""
    known = {
        "q": ("oil", '"nuclear" -loan', "Lukashenko"),
        "domain": tuple(reference["domains"]),
        "from": ("2009", "May 2009", "1000", "2999"),
        "to": ("2010", "late June 2010", "2999-12-31"),
        "as_of": ("2009", "2010-06-30", "1000-01-01"),
        "country": tuple(reference["countries"]),
        "first": tuple(reference["countries"]),
        "second": tuple(reference["countries"]),
        "member_organisation": tuple(reference["organisations"]),
        "official": tuple(reference["officials"]),
        "organisation": tuple(reference["organisations"]),
        "agreement_kind": ("loan", "treaty", "other"),
        "order": ("oldest", "newest"),
        "per_page": ("1", "2", "100"),
        "after": ("2009-01-01.1", "0001-01-01.1"),
        "before": ("9999-12-31.1", "2010-06-01.5"),
        "page": ("1",),
        "cursor": tuple(reference["cursors"]) + CURSORS,
        "since": ("2000-01-01", "2026-01-01T00:00:00Z"),
        "format": ("json", "api", "openapi", "openapi-json", "yaml", "csv"),
        "version": ("1",),
        "lang": ("en", "en-gb", "fr"),
        "script": ("",),
    }
    for kind, keys in reference["fixture"].items():  # /api/fixture/?event=<slug>,<slug>...
        known[kind] = (*known.get(kind, ()), *keys, ",".join(keys))
    return known


ACCEPT = (
    *("*/*",) * 10,  # mostly: the rest are refused (406) before any view runs
    "text/html",
    "application/json",
    "application/vnd.oai.openapi+json",
    "application/xml;q=0.9, */*;q=0.1",
    "text/csv; charset=\x7f",
    "application/json; version=\x01",
    "image/png",
    "a" * 2_000,
    "",
)
METHODS = ("GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE", "TRACE", "PROPFIND")


def pretty(method: str, path: str, query_string: str) -> str:
    url = path + (f"?{query_string}" if query_string else "")
    return f"{method} {url if len(url) <= 200 else url[:200] + '…'}"


# --- Requests: (method, path, query string[, Accept]) as they go on the wire -------------------
STRIDE = 12  # the grid's share of values per (route, parameter) pair in the suite; 1 in bench/


def grid(found, keys, known, stride: int = STRIDE):
    """Every route × method; every route × parameter × hostile value (and the parameter's own
    values; and all of them repeated in one request); every path parameter × hostile value.

    Parameters the schema describes alike (a route's ``groups``) share the values round-robin.
    Each (route, group) pair takes every value of ``CORE``, and of the rest every ``stride``-th
    one, the next pair the next ones: routes that share a parameter (the timeline's four, the
    API's twelve lists) share that work, so each value still meets each kind of parameter.
    ``stride=1`` (bench/hostile.py): every value everywhere."""
    pair = 0
    for route in found:
        path = route.path(keys[route.name][0])
        for method in METHODS:
            yield method, path, ""
        for value in CORE[: 4 if stride > 1 else None]:  # a parameter no view reads
            yield "GET", path, query([(JUNK_PARAMS[0], value), (value, "x")])
        for group in route.groups:
            repeated = [(group[0], v) for v in (*known.get(group[0], ()), *HOSTILE[:12])]
            yield "GET", path, query(repeated)
            own = [(p, v) for p in group for v in known.get(p, ())]
            rest = [*((group[i % len(group)], v) for i, v in enumerate(REST)), *own]
            for param, value in (
                *((group[i % len(group)], v) for i, v in enumerate(CORE)),
                *rest[pair % stride :: stride],
            ):
                yield "GET", path, query([(param, value)])
            pair += 1
        for key in route.keys:
            for value in (*CORE, *REST[pair % stride :: stride]):
                values = {**keys[route.name][0], key: value}
                if value:  # an empty key is another route (or none)
                    yield "GET", route.path(values), ""
            pair += 1


def requests(found, keys, known):
    """A request to any route: its path mostly to a record that exists, else with a hostile
    key; up to five parameters, each one the route reads (or one none does) with a value of its
    own, a hostile one, any text or any number; any method; any Accept header. Strategies are
    built once per route: drawing is most of what hypothesis costs here."""
    text = st.text(max_size=24)  # any code point, surrogates aside (they cannot be sent)
    numbers = st.integers(min_value=-(2**70), max_value=2**70).map(str)
    anything = st.one_of(st.sampled_from(HOSTILE), text, numbers)

    def to(route: Route):
        existing = st.sampled_from([route.path(values) for values in keys[route.name]])
        path = existing
        if route.keys:
            hostile = st.tuples(st.sampled_from(route.keys), anything.filter(bool)).map(
                lambda kv: route.path({**keys[route.name][0], kv[0]: kv[1]})
            )
            path = st.one_of(existing, existing, existing, hostile)
        params = (*route.params, *JUNK_PARAMS)
        own = [(p, v) for p in params for v in known.get(p, ())]
        pair = st.tuples(st.sampled_from(params), anything)
        if own:
            pair = st.one_of(st.sampled_from(own), pair)
        return st.tuples(path, st.lists(pair, max_size=5).map(query))

    return st.tuples(
        st.sampled_from(METHODS),
        st.one_of([to(route) for route in found]),
        st.sampled_from(ACCEPT),
    ).map(lambda r: (r[0], *r[1], r[2]))
