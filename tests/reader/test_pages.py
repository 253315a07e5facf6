"""The public entity pages: countries, organisations, officials, agreements, events, sources.

Each page shows the seed's facts, published claims only, footnotes that resolve, and costs a
constant small number of queries however much data there is.
"""

import html as htmllib
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reader.pages import countries
from relations import paging, presentation
from relations.filters import forget_reference
from relations.models import Agreement, Citation, Event, Status
from tests.factories import (
    AgreementFactory,
    CitationFactory,
    EventFactory,
    MembershipFactory,
    OfficialFactory,
    OrganisationFactory,
    PositionFactory,
    SourceFactory,
    StatementFactory,
    country,
)

pytestmark = pytest.mark.django_db

# Cold (nothing cached): the version, the reference data, a country's rankings or an
# organisation's members and posts, then the page's own lists and citations. Warm: at most 6
# (test_entity_pages_cost_at_most_6_queries_once_cached).
MAX_QUERIES = 11
SOURCE = "belarus-iran-foreign-relations-2010"
LOAN = "central-bank-of-iran-loan-to-belarusneft-jofeir"
GAS_ROW = "2010-06-late-lukashenko-turns-to-iran-after-russia-gas-row"
EXHIBITION = "2010-06-latushka-icro-iranian-art-exhibition-minsk"

SEED_PAGES = [
    "/countries/",
    "/countries/by/",
    "/countries/ir/",
    "/countries/suhh/",
    "/organisations/non-aligned-movement/",
    "/organisations/central-bank-of-iran/",
    "/organisations/icro/",
    "/organisations/united-nations/",
    "/officials/alexander-lukashenko/",
    "/officials/reza-raei/",
    f"/agreements/{LOAN}/",
    f"/events/{GAS_ROW}/",
    f"/events/{EXHIBITION}/",
    f"/sources/{SOURCE}/",
]


@pytest.fixture(autouse=True)
def fresh_cache():
    """Country rankings are cached; tests share country ids, so start and end empty."""
    cache.clear()
    yield
    cache.clear()


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def text(html):
    """The page's words, tags dropped and whitespace folded, for phrase assertions."""
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def section(html, heading_id):
    """The HTML of the <section> whose heading has this id."""
    start = html.index(f'id="{heading_id}"')
    return html[start : html.index("</section>", start)]


# --- Countries --------------------------------------------------------------------------------
def test_country_index_lists_current_countries_by_letter_and_withdrawn_ones_apart(
    client, seed, django_assert_max_num_queries
):
    with django_assert_max_num_queries(2):
        html = page(client, "/countries/")
    assert '<a href="/countries/by/">Belarus</a>' in html
    assert '<a href="/countries/ir/">Iran</a>' in html
    withdrawn = section(html, "withdrawn")
    assert '<a href="/countries/suhh/">Soviet Union</a>' in withdrawn
    assert "Belarus" not in withdrawn
    # Åland Islands is filed under A, not after Z.
    assert "Åland Islands" in section(html, "letter-A")
    assert "<title>Countries · Relata</title>" in html


def test_country_page_ranks_iran_first_with_eleven_events(client, seed):
    response = client.get("/countries/by/")
    assert response.status_code == 200
    partners = response.context["summary"]["partners"]
    # Events both took part in: the censure only concerns Belarus–Iran relations.
    assert [(p["code"], p["events"]) for p in partners] == [("IR", 11)]
    html = response.content.decode()
    ranking = section(html, "relationships")
    assert 'href="/relations/by-ir/"' in ranking
    assert re.search(r'/countries/ir/">Iran</a></th>\s*<td class="num">11</td>', ranking)


def test_country_page_shows_names_codes_aliases_events_and_actors(client, seed):
    html = page(client, "/countries/by/")
    words = text(html)
    assert "<h1>Belarus</h1>" in html
    assert "Republic of Belarus" in words
    assert "BY · BLR · 112" in words
    assert "Also written" in words and "Byelorussia" in words
    assert 'href="/timeline/?country=by"' in html
    events = section(html, "recent-events")
    # As the timeline lists Belarus: what it took part in, and the censure of Iran, which
    # concerns Belarus–Iran relations.
    assert events.count('href="/events/') == 12
    assert 'href="/events/until-2008-06-censure-of-iran-nuclear-programme/"' in events
    # Newest first, each at its own precision, with domain tags and footnote markers.
    assert events.index("late June 2010") < events.index("June 2010</time>")
    assert 'datetime="2010-06"' in events
    assert f'href="/events/{GAS_ROW}/"' in events
    assert '<span class="tag">Energy</span>' in events
    assert 'href="#note-1"' in events
    assert 'href="/organisations/belarusneft/"' in section(html, "organisations")
    officials = section(html, "officials")
    assert officials.index("alexander-lukashenko") < officials.index("pavel-latushka")
    # The partner's page: case-insensitive codes in the URL, the same pair's dossier.
    assert 'href="/relations/by-ir/"' in page(client, "/countries/ir/")


