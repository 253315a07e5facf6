"""The public timeline (/timeline/): filters, headings, footnotes, keyset pages, facets, chart,
400s for bad input, no drafts, and a constant number of queries per page."""

import datetime
import re
from html import unescape
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core import cache as kb_cache
from relations import paging, presentation
from relations.filters import about, events_about, forget_reference, reference
from relations.models import Agreement, Country, Domain, Event, Official, Organisation, Status
from relations.search import SEARCH_EXAMPLES
from sources.models import Footnote, Source
from tests.factories import (
    AgreementFactory,
    CitationFactory,
    EventFactory,
    OfficialFactory,
    OrganisationFactory,
    SourceFactory,
    StatementFactory,
    relationship,
)

pytestmark = pytest.mark.django_db

URL = reverse("timeline")
SEED_EVENTS = 12  # published events in the seed fixture


@pytest.fixture(autouse=True)
def fresh_cache():
    # The database is rolled back between tests, the cache is not: start each test cold.
    cache.clear()
    yield
    cache.clear()


def get(client, query="", **params):
    response = client.get(URL + query, params)
    assert response.status_code == HTTPStatus.OK, response.content[-3000:]
    return response.content.decode()


def slugs(html: str) -> list[str]:
    """Event slugs in page order."""
    return re.findall(r'<article class="event[^"]*" id="event-([\w-]+)"', html)


def link(html: str, rel: str) -> str | None:
    match = re.search(rf'<a rel="{rel}" href="([^"]+)"', html)
    return unescape(match[1]) if match else None


def published_slugs(queryset=None, newest=False) -> list[str]:
    queryset = queryset if queryset is not None else Event.objects.published()
    order = ("-date_lower", "-id") if newest else ("date_lower", "id")
    return list(queryset.order_by(*order).values_list("slug", flat=True))


# --- Filtering -------------------------------------------------------------------------------
@pytest.mark.sqlite
def test_all_published_events_in_date_order(client, seed):
    html = get(client)
    assert slugs(html) == published_slugs()
    assert len(slugs(html)) == SEED_EVENTS


@pytest.mark.sqlite
def test_newest_first(client, seed):
    assert slugs(get(client, order="newest")) == published_slugs(newest=True)


@pytest.mark.sqlite
def test_one_domain(client, seed):
    html = get(client, domain="economic")
    assert set(slugs(html)) == {
        "until-2010-07-belarus-iran-closer-economic-ties",
        "2007-05-belarus-iran-agree-deeper-bilateral-trade",
        "2009-05-semashko-raei-jofeir-oil-project",
        "2009-central-bank-of-iran-agrees-212m-loan-to-belarusneft",
    }


@pytest.mark.sqlite
def test_several_domains_list_each_event_once(client, seed):
    found = slugs(get(client, "?domain=economic&domain=energy"))
    # Jofeir and the loan are in both domains: once each.
    assert len(found) == len(set(found)) == 5
    assert "2010-06-late-lukashenko-turns-to-iran-after-russia-gas-row" in found


@pytest.mark.sqlite
@pytest.mark.parametrize("typed", ["2007", "2007-05", "May 2007", "may 2007"])
def test_fuzzy_dates_from_and_to(client, seed, typed):
    found = set(slugs(get(client, **{"from": typed, "to": typed})))
    assert {
        "2007-05-belarus-iran-agree-deeper-bilateral-trade",
        "2007-05-belarus-iran-agree-to-counter-pressure",
    } <= found
    assert not any(slug.startswith(("2008", "2009", "2010")) for slug in found)


@pytest.mark.sqlite
def test_from_uses_the_lower_and_to_the_upper_bound(client, seed):
    # "to 2007" means to the end of 2007; "from 2010" from its start.
    assert "2007-05-belarus-iran-agree-deeper-bilateral-trade" in slugs(get(client, to="2007"))
    assert "2010-06-latushka-icro-iranian-art-exhibition-minsk" in slugs(
        get(client, **{"from": "2010"})
    )
    assert "2009-05-semashko-raei-jofeir-oil-project" not in slugs(get(client, **{"from": "2010"}))


@pytest.mark.sqlite
def test_a_year_matches_a_narrower_window_and_is_marked_imprecise(client, seed):
    html = get(client, **{"from": "2008-06", "to": "2008-07"})
    found = slugs(html)
    assert "2008-nam-commends-iran-nuclear-compliance" in found  # dated "2008"
    assert "2008-06-nam-ministerial-tehran-backs-enrichment" in found  # dated "June 2008"
    article = _article(html, "2008-nam-commends-iran-nuclear-compliance")
    assert 'class="imprecise"' in article
    assert 'class="imprecise"' not in _article(
        html, "2008-06-nam-ministerial-tehran-backs-enrichment"
    )
    # Without a date filter nothing is imprecise.
    assert 'class="imprecise"' not in get(client)


def _article(html: str, slug: str) -> str:
    start = html.index(f'id="event-{slug}"')
    return html[start : html.index("</article>", start)]


def about_pair(queryset, first: str, second: str):
    """What the pair filter promises, through the ORM: both took part, or it concerns them."""
    slug = "-".join(sorted((first.lower(), second.lower())))
    both = Event.objects.involving(first, second).values("id")
    return queryset.filter(Q(id__in=both) | Q(concerns__slug=slug)).distinct()


