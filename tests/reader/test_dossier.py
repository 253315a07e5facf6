"""The relationship dossier (/relations/<iso>-<iso>/) and the relationships index (/relations/).

The key test reads the seed page itself (fixtures/belarus-iran-2010.txt) and checks that the
generated dossier carries every one of its facts and notes.
"""

import datetime
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser
from http import HTTPStatus

import pytest
from django.core.cache import cache

from reader.dossiers import build, counts, newest
from reader.dossiers.pairs import KINDS, PairClaims
from relations.models import Agreement, Country, Domain, Event, Statement, Status
from sources.models import Source
from tests.factories import (
    AgreementFactory,
    CitationFactory,
    EventFactory,
    OfficialFactory,
    OrganisationFactory,
    PositionFactory,
    SourceFactory,
    StatementFactory,
    country,
)
from tests.relations.test_seed import EXPECTED, SEED, footnoted_sentences, plain

pytestmark = pytest.mark.django_db

DOSSIER = "/relations/by-ir/"
# The one claim of the seed that is not about Belarus and Iran: the censure of Iran by the UN
# Security Council, the EU and the US (Iran and the US took part; Belarus did not). Note 2 cites
# it together with the NAM conference, which is a Belarus–Iran event.
CENSURE = "event-until-2008-06-censure-of-iran-nuclear-programme"


@pytest.fixture(autouse=True)
def fresh_cache():
    """The counts and the index are cached; each test starts from a cold cache."""
    cache.clear()
    yield
    cache.clear()


# --- Reading the page -------------------------------------------------------------------------
@dataclass
class PageNote:
    number: int
    text: str = ""
    excerpt: str = ""
    backlinks: list[str] = field(default_factory=list)


@dataclass
class Element:
    tag: str
    attrs: dict
    text: list[str] = field(default_factory=list)


