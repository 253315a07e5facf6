"""The API's resources: every list and record, lookups by natural key, keyset pages, the
timeline's filter on events (and its 400s), read-only methods, no CORS, constant queries."""

import base64
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from relations.filters import TimelineFilter
from relations.models import (
    Agreement,
    Country,
    Domain,
    Event,
    Official,
    Organisation,
    Position,
    Statement,
)
from sources.models import Source
from tests.api.conftest import LISTS, every_page, path
from tests.factories import (
    AgreementFactory,
    EventFactory,
    OfficialFactory,
    OrganisationFactory,
    StatementFactory,
)

pytestmark = pytest.mark.django_db

PUBLIC = {
    "events": Event.objects.published(),
    "agreements": Agreement.objects.published(),
    "statements": Statement.objects.published(),
    "positions": Position.objects.published(),
    "countries": Country.objects.all(),
    "domains": Domain.objects.all(),
    "organisations": Organisation.objects.all(),
    "officials": Official.objects.all(),
    "sources": Source.objects.all(),
}


def keys(records: list[dict]) -> list[str]:
    return [r.get("slug") or r["code"] for r in records]


def timeline_slugs(query: str) -> list[str]:
    """What the public timeline's own filter selects for ``query``, in the API's order."""
    filterset = TimelineFilter(QueryDict(query))
    assert filterset.is_valid(), filterset.errors
    newest = "order=newest" in query
    order = ("-date_lower", "-id") if newest else ("date_lower", "id")
    return list(filterset.qs.order_by(*order).values_list("slug", flat=True))


# --- Every list and record ----------------------------------------------------------------------
@pytest.mark.sqlite
def test_every_list_holds_every_public_record_and_each_links_to_itself(client, seed):
    root = client.get("/api/").json()
    assert set(LISTS) | {"relations", "changes", "fixture", "schema", "docs"} <= set(root)
    for name in LISTS:
        records = every_page(client, root[name] + "?per_page=100")
        key = "code" if name == "countries" else "slug"
        expected = PUBLIC[name].values_list(key, flat=True)
        assert sorted(keys(records)) == sorted(expected), name
        assert records, name
        for record in records[:3]:
            assert client.get(path(record["url"])).json() == record, name
            if "html_url" in record:
                assert client.get(path(record["html_url"])).status_code == 200, name


@pytest.mark.sqlite
def test_an_event_as_the_api_tells_it(client, seed, api_get):
    event = api_get("/api/events/2009-05-semashko-raei-jofeir-oil-project/")
    assert event["title"] == Event.objects.get(slug=event["slug"]).title
    assert event["date_display"]
    assert {"slug": "economic", "name": "Economic"} in event["domains"]
    assert [c["code"] for c in event["countries"]] == ["BY", "IR"]
    assert event["citations"]
    citation = event["citations"][0]
    assert citation["source"]["slug"] == "belarus-iran-foreign-relations-2010"
    assert citation["locator"].startswith("note ")
    assert "note" not in citation  # the analyst's remark is not public
    assert event["html_url"].endswith("/events/2009-05-semashko-raei-jofeir-oil-project/")


@pytest.mark.sqlite
def test_dates_and_sums_read_as_the_pages_write_them(client, seed, api_get):
    """``relations.presentation``'s text, as every page has it: the date at the precision of
    its source, the sum as a reporter writes it (null when there is none)."""
    loan = api_get("/api/agreements/central-bank-of-iran-loan-to-belarusneft-jofeir/")
    assert (loan["value_amount"], loan["value_currency"]) == ("212000000.00", "USD")
    assert loan["value_display"] == "$212m"
    assert loan["date_display"] == "May 2009 – July 2010"
    npt = api_get("/api/agreements/treaty-on-the-non-proliferation-of-nuclear-weapons/")
    assert npt["value_display"] is None and npt["date_display"] == ""
    event = api_get("/api/events/2010-06-late-lukashenko-turns-to-iran-after-russia-gas-row/")
    assert event["date_display"] == "late June 2010"
    for amount, currency, display in (
        (2_125_000_000, "USD", "$2.13bn"),  # half up, as the pages round it
        (250_000, "USD", "$250,000"),  # under a million, in full
        (40_000_000_000, "IRR", "IRR 40bn"),  # no common sign: the code first
    ):
        agreement = AgreementFactory(value_amount=amount, value_currency=currency, date="c. 2008")
        shown = api_get(f"/api/agreements/{agreement.slug}/")
        assert shown["value_display"] == display
        assert shown["date_display"] == "c. 2008"