@pytest.mark.sqlite
def test_a_pair_means_both_took_part_or_it_concerns_their_relationship(client, db):
    """The seed's case: the censure of Iran by the UN, the EU and the US (participants Iran and
    the US) concerns Belarus–Iran relations, so it is listed for the pair."""
    censure = EventFactory(countries=["IR", "US"], title="Censure of Iran", date="2008")
    censure.concerns.add(relationship("BY", "IR"))
    both = EventFactory(countries=["BY", "IR"], title="Belarus and Iran meet", date="2007")
    EventFactory(countries=["BY", "RU"], title="Belarus and Russia meet", date="2009")
    EventFactory(countries=["IR", "US"], title="Iran and the US talk", date="2009")
    EventFactory(countries=["BY", "US"], title="Concerns another pair", date="2010").concerns.add(
        relationship("IR", "US")
    )
    pair = slugs(get(client, "?country=by&country=ir"))
    assert pair == [both.slug, censure.slug]
    assert slugs(get(client, "?country=IR&country=BY")) == pair  # any case, any order
    # One country: what it took part in, or what concerns one of its relationships, so a
    # second country only narrows.
    belarus = set(slugs(get(client, country="by")))
    assert set(pair) <= belarus
    assert censure.slug in belarus
    assert len(belarus) == 4  # all but "Iran and the US talk"
    assert slugs(get(client, "?country=ir&country=us")) == [
        censure.slug,
        Event.objects.get(title="Iran and the US talk").slug,
        Event.objects.get(title="Concerns another pair").slug,
    ]
    # The page says what the filter means.
    html = get(client, "?country=by&country=ir")
    about = re.search(r'<p class="about-filter" id="about-countries">([^<]+)</p>', html)[1]
    assert unescape(about) == (
        "Events Belarus and Iran both took part in, and events that concern Belarus–Iran "
        "relations without both taking part."
    )
    assert "concern the relations between them" in unescape(html)  # the field's help


@pytest.mark.sqlite
def test_both_spellings_of_the_country_rule_select_the_same_events(db):
    """``events_about`` (a UNION, for whole sets) and ``about`` (EXISTS per row, for walking
    the date order) are one rule: on participants and concerns, one country or a pair."""
    censure = EventFactory(countries=["IR", "US"], date="2008")
    censure.concerns.add(relationship("BY", "IR"))
    EventFactory(countries=["BY", "IR"], date="2007")
    EventFactory(countries=["BY", "RU"], date="2009")
    EventFactory(countries=["BY", "US"], date="2010").concerns.add(relationship("IR", "US"))
    ref = reference()
    for codes in (["by"], ["ir"], ["us"], ["ru"], ["by", "ir"], ["ir", "us"], ["by", "ru"]):
        countries = [ref.country(code) for code in codes]
        union = set(Event.objects.filter(id__in=events_about(countries)).values_list("id"))
        exists = set(Event.objects.filter(about(countries)).values_list("id"))
        probed = set(Event.objects.filter(about(countries, probe=True)).values_list("id"))
        assert union == exists == probed, codes
        assert union, codes  # each case selects something


@pytest.mark.sqlite
def test_the_pair_filter_on_the_seed(client, seed):
    both = slugs(get(client, "?country=by&country=ir"))
    assert "until-2008-06-censure-of-iran-nuclear-programme" in both  # Iran and the US
    assert both == published_slugs(about_pair(Event.objects.published(), "BY", "IR"))
    assert len(both) == SEED_EVENTS
    assert slugs(get(client, "?country=IR&country=BY")) == both
    assert slugs(get(client, country="us")) == ["until-2008-06-censure-of-iran-nuclear-programme"]
    assert slugs(get(client, "?country=by&country=ru")) == []  # Russia took part in none


@pytest.mark.sqlite
def test_official_and_organisation(client, seed):
    assert set(slugs(get(client, official="alexander-lukashenko"))) == {
        "2007-05-belarus-iran-agree-deeper-bilateral-trade",
        "2010-06-late-lukashenko-turns-to-iran-after-russia-gas-row",
    }
    assert set(slugs(get(client, organisation="central-bank-of-iran"))) == {
        "2009-05-semashko-raei-jofeir-oil-project",
        "2009-central-bank-of-iran-agrees-212m-loan-to-belarusneft",
    }
    assert slugs(get(client, official="reza-raei", organisation="central-bank-of-iran")) == [
        "2009-05-semashko-raei-jofeir-oil-project"
    ]


@pytest.mark.sqlite
def test_agreement_kind(client, seed):
    assert slugs(get(client, agreement_kind="loan")) == [
        "2009-central-bank-of-iran-agrees-212m-loan-to-belarusneft"
    ]
    assert slugs(get(client, agreement_kind="treaty")) == []  # the page describes none
    assert slugs(get(client, agreement_kind="contract")) == []


@pytest.mark.sqlite
def test_text_search_in_titles_and_summaries(client, seed):
    assert "2009-05-semashko-raei-jofeir-oil-project" in slugs(get(client, q="Jofeir"))


@pytest.mark.sqlite
def test_text_search_hits_a_quote(client, seed):
    # "artists association" is only in the ICRO press release quoted under the exhibition.
    event = Event.objects.get(slug="2010-06-latushka-icro-iranian-art-exhibition-minsk")
    assert "artists" not in (event.title + event.summary).lower()
    assert slugs(get(client, q="artists association")) == [event.slug]


@pytest.mark.sqlite
def test_text_search_finds_plurals_and_excludes_words(client, seed):
    # PostgreSQL stems; SQLite matches from the start of a word, a final "s" optional.
    found = slugs(get(client, q="partnerships"))
    assert "2007-05-belarus-iran-agree-deeper-bilateral-trade" in found  # in its quote
    assert "until-2010-07-belarus-iran-political-partnership" in found  # in its title
    assert "until-2010-07-belarus-iran-political-partnership" not in slugs(
        get(client, q="partnership -political")
    )


@pytest.mark.sqlite
@pytest.mark.parametrize("example", SEARCH_EXAMPLES)
def test_each_example_in_the_search_help_finds_events_in_the_seed(client, seed, example):
    html = get(client)
    help_text = re.search(r'<p class="help" id="id_q_help">([^<]+)</p>', html)[1]
    assert example in unescape(help_text)
    found = slugs(get(client, q=example))
    assert found
    if example.startswith("-"):  # what it leaves out, and only that
        word = example[1:]
        assert len(found) < SEED_EVENTS
        assert not any(word in slug for slug in found)
    else:
        assert len(found) < SEED_EVENTS  # it narrows