def test_withdrawn_country_page_says_so(client, seed):
    words = text(page(client, "/countries/suhh/"))
    assert "Soviet Union" in words
    assert "code withdrawn" in words
    assert "No published events yet." in words


@pytest.mark.parametrize("url", ["/countries/zz/", "/countries/xxxx/", "/countries/b1/"])
def test_unknown_country_code_is_404(client, seed, url):
    assert client.get(url).status_code == 404


def test_relationships_are_ranked_by_number_of_published_events(client):
    for partner, n in [("DK", 2), ("SE", 3), ("FI", 1)]:
        for _ in range(n):
            EventFactory(countries=["NO", partner])
    for _ in range(5):  # drafts and claims in review never count
        EventFactory(countries=["NO", "FI"], status=Status.DRAFT)
        EventFactory(countries=["NO", "FI"], status=Status.REVIEW)
    EventFactory(countries=["SE", "DK"])  # not Norway's
    response = client.get("/countries/no/")
    partners = response.context["summary"]["partners"]
    assert [(p["code"], p["events"]) for p in partners] == [("SE", 3), ("DK", 2), ("FI", 1)]
    ranking = section(response.content.decode(), "relationships")
    assert ranking.index("Sweden") < ranking.index("Denmark") < ranking.index("Finland")
    assert 'href="/relations/dk-no/"' in ranking  # codes in alphabetical order


def test_country_page_shows_the_newest_twenty_events(client):
    for year in range(1990, 2015):
        EventFactory(countries=["NO", "SE"], title=f"Nordic meeting of {year}", date=str(year))
    html = section(page(client, "/countries/no/"), "recent-events")
    assert html.count('href="/events/') == 20
    assert "Nordic meeting of 2014" in html and "Nordic meeting of 1995" in html
    assert "Nordic meeting of 1994" not in html
    assert html.index("of 2014") < html.index("of 2013")


# --- Organisations ----------------------------------------------------------------------------
def test_organisation_page_shows_its_events(client, seed):
    html = page(client, "/organisations/non-aligned-movement/")
    words = text(html)
    assert "Non-Aligned Movement (NAM)" in words
    assert "Intergovernmental organisation" in words
    members = section(html, "members")
    assert 'href="/countries/by/">Belarus</a><sup class="fn"><a href="#note-1"' in members
    assert "dates not recorded" in members
    events = section(html, "events")
    assert 'href="/events/2008-06-nam-ministerial-tehran-backs-enrichment/"' in events
    assert 'href="/events/2008-nam-commends-iran-nuclear-compliance/"' in events
    assert 'href="/timeline/?organisation=non-aligned-movement"' in html


def test_organisation_page_shows_posts_agreements_country_and_aliases(client, seed):
    html = page(client, "/organisations/central-bank-of-iran/")
    words = text(html)
    assert 'href="/countries/ir/"' in html
    assert "Central Bank of Iran, Bank Markazi" in words
    posts = section(html, "posts")
    assert "Vice Governor" in posts and 'href="/officials/reza-raei/"' in posts
    agreements = section(html, "agreements")
    assert f'href="/agreements/{LOAN}/"' in agreements and "$212m" in agreements


def test_organisation_page_shows_statements_it_issued(client, seed):
    statements = section(page(client, "/organisations/icro/"), "statements")
    assert "“Latushka proposed establishing an Iran-Belarus artists association" in statements
    assert "in a press release" in statements
    assert f'href="/events/{EXHIBITION}/"' in statements


def test_organisation_page_links_parent_and_children(client, seed):
    assert 'href="/organisations/united-nations/"' in page(
        client, "/organisations/un-security-council/"
    )
    assert 'href="/organisations/un-security-council/"' in page(
        client, "/organisations/united-nations/"
    )