class Page(HTMLParser):
    """What a reader (or a screen reader) gets from the page: ids, links, footnote markers in
    document order, the notes list, and the text of each element with an id."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []
        self.links: list[tuple[str, str]] = []
        self.markers: list[int] = []
        self.notes: list[PageNote] = []
        self.text_by_id: dict[str, str] = {}
        self.sections: list[str] = []
        self._stack: list[Element] = []
        self._in_notes = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in {"meta", "link", "input", "br", "img"}:
            if tag == "meta" and attrs.get("name") == "description":
                self.description = attrs["content"]
            return
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "ol" and "notes" in attrs.get("class", ""):
            self._in_notes = True
        if tag == "li" and self._in_notes:
            self.notes.append(PageNote(int(attrs["id"].removeprefix("note-"))))
        if tag == "a" and self._in_notes and attrs.get("href", "").startswith("#"):
            self.notes[-1].backlinks.append(attrs["href"])
        if tag == "section" and "domain" in attrs.get("class", ""):
            self.sections.append(attrs["id"].removeprefix("section-"))
        self._stack.append(Element(tag, attrs))

    def handle_endtag(self, tag):
        if tag == "ol" and self._in_notes:
            self._in_notes = False
        while self._stack:
            element = self._stack.pop()
            text = "".join(element.text)
            if self._stack:
                self._stack[-1].text.append(text)
            if element.tag == "a":
                self.links.append((element.attrs.get("href", ""), " ".join(text.split())))
                parent = self._stack[-1] if self._stack else None
                if parent and parent.tag == "sup" and parent.attrs.get("class") == "fn":
                    assert element.attrs["href"] == f"#note-{text}"
                    self.markers.append(int(text))
            if "id" in element.attrs:
                self.text_by_id[element.attrs["id"]] = " ".join(text.split())
            if self._in_notes and element.tag == "li":
                self.notes[-1].text = " ".join(text.split())
            if self._in_notes and element.attrs.get("class") == "excerpt":
                self.notes[-1].excerpt = text.strip().removeprefix("“").removesuffix("”")
            if element.tag == "title":
                self.title = text
            if element.tag == tag:
                break

    def handle_data(self, data):
        if self._stack:
            self._stack[-1].text.append(data)

    def item(self, anchor: str) -> str:
        return self.text_by_id[anchor]

    def links_in(self, anchor_prefix: str) -> set[str]:
        return {href for href, _ in self.links if href.startswith(anchor_prefix)}


def get_page(client, url: str = DOSSIER) -> Page:
    response = client.get(url)
    assert response.status_code == HTTPStatus.OK, response.content[:500]
    return Page(response.content.decode())


def item_links(client_page_html: str, anchor: str) -> set[str]:
    """The hrefs inside the paragraph with id ``anchor``."""
    paragraph = re.search(rf'<p [^>]*id="{anchor}">(.*?)</p>', client_page_html, re.S)
    assert paragraph, anchor
    return set(re.findall(r'href="([^"]+)"', paragraph.group(1)))


# --- The seed page, generated -----------------------------------------------------------------
@pytest.mark.sqlite
def test_the_seed_dossier_carries_every_fact_and_note_of_the_seed_page(client, seed):
    response = client.get(DOSSIER)
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    page = Page(html)
    sentences = footnoted_sentences()

    # Thirteen notes, numbered 1..13, in order of first use down the page.
    assert [note.number for note in page.notes] == list(range(1, 14))
    assert list(dict.fromkeys(page.markers)) == list(range(1, 14))
    # Every marker in the text links to a note that exists.
    assert {f"note-{n}" for n in page.markers} <= set(page.ids)

    # Each footnote of the seed is one note, quoting the page's sentence as its excerpt, and
    # links back to the claims it backs (EXPECTED) — all of them on this page, save the
    # censure of Iran, which does not involve Belarus.
    notes_by_excerpt = {plain(note.excerpt): note for note in page.notes}
    assert len(notes_by_excerpt) == 13
    for number, sentence in sentences.items():
        note = notes_by_excerpt[plain(sentence)]
        expected = {f"#{kind}-{slug}" for kind, slug in EXPECTED[number]} - {f"#{CENSURE}"}
        assert set(note.backlinks) == expected, number
        assert {href[1:] for href in note.backlinks} <= set(page.ids)
        assert "Belarus-Iran Foreign Relations" in note.text
        assert f"note {number}" in note.text  # the locator
        assert "/sources/belarus-iran-foreign-relations-2010/" in {
            href for href, text in page.links if text == "Belarus-Iran Foreign Relations"
        }

    # Note 2 is still there, through the NAM conference; the censure itself is not told.
    note_2 = notes_by_excerpt[plain(sentences[2])]
    assert note_2.backlinks == ["#event-2008-06-nam-ministerial-tehran-backs-enrichment"]
    assert CENSURE not in page.ids
    assert "UN Security Council, EU and US step up censure" not in html

    # Every quote of the seed page appears verbatim, as a statement's words.
    statements = " ".join(
        plain(text) for anchor, text in page.text_by_id.items() if anchor.startswith("statement-")
    )
    quotes = re.findall(r"“(.+?)[”\"](?:\[|\s|$)", SEED.read_text(encoding="utf-8"))
    assert len(quotes) == 5
    for quote in quotes:
        assert plain(quote).rstrip(".") in statements, quote

    # The $212m loan, with its value and its parties.
    loan = "agreement-central-bank-of-iran-loan-to-belarusneft-jofeir"
    assert "$212m" in page.item(loan)
    assert {
        "/organisations/central-bank-of-iran/",
        "/organisations/belarusneft/",
    } <= item_links(html, loan)
    assert "Jofeir" in page.item(loan)

    # Dates at the precision the page gives them.
    dates = {
        "event-2007-05-belarus-iran-agree-deeper-bilateral-trade": "May 2007",
        "event-2008-nam-commends-iran-nuclear-compliance": "2008",
        "event-2008-06-nam-ministerial-tehran-backs-enrichment": "June 2008",
        "event-2009-05-semashko-raei-jofeir-oil-project": "May 2009",
        "event-2010-06-late-lukashenko-turns-to-iran-after-russia-gas-row": "late June 2010",
        "event-until-2010-07-belarus-iran-closer-economic-ties": "until July 2010",
        loan: "May 2009 – July 2010",
    }
    for anchor, when in dates.items():
        assert page.item(anchor).startswith(f"{when} "), (anchor, page.item(anchor)[:40])
    assert '<time datetime="2010-06">late June 2010</time>' in html

    # "[Click here for more information on the Non-Aligned Movement]", as a link.
    assert ("/organisations/non-aligned-movement/", "More on the Non-Aligned Movement") in (
        page.links
    )
    nuclear = html[html.index('id="section-nuclear"') : html.index('id="section-economic"')]
    assert 'href="/organisations/non-aligned-movement/">More on the Non-Aligned Movement' in (
        nuclear
    )


@pytest.mark.sqlite
def test_sections_follow_the_domains_and_tell_each_fact_once(client, seed):
    page = get_page(client)
    # Domain.position order; "military" has nothing and is left out.
    assert page.sections == ["nuclear", "economic", "energy", "diplomatic", "cultural"]
    items = [i for i in page.ids if i.split("-")[0] in {"event", "agreement", "statement"}]
    assert len(items) == len(set(items)) == 10 + 2 + 5  # every claim but the censure, once
    # The gas row is energy and diplomatic: it is told under energy (position 30) only.
    html = client.get(DOSSIER).content.decode()
    energy = html[html.index('id="section-energy"') : html.index('id="section-diplomatic"')]
    assert 'id="event-2010-06-late-lukashenko-turns-to-iran-after-russia-gas-row"' in energy
    # An official's post, cited, is named with them and linked back from its note.
    assert "Reza Raei (Vice Governor of the Central Bank of the Islamic Republic of Iran)" in (
        page.item("event-2009-05-semashko-raei-jofeir-oil-project")
    )
    assert "position-reza-raei-vice-governor-central-bank-of-iran" in page.ids


@pytest.mark.sqlite
def test_the_page_says_what_it_shows(client, seed):
    page = get_page(client)
    assert page.title == "Belarus–Iran relations · Relata"
    assert page.text_by_id["dossier-title"] == "Belarus–Iran relations"
    today = datetime.date.today()
    assert page.description.startswith(f"Belarus–Iran relations as of {today:%-d %B %Y}: ")
    assert "10 events, 2 agreements and 5 statements (2007–2010)" in page.description
    html = client.get(DOSSIER).content.decode()
    assert f'As of <time datetime="{today:%Y-%m-%d}">' in html
    assert "10 published events, 2 agreements and 5 statements" in html
    assert "from 2007 to 2010" in html
    assert '<form method="get" class="as-of-form"' in html
    assert 'href="/timeline/?country=by&amp;country=ir"' in html
    assert '<link rel="stylesheet" href="/static/css/dossier.css">' in html
    # Semantic structure: one article, sections labelled by their headings.
    assert html.count("<article") == 1
    assert (
        '<section class="domain" id="section-nuclear" aria-labelledby="section-nuclear-title">'
        in html
    )
    assert '<h2 id="section-nuclear-title">Nuclear</h2>' in html


# --- URLs -------------------------------------------------------------------------------------
@pytest.mark.sqlite
def test_the_reversed_pair_redirects_permanently_keeping_the_query(client, seed):
    response = client.get("/relations/ir-by/?as_of=2009")
    assert response.status_code == HTTPStatus.MOVED_PERMANENTLY
    assert response["Location"] == "/relations/by-ir/?as_of=2009"
    response = client.get("/relations/ir-by/")
    assert response.status_code == HTTPStatus.MOVED_PERMANENTLY
    assert response["Location"] == "/relations/by-ir/"


@pytest.mark.sqlite
@pytest.mark.parametrize("url", ["/relations/by-zz/", "/relations/zz-by/", "/relations/by-by/"])
def test_unknown_countries_and_a_country_with_itself_are_not_found(client, url):
    assert client.get(url).status_code == HTTPStatus.NOT_FOUND


# --- As of a date -----------------------------------------------------------------------------
@pytest.mark.sqlite
def test_as_of_shows_the_dossier_as_it_stood_then(client, seed):
    page = get_page(client, f"{DOSSIER}?as_of=2008")
    html = client.get(f"{DOSSIER}?as_of=2008").content.decode()
    assert 'As it stood on <time datetime="2008-12-31">31 December 2008</time>' in html
    shown = set(page.ids)
    for anchor in (
        "event-2007-05-belarus-iran-agree-deeper-bilateral-trade",
        "statement-2007-05-lukashenko-strategic-partnership",
        "event-2008-nam-commends-iran-nuclear-compliance",
        "event-2008-06-nam-ministerial-tehran-backs-enrichment",
    ):
        assert anchor in shown
    for anchor in (
        "event-2009-05-semashko-raei-jofeir-oil-project",
        "agreement-central-bank-of-iran-loan-to-belarusneft-jofeir",
        "event-2010-06-latushka-icro-iranian-art-exhibition-minsk",
        "event-2010-06-late-lukashenko-turns-to-iran-after-russia-gas-row",
        # open-ended or undated, and entered in July 2010:
        "event-until-2010-07-belarus-iran-closer-economic-ties",
        "statement-ahmadinejad-close-cooperation-in-various-areas",
        "agreement-treaty-on-the-non-proliferation-of-nuclear-weapons",
        # posts entered in July 2010 are not named yet
        "position-alexander-lukashenko-president-of-belarus",
    ):
        assert anchor not in shown
    # The notes are renumbered for what is shown: 1, 2, ... in order of first use.
    assert [n.number for n in page.notes] == list(range(1, len(page.notes) + 1))
    assert list(dict.fromkeys(page.markers)) == [n.number for n in page.notes]


@pytest.mark.sqlite
def test_as_of_includes_open_and_undated_claims_once_entered(client, seed):
    # The fixture's claims were entered on 6 July 2010 (12:00 UTC).
    before = set(get_page(client, f"{DOSSIER}?as_of=2010-07-05").ids)
    after = set(get_page(client, f"{DOSSIER}?as_of=6 July 2010").ids)
    for anchor in (
        "event-until-2010-07-belarus-iran-closer-economic-ties",
        "statement-ahmadinejad-tehran-minsk-ties-growing",
    ):
        assert anchor not in before
        assert anchor in after
    assert "event-2010-06-late-lukashenko-turns-to-iran-after-russia-gas-row" in before


@pytest.mark.sqlite
@pytest.mark.parametrize(
    ("as_of", "message"),
    [
        ("soon", "Could not read"),
        ("2009-13-01", "month 13 does not exist"),
        ("since 2009", "has no end"),
        ("x" * 101, "at most 100 characters"),
        ("2009\x00", "Null characters are not allowed"),
    ],
)
def test_a_malformed_as_of_is_a_bad_request_with_the_forms_message(client, seed, as_of, message):
    response = client.get(DOSSIER, {"as_of": as_of})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    html = response.content.decode()
    assert message in html
    assert 'role="alert"' in html
    assert 'aria-invalid="true"' in html
    assert 'id="event-' not in html


# --- Published data only ----------------------------------------------------------------------
@pytest.mark.sqlite
def test_drafts_never_appear(client, seed):
    by, ir = country("BY"), country("IR")
    draft_event = EventFactory(
        status=Status.DRAFT, title="A draft visit", countries=[by, ir], date="May 2010"
    )
    review_event = EventFactory(
        status=Status.REVIEW, title="A visit under review", countries=[by, ir], date="2010"
    )
    draft_statement = StatementFactory(status=Status.DRAFT, quote="Draft words.", date="2010")
    draft_statement.countries.set([by, ir])
    # Published, but said at a draft event only (not about the two countries).
    at_draft_event = StatementFactory(quote="Words at a draft event.", event=draft_event)
    draft_agreement = AgreementFactory(status=Status.DRAFT, title="A draft treaty", date="2010")
    draft_agreement.countries.set([by, ir])
    # Published, but related to a draft event only.
    via_draft_event = AgreementFactory(title="Signed at a draft visit", date="2010")
    draft_event.agreements.add(via_draft_event)
    html = client.get(DOSSIER).content.decode()
    for claim in (draft_event, review_event):
        assert f'id="event-{claim.slug}"' not in html
        assert claim.title not in html
    for claim in (draft_statement, at_draft_event):
        assert f'id="statement-{claim.slug}"' not in html
        assert claim.quote not in html
    for claim in (draft_agreement, via_draft_event):
        assert f'id="agreement-{claim.slug}"' not in html
    assert "10 published events, 2 agreements and 5 statements" in html


# Joint words (no speaker, no speaking organisation: the parties said them together) made at a
# draft event: without the event they would be said by no one, so no page shows them.
JOINT = "QXJOINTWORDS we stand together"


@pytest.mark.sqlite
@pytest.mark.parametrize(
    "url", [DOSSIER, "/sources/belarus-iran-foreign-relations-2010/", "/api/relations/by-ir/"]
)
def test_joint_words_at_a_draft_event_show_nowhere(client, seed, url):
    by, ir = country("BY"), country("IR")
    summit = EventFactory(
        status=Status.DRAFT, title="QXDRAFTSUMMIT", countries=[by, ir], date="June 2010"
    )
    joint = StatementFactory(quote=JOINT, speaker=None, event=summit, date="June 2010")
    joint.countries.set([by, ir])
    source = Source.objects.get(slug="belarus-iran-foreign-relations-2010")
    CitationFactory(source=source, statement=joint, locator="QXJOINTLOCATOR")
    # A speaker's words at the same draft event do show, without the event.
    spoken = StatementFactory(quote="QXSPOKENWORDS", event=summit, date="June 2010")
    spoken.countries.set([by, ir])
    CitationFactory(source=source, statement=spoken, locator="QXSPOKENLOCATOR")
    response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    body = response.content.decode()
    assert "QXSPOKENWORDS" in body
    assert JOINT not in body and "QXJOINTLOCATOR" not in body
    assert "QXDRAFTSUMMIT" not in body and summit.slug not in body


@pytest.mark.sqlite
def test_words_without_a_domain_are_told_with_their_event_only_if_it_shows(client, seed):
    by, ir = country("BY"), country("IR")
    shown = EventFactory(countries=[by, ir], date="2011", domains=["nuclear"])
    draft = EventFactory(status=Status.DRAFT, countries=[by, ir], date="2011", domains=["nuclear"])
    at_shown = StatementFactory(quote="At a shown event.", event=shown, date="2011")
    at_draft = StatementFactory(quote="At a draft event.", event=draft, date="2011")
    for statement in (at_shown, at_draft):
        statement.countries.set([by, ir])
    html = client.get(DOSSIER).content.decode()
    nuclear = html[html.index('id="section-nuclear"') : html.index('id="section-economic"')]
    assert f'id="statement-{at_shown.slug}"' in nuclear
    # The draft's domains are the draft's: its words are told under no domain.
    other = html[html.index('id="section-other"') :]
    assert f'id="statement-{at_draft.slug}"' in other


@pytest.mark.sqlite
def test_what_belongs_to_a_pair(client, seed):
    by, ir, ru = country("BY"), country("IR"), country("RU")
    event = EventFactory(title="A Minsk visit", countries=[by, ir], date="2011")
    # Agreements: both countries parties; party organisations of both; related to an event.
    both = AgreementFactory(title="Both states sign", date="2011")
    both.countries.set([by, ir])
    companies = AgreementFactory(title="Two companies sign", date="2011")
    companies.organisations.set([OrganisationFactory(country=by), OrganisationFactory(country=ir)])
    signed_there = AgreementFactory(title="Signed at the visit", date="2011")
    event.agreements.add(signed_there)
    one_side = AgreementFactory(title="Belarus and Russia sign", date="2011")
    one_side.countries.set([by, ru])
    # Statements: about both countries, or made at one of the pair's events.
    about = StatementFactory(quote="About the two of them.", date="2011")
    about.countries.set([by, ir])
    said_there = StatementFactory(quote="Said at the visit.", date="2011", event=event)
    about_one = StatementFactory(quote="About Belarus alone.", date="2011")
    about_one.countries.set([by])
    page = get_page(client)
    for anchor in (
        f"event-{event.slug}",
        f"agreement-{both.slug}",
        f"agreement-{companies.slug}",
        f"agreement-{signed_there.slug}",
        f"statement-{about.slug}",
        f"statement-{said_there.slug}",
    ):
        assert anchor in page.ids
    assert f"agreement-{one_side.slug}" not in page.ids
    assert f"statement-{about_one.slug}" not in page.ids


# --- Large dossiers ---------------------------------------------------------------------------
def make_events(codes, count, domain, start_year=1990, **kwargs):
    """``count`` published events of a pair in one domain, one a month from ``start_year``."""
    return [
        EventFactory(
            countries=list(codes),
            domains=domain if isinstance(domain, list) else [domain],
            date=f"{start_year + n // 12}-{n % 12 + 1:02d}",
            **kwargs,
        )
        for n in range(count)
    ]


@pytest.mark.sqlite
def test_a_busy_section_shows_its_newest_items_and_links_to_the_timeline(client):
    size = build.SECTION_SIZE
    events = make_events(("AM", "AZ"), size + 5, "economic")
    page = get_page(client, "/relations/am-az/")
    shown = [i for i in page.ids if i.startswith("event-")]
    newest = [f"event-{e.slug}" for e in events[-size:]]
    assert shown == newest  # the newest, in date order
    # The count is the section's (events, agreements and statements told under its first
    # domain); the link is to the timeline's events, so it carries no number of its own.
    assert (
        "/timeline/?country=am&country=az&domain=economic",
        "Every economic event of the two on the timeline",
    ) in page.links
    html = client.get("/relations/am-az/").content.decode()
    assert f"The {size} most recent of {size + 5} in this section." in html
    assert f"{size + 5} published events" in html


@pytest.mark.sqlite
def test_an_event_in_several_domains_is_told_under_the_first(client):
    event = EventFactory(countries=["AM", "AZ"], domains=["cultural", "nuclear"])
    page = get_page(client, "/relations/am-az/")
    assert page.sections == ["nuclear"]
    assert f"event-{event.slug}" in page.ids


@pytest.mark.sqlite
def test_one_note_per_place_in_a_source(client):
    source = SourceFactory(title="Annual review")
    first = EventFactory(countries=["AM", "AZ"], date="2001", citations=0)
    second = EventFactory(countries=["AM", "AZ"], date="2002", citations=0)
    for event in (first, second):
        CitationFactory(source=source, event=event, locator="p. 4", excerpt="Both visits.")
    CitationFactory(source=source, event=second, locator="p. 5")
    page = get_page(client, "/relations/am-az/")
    assert [n.number for n in page.notes] == [1, 2]
    assert page.markers == [1, 1, 2]
    assert page.notes[0].backlinks == [f"#event-{first.slug}", f"#event-{second.slug}"]
    assert page.notes[0].excerpt == "Both visits."
    assert "Annual review, Example Wire, 2010, p. 4." in page.notes[0].text


@pytest.mark.sqlite
def test_the_seed_dossier_takes_a_constant_number_of_queries(
    client, seed, django_assert_num_queries
):
    # countries, domains, the knowledge base's version, counts, events (walked, then loaded),
    # agreements, statements, participants, posts, citations
    with django_assert_num_queries(11):  # cold: the version and the counts are read
        assert client.get(DOSSIER).status_code == HTTPStatus.OK
    with django_assert_num_queries(9):  # both cached
        assert client.get(DOSSIER).status_code == HTTPStatus.OK


def test_a_large_dossier_takes_the_same_number_of_queries(client, django_assert_max_num_queries):
    official = OfficialFactory()
    PositionFactory(official=official, title="Ambassador", country=country("AM"), citations=0)
    source = SourceFactory()
    organisation = OrganisationFactory()
    for n, event in enumerate(
        make_events(("AM", "AZ"), 60, "economic", citations=0)
        + make_events(("AM", "AZ"), 20, "cultural", start_year=2000, citations=0)
    ):
        event.officials.add(official)
        event.organisations.add(organisation)
        CitationFactory(source=source, event=event)
        statement = StatementFactory(speaker=official, date=event.date, event=event, citations=0)
        CitationFactory(source=source, statement=statement)
        if n % 5 == 0:
            agreement = AgreementFactory(
                date=event.date,
                value_amount=Decimal(n + 1) * 10**6,
                value_currency="EUR",
                citations=0,
            )
            agreement.domains.set(event.domains.all())
            event.agreements.add(agreement)
    with django_assert_max_num_queries(11):  # as the seed's, cold
        page = get_page(client, "/relations/am-az/")
    shown = [i for i in page.ids if i.split("-")[0] in {"event", "agreement", "statement"}]
    assert len(shown) == 2 * build.SECTION_SIZE  # both sections full
    # one citation each for the events and statements (the agreements cite nothing here)
    assert len(page.notes) == len([i for i in shown if not i.startswith("agreement-")])
    # Statements without domains of their own are told with the event they were made at.
    assert page.sections == ["economic", "cultural"]


# --- Choosing the newest items: a walk must agree with reading everything --------------------
def anchors(chosen):
    return {s: [f"{kind}-{claim.slug}" for kind, claim in items] for s, items in chosen.items()}


def newest_by_brute_force(first, second, size):
    """Every claim of the pair, read the simple way, and the newest ``size`` of each section."""
    pair = PairClaims(first, second, None)
    domains = list(Domain.objects.all())
    items = defaultdict(list)
    for kind in KINDS:
        for claim in pair.claims(kind):
            mine = set(claim.domains.values_list("pk", flat=True))
            if not mine and kind == "statement" and claim.event_id:  # told with its event
                mine = set(claim.event.domains.values_list("pk", flat=True))
            section = next((d.pk for d in domains if d.pk in mine), None)
            items[section].append((kind, claim))
    return anchors(
        {
            section: sorted(found, key=lambda item: newest.date_order(*item))[-size:]
            for section, found in items.items()
        }
    )


@pytest.mark.sqlite
def test_walking_the_newest_claims_finds_what_reading_all_of_them_finds(monkeypatch):
    am, az = country("AM"), country("AZ")
    # Recent economic events crowd out older cultural ones: a sized walk leaves the cultural
    # section short, and its own query must fill it.
    events = make_events((am, az), 150, "economic", start_year=2000)
    events += make_events((am, az), 12, ["cultural", "energy"], start_year=1980)
    for n, event in enumerate(events[::7]):
        said = StatementFactory(date=event.date, event=event if n % 2 else None)
        said.countries.set([am, az])
        said.domains.set(event.domains.all())
        agreed = AgreementFactory(date=f"{event.date_lower:%Y}")
        agreed.countries.set([am, az])
        agreed.domains.set(event.domains.all()[:1])
    undated = StatementFactory(quote="Undated words.")
    undated.countries.set([am, az])
    size = 4
    pair = PairClaims(am, az, None)
    domains = list(Domain.objects.all())
    summary = counts.count(pair, domains)
    chooser = newest.Newest(pair, domains, summary, size)
    assert chooser.walk_size("event") is not None  # the walk is really taken
    filled = []
    short_sections = chooser._short_sections
    monkeypatch.setattr(
        chooser, "_short_sections", lambda *args: filled.append(short_sections(*args)) or filled[-1]
    )
    walked = anchors(chooser.choose())
    assert walked == newest_by_brute_force(am, az, size)
    # The old events are cultural and energy: told under energy, which comes first.
    energy = Domain.objects.get(slug="energy").pk
    assert any(energy in found for found, _bottom in filled)  # the walk left it short
    # And with everything read whole:
    monkeypatch.setattr(newest, "WALK_BUDGET", 0)
    whole = newest.Newest(pair, domains, summary, size)
    assert whole.walk_size("event") is None
    assert anchors(whole.choose()) == walked


# --- The relationships index ------------------------------------------------------------------
@pytest.mark.sqlite
def test_the_index_lists_the_busiest_pairs_with_their_counts(
    client, seed, django_assert_num_queries
):
    make_events(("AM", "AZ"), 3, "economic")
    with django_assert_num_queries(4):  # the version, the countries, the ranking, its names
        response = client.get("/relations/")
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    rows = re.findall(r'<a href="(/relations/[a-z-]+/)">([^<]+)</a>.*?data-events="(\d+)"', html)
    assert rows[0] == ("/relations/by-ir/", "Belarus–Iran", "10")
    assert ("/relations/am-az/", "Armenia–Azerbaijan", "3") in rows
    # The censure (Iran, US) and the gas row (Belarus, Iran, Russia) make pairs too.
    assert ("/relations/ir-us/", "Iran–United States", "1") in rows
    assert ("/relations/by-ru/", "Belarus–Russia", "1") in rows
    # Cached: the next request only reads the countries for the form.
    with django_assert_num_queries(1):
        assert client.get("/relations/").status_code == HTTPStatus.OK


@pytest.mark.sqlite
def test_the_index_counts_published_events_only(client):
    make_events(("AM", "AZ"), 2, "economic")
    make_events(("AM", "AZ"), 3, "economic", status=Status.DRAFT)
    html = client.get("/relations/").content.decode()
    assert 'data-events="2"' in html
    assert 'data-events="3"' not in html


@pytest.mark.sqlite
def test_the_index_form_opens_a_dossier(client, seed):
    response = client.get("/relations/", {"first": "IR", "second": "BY"})
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == "/relations/by-ir/"
    response = client.get("/relations/", {"first": "IR", "second": "IR"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Choose two different countries." in response.content.decode()
    # Other parameters (a campaign tag, say) are not a request to open a dossier.
    assert client.get("/relations/", {"utm_source": "x"}).status_code == HTTPStatus.OK


# --- Cached answers follow the data ---------------------------------------------------------
def test_publishing_an_event_updates_the_cached_counts_span_and_index(
    client, seed, django_capture_on_commit_callbacks
):
    """The counts, the span and the ranking are cached under the knowledge base's version: an
    editor's publish bumps it (on commit), and the very next request reads the change."""
    html = client.get(DOSSIER).content.decode()
    assert "from 2007 to 2010" in html
    assert "10 published events" in html
    assert 'data-events="10"' in client.get("/relations/").content.decode()
    event = EventFactory(status=Status.DRAFT, countries=["BY", "IR"], date="March 2011")
    with django_capture_on_commit_callbacks(execute=True):
        event.status = Status.PUBLISHED
        event.save()
    html = client.get(DOSSIER).content.decode()
    assert "from 2007 to 2011" in html
    assert "11 published events" in html
    assert "(2007–2011)" in Page(html).description
    index = client.get("/relations/").content.decode()
    assert 'data-events="11"' in index and 'data-events="10"' not in index
    with django_capture_on_commit_callbacks(execute=True):
        event.status = Status.DRAFT
        event.save()
    assert "from 2007 to 2010" in client.get(DOSSIER).content.decode()
    assert 'data-events="10"' in client.get("/relations/").content.decode()