@pytest.mark.sqlite
def test_search_reads_words_phrases_and_exclusions(client, db):
    """Every word (in one of an event's documents: its title and summary, or the words of a
    statement made at it), a "phrase" in straight or curly quotes, and -exclusions."""
    loan = EventFactory(title="Oil loan agreed", date="2001")
    lend = EventFactory(
        title="Bank to lend", summary="A loan to develop an oil field.", date="2002"
    )
    quoted = EventFactory(title="Presidents meet", date="2003")
    StatementFactory(event=quoted, quote="Our strategic partnership grows.")
    loose = EventFactory(title="A partnership", summary="It is strategic for both.", date="2004")
    both = EventFactory(title="Oil and gas talks", date="2005")
    StatementFactory(event=both, quote="The nuclear file was raised too.")
    drafted = EventFactory(title="Oil prices discussed", date="2006")
    StatementFactory(event=drafted, quote="Nuclear power, too.", status=Status.DRAFT)

    def search(q: str) -> list[str]:
        return slugs(get(client, q=q))

    assert search("oil loan") == [loan.slug, lend.slug]
    assert search("loan oil") == search("oil loan")  # words in any order
    assert search('"strategic partnership"') == [quoted.slug]  # found through a statement
    assert search("“strategic partnership”") == [quoted.slug]  # as the help text writes it
    assert search("strategic partnership") == [quoted.slug, loose.slug]
    assert search('"partnership strategic"') == []
    assert search("oil -nuclear") == [loan.slug, lend.slug, drafted.slug]  # a statement's word
    assert search('oil -"oil field"') == [loan.slug, both.slug, drafted.slug]
    assert search("-oil -partnership") == []
    assert search("Oil, LOAN!") == [loan.slug, lend.slug]  # punctuation and case do not matter
    # A draft statement's words neither find nor hide its event.
    assert search("power") == []


@pytest.mark.sqlite
def test_a_search_with_too_many_words_is_refused(client, db):
    response = client.get(URL, {"q": " ".join(f"word{n}" for n in range(11))})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Use at most 10 words or phrases" in response.content.decode()


@pytest.mark.sqlite
def test_filters_combine(client, seed):
    found = slugs(
        get(client, "?domain=economic&domain=energy&country=by&country=ir&from=2009&to=2009")
    )
    expected = (
        Event.objects.published()
        .in_domains("economic", "energy")
        .involving("BY", "IR")
        .between("2009", "2009")
    )
    assert found == published_slugs(expected)
    assert set(found) == {
        "until-2010-07-belarus-iran-closer-economic-ties",
        "2009-central-bank-of-iran-agrees-212m-loan-to-belarusneft",
        "2009-05-semashko-raei-jofeir-oil-project",
    }


@pytest.mark.sqlite
def test_title_and_description_say_what_is_shown(client, seed):
    html = get(client, "?country=by&country=ir&domain=economic&from=2009&to=2010")
    assert "<title>Events: Belarus and Iran, economic, 2009–2010 · Relata</title>" in html
    description = re.search(r'<meta name="description" content="([^"]+)"', html)[1]
    assert "Belarus and Iran, economic, 2009–2010" in unescape(description)
    assert "3 published events" in unescape(description)
    assert "<title>All events · Relata</title>" in get(client)


@pytest.mark.sqlite
def test_the_form_keeps_what_was_asked(client, seed):
    html = get(client, "?q=oil&domain=energy&from=May 2009&country=by&country=ir&order=newest")
    assert 'name="q" id="id_q" value="oil"' in html
    assert 'value="energy" id="id_domain_energy" checked' in html
    assert 'value="May 2009"' in html
    assert '<option value="by" selected>' in html
    assert '<option value="ir" selected>' in html
    assert 'id="id_order_newest" checked' in html
    for name in ("q", "from", "to", "country", "country_2", "official", "organisation"):
        assert f'<label for="id_{name}">' in html  # every input has its label
    assert '<form method="get"' in html and html.count("<fieldset") >= 5


# --- Headings, participants, footnotes --------------------------------------------------------
@pytest.mark.sqlite
def test_events_are_grouped_under_year_and_month_headings(client, seed):
    html = get(client)
    years = re.findall(r'<h2 class="year-heading"[^>]*>([^<]+)</h2>', html)
    assert years == ["Start not known", "2007", "2008", "2009", "2010"]
    months = re.findall(r'<h3 class="month-heading">([^<]+)</h3>', html)
    assert months == ["May 2007", "June 2008", "May 2009", "June 2010"]
    # "2008" is under its year, not a month: it comes before the first month of 2008.
    section_2008 = html[html.index(">2008</h2>") : html.index(">2009</h2>")]
    assert section_2008.index("2008-nam-commends") < section_2008.index("June 2008")
    assert '<h3 class="event-title">' in section_2008  # a year-level event title
    # Each event shows its date in its own precision.
    assert ">late June 2010<" in html
    assert "after May 2009, by 6 July 2010" in html
    # Dates with no known start come first, under their own heading, as the page gives them.
    start_not_known = html[html.index(">Start not known</h2>") : html.index(">2007</h2>")]
    assert re.findall(r'<span class="date">([^<]+)</span>', start_not_known) == [
        "by 6 July 2010",
        "before June 2008",
        "in recent years, as of 6 July 2010",
        "in recent years, as of 6 July 2010",
    ]


@pytest.mark.sqlite
def test_participants_agreements_and_quotes_are_linked(client, seed):
    html = get(client, organisation="central-bank-of-iran")
    assert 'href="/countries/by/"' in html and 'href="/countries/ir/"' in html
    assert 'href="/organisations/central-bank-of-iran/"' in html
    assert 'href="/officials/vladimir-semashko/"' in html
    assert 'href="/agreements/central-bank-of-iran-loan-to-belarusneft-jofeir/"' in html
    assert 'class="tag domain-energy"' in html
    quotes = get(client, official="alexander-lukashenko")
    assert "“strategic partnership”" in quotes
    assert '<a href="/officials/alexander-lukashenko/">Alexander Lukashenko</a>' in quotes