def test_organisation_page_lists_its_members_with_period_and_sources(client):
    forum = OrganisationFactory(slug="forum", name="Nordic Forum", kind="intergovernmental")
    body = OrganisationFactory(slug="arctic-council", name="Arctic Council")
    source = SourceFactory(slug="charter", title="The Forum's charter")
    for member, start, end, locator in [
        ({"member_country": country("SE")}, "1995", "", "art. 1"),
        ({"member_country": country("NO")}, "as early as 1998", "2004", "art. 2"),
        ({"member_country": None, "member_organisation": body}, "", "", "art. 3"),
    ]:
        membership = MembershipFactory(
            **member, organisation=forum, start=start, end=end, role="member", citations=0
        )
        CitationFactory(membership=membership, source=source, locator=locator)
    MembershipFactory(member_country=country("DK"), organisation=forum, status=Status.DRAFT)
    html = page(client, "/organisations/forum/")
    members = section(html, "members")
    rows = re.findall(r"<tr>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>", members, re.S)
    assert [(text(who), role, period) for who, role, period in rows] == [
        ("Arctic Council 1", "member", "dates not recorded"),  # A to Z
        ("Norway 2", "member", "as early as 1998 – 2004"),
        ("Sweden 3", "member", "since 1995"),
    ]
    assert 'href="/organisations/arctic-council/">Arctic Council</a>' in members
    assert "Denmark" not in html  # a draft membership
    # Each marker leads to its footnote: the source and the place in it.
    notes = section(html, "notes-heading")
    assert re.findall(r'<li id="note-\d+" value="\d+">\s*<a href="/sources/charter/">', notes)
    assert [n for n in ("art. 1", "art. 2", "art. 3") if f", {n}." in notes] == [
        "art. 1",
        "art. 2",
        "art. 3",
    ]
    # The member body's own page says what it is a member of.
    member_of = section(page(client, "/organisations/arctic-council/"), "member-of")
    assert 'href="/organisations/forum/">Nordic Forum (' not in member_of
    assert 'href="/organisations/forum/">Nordic Forum</a> <span class="role">member</span>' in (
        member_of
    )


def test_country_page_lists_its_memberships(client, seed):
    html = page(client, "/countries/by/")
    memberships = section(html, "memberships")
    assert re.search(
        r'<a href="/organisations/non-aligned-movement/">Non-Aligned Movement \(NAM\)</a> '
        r'<span class="role">member</span><sup class="fn"><a href="#note-1"',
        memberships,
    )
    notes = section(html, "notes-heading")
    assert '<li id="note-1" value="1">' in notes and ", note 1." in notes
    assert 'id="memberships"' not in page(client, "/countries/ir/")  # none on the page


def test_an_unnamed_body_is_described_not_named(client):
    bank = OrganisationFactory(
        slug="bank-abroad",
        name="A state-owned bank abroad",
        kind="central-bank",
        unnamed=True,
        country=country("IR"),
        location=country("BY"),
    )
    event = EventFactory(countries=["BY", "IR"], title="A loan is arranged", date="2009")
    event.organisations.add(bank)
    html = page(client, "/organisations/bank-abroad/")
    assert re.search(r"<h1>A state-owned bank abroad <span[^>]*>\(unnamed in the source\)", html)
    assert "Based in Belarus" in text(html) and "Country Iran" in text(html)
    described = "a state-owned bank abroad (owned by Iran, based in Belarus; unnamed in the source)"
    assert described in text(page(client, event.get_absolute_url()))
    assert described in text(client.get("/timeline/").content.decode())


def test_organisation_website_is_an_external_nofollow_link(client):
    OrganisationFactory(slug="ministry", website="https://mfa.example.org/")
    html = page(client, "/organisations/ministry/")
    assert '<a href="https://mfa.example.org/" rel="nofollow noopener">' in html


# --- Officials --------------------------------------------------------------------------------
def test_official_page_shows_posts_quotes_and_events(client, seed):
    html = page(client, "/officials/alexander-lukashenko/")
    words = text(html)
    assert "Aliaksandr Lukashenka" in words
    posts = section(html, "posts")
    assert "<strong>President</strong>" in posts and 'href="/countries/by/"' in posts
    statements = section(html, "statements")
    assert "“strategic partnership”" in statements
    assert "May 2007" in statements
    assert "referring to his country's relationship with the Islamic Republic" in text(statements)
    # A paraphrase is reported, not quoted.
    assert (
        '<p class="paraphrase"><a href="/officials/alexander-lukashenko/">Alexander Lukashenko</a>'
        " added that this desire to increase energy ties with Iran is part of a move away"
    ) in statements
    assert "“this desire" not in statements
    events = section(html, "events")
    assert f'href="/events/{GAS_ROW}/"' in events
    assert 'href="/timeline/?official=alexander-lukashenko"' in html


def test_official_posts_are_in_date_order_with_their_period(client):
    official = OfficialFactory(slug="minister", country=country("NO"))
    PositionFactory(official=official, title="Ambassador", start="2001", end="2004")
    PositionFactory(official=official, title="Foreign Minister", start="May 2007")
    PositionFactory(official=official, title="Deputy Minister", start="2005", end="2007")
    PositionFactory(official=official, title="Secret Post", status=Status.DRAFT)
    posts = text(section(page(client, "/officials/minister/"), "posts"))
    assert posts.index("Ambassador") < posts.index("Deputy Minister") < posts.index("Foreign")
    assert "Ambassador , Belarus , 2001 – 2004" in posts
    assert "since May 2007" in posts
    assert "Secret Post" not in posts


