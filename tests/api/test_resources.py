"""The API's resources: every list and record, lookups by natural key, keyset pages, the
timeline's filter on events (and its 400s), footnotes, memberships and relationships, the
fidelity fields (order, concerns, attribution, paraphrase, unnamed bodies, dates no more precise
than stored), read-only methods, no CORS, constant queries."""

import base64
import re
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.db.models import Q
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from relations import paging, presentation
from relations.filters import TimelineFilter
from relations.models import (
    CLAIM_FIELDS,
    Agreement,
    Citation,
    Country,
    Domain,
    Event,
    Membership,
    Official,
    Organisation,
    Position,
    Relationship,
    Statement,
    Status,
)
from sources.models import Footnote, Source
from tests.api.conftest import LISTS, every_page, path
from tests.factories import (
    AgreementFactory,
    CitationFactory,
    EventFactory,
    FootnoteFactory,
    MembershipFactory,
    OfficialFactory,
    OrganisationFactory,
    PositionFactory,
    StatementFactory,
    relationship,
)
from tests.reader.test_timeline import LONG_BEFORE

pytestmark = pytest.mark.django_db


def cited_by_published() -> Q:
    condition = Q(pk__in=[])
    for field in CLAIM_FIELDS:
        condition |= Q(**{f"{field}__status": Status.PUBLISHED})
    return condition