@pytest.mark.sqlite
def test_footnote_markers_link_to_notes_that_exist(client, seed):
    html = get(client)
    markers = re.findall(r'<sup class="fn"><a href="#note-(\d+)">(\d+)</a></sup>', html)
    assert markers and all(a == b for a, b in markers)
    notes = re.findall(r'<li id="note-(\d+)"', html)
    assert set(notes) == {n for n, _ in markers}
    assert notes == [str(n) for n in range(1, len(notes) + 1)]  # numbered in order of first use
    # Each note names and links its source and locator, and links back to what it backs.
    first_note = _note(html, 1)
    assert 'href="/sources/belarus-iran-foreign-relations-2010/"' in first_note
    assert ", note 1." in first_note  # the first event on the page cites "note 1"
    assert (
        'class="back" href="#event-belarus-supports-iran-right-to-peaceful-nuclear-technology"'
        in first_note
    )
    # One footnote is one number, however many claims it backs: "note 4" backs an event and
    # the quote made at it, and is listed once, with a link back to each.
    assert html.count(", note 4.") == 1
    number = re.search(r'<li id="note-(\d+)"[^>]*>(?:(?!</li>).)*, note 4\.', html, re.S)[1]
    backs = re.findall(r'class="back" href="#([\w-]+)"', _note(html, int(number)))
    assert backs == [
        "event-2007-05-belarus-iran-agree-deeper-bilateral-trade",
        "statement-2007-05-lukashenko-strategic-partnership",
    ]


def _note(html: str, number: int) -> str:
    start = html.index(f'<li id="note-{number}"')
    return html[start : html.index("</li>", start)]


# --- Keyset pages ------------------------------------------------------------------------------
def walk(client, first_url: str, rel: str) -> tuple[list[str], list[str]]:
    """Follow rel links from first_url; the slugs seen (in page order) and the URLs visited."""
    seen, urls, url = [], [], first_url
    while url:
        urls.append(url)
        response = client.get(url)
        assert response.status_code == HTTPStatus.OK
        html = response.content.decode()
        page = slugs(html)
        seen += page if rel == "next" else list(reversed(page))
        url = link(html, rel)
        assert len(urls) < 100
    return seen, urls


@pytest.mark.sqlite
@pytest.mark.parametrize("order", ["oldest", "newest"])
def test_walking_the_pages_shows_every_event_once_in_order(client, seed, order):
    expected = published_slugs(newest=order == "newest")
    forward, urls = walk(client, f"{URL}?order={order}&per_page=3", "next")
    assert forward == expected
    assert len(urls) == 4
    # And back again from the last page, by the "previous" links.
    backward, _ = walk(client, urls[-1], "prev")
    assert list(reversed(backward)) == expected


@pytest.mark.sqlite
def test_page_links_keep_the_filters_and_are_stable(client, seed):
    query = "?domain=diplomatic&domain=nuclear&country=by&country=ir&per_page=2"
    forward, urls = walk(client, URL + query, "next")
    expected = published_slugs(
        about_pair(Event.objects.published().in_domains("diplomatic", "nuclear"), "BY", "IR")
    )
    assert forward == expected
    for url in urls[1:]:
        params = parse_qs(urlsplit(url).query)
        assert params["domain"] == ["nuclear", "diplomatic"]
        assert params["country"] == ["by", "ir"]
        assert params["per_page"] == ["2"]
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}\.\d+", params["after"][0])
    # The same URL gives the same page.
    assert slugs(client.get(urls[1]).content.decode()) == slugs(
        client.get(urls[1]).content.decode()
    )


@pytest.mark.sqlite
def test_a_filter_that_keeps_many_events_probes_each_row_for_the_same_pages(
    client, db, monkeypatch
):
    """From ``PROBE_FROM`` events kept (the facets' count), a country filter's pages are read
    with its condition probed per row (``about(probe=True)``: no hash of all the country's
    links first): the same pages, byte for byte, in as many queries."""
    censure = EventFactory(countries=["IR", "US"], date="2008")
    censure.concerns.add(relationship("BY", "IR"))
    for year in range(2001, 2012):
        EventFactory(countries=["BY", "IR"], date=str(year))
        EventFactory(countries=["BY", "RU"], date=f"{year}-06")
    EventFactory(countries=["BY", "US"], date="2010").concerns.add(relationship("IR", "US"))
    EventFactory(countries=["BY", "IR"], date="2009", status=Status.DRAFT)
    queries = [
        "?country=by&per_page=3",
        "?country=by&country=ir&order=newest&per_page=2",
        "?country=ir&from=2008&to=2010&per_page=2",
        "?country=by&country=ir&from=2005&order=newest&per_page=4",
    ]
    probing = re.compile(r'"\w+"\."id" > 0')  # (relations.paging.per_row)
    for query in queries:
        assert_probed_pages_are_the_same(client, monkeypatch, query, probing)


def test_a_search_that_keeps_many_events_probes_each_row_for_the_same_pages(
    client, db, monkeypatch
):
    """From ``PROBE_FROM`` events kept, a search's words are checked on each row the date
    order walks (``search_events(probe=True)``: an EXISTS fenced with OFFSET 0, never a join
    that reads every match first): the same pages, byte for byte, in as many queries."""
    if connection.vendor != "postgresql":
        pytest.skip("the stored words and their plans are PostgreSQL's")
    for year in range(2001, 2012):
        EventFactory(
            title=f"Nuclear agreement talks {year}", countries=["BY", "IR"], date=str(year)
        )
        EventFactory(title=f"Oil pipeline {year}", countries=["BY", "RU"], date=f"{year}-06")
        EventFactory(title=f"A nuclear agreement signed {year}", date=f"{year}-03")
    EventFactory(title="Nuclear agreement drafted", date="2009", status=Status.DRAFT)
    queries = [
        "?q=nuclear+agreement&per_page=3",
        "?q=nuclear+agreement&order=newest&per_page=4",
        "?q=agreement+-talks&from=2005&per_page=2",
        "?q=pipeline&country=ru&per_page=3",
    ]
    for query in queries:
        assert_probed_pages_are_the_same(client, monkeypatch, query, re.compile(r"OFFSET 0\)"))