@pytest.mark.sqlite
def test_countries_by_iso_code_in_any_case(client, seed, api_get):
    assert api_get("/api/countries/by/") == api_get("/api/countries/BY/")
    assert api_get("/api/countries/by/")["name"] == "Belarus"
    assert api_get("/api/countries/by/")["url"].endswith("/api/countries/by/")
    api_get("/api/countries/zz/", status=404)
    api_get("/api/countries/b/", status=404)
    api_get("/api/countries/%00y/", status=404)


def test_unknown_and_malformed_keys_are_json_404s(client, seed):
    for url in ("/api/events/no-such-event/", "/api/events/%00/", "/api/sources/%C2%84/"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response["Content-Type"] == "application/json", url


# --- Keyset pages -------------------------------------------------------------------------------
@pytest.fixture
def same_day(seed):
    """A run of events that share their start (a year, stored as 1 January): the pages must
    step through them by id."""
    return [EventFactory(date="2008", countries=["BY"]) for _ in range(23)]


@pytest.mark.sqlite
@pytest.mark.parametrize("order", ["", "newest"])
def test_pages_walk_the_whole_list_both_ways(client, same_day, order):
    query = urlencode({"per_page": 4, **({"order": order} if order else {})})
    expected = timeline_slugs(f"order={order}" if order else "")
    forward = every_page(client, f"/api/events/?{query}")
    assert keys(forward) == expected
    # From the last page back to the first, by the `previous` links.
    url, pages = f"/api/events/?{query}", []
    while url:
        body = client.get(path(url)).json()
        pages.append(body)
        url = body["next"]
    backward = every_page(client, pages[-1]["previous"], link="previous")
    assert keys(backward) == [
        slug for page in reversed(pages[:-1]) for slug in keys(page["results"])
    ]


def test_a_page_is_one_range_scan_without_offset(client, same_day):
    """DRF's own cursor keeps only the first field and skips ties by OFFSET; ours does not."""
    first = client.get("/api/events/?per_page=3").json()
    with CaptureQueriesContext(connection) as queries:
        client.get(path(first["next"]))
    events_query = queries.captured_queries[0]["sql"]
    assert "OFFSET" not in events_query
    assert '"relations_event"."date_lower" >=' in events_query


@pytest.mark.sqlite
def test_page_size_is_bounded(client, same_day):
    assert len(client.get("/api/events/?per_page=5").json()["results"]) == 5
    assert len(client.get("/api/events/?per_page=1000").json()["results"]) == 34  # all, <= 100
    assert len(client.get("/api/events/?per_page=0").json()["results"]) == 34  # the default, 50


@pytest.mark.parametrize(
    "position",
    [
        "p=2008-01-01",  # one value for two fields
        "p=2008-13-01&p=1",  # no such day
        "p=2008-01-01&p=x",
        "p=2008-01-01&p=99999999999999999999999",  # beyond bigint
        "p=2008-01-01&p=1%00",
        "p=2008-01-01&p=1&z=1",
    ],
)
def test_a_damaged_cursor_is_a_404(client, seed, position):
    cursor = base64.b64encode(position.encode()).decode()
    for value in (cursor, "%25", "YQ", "a b"):
        url = f"/api/events/?cursor={value}"
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.json() == {"detail": "Invalid cursor"}


def test_a_slug_cursor_with_a_nul_is_refused_before_the_database(client, seed):
    cursor = base64.b64encode(b"p=a%00b").decode()
    assert client.get(f"/api/sources/?cursor={cursor}").status_code == 404


# --- The timeline's filter ----------------------------------------------------------------------
TIMELINE_QUERIES = [
    "country=by&country=ir",
    "country=IR",
    "domain=economic&domain=energy",
    "from=2008&to=May 2009",
    "from=2009",
    "official=alexander-lukashenko",
    "organisation=central-bank-of-iran",
    "agreement_kind=loan",
    "q=oil",
    "country=by&order=newest",
]


@pytest.mark.parametrize("query", TIMELINE_QUERIES)
def test_events_are_filtered_by_the_timelines_own_filterset(client, seed, query):
    expected = timeline_slugs(query)
    assert expected  # each filter selects something from the seed
    assert keys(every_page(client, f"/api/events/?{query}&per_page=3")) == expected


@pytest.mark.sqlite
def test_the_filter_works_on_sqlite_too(client, seed):
    query = "country=by&country=ir&domain=economic"
    assert keys(every_page(client, f"/api/events/?{query}")) == timeline_slugs(query)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("domain=no-such-domain", "domain"),
        ("from=someday", "from"),
        ("from=2010&to=2009", "to"),
        ("country=by&country=ir&country=ru", "country"),
        ("country=zz", "country"),
        ("official=nobody", "official"),
        ("agreement_kind=gift", "agreement_kind"),
        ("order=random", "order"),
        ("q=oil%00", "q"),
        ("q=" + "x" * 201, "q"),
        ("whatever=%00", "__all__"),
    ],
)
def test_a_filter_the_timeline_refuses_is_a_400_with_its_errors(client, seed, query, field):
    response = client.get(f"/api/events/?{query}")
    assert response.status_code == 400, response.content
    assert field in response.json()