PUBLIC = {
    "events": Event.objects.published(),
    "agreements": Agreement.objects.published(),
    "statements": Statement.objects.published(),
    "positions": Position.objects.published(),
    "memberships": Membership.objects.published(),
    "footnotes": Footnote.objects.filter(
        pk__in=Citation.objects.filter(cited_by_published()).values("footnote")
    ),
    "countries": Country.objects.all(),
    "domains": Domain.objects.all(),
    "organisations": Organisation.objects.all(),
    "officials": Official.objects.all(),
    "sources": Source.objects.all(),
    "relationships": Relationship.objects.all(),
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
@pytest.fixture
def memberships(seed):
    """Memberships and a relationship beside the seed's, and a draft membership."""
    by, ir = Country.objects.get(code="BY"), Country.objects.get(code="IR")
    nam = Organisation.objects.get(slug="non-aligned-movement")
    opec = OrganisationFactory(slug="opec", name="OPEC", kind="intergovernmental")
    bank = OrganisationFactory(slug="a-bank", name="a state-owned bank abroad", unnamed=True)
    made = {
        "by-nam": MembershipFactory(slug="by-nam", member_country=by, organisation=nam),
        "ir-nam": MembershipFactory(slug="ir-nam", member_country=ir, organisation=nam),
        "ir-opec": MembershipFactory(slug="ir-opec", member_country=ir, organisation=opec),
        "bank-opec": MembershipFactory(
            slug="bank-opec", member_country=None, member_organisation=bank, organisation=opec
        ),
    }
    MembershipFactory(slug="draft-by-opec", member_country=by, organisation=opec, status="draft")
    relationship("IR", "BY")
    return made


def test_the_index_links_every_list(client):
    root = client.get("/api/").json()
    assert set(LISTS) | {"relations", "changes", "fixture", "schema", "docs"} <= set(root)


@pytest.mark.sqlite
def test_every_list_holds_every_public_record_and_each_links_to_itself(client, memberships):
    for name in LISTS:
        records = every_page(client, f"/api/{name}/?per_page=100")
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
    assert citation["footnote"].startswith("belarus-iran-foreign-relations-2010-note-")
    assert event["html_url"].endswith("/events/2009-05-semashko-raei-jofeir-oil-project/")


@pytest.mark.sqlite
def test_dates_and_sums_read_as_the_pages_write_them(client, seed, api_get):
    """``relations.presentation``'s text, as every page has it: the date at the precision of
    its source, the sum as a reporter writes it (null when there is none)."""
    loan = api_get("/api/agreements/central-bank-of-iran-loan-to-belarusneft-jofeir/")
    assert (loan["value_amount"], loan["value_currency"]) == ("212000000.00", "USD")
    assert loan["value_display"] == "$212m"
    assert loan["date_display"] == presentation.readable_date(loan["date"])
    event = api_get("/api/events/2010-06-late-lukashenko-turns-to-iran-after-russia-gas-row/")
    assert event["date_display"] == "late June 2010"
    undated = api_get(f"/api/agreements/{AgreementFactory(date='').slug}/")
    assert undated["value_display"] is None and undated["date_display"] == ""
    assert undated["date_precision"] == ""
    for amount, currency, display in (
        (2_125_000_000, "USD", "$2.13bn"),  # half up, as the pages round it
        (250_000, "USD", "$250,000"),  # under a million, in full
        (40_000_000_000, "IRR", "IRR 40bn"),  # no common sign: the code first
    ):
        agreement = AgreementFactory(value_amount=amount, value_currency=currency, date="c. 2008")
        shown = api_get(f"/api/agreements/{agreement.slug}/")
        assert shown["value_display"] == display
        assert shown["date_display"] == "c. 2008"


# Dates only bounded on one side or both, and undated claims as of the source's date: shown as
# typed, never as a month or a span the source does not give.
BOUNDED_DATES = [
    ("as early as 1998", "not-after", "0001-01-01", "1998-12-31"),
    ("by July 2010", "not-after", "0001-01-01", "2010-07-31"),
    ("before 2009", "not-after", "0001-01-01", "2008-12-31"),
    ("after May 2009", "not-before", "2009-06-01", "9999-12-31"),
    ("after May 2009, by 6 July 2010", "window", "2009-06-01", "2010-07-06"),
    ("in recent years, as of 6 July 2010", "recent", "0001-01-01", "2010-07-06"),
]


@pytest.mark.parametrize(("text", "precision", "lower", "upper"), BOUNDED_DATES)
def test_a_bounded_date_reads_no_more_precisely_than_stored(
    client, seed, api_get, text, precision, lower, upper
):
    shown = {
        "events": api_get(f"/api/events/{EventFactory(date=text).slug}/"),
        "statements": api_get(f"/api/statements/{StatementFactory(date=text).slug}/"),
        "agreements": api_get(f"/api/agreements/{AgreementFactory(date=text).slug}/"),
    }
    for name, claim in shown.items():
        assert claim["date"] == text, name
        assert claim["date_display"] == text, name  # the analyst's own words, no month added
        assert (claim["date_precision"], claim["date_lower"], claim["date_upper"]) == (
            precision,
            lower,
            upper,
        ), name
    membership = MembershipFactory(start=text)
    post = PositionFactory(start=text, end="2011")
    for name, span in (("memberships", membership), ("positions", post)):
        record = api_get(f"/api/{name}/{span.slug}/")
        assert (record["start"], record["start_display"], record["start_precision"]) == (
            text,
            text,
            precision,
        ), name
        assert record["end_display"] == ("" if name == "memberships" else "2011"), name


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


# --- Footnotes, memberships, relationships -------------------------------------------------------
def test_a_citation_is_its_footnote_without_the_analysts_note(client, seed, api_get):
    """One footnote backs several claims: each claim's citation names the same record; the
    analyst's remark on one use of it stays internal, as on the public site."""
    footnote = FootnoteFactory(locator="p. 7", excerpt="Both sides agreed.")
    event = EventFactory(citations=0)
    agreement = AgreementFactory(citations=0)
    CitationFactory(footnote=footnote, event=event, note="The event's part of the sentence.")
    CitationFactory(footnote=footnote, agreement=agreement)
    shown_event = api_get(f"/api/events/{event.slug}/")["citations"]
    shown_agreement = api_get(f"/api/agreements/{agreement.slug}/")["citations"]
    assert "part of the sentence" not in str(shown_event)
    assert all("note" not in c for c in (*shown_event, *shown_agreement))
    for citation in (*shown_event, *shown_agreement):
        assert citation["footnote"] == footnote.slug
        assert (citation["locator"], citation["excerpt"]) == ("p. 7", "Both sides agreed.")
        assert citation["source"]["slug"] == footnote.source.slug
        assert client.get(path(citation["url"])).json()["slug"] == footnote.slug


def test_a_footnote_lists_the_visible_claims_it_backs(client, seed, api_get):
    footnote = FootnoteFactory(excerpt="In May 2007, the two agreed.")
    event, agreement = EventFactory(citations=0), AgreementFactory(citations=0)
    draft = StatementFactory(status=Status.DRAFT, citations=0)
    membership = MembershipFactory(citations=0)
    for claim in (event, agreement, draft, membership):
        CitationFactory(footnote=footnote, **{claim._meta.model_name: claim}, note="n")
    shown = api_get(f"/api/footnotes/{footnote.slug}/")
    assert shown["excerpt"] == "In May 2007, the two agreed."
    assert shown["source"]["slug"] == footnote.source.slug
    backed = {(c["kind"], c["slug"]) for c in shown["claims"]}
    assert backed == {
        ("event", event.slug),
        ("agreement", agreement.slug),
        ("membership", membership.slug),
    }
    for claim in shown["claims"]:
        assert client.get(path(claim["url"])).json()["slug"] == claim["slug"]
    listed = every_page(client, "/api/footnotes/?per_page=100")
    assert [f for f in listed if f["slug"] == footnote.slug] == [shown]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["bank-opec", "by-nam", "ir-nam", "ir-opec"]),
        ("country=by", ["by-nam"]),
        ("country=IR", ["ir-nam", "ir-opec"]),
        ("organisation=non-aligned-movement", ["by-nam", "ir-nam"]),
        ("organisation=opec", ["bank-opec", "ir-opec"]),  # not the draft
        ("member_organisation=a-bank", ["bank-opec"]),
        ("country=ir&organisation=opec", ["ir-opec"]),
        ("country=ru", []),
    ],
)
def test_memberships_are_filtered_by_member_and_organisation(client, memberships, query, expected):
    seeded = set(Membership.objects.published().values_list("slug", flat=True)) - set(memberships)
    found = [m for m in keys(every_page(client, f"/api/memberships/?{query}")) if m not in seeded]
    assert found == expected


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("country=zz", "country"),
        ("country=b", "country"),
        ("country=by%00", "country"),
        ("organisation=nobody", "organisation"),
        ("member_organisation=no%00body", "member_organisation"),
    ],
)
def test_a_membership_filter_on_an_unknown_key_is_a_400(client, memberships, query, field):
    response = client.get(f"/api/memberships/?{query}")
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_a_membership_as_the_api_tells_it(client, memberships, api_get):
    by_nam = api_get("/api/memberships/by-nam/")
    assert by_nam["member_country"] == {"code": "BY", "name": "Belarus"}
    assert by_nam["member_organisation"] is None
    assert by_nam["organisation"]["slug"] == "non-aligned-movement"
    assert by_nam["role"] == "member" and by_nam["citations"]
    bank = api_get("/api/memberships/bank-opec/")
    assert bank["member_country"] is None
    assert bank["member_organisation"]["unnamed"] is True
    api_get("/api/memberships/draft-by-opec/", status=404)