def assert_probed_pages_are_the_same(client, monkeypatch, query: str, probing: re.Pattern):
    """Every page of ``query``, read hashed and then probed per row (``PROBE_FROM`` out of
    reach, then 0): the probed rows' SQL matches ``probing``, the hashed rows' does not, and
    the pages are the same, byte for byte, in as many queries."""
    pages, counts = {}, {}
    for probe in (False, True):
        monkeypatch.setattr(paging, "PROBE_FROM", 0 if probe else 10**9)
        url, pages[probe], counts[probe] = URL + query, [], []
        while url:
            get(client, url[len(URL) :])  # the facets cached: the next request is the page
            with CaptureQueriesContext(connection) as captured:
                pages[probe].append(get(client, url[len(URL) :]))
            rows = captured.captured_queries[0]["sql"]
            assert bool(probing.search(rows)) == probe, rows
            counts[probe].append(len(captured.captured_queries))
            url = link(pages[probe][-1], "next")
    assert pages[True] == pages[False], query
    assert counts[True] == counts[False] and max(counts[True]) <= 4, query
    assert len(pages[True]) > 1 and slugs(pages[True][0]), query


#: Dates around a "from" of 2009: long spans that start before it and reach into it, and some
#: that end before it (tests/api/test_resources.py pages the API through the same).
LONG_BEFORE = [
    "since 1995",
    "until 2012",
    "1990s",  # ends before 2009: out
    "2001/2009",
    "2008",  # ends before 2009: out
    "late 2008",  # out
    "2009",
    "c. 2009",
    "early 2009",
    "21 March 2009",
    "2009-03",
    "2009-03/2009-04",
    "2010",
    "2011-05-01",
    "since 2010",
]


@pytest.mark.parametrize("order", ["oldest", "newest"])
def test_pages_with_a_from_date_include_long_events_that_began_before_it(client, db, order):
    """Open spans, intervals and decades that start long before "from" but reach into it are
    read from their own index (PostgreSQL) and merged in: every page, both directions."""
    for date in LONG_BEFORE:
        EventFactory(date=date, title=f"Event dated {date}")
    EventFactory(date="2009", status=Status.DRAFT)
    params = f"?from=2009&order={order}&per_page=2"
    expected = published_slugs(Event.objects.published().between("2009", None), order == "newest")
    assert len(expected) == 12
    forward, urls = walk(client, URL + params, "next")
    assert forward == expected
    backward, _ = walk(client, urls[-1], "prev")
    assert list(reversed(backward)) == expected


@pytest.mark.sqlite
def test_a_page_beyond_the_end_offers_the_first_page(client, seed):
    html = get(client, after="9999-12-31.99999")
    assert slugs(html) == []
    assert "No more events this way" in html
    assert 'href="/timeline/">First page' in html


@pytest.mark.sqlite
def test_old_page_one_links_still_work(client, seed):
    assert len(slugs(get(client, page="1"))) == SEED_EVENTS


# --- Invalid input: the form again, with its errors, and 400 -----------------------------------
BAD_INPUT = {
    "malformed from date": "?from=sometime",
    "impossible date": "?to=2010-02-30",
    "month 13": "?from=2010-13",
    "to before from": "?from=2010&to=2009",
    "unknown domain": "?domain=piracy",
    "unknown country": "?country=zz",
    "three countries": "?country=by&country=ir&country=ru",
    "unknown official": "?official=nobody-at-all",
    "malformed official": "?official=not a slug",
    "unknown organisation": "?organisation=acme",
    "unknown agreement kind": "?agreement_kind=bribe",
    "unknown order": "?order=sideways",
    "malformed token": "?after=yesterday",
    "impossible token date": "?after=2010-02-30.5",
    "huge token id": "?after=2010-01-01.123456789012345678901234567890",
    "huge token": "?before=" + "9" * 10_000,
    "both tokens": "?after=2010-01-01.1&before=2011-01-01.2",
    "page size zero": "?per_page=0",
    "huge page size": "?per_page=1000000",
    "page size not a number": "?per_page=many",
    "huge page number": "?page=99999999999999999999999",
    "page number": "?page=2",
    "10,000-character query": "?q=" + "a" * 10_000,
    "NUL in q": "?q=oil%00loan",
    "NUL in a date": "?from=2009%00",
    "NUL in a domain": "?domain=econ%00omic",
    "NUL in a country": "?country=b%00y",
    "NUL in an official": "?official=alex%00ander",
    "NUL in an organisation": "?organisation=icro%00",
    "NUL in agreement kind": "?agreement_kind=loan%00",
    "NUL in a token": "?after=2010-01-01.1%00",
    "NUL in per_page": "?per_page=1%00",
    "NUL in an unknown parameter": "?utm_source=x%00y",
    "NUL in a parameter name": "?q%00=x",
    "a 'from' with no earliest day": "?from=by%202005",
    "a 'to' with no latest day": "?to=after%20May%202009",
}