# --- Agreements -------------------------------------------------------------------------------
def test_agreement_page_shows_value_parties_and_events(client, seed):
    html = page(client, f"/agreements/{LOAN}/")
    words = text(html)
    assert "212,000,000 USD" in words and "$212m" in words
    assert 'href="/organisations/belarusneft/"' in html
    assert 'href="/organisations/central-bank-of-iran/"' in html
    assert "Agreed in principle" in words
    assert "after May 2009, by 6 July 2010" in words
    assert "Economic" in words and "Energy" in words
    events = section(html, "events")
    assert 'href="/events/2009-central-bank-of-iran-agrees-212m-loan-to-belarusneft/"' in events
    assert "No recorded changes." in section(html, "history")


def test_an_agreements_purpose_is_shown_as_background_without_a_marker(client):
    AgreementFactory(slug="grain-deal", title="Grain deal", purpose="To feed the north.")
    html = page(client, "/agreements/grain-deal/")
    background = re.search(r'<p class="lede background">(.*?)</p>', html, re.S)[1]
    assert "in our words (background, not from a source)" in background
    assert "To feed the north." in background and 'class="fn"' not in background
    assert re.search(r'<h1>Grain deal<sup class="fn">', html)  # the marker is the title's


def test_agreement_stage_history_shows_a_change_made_through_the_orm(client, seed):
    agreement = Agreement.objects.get(slug=LOAN)
    agreement.stage = Agreement.Stage.SIGNED
    agreement.save()
    agreement.title = "Central Bank of Iran loan to Belarusneft"  # not a change of stage
    agreement.save()
    history = section(page(client, f"/agreements/{LOAN}/"), "history")
    assert "No recorded changes" not in history
    assert history.count("<li>") == 1
    assert "<strong>signed</strong>" in history
    assert "was agreed in principle" in history


def test_agreement_stage_history_of_a_new_agreement(client):
    agreement = AgreementFactory(slug="grain-deal", stage=Agreement.Stage.PROPOSED)
    history = section(page(client, "/agreements/grain-deal/"), "history")
    assert "No recorded changes." in history
    assert "Entered as proposed" in history
    for stage in (Agreement.Stage.SIGNED, Agreement.Stage.IN_FORCE):
        agreement.stage = stage
        agreement.save()
    history = section(page(client, "/agreements/grain-deal/"), "history")
    assert re.findall(r"<strong>([^<]+)</strong>", history) == ["signed", "in force"]


# --- One presentation on every page -----------------------------------------------------------
@pytest.mark.parametrize(
    ("amount", "currency", "compact"),
    [("2125000000", "USD", "$2.13bn"), ("250000", "USD", "$250,000"), ("4e10", "IRR", "IRR 40bn")],
)
def test_a_sum_reads_the_same_on_every_page(client, amount, currency, compact):
    no, se = country("NO"), country("SE")
    bank = OrganisationFactory(slug="nordic-bank", country=no)
    loan = AgreementFactory(
        slug="nordic-loan",
        title="A loan",
        value_amount=Decimal(amount),
        value_currency=currency,
        date="2009",
    )
    loan.countries.set([no, se])
    loan.organisations.set([bank])
    exact = presentation.money(Decimal(amount), currency).exact
    dossier = page(client, "/relations/no-se/")
    assert f'<span class="value">{compact}</span>' in dossier
    assert f", {compact}</span>" in section(
        page(client, "/organisations/nordic-bank/"), "agreements"
    )
    agreement = page(client, "/agreements/nordic-loan/")
    assert f"{exact}</data>" in agreement and f"({compact})" in agreement


def test_a_date_reads_the_same_on_every_page(client):
    vague = EventFactory(countries=["NO", "SE"], date="c. 2008", title="A vague meeting")
    EventFactory(countries=["NO", "SE"], date="late June 2010", title="A late meeting")
    for url in ("/relations/no-se/", "/countries/no/"):
        html = page(client, url)
        assert '<time datetime="2010-06">late June 2010</time>' in html, url
        # An approximate date has no machine-readable form: any would claim too much.
        assert "c. 2008" in html and 'datetime="2008"' not in html, url
    event = page(client, vague.get_absolute_url())
    assert "c. 2008" in event and 'datetime="2008"' not in event