# --- Read-only, anonymous, no CORS --------------------------------------------------------------
READ_URLS = [
    "/api/",
    "/api/events/",
    "/api/events/2009-05-semashko-raei-jofeir-oil-project/",
    "/api/countries/by/",
    "/api/relations/by-ir/",
    "/api/changes/?since=2000-01-01T00:00:00Z",
]


@pytest.mark.parametrize("url", READ_URLS)
def test_only_reading_is_allowed(client, seed, url):
    for method in ("post", "put", "patch", "delete"):
        response = getattr(client, method)(url, data={}, content_type="application/json")
        assert response.status_code == 405, (method, url)
    assert client.head(url).status_code == 200
    assert client.options(url).status_code == 200


@pytest.mark.parametrize("url", READ_URLS)
def test_no_cors_headers_for_other_origins(client, seed, url):
    response = client.get(url, HTTP_ORIGIN="https://elsewhere.example")
    assert response.status_code == 200
    preflight = client.options(
        url, HTTP_ORIGIN="https://elsewhere.example", HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET"
    )
    for answer in (response, preflight):
        assert not [h for h in answer.headers if h.lower().startswith("access-control-")]


def test_a_logged_in_editor_is_still_anonymous_here(admin_client, seed):
    """No session authentication: the API answers the same to everyone, and a form post with
    an editor's cookies is still refused (405), not processed."""
    assert admin_client.get("/api/events/").status_code == 200
    assert admin_client.post("/api/events/", {"title": "x"}).status_code == 405


def test_the_browsable_api_renders(client, seed):
    response = client.get("/api/events/?country=by", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert "Belarus" in response.content.decode()


# --- Constant queries per page ------------------------------------------------------------------
def busy(n: int) -> None:
    """``n`` more published events, agreements, statements... with every relation filled (and
    cited: the factories cite a published claim once, the statements here twice)."""
    for i in range(n):
        organisation, official = OrganisationFactory(), OfficialFactory()
        agreement = AgreementFactory(date="2009")
        agreement.countries.set(Country.objects.filter(code__in=["BY", "IR"]))
        agreement.organisations.set([organisation])
        event = EventFactory(date=f"{2000 + i % 10}", countries=["BY", "IR"])
        event.organisations.set([organisation])
        event.officials.set([official])
        event.agreements.set([agreement])
        statement = StatementFactory(event=event, speaker=official, citations=2)
        statement.countries.set(Country.objects.filter(code__in=["BY"]))


LIST_QUERIES = {  # the most each list page may take, whatever its size
    "events": 7,  # events, then domains, countries, organisations, officials, agreements, citations
    "agreements": 5,
    "statements": 4,
    "positions": 2,
    "countries": 1,
    "domains": 1,
    "organisations": 1,
    "officials": 1,
    "sources": 1,
}


def test_a_list_page_costs_the_same_queries_for_few_or_many(
    client, seed, django_assert_max_num_queries
):
    filtered = "/api/events/?country=by&country=ir&domain=economic&from=2000&q=event"
    client.get(filtered)  # the filter's reference data, cached once
    few = {}
    for name in LISTS:
        with django_assert_max_num_queries(LIST_QUERIES[name]):
            few[name] = client.get(f"/api/{name}/?per_page=2").json()["results"]
    busy(12)
    for name in LISTS:
        with django_assert_max_num_queries(LIST_QUERIES[name]):
            many = client.get(f"/api/{name}/?per_page=100").json()["results"]
        assert len(many) > len(few[name]), name
    client.get(filtered)  # new organisations and officials renewed the reference data
    with django_assert_max_num_queries(LIST_QUERIES["events"]):
        assert len(client.get(filtered + "&per_page=100").json()["results"]) >= 12