@pytest.mark.sqlite
@pytest.mark.parametrize("query", BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_shows_the_form_with_errors_and_400(client, seed, query):
    response = client.get(URL + query)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    html = response.content.decode()
    assert '<form method="get"' in html
    assert 'class="form-errors" role="alert"' in html
    assert "Please check the filter" in html
    assert "\x00" not in html
    assert slugs(html) == []


def test_every_bad_input_is_named_in_its_message(client, seed):
    html = client.get(URL + "?from=sometime&country=zz&official=nobody").content.decode()
    assert "Could not read &quot;sometime&quot; as a date" in html
    assert "zz is not one of the available choices" in html
    assert "There is no official with the identifier “nobody”" in html
    assert 'aria-invalid="true"' in html


def test_a_one_sided_date_is_refused_on_the_side_it_cannot_bound(client, seed):
    html = client.get(URL + "?from=by 2005&to=after May 2009").content.decode()
    assert "“by 2005” has no earliest day, so it cannot start a range." in html
    assert "“after May 2009” has no latest day, so it cannot end a range." in html


def test_a_one_sided_date_is_worded_by_the_bound_the_filter_uses(client, seed):
    html = client.get(URL + "?from=after May 2009&to=by 2010").content.decode()
    assert "1 June 2009 – 31 December 2010" in html
    assert "after May 2009 –" not in html and "since after" not in html


# --- Facets and chart --------------------------------------------------------------------------
def facets(html: str, name: str) -> dict[str, tuple[int, str | None]]:
    """{label: (count, link)} of one facet list."""
    section = html[html.index(f'aria-label="By {name}"') :]
    section = section[: section.index("</nav>")]
    found = {}
    for item in re.findall(r"<li>(.*?)</li>", section, re.S):
        label = re.sub(r"<[^>]+>", "", item.split('<span class="count">')[0]).strip()
        count = int(re.search(r'<span class="count">([\d,]+)</span>', item)[1].replace(",", ""))
        href = re.search(r'href="([^"]+)"', item)
        found[label] = (count, unescape(href[1]) if href else None)
    return found


@pytest.mark.sqlite
def test_facet_counts(client, seed):
    html = get(client)
    domains = {label: count for label, (count, _) in facets(html, "domain").items()}
    assert domains == {"Nuclear": 4, "Economic": 4, "Energy": 3, "Diplomatic": 4, "Cultural": 1}
    years = {label: count for label, (count, _) in facets(html, "year").items()}
    # An event counts in each year it overlaps: "after May 2009, by 6 July 2010" in 2009 and
    # 2010; "in recent years, as of 6 July 2010" (no known start) in each year up to 2010.
    assert years == {"2007": 6, "2008": 6, "2009": 5, "2010": 6}
    assert f"{SEED_EVENTS} published events" in html


@pytest.mark.sqlite
@pytest.mark.parametrize("name", ["domain", "year"])
def test_facet_links_narrow_to_exactly_their_count(client, seed, name):
    start = "?country=by&country=ir"
    for label, (count, href) in facets(get(client, start), name).items():
        assert href, label
        params = parse_qs(urlsplit(href).query)
        assert params["country"] == ["by", "ir"]  # the other parameters are kept
        html = client.get(href).content.decode()
        assert len(slugs(html)) == count, (label, href)


@pytest.mark.sqlite
def test_facets_keep_a_date_window_and_show_the_current_choice(client, seed):
    html = get(client, "?domain=economic&from=2009-06&to=2010")
    years = facets(html, "year")
    # 2009 narrows to "from June 2009 to the end of 2009".
    assert parse_qs(urlsplit(years["2009"][1]).query)["from"] == ["2009-06"]
    assert parse_qs(urlsplit(years["2009"][1]).query)["to"] == ["2009"]
    domains = facets(html, "domain")
    assert domains["Economic"] == (2, None)  # the current (only) domain
    assert 'aria-current="true">Economic' in html


def test_facets_are_cached_and_refreshed_when_an_analyst_publishes(
    client, seed, django_assert_num_queries, django_capture_on_commit_callbacks
):
    get(client)
    with django_assert_num_queries(
        4
    ):  # the page (rows, links, statements, citations); facets cached
        get(client)
    # A draft's edits leave the cache warm (and show nothing).
    with django_capture_on_commit_callbacks(execute=True):
        # Cited (a published event is), by a footnote already there: a new source would
        # change what readers see by itself.
        event = EventFactory(
            status=Status.DRAFT,
            domains=["military"],
            date="2009",
            citations=1,
            citations__footnote=Footnote.objects.first(),
        )
    with django_assert_num_queries(4):
        assert "Military" not in facets(get(client), "domain")
    # Publishing raises the knowledge-base version when it commits: facets are computed again.
    with django_capture_on_commit_callbacks(execute=True):
        event.status = Status.PUBLISHED
        event.save()
    assert facets(get(client), "domain")["Military"][0] == 1
    with django_capture_on_commit_callbacks(execute=True):
        event.delete()
    assert "Military" not in facets(get(client), "domain")


def test_reference_data_is_cached_and_refreshed_when_it_changes(
    client, seed, django_assert_num_queries, django_capture_on_commit_callbacks
):
    """Domain names (the form, the facets, the chart) come from the cached reference data,
    which a rename makes stale at once."""
    get(client)
    with django_assert_num_queries(4):  # reference data and facets from the cache
        assert "Economic" in facets(get(client), "domain")
    with django_capture_on_commit_callbacks(execute=True):
        domain = Domain.objects.get(slug="economic")
        domain.name = "Commerce"
        domain.save()
    html = get(client)
    assert facets(html, "domain")["Commerce"][0] == 4
    assert '<label for="id_domain_economic">Commerce</label>' in html


def chart_bars(html: str) -> list[str]:
    svg = html[html.index("<svg") : html.index("</svg>")]
    return re.findall(r'<rect class="bar"[^>]*><title>([^<]+)</title>', svg)


def chart_totals(html: str) -> dict[str, int]:
    """Events per year as the chart draws them (the bars' own titles, summed per year)."""
    totals: dict[str, int] = {}
    for title in chart_bars(html):
        year, count = re.fullmatch(r"(\d{4}) · [^:]+: (\d+) events?", title).groups()
        totals[year] = totals.get(year, 0) + int(count)
    return totals


def caption(html: str) -> str:
    return " ".join(unescape(re.search(r"<figcaption>(.*?)</figcaption>", html, re.S)[1]).split())


@pytest.mark.sqlite
def test_chart_is_inline_svg_with_a_bar_per_year_and_first_domain(client, seed):
    html = get(client)
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert 'role="img"' in svg and 'aria-labelledby="chart-title chart-desc"' in svg
    assert '<title id="chart-title">Events per year, by first domain</title>' in svg
    assert '<desc id="chart-desc">' in svg
    # Each event once, under its first domain: the Jofeir meeting and the loan (economic and
    # energy) are two economic events in 2009; the gas row (energy, diplomatic) is energy.
    assert chart_bars(html) == [
        "2007 · Economic: 1 event",
        "2007 · Diplomatic: 1 event",
        "2008 · Nuclear: 2 events",
        "2009 · Economic: 2 events",
        "2010 · Economic: 1 event",
        "2010 · Energy: 1 event",
        "2010 · Diplomatic: 1 event",
    ]
    legend = re.findall(r'<g class="legend">(.*?)</g>', svg, re.S)[0]
    assert re.findall(r"<text[^>]*>([^<]+)</text>", legend) == [
        "Nuclear",
        "Economic",
        "Energy",
        "Diplomatic",
    ]
    # Four events are dated "by 6 July 2010", "before June 2008" or "in recent years": no bar.
    assert "each event counts once in each year its date overlaps" in caption(html)
    assert "in the colour of its first domain" in caption(html)
    assert "Not drawn: 4 events dated only up to or from a date" in caption(html)
    assert "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")  # no CDN
    # The chart needs no script; the page's only one is ours, served locally (no CDN).
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/js/timeline.js" defer>']