# --- Events -----------------------------------------------------------------------------------
def test_event_page_shows_date_bounds_participants_and_dossiers(client, seed):
    html = page(client, f"/events/{GAS_ROW}/")
    words = text(html)
    assert "late June 2010" in words
    assert "between 21 June 2010 and 30 June 2010" in words
    assert 'href="/officials/alexander-lukashenko/"' in html
    for code in ("by", "ir"):
        assert f'href="/countries/{code}/"' in html
    dossiers = section(html, "dossiers")
    assert re.findall(r'href="(/relations/[a-z-]+/)"', dossiers) == ["/relations/by-ir/"]
    assert "Energy" in words and "Diplomatic" in words
    assert "row with Russia over gas supplies" in words


def test_event_page_shows_place_statements_and_organisations(client, seed):
    html = page(client, f"/events/{EXHIBITION}/")
    words = text(html)
    assert "Minsk" in words
    assert 'href="/organisations/icro/"' in html
    assert "“Latushka proposed establishing" in section(html, "statements")
    assert "<title>Latushka makes announcements at an Iranian art exhibit run by ICRO in Minsk" in (
        html
    )


def test_open_sided_dates_give_their_bounds_in_words(client, seed):
    words = text(page(client, "/events/until-2010-07-belarus-iran-closer-economic-ties/"))
    assert "in recent years, as of 6 July 2010" in words
    assert "at any time up to 6 July 2010" in words


def test_event_page_links_at_most_six_dossiers(client):
    event = EventFactory(countries=["NO", "SE", "DK", "FI", "IS"])
    dossiers = section(page(client, event.get_absolute_url()), "dossiers")
    assert dossiers.count('href="/relations/') == 6


# --- Sources ----------------------------------------------------------------------------------
def footnote_items(html: str) -> dict[str, str]:
    """{locator: the HTML of its entry} on a source's page, in page order."""
    items = re.findall(r'<li class="footnote" id="footnote-[\w-]+">(.*?)</ul>\s*</li>', html, re.S)
    return {re.search(r'<span class="locator">([^<]+)</span>', i)[1]: i for i in items}


def backed(item: str) -> list[str]:
    """What one footnote entry lists: each claim's kind label and link."""
    return re.findall(r'<li class="backed (\w+)">.*?href="([^"]+)"', item, re.S)


def test_source_page_lists_each_footnote_once_with_the_claims_it_backs(client, seed):
    response = client.get(f"/sources/{SOURCE}/")
    assert response.status_code == 200
    html = response.content.decode()
    items = footnote_items(html)
    assert list(items) == [f"note {n}" for n in range(1, 14)]  # "note 10" after "note 9"
    # Each footnote with exactly the visible claims linked to it, whatever their kinds.
    for locator, item in items.items():
        linked = Citation.objects.filter(footnote__source__slug=SOURCE, footnote__locator=locator)
        assert len(backed(item)) == linked.count(), locator
        assert [kind for kind, _ in backed(item)] == sorted(
            (c.claim_kind for c in linked),
            key=["event", "agreement", "statement", "position", "membership"].index,
        ), locator
    claims = {(c.claim_kind, c.claim.pk) for c in Citation.objects.all()}
    assert response.context["count"] == len(claims)
    # Note 1 backs the commendation, Belarus' support, and Belarus' membership of NAM.
    assert backed(items["note 1"]) == [  # in date order: "by 6 July 2010" has no known start
        ("event", "/events/belarus-supports-iran-right-to-peaceful-nuclear-technology/"),
        ("event", "/events/2008-nam-commends-iran-nuclear-compliance/"),
        ("membership", "/organisations/non-aligned-movement/"),
    ]
    assert "Belarus, member of" in text(items["note 1"])
    # Note 6: the loan and the event of its agreement, told on one footnote.
    assert ("agreement", f"/agreements/{LOAN}/") in backed(items["note 6"])
    assert "“strategic partnership”" in items["note 4"]
    assert 'href="/organisations/icro/"' in items["note 11"]
    assert "Alexander Lukashenko</a> added that this desire" in items["note 13"]
    assert html.count('<blockquote class="excerpt">') == 13  # each excerpt once
    assert "6 July 2010" in text(html)


def test_source_page_lists_only_what_readers_may_see(client):
    source = SourceFactory(slug="wire")
    shown = EventFactory(title="A published meeting", citations=0)
    hidden = EventFactory(title="A draft meeting", status=Status.DRAFT, citations=0)
    for event in (shown, hidden):
        CitationFactory(event=event, source=source, locator="para. 1", excerpt="They met.")
    CitationFactory(event=hidden, source=source, locator="para. 2", excerpt="Secret words.")
    html = page(client, "/sources/wire/")
    assert list(footnote_items(html)) == ["para. 1"]  # para. 2 backs only a draft
    assert "A published meeting" in html
    assert "A draft meeting" not in html and "Secret words" not in html