def test_a_relationship_by_its_key_with_its_dossiers_settings(client, seed, api_get):
    pair = relationship("IR", "BY")
    pair.introduction = "Background for this dossier only."
    pair.sections = [{"domain": "energy", "title": "Oil and gas"}, {"domain": "economic"}]
    pair.save()
    shown = api_get("/api/relationships/by-ir/")
    assert api_get("/api/relationships/BY-IR/") == shown
    assert (shown["slug"], shown["name"]) == ("by-ir", "Belarus–Iran")
    assert [shown["first"]["code"], shown["second"]["code"]] == ["BY", "IR"]
    assert shown["introduction"] == "Background for this dossier only."
    assert shown["sections"] == [
        {"domain": "energy", "title": "Oil and gas"},
        {"domain": "economic", "title": None},
    ]
    assert client.get(path(shown["dossier"])).status_code == 200
    assert client.get(path(shown["html_url"])).status_code == 200
    for key in ("ir-by", "by-zz", "by", "by-ir%00"):
        api_get(f"/api/relationships/{key}/", status=404)


def test_the_fidelity_fields_of_claims_and_organisations(client, seed, api_get):
    """Order within a date, what a claim concerns, who made it, a paraphrase in its own
    words, a quote in pieces, and a body the source does not name."""
    by, ir = Country.objects.get(code="BY"), Country.objects.get(code="IR")
    bank = OrganisationFactory(
        name="a state-owned bank abroad", unnamed=True, country=ir, location=by
    )
    speaker = OfficialFactory(slug="an-envoy", name="An Envoy")
    event = EventFactory(date="2008", sequence=3, countries=["IR", "US"])
    event.concerns.set([relationship("BY", "IR"), relationship("IR", "US")])
    event.according_to, event.according_to_official = bank, speaker
    event.save()
    shown = api_get(f"/api/events/{event.slug}/")
    assert (shown["sequence"], shown["concerns"]) == (3, ["by-ir", "ir-us"])
    assert shown["according_to"]["slug"] == bank.slug
    assert shown["according_to"]["unnamed"] is True
    assert shown["according_to_official"] == {"slug": "an-envoy", "name": "An Envoy"}
    agreement = AgreementFactory(according_to=bank, sequence=1)
    shown = api_get(f"/api/agreements/{agreement.slug}/")
    assert (shown["according_to"]["slug"], shown["according_to_official"]) == (bank.slug, None)
    assert (shown["sequence"], shown["concerns"]) == (1, [])

    paraphrase = StatementFactory(
        form=Statement.Form.PARAPHRASE, verb="added", quote="ties are part of a move away"
    )
    paraphrase.concerns.set([relationship("BY", "IR")])
    shown = api_get(f"/api/statements/{paraphrase.slug}/")
    assert (shown["form"], shown["verb"]) == ("paraphrase", "added")
    assert shown["fragments"] == ["ties are part of a move away"]
    assert shown["concerns"] == ["by-ir"]
    pieces = StatementFactory(quote="Tehran-Minsk ties\nare growing in all fields")
    shown = api_get(f"/api/statements/{pieces.slug}/")
    assert (shown["form"], shown["verb"]) == ("quote", "said")
    assert shown["fragments"] == ["Tehran-Minsk ties", "are growing in all fields"]

    shown = api_get(f"/api/organisations/{bank.slug}/")
    assert shown["unnamed"] is True
    assert (shown["country"]["code"], shown["location"]["code"]) == ("IR", "BY")


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