@pytest.mark.sqlite
def test_chart_years_are_the_year_facets_counts_less_the_open_sided_events(client, seed):
    html = get(client)
    years = {label: count for label, (count, _) in facets(html, "year").items()}
    open_sided = Event.objects.published().filter(
        Q(date_lower=datetime.date(1, 1, 1)) | Q(date_upper=datetime.date(9999, 12, 31))
    )
    assert open_sided.count() == 4
    assert chart_totals(html) == {
        year: count - open_sided.between(year, year).count() for year, count in years.items()
    }


def test_an_event_in_two_domains_draws_a_bar_of_one(client, db):
    EventFactory(date="2009", domains=["economic", "energy"])
    html = get(client)
    assert chart_bars(html) == ["2009 · Economic: 1 event"]
    assert facets(html, "domain") == {
        "Economic": (1, "/timeline/?domain=economic"),
        "Energy": (1, "/timeline/?domain=energy"),
    }
    assert "Not drawn" not in caption(html)
    # "First" is the domains' order: move energy first and the same event is an energy one.
    Domain.objects.filter(slug="energy").update(position=0)
    cache.clear()
    forget_reference()
    assert chart_bars(get(client)) == ["2009 · Energy: 1 event"]


def test_the_chart_counts_what_the_year_facet_counts(client, db):
    """Each event once in each year it overlaps, whatever its domains: the bars of a year add
    up to the year's count."""
    for date, domains in [
        ("2005", ["economic", "energy", "diplomatic"]),
        ("2005-03/2007-06", ["energy"]),
        ("2000s", ["nuclear"]),
        ("late 2006", ["cultural", "military"]),
        ("after May 2006, by 6 July 2007", ["diplomatic", "economic"]),
        ("c. 2007", ["diplomatic"]),
    ]:
        EventFactory(date=date, domains=domains)
    html = get(client, **{"from": "2004", "to": "2008"})
    years = {label: count for label, (count, _) in facets(html, "year").items()}
    assert years == {"2004": 1, "2005": 3, "2006": 4, "2007": 4, "2008": 1}
    assert chart_totals(html) == years
    assert "2005 · Economic: 1 event" in chart_bars(html)  # once, though in three domains


def test_open_sided_dates_draw_no_bar_and_do_not_stretch_the_axis(client, db):
    for date in ["by 2005", "as early as 1998", "since 1990", "in recent years, as of 6 July 2010"]:
        EventFactory(date=date, domains=["economic"])
    EventFactory(date="2009", domains=["economic"])
    EventFactory(date="June 2010", domains=["energy"])
    html = get(client)
    assert chart_bars(html) == ["2009 · Economic: 1 event", "2010 · Energy: 1 event"]
    svg = html[html.index("<svg") : html.index("</svg>")]
    labels = re.findall(r'<g class="labels">(.*?)</g>', svg, re.S)[0]
    assert re.findall(r">(\d+)</text>", labels) == ["2009", "2010"]
    assert "Not drawn: 4 events dated only up to or from a date" in caption(html)
    assert "4 with a date open on one side are not drawn" in svg
    # They are still listed and counted in the year list, where a year link finds them.
    assert len(slugs(html)) == 6
    assert facets(html, "year")["2009"][0] == 3  # "2009", "since 1990", "in recent years"


# --- Drafts never appear -----------------------------------------------------------------------
@pytest.mark.sqlite
def test_drafts_never_appear(client, seed):
    published = Event.objects.get(slug="2009-05-semashko-raei-jofeir-oil-project")
    EventFactory(status=Status.DRAFT, title="A secret draft event", countries=["BY", "IR"])
    EventFactory(status=Status.REVIEW, title="An event awaiting review", countries=["BY", "IR"])
    StatementFactory(event=published, status=Status.DRAFT, quote="Unpublished draft words")
    draft_agreement = AgreementFactory(
        status=Status.DRAFT, title="A draft contract", kind=Agreement.Kind.CONTRACT
    )
    published.agreements.add(draft_agreement)
    html = get(client)
    for text in ("secret draft", "awaiting review", "Unpublished draft words", "draft contract"):
        assert text not in html
    assert f"{SEED_EVENTS} published events" in html
    assert slugs(get(client, q="Unpublished draft words")) == []
    assert slugs(get(client, agreement_kind="contract")) == []
    assert 'href="/agreements/' + draft_agreement.slug not in get(client, q="Jofeir")