def test_source_page_shows_links_as_nofollow_and_dates(client):
    source = SourceFactory(
        slug="wire-report",
        url="https://news.example.com/report",
        archive_url="https://web.archive.org/web/2010/https://news.example.com/report",
        published="late June 2010",
        accessed="2010-07-01",
        author="A. Reporter",
        language="ru",
    )
    event = EventFactory(countries=["NO", "SE"], title="Cited meeting")
    CitationFactory(source=source, event=event, locator="para. 2", excerpt="They met.")
    draft = EventFactory(countries=["NO", "SE"], title="Uncited draft", status=Status.DRAFT)
    CitationFactory(source=source, event=draft, locator="para. 3")
    html = page(client, "/sources/wire-report/")
    assert '<a class="url" href="https://news.example.com/report" rel="nofollow noopener">' in html
    assert 'href="https://web.archive.org/web/2010/' in html
    assert html.count('rel="nofollow noopener"') == 2
    words = text(html)
    assert "late June 2010" in words and "1 July 2010" in words and "A. Reporter" in words
    assert "Cited meeting" in words and "para. 2" in words and "They met." in words
    assert "Uncited draft" not in html and "para. 3" not in html


# --- 404s -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url",
    [
        "/organisations/no-such-body/",
        "/officials/no-such-person/",
        "/agreements/no-such-agreement/",
        "/events/no-such-event/",
        "/sources/no-such-source/",
    ],
)
def test_unknown_slugs_are_404(client, seed, url):
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("status", [Status.DRAFT, Status.REVIEW])
def test_unpublished_agreements_and_events_are_404(client, seed, status):
    event = EventFactory(slug="secret-meeting", countries=["BY", "IR"], status=status)
    agreement = AgreementFactory(slug="secret-deal", status=status)
    CitationFactory(event=event)
    CitationFactory(agreement=agreement)
    assert client.get("/events/secret-meeting/").status_code == 404
    assert client.get("/agreements/secret-deal/").status_code == 404
    Event.objects.filter(pk=event.pk).update(status=Status.PUBLISHED)
    assert client.get("/events/secret-meeting/").status_code == 200


# --- Every page: footnotes, head, breadcrumbs, queries ----------------------------------------
@pytest.mark.parametrize("url", SEED_PAGES)
def test_footnote_markers_link_to_notes_on_the_page(client, seed, url):
    html = page(client, url)
    targets = set(re.findall(r'href="#(note-\d+)"', html))
    notes = re.findall(r'<li id="(note-\d+)"', html)
    assert targets <= set(notes)
    assert notes == [f"note-{n}" for n in range(1, len(notes) + 1)]  # numbered in order
    assert set(notes) <= targets  # and every note is used
    if notes:  # numbered in order of first use
        first_use = list(dict.fromkeys(re.findall(r'href="#note-(\d+)"', html)))
        assert first_use == sorted(first_use, key=int)


def test_seed_pages_with_claims_have_footnotes(client, seed):
    for url in (f"/events/{GAS_ROW}/", "/officials/alexander-lukashenko/", f"/agreements/{LOAN}/"):
        html = page(client, url)
        assert '<li id="note-1"' in html, url
        assert f'href="/sources/{SOURCE}/"' in html, url


@pytest.mark.parametrize("url", SEED_PAGES)
def test_every_page_has_a_title_description_breadcrumbs_and_stylesheet(client, seed, url):
    html = page(client, url)
    title = re.search(r"<title>(.+?)</title>", html, re.S).group(1)
    assert title.strip() != "Relata" and "· Relata" in title
    description = re.search(r'<meta name="description" content="([^"]+)"', html).group(1)
    assert len(description) > 40 and "Relata: a relational" not in description
    assert '<nav class="breadcrumbs" aria-label="Breadcrumb">' in html
    assert 'aria-current="page"' in html
    assert "css/pages.css" in html
    assert html.count("<h1") == 1


@pytest.mark.parametrize("url", SEED_PAGES)
def test_seed_pages_cost_a_few_queries(client, seed, url, django_assert_max_num_queries):
    with django_assert_max_num_queries(MAX_QUERIES):
        page(client, url)