def timeline_page(client, query: str) -> list[str]:
    """The event slugs of one page of the public timeline, in its order."""
    html = client.get(f"/timeline/?{query}").content.decode()
    return re.findall(r'<article class="event[^"]*" id="event-([\w-]+)"', html)


@pytest.mark.parametrize("per_page", [1, 2])
@pytest.mark.parametrize("order", ["oldest", "newest"])
def test_long_events_before_from_are_paged_in_the_timelines_order(client, seed, order, per_page):
    """Events that start over a year before "from" and reach into it sort before the rest;
    the API pages through them as the timeline does (one keyset, ``relations.paging``), by
    its next links and back by its previous links."""
    made = [EventFactory(date=date, title=f"Event dated {date}") for date in LONG_BEFORE]
    EventFactory(date="since 1990", status=Status.DRAFT)
    query = f"from=2009&order={order}"
    with CaptureQueriesContext(connection) as queries:
        client.get(f"/api/events/?{query}")
    rows = next(q["sql"] for q in queries.captured_queries if "ARRAY(" in q["sql"])
    assert """"date_lower" >= '2008-01-01'::date""" in rows  # scanned from the split on
    expected = timeline_page(client, f"{query}&per_page=100")
    assert expected == timeline_slugs(query)
    ours = [event.slug for event in made if event.slug in expected]
    assert len(ours) == 12
    early = ["since 1995", "until 2012", "2001/2009"]  # begin before the split: 2008-01-01
    assert {e.slug for e in made if e.date in early} <= set(expected)
    url, pages = f"/api/events/?{query}&per_page={per_page}", []
    while url:
        body = client.get(path(url)).json()
        assert len(body["results"]) <= per_page
        pages.append(body)
        url = body["next"]
    assert [slug for page in pages for slug in keys(page["results"])] == expected
    backward = every_page(client, pages[-1]["previous"], link="previous")
    assert keys(backward) == [
        slug for page in reversed(pages[:-1]) for slug in keys(page["results"])
    ]


#: The country condition probed per row: each EXISTS tests the event row itself (per_row).
PROBING = re.compile(r'"\w+"\."id" > 0')


@pytest.mark.parametrize(
    "query", ["country=by&country=ir&from=2005", "country=by&from=2003&order=newest"]
)
def test_a_filter_that_keeps_many_events_pages_the_same_probed_per_row(
    client, seed, monkeypatch, query
):
    """With a "from" date the list reads the facets (their early events), so it knows how many
    events the filter keeps and probes each row walked from ``PROBE_FROM`` on, as the timeline
    does (``relations.filters.about(probe=True)``): the same pages, both ways, as many queries."""
    for year in range(2001, 2012):
        EventFactory(countries=["BY", "IR"], date=str(year), title=f"Belarus and Iran {year}")
        EventFactory(countries=["BY", "RU"], date=f"{year}-06", title=f"Belarus, Russia {year}")
    seen = {}
    for probe in (False, True):
        monkeypatch.setattr(paging, "PROBE_FROM", 0 if probe else 10**9)
        url = f"/api/events/?{query}&per_page=3"
        client.get(url)  # the facets, cached
        with CaptureQueriesContext(connection) as queries:
            forward = every_page(client, url)
        rows = [q["sql"] for q in queries.captured_queries if "EXISTS(" in q["sql"]]
        assert rows and all(bool(PROBING.search(sql)) == probe for sql in rows), rows[0]
        last = client.get(url).json()
        while last["next"]:
            last = client.get(path(last["next"])).json()
        backward = every_page(client, path(last["previous"]), link="previous")
        seen[probe] = (keys(forward), keys(backward), len(queries.captured_queries))
    assert seen[True] == seen[False]
    assert len(seen[True][0]) > 6