# --- Queries per page --------------------------------------------------------------------------
def rich_events(n: int) -> None:
    """Events with everything a page shows: domains, countries, organisations, officials,
    agreements, quotes with speakers, and citations of both."""
    agreement = AgreementFactory()
    for i in range(n):
        event = EventFactory(
            countries=["BY", "IR"], domains=["economic", "energy"], date=f"{2000 + i % 20}-05"
        )
        event.organisations.add(OrganisationFactory())
        event.officials.add(OfficialFactory())
        event.agreements.add(agreement)
        statement = StatementFactory(event=event)
        CitationFactory(event=event)
        CitationFactory(statement=statement)


@pytest.mark.parametrize("size", [10, 50])
@pytest.mark.parametrize(
    "query",
    ["", "?domain=economic&from=2000&to=2019&country=by&country=ir", "?q=event&order=newest"],
    ids=["unfiltered", "domain-dates-pair", "search-newest"],
)
def test_a_page_costs_6_queries_including_facets(
    client, db, django_assert_num_queries, size, query
):
    """The rows, what they link to (domains, countries, organisations, officials, agreements:
    one query), their statements and the citations; on a cold cache, the reference data and
    the facets too. (The knowledge-base version is read once per cache timeout, not per
    request.)"""
    rich_events(size + 5)
    url = f"{URL}{query}{'&' if query else '?'}per_page={size}"

    def cold() -> None:  # reference data and facets are computed in the next request
        cache.clear()
        forget_reference()
        kb_cache.version()

    cold()
    with django_assert_num_queries(6):
        html = client.get(url).content.decode()
    assert len(slugs(html)) == size
    assert html.count('<blockquote class="quote"') == size
    # A deep page costs the same.
    deeper = link(html, "next")
    cold()
    with django_assert_num_queries(6):
        assert len(slugs(client.get(deeper).content.decode())) > 0
    # Warm, the page alone.
    with django_assert_num_queries(4):
        assert len(slugs(client.get(deeper).content.decode())) > 0


def test_entity_filters_cost_no_query_once_cached(client, db, django_assert_num_queries):
    rich_events(12)
    official = Event.objects.first().officials.first()
    organisation = Event.objects.first().organisations.first()
    url = f"{URL}?official={official.slug}&organisation={organisation.slug}"
    client.get(url)
    # Another filter with the same official and organisation: only its facets are new.
    with django_assert_num_queries(4 + 1):
        assert len(slugs(client.get(url + "&from=2000").content.decode())) == 1


def test_an_unknown_official_is_remembered_too(client, db, django_assert_num_queries):
    url = f"{URL}?official=nobody-at-all"
    assert client.get(url).status_code == HTTPStatus.BAD_REQUEST
    with django_assert_num_queries(0):  # the negative look-up and the reference data, cached
        assert client.get(url).status_code == HTTPStatus.BAD_REQUEST


@pytest.mark.sqlite
def test_every_text_an_analyst_typed_is_escaped(client):
    """Events and notes are rendered by Jinja2 (templates/jinja2/reader/timeline_events.html)
    with autoescaping: markup typed into any field shows as text."""
    attack = '<img src=x onerror="alert(1)">'
    organisation = OrganisationFactory(name=f"Org {attack}", short_name="O&O")
    event = EventFactory(
        title=f"Title {attack}",
        summary=f"Summary {attack}",
        place=f"Place {attack}",
        countries=["BY", "IR"],
    )
    event.organisations.set([organisation])
    StatementFactory(event=event, quote=f"Quote {attack}", context=f"Context {attack}")
    source = SourceFactory(title=f"Source {attack}", outlet=f"Outlet {attack}")
    CitationFactory(event=event, source=source, locator=f"p. {attack}", excerpt=f"Ex {attack}")
    html = get(client)
    assert "<img" not in html
    text = unescape(html)
    for label in ("Title", "Summary", "Place", "Org", "Quote", "Context", "Source", "Outlet"):
        assert f"{label} {attack}" in text, label
    assert f"p. {attack}" in text and f"Ex {attack}" in text
    assert "O&amp;O" in html


# --- Presentation: the one module's dates and links -------------------------------------------
@pytest.mark.sqlite
def test_fast_links_are_the_models_own_urls(seed):
    for model in (Event, Agreement, Country, Official, Organisation, Source):
        for obj in model.objects.all()[:20]:
            assert presentation.url(obj) == obj.get_absolute_url()


@pytest.mark.sqlite
def test_dates_and_links_are_the_presentation_modules(client, seed):
    """Each event's date reads, and carries the <time datetime> value, that
    relations.presentation gives it (as on every other page), and links to its own page."""
    html = get(client)
    for event in Event.objects.published():
        article = _article(html, event.slug)
        reading = presentation.when(event.date)
        if reading.datetime:
            assert f'<time datetime="{reading.datetime}">{reading.text}</time>' in article
        else:
            assert f'<span class="date">{reading.text}</span>' in article
        assert f'<a href="{event.get_absolute_url()}">' in article
    assert '<time datetime="2010-06">late June 2010</time>' in html


# --- Quotes under an event: the visible ones ----------------------------------------------------
def test_quotes_under_an_event_are_the_visible_ones(client, db):
    event = EventFactory(date="2009", countries=["BY", "IR"])
    draft_event = EventFactory(date="2009", status=Status.DRAFT, countries=["BY", "IR"])
    StatementFactory(event=event, quote="Said by someone")
    StatementFactory(event=event, quote="Said together", speaker=None, speaker_organisation=None)
    StatementFactory(event=event, quote="Not yet said", status=Status.DRAFT)
    StatementFactory(event=draft_event, quote="Said at a draft event")
    html = get(client)
    assert slugs(html) == [event.slug]
    assert "Said by someone" in html
    assert "Said together" in html and "the parties jointly" in html
    assert "Not yet said" not in html
    assert "Said at a draft event" not in html