def test_a_drafts_edit_keeps_the_cached_answers(
    client, seed, django_capture_on_commit_callbacks, django_assert_num_queries
):
    """Analysts' work on drafts changes nothing readers see: the caches stay warm."""
    client.get(DOSSIER)
    draft = EventFactory(status=Status.DRAFT, countries=["BY", "IR"], date="2011")
    with django_capture_on_commit_callbacks(execute=True):
        draft.title = "Still a draft"
        draft.save()
    with django_assert_num_queries(9):  # the counts come from the cache
        assert client.get(DOSSIER).status_code == HTTPStatus.OK


# --- Formatting -------------------------------------------------------------------------------
@pytest.mark.sqlite
def test_a_statement_names_its_speaker_with_the_post_held_then(client):
    am, az = country("AM"), country("AZ")
    official = OfficialFactory(name="Ara Example")
    PositionFactory(official=official, title="Deputy Minister", country=am, end="2005")
    PositionFactory(official=official, title="Foreign Minister", country=am, start="2006")
    early = StatementFactory(speaker=official, date="2003", quote="Early words.")
    late = StatementFactory(speaker=official, date="2008", quote="Later words.")
    for statement in (early, late):
        statement.countries.set([am, az])
    page = get_page(client, "/relations/am-az/")
    assert "Ara Example (Deputy Minister of Armenia): “Early words.”" in page.item(
        f"statement-{early.slug}"
    )
    assert "Ara Example (Foreign Minister of Armenia): “Later words.”" in page.item(
        f"statement-{late.slug}"
    )


@pytest.mark.sqlite
def test_a_pair_with_nothing_published_says_so(client):
    html = client.get("/relations/am-az/").content.decode()
    assert "Relata holds no published events, agreements or statements" in html
    assert Event.objects.count() == Agreement.objects.count() == Statement.objects.count() == 0
    assert Country.objects.filter(code__in=["AM", "AZ"]).count() == 2