def test_a_page_is_one_range_scan_without_offset(client, same_day):
    """DRF's own cursor keeps only the first field and skips ties by OFFSET; ours does not."""
    first = client.get("/api/events/?per_page=3").json()
    with CaptureQueriesContext(connection) as queries:
        client.get(path(first["next"]))
    events_query = queries.captured_queries[0]["sql"]
    assert "OFFSET" not in events_query
    assert '"date_lower" >=' in events_query  # the ids' scan starts at the cursor (U0: a subquery)


@pytest.mark.sqlite
def test_page_size_is_bounded(client, same_day):
    assert len(client.get("/api/events/?per_page=5").json()["results"]) == 5
    visible = Event.objects.published().count()
    assert 23 < visible <= 50
    assert len(client.get("/api/events/?per_page=100").json()["results"]) == visible
    assert len(client.get("/api/events/?per_page=").json()["results"]) == visible  # default 50
    for bad in ("1000", "101", "0", "-1", "null", "false", "5.0", "1e2"):  # 400, not a default
        response = client.get(f"/api/events/?per_page={bad}")
        assert response.status_code == 400, bad
        assert response.json() == {"per_page": ["A whole number from 1 to 100."]}


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
    "/api/memberships/?country=by",
    "/api/footnotes/",
    "/api/relationships/",
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
PARTNERS = ["AM", "AZ", "CN", "CU", "GE", "IN", "KZ", "RU", "SY", "TR", "UA", "VE"]


def busy(n: int) -> None:
    """``n`` more published events, agreements, statements, memberships... with every relation
    filled (and cited: the factories cite a published claim once, the statements here twice;
    an event and a membership share a footnote)."""
    nam = Organisation.objects.get(slug="non-aligned-movement")
    for i in range(n):
        organisation, official = (
            OrganisationFactory(location=Country.objects.get(code="BY")),
            OfficialFactory(),
        )
        pair = relationship("BY", PARTNERS[i % len(PARTNERS)])
        agreement = AgreementFactory(date="2009", according_to=organisation)
        agreement.countries.set(Country.objects.filter(code__in=["BY", "IR"]))
        agreement.organisations.set([organisation])
        agreement.concerns.set([pair])
        event = EventFactory(
            date=f"{2000 + i % 10}",
            countries=["BY", "IR"],
            according_to=organisation,
            according_to_official=official,
        )
        event.organisations.set([organisation])
        event.officials.set([official])
        event.agreements.set([agreement])
        event.concerns.set([pair, relationship("BY", "IR")])
        statement = StatementFactory(event=event, speaker=official, citations=2)
        statement.countries.set(Country.objects.filter(code__in=["BY"]))
        statement.concerns.set([pair])
        member = {"member_country": None, "member_organisation": organisation} if i % 2 else {}
        membership = MembershipFactory(organisation=nam, citations=0, **member)
        CitationFactory(footnote=event.citations.get().footnote, membership=membership)


LIST_QUERIES = {  # the most each list page may take, whatever its size, its caches warm
    # the records with what they link to (api.views.linked), then their citations
    "events": 2,
    "agreements": 2,
    "statements": 2,
    "positions": 2,
    "memberships": 2,  # memberships (with both ends joined), citations
    "footnotes": 2,  # footnotes (with the source), the visible claims' citations
    "countries": 1,
    "domains": 1,
    "organisations": 1,
    "officials": 1,
    "sources": 1,
    "relationships": 1,
}
FILTERED = {
    "events": "/api/events/?country=by&country=ir&domain=economic&from=2000&q=event",
    "memberships": "/api/memberships/?country=by&organisation=non-aligned-movement",
}


def test_a_list_page_costs_the_same_queries_for_few_or_many(
    client, seed, django_assert_max_num_queries
):
    for url in FILTERED.values():
        client.get(url)  # the filter's reference data, cached once
    few = {}
    for name in LISTS:
        with django_assert_max_num_queries(LIST_QUERIES[name]):
            few[name] = client.get(f"/api/{name}/?per_page=2").json()["results"]
    busy(12)
    for name in LISTS:
        with django_assert_max_num_queries(LIST_QUERIES[name]):
            many = client.get(f"/api/{name}/?per_page=100").json()["results"]
        assert len(many) > len(few[name]), name
    for name, url in FILTERED.items():
        client.get(url)  # new organisations and officials renewed the reference data
        with django_assert_max_num_queries(LIST_QUERIES[name]):
            assert len(client.get(url + "&per_page=100").json()["results"]) >= 6, name