def grow(world, start, stop):
    """Add events start..stop-1 to Norway's world, each with everything a page can show."""
    no = world["country"]
    partners = ["SE", "DK", "FI", "IS", "EE"]
    for i in range(start, stop):
        event = EventFactory(
            countries=[no, partners[i % len(partners)], partners[(i + 1) % len(partners)]],
            domains=["economic", "energy"],
            date=f"{1980 + i}",
            place="Oslo",
        )
        event.organisations.add(world["organisation"], world["other_organisation"])
        event.officials.add(world["official"], world["other_official"])
        event.agreements.add(world["agreement"])
        CitationFactory(event=event, source=world["source"], locator=f"p. {i}")
        CitationFactory(event=event)
        statement = StatementFactory(
            speaker=world["official"],
            speaker_organisation=world["organisation"],
            event=event,
            date=f"{1980 + i}",
            quote=f"Statement number {i}.",
        )
        statement.countries.set([no])
        CitationFactory(statement=statement, source=world["source"], locator=f"s. {i}")
        position = PositionFactory(
            official=world["official"],
            organisation=world["organisation"],
            country=no,
            title=f"Post {i}",
            start=f"{1980 + i}",
        )
        CitationFactory(position=position, source=world["source"], locator=f"q. {i}")
        agreement = AgreementFactory(value_amount=Decimal(1000 + i), value_currency="EUR")
        agreement.organisations.add(world["organisation"])
        agreement.countries.add(no, country(partners[i % len(partners)]))
        CitationFactory(agreement=agreement, source=world["source"], locator=f"a. {i}")
        event.agreements.add(agreement)
        child = OrganisationFactory(country=no, parent=world["organisation"])
        # Memberships: of the ministry (a state, a body), and the ministry's of other bodies.
        for membership in (
            MembershipFactory(
                member_country=no, organisation=world["organisation"], start=f"{1980 + i}"
            ),
            MembershipFactory(
                member_country=None, member_organisation=child, organisation=world["organisation"]
            ),
            MembershipFactory(
                member_country=None,
                member_organisation=world["organisation"],
                organisation=OrganisationFactory(
                    unnamed=True, name="A regional forum", location=no
                ),
            ),
        ):
            CitationFactory(membership=membership, source=world["source"], locator=f"m. {i}")


@pytest.fixture
def world():
    no = country("NO")
    parent = OrganisationFactory(slug="nordic-council")
    world = {
        "country": no,
        "organisation": OrganisationFactory(slug="norway-mfa", country=no, parent=parent),
        "other_organisation": OrganisationFactory(country=no),
        "official": OfficialFactory(slug="norway-minister", country=no),
        "other_official": OfficialFactory(country=no),
        "source": SourceFactory(slug="nordic-wire"),
        "agreement": AgreementFactory(slug="nordic-pact", value_amount=5, value_currency="USD"),
    }
    world["agreement"].countries.add(no, country("SE"))
    CitationFactory(agreement=world["agreement"], source=world["source"], locator="pact")
    return world


WORLD_PAGES = [
    "/countries/",
    "/countries/no/",
    "/countries/se/",
    "/organisations/norway-mfa/",
    "/organisations/nordic-council/",
    "/officials/norway-minister/",
    "/agreements/nordic-pact/",
    "/sources/nordic-wire/",
]


def count_queries(client, url, django_assert_max_num_queries):
    cache.clear()  # count the ranking queries too (and the version's, the reference data's)
    forget_reference()
    with django_assert_max_num_queries(MAX_QUERIES) as queries:
        page(client, url)
    return len(queries.captured_queries)


def test_query_counts_do_not_grow_with_the_data(client, world, django_assert_max_num_queries):
    grow(world, 0, 3)
    first_event = Event.objects.order_by("id").first().get_absolute_url()
    small = {
        url: count_queries(client, url, django_assert_max_num_queries)
        for url in [*WORLD_PAGES, first_event]
    }
    grow(world, 3, 45)  # 45 events for Norway, 45 posts, statements, agreements...
    large = {
        url: count_queries(client, url, django_assert_max_num_queries)
        for url in [*WORLD_PAGES, first_event]
    }
    assert large == small
    # The lists are capped, the footnotes numbered across kinds.
    html = page(client, "/organisations/norway-mfa/")
    assert section(html, "events").count('href="/events/') == 20
    assert "Showing the 20 most recent." in section(html, "agreements")
    assert re.search(r'<li id="note-\d{2,}"', html)


@pytest.mark.parametrize(
    "url",
    [
        "/countries/no/",
        "/organisations/norway-mfa/",
        "/organisations/nordic-council/",
        "/officials/norway-minister/",
    ],
)
def test_entity_pages_cost_at_most_6_queries_once_cached(
    client, world, url, django_assert_max_num_queries
):
    """Warm (rankings, an organisation's members, posts and sub-bodies, the reference data
    cached), a country's, organisation's or official's page reads its newest claims, their
    memberships or posts and their citations: at most 6 queries, whatever the data."""
    grow(world, 0, 5)
    cold = page(client, url)
    with django_assert_max_num_queries(6):
        assert page(client, url) == cold


def test_ranking_is_cached(client, world, django_assert_max_num_queries, django_assert_num_queries):
    grow(world, 0, 2)
    cold = count_queries(client, "/countries/no/", django_assert_max_num_queries)
    # The version, the reference data (domains), and partners, organisations, officials and
    # the count of events, are read from the cache.
    with django_assert_num_queries(cold - 6):
        page(client, "/countries/no/")


def test_ranking_follows_an_unpublish_at_once(client, django_capture_on_commit_callbacks):
    """The rankings are cached under the knowledge base's version: unpublishing the only
    Norway–Sweden event bumps it (on commit), and the next request ranks afresh."""
    EventFactory(countries=["NO", "DK"])
    only = EventFactory(countries=["NO", "SE"])
    partners = client.get("/countries/no/").context["summary"]["partners"]
    assert [p["code"] for p in partners] == ["DK", "SE"]
    with django_capture_on_commit_callbacks(execute=True):
        only.status = Status.DRAFT
        only.save()
    response = client.get("/countries/no/")
    assert [p["code"] for p in response.context["summary"]["partners"]] == ["DK"]
    assert "Sweden" not in section(response.content.decode(), "relationships")


def test_busy_and_quiet_countries_show_the_same_newest_events(client, world, monkeypatch):
    grow(world, 0, 25)
    quiet = section(page(client, "/countries/no/"), "recent-events")
    monkeypatch.setattr(countries, "BUSY_COUNTRY", 0)
    cache.clear()
    busy_response = client.get("/countries/no/")
    assert busy_response.context["summary"]["busy"]
    assert section(busy_response.content.decode(), "recent-events") == quiet
    assert quiet.count('href="/events/') == 20
    # A country in very many events tests each event it walks (relations.paging.per_row).
    monkeypatch.setattr(paging, "PROBE_FROM", 0)
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        probed_response = client.get("/countries/no/")
    assert probed_response.context["summary"]["probed"]
    assert any('"relations_event"."id" > 0' in q["sql"] for q in queries.captured_queries)
    assert section(probed_response.content.decode(), "recent-events") == quiet


# --- The pages Jinja2 renders (reader.pages.jinja) ----------------------------------------
HOSTILE = 'O\'Brien & "Sons" <b>bold</b>'
ESCAPED = "O&#x27;Brien &amp; &quot;Sons&quot; &lt;b&gt;bold&lt;/b&gt;"


def test_jinja_pages_escape_every_value_as_django_does(client, world):
    """The entity pages' bodies are rendered by Jinja2 in Django's
    escaping (&#x27; and &quot;, as the Django pages wrote them), and nothing unescaped."""
    no = world["country"]
    organisation = world["organisation"]
    organisation.aliases = [HOSTILE]
    organisation.description = HOSTILE
    organisation.save()
    official = world["official"]
    official.aliases = [HOSTILE]
    official.save()
    event = EventFactory(countries=[no], title=HOSTILE)
    event.organisations.add(organisation)
    event.officials.add(official)
    CitationFactory(event=event, source=SourceFactory(title=HOSTILE), locator=HOSTILE)
    statement = StatementFactory(
        speaker=official,
        speaker_organisation=organisation,
        form="paraphrase",
        verb="said",
        quote=HOSTILE,
        context=HOSTILE,
    )
    CitationFactory(statement=statement, excerpt=HOSTILE)
    event.statements.add(statement)
    agreement = world["agreement"]
    agreement.purpose = HOSTILE
    agreement.save()
    agreement.events.add(event)
    source = SourceFactory(slug="hostile", title=HOSTILE, notes=f"{HOSTILE}\nSecond line.")
    CitationFactory(event=event, source=source, locator=HOSTILE, excerpt=HOSTILE)
    for url in (
        "/organisations/norway-mfa/",
        "/officials/norway-minister/",
        "/countries/no/",
        event.get_absolute_url(),
        "/agreements/nordic-pact/",
        "/sources/hostile/",
    ):
        html = page(client, url)
        assert ESCAPED in html, url
        assert "<b>" not in html and "O'Brien" not in html, url
    # A source's notes keep their lines (Django's linebreaksbr), escaped.
    assert f"<p>{ESCAPED}<br>Second line.</p>" in page(client, "/sources/hostile/")


def test_an_officials_statements_do_not_read_the_speaker_again(
    client, world, django_assert_max_num_queries
):
    """Paraphrases name their speaker: the official of the page, not read once per statement."""
    official = world["official"]
    StatementFactory(speaker=official, form="paraphrase", verb="said", quote="One thing.")
    one = count_queries(client, "/officials/norway-minister/", django_assert_max_num_queries)
    for n in range(5):
        StatementFactory(speaker=official, form="paraphrase", verb="said", quote=f"Thing {n}.")
    many = count_queries(client, "/officials/norway-minister/", django_assert_max_num_queries)
    assert many == one
