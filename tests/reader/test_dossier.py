"""The relationship dossier (/relations/<iso>-<iso>/) and the relationships index (/relations/).

Most tests build their own data (tests/factories.py); the seed's strict sentence-by-sentence
check lives with the seed (tests/relations/). What holds for any data is checked here on both:
each footnote marks only what cites it, each fact is told once, the query count is constant.
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
from relations import visibility
from relations.models import (
    Agreement,
    Citation,
    Country,
    Domain,
    Event,
    Organisation,
    Statement,
    Status,
)
from sources.models import Source
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
    relationship,
)

pytestmark = pytest.mark.django_db

DOSSIER = "/relations/by-ir/"
PAIR = "/relations/am-az/"
CLAIM_KINDS = {"event", "agreement", "statement"}


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
class PageItem:
    """A dossier item as the contract defines it: one top-level element with class "item"."""

    anchor: str
    text: str = ""
    markers: list[int] = field(default_factory=list)  # every marker inside, in order
    parts: list[str] = field(default_factory=list)  # anchors of nested parts
    named: list[str] = field(default_factory=list)  # agreements the item only names
    part_markers: dict[str, list[int]] = field(default_factory=dict)
    backgrounds: list[str] = field(default_factory=list)


@dataclass
class Element:
    tag: str
    attrs: dict
    text: list[str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())


class Page(HTMLParser):
    """What a reader (or a screen reader) gets from the page: ids, links, items and their
    footnote markers in document order, the notes list, and the text of each element with an
    id."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.html = html
        self.ids: list[str] = []
        self.links: list[tuple[str, str]] = []
        self.markers: list[int] = []
        self.notes: list[PageNote] = []
        self.items: dict[str, PageItem] = {}
        self.text_by_id: dict[str, str] = {}
        self.sections: list[str] = []
        self.background_followed_by_marker = False
        self._stack: list[Element] = []
        self._in_notes = False
        self._item: PageItem | None = None
        self._part: str | None = None
        self._after_background = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in {"meta", "link", "input", "br", "img"}:
            if tag == "meta" and attrs.get("name") == "description":
                self.description = attrs["content"]
            return
        element = Element(tag, attrs)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if "item" in element.classes:
            assert self._item is None, "an item inside an item"
            self._item = self.items[attrs["id"]] = PageItem(attrs["id"])
        if "part" in element.classes:
            assert self._item is not None, "a part outside any item"
            self._part = attrs["id"]
            self._item.parts.append(self._part)
            self._item.part_markers[self._part] = []
            if "part-named" in element.classes:
                self._item.named.append(self._part)
        if tag == "sup" and "fn" in element.classes and self._after_background:
            self.background_followed_by_marker = True
        if tag == "ol" and "notes" in element.classes:
            self._in_notes = True
        if tag == "li" and self._in_notes:
            self.notes.append(PageNote(int(attrs["id"].removeprefix("note-"))))
        if tag == "a" and self._in_notes and attrs.get("href", "").startswith("#"):
            self.notes[-1].backlinks.append(attrs["href"])
        if tag == "section" and "domain" in element.classes:
            self.sections.append(attrs["id"].removeprefix("section-"))
        self._stack.append(element)

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
                if parent and parent.tag == "sup" and "fn" in parent.classes:
                    assert element.attrs["href"] == f"#note-{text}"
                    self._marker(int(text))
            if "background" in element.classes and self._item:
                self._item.backgrounds.append(" ".join(text.split()))
                self._after_background = True
            if "part" in element.classes:
                self._part = None
            if "item" in element.classes:
                self._item.text = " ".join(text.split())
                self._item = None
                self._after_background = False
            if "id" in element.attrs:
                self.text_by_id[element.attrs["id"]] = " ".join(text.split())
            if self._in_notes and element.tag == "li":
                self.notes[-1].text = " ".join(text.split())
            if self._in_notes and "excerpt" in element.classes:
                self.notes[-1].excerpt = text.strip().removeprefix("“").removesuffix("”")
            if element.tag == "title":
                self.title = text
            if element.tag == tag:
                break

    def _marker(self, number: int) -> None:
        self.markers.append(number)
        if self._item:
            self._item.markers.append(number)
            if self._part:
                self._item.part_markers[self._part].append(number)

    def handle_data(self, data):
        if self._stack:
            self._stack[-1].text.append(data)

    def item(self, anchor: str) -> str:
        return self.items[anchor].text

    def note(self, number: int) -> PageNote:
        return next(note for note in self.notes if note.number == number)

    def notes_of(self, anchor: str) -> set[int]:
        return set(self.items[anchor].markers)


def get_page(client, url: str = DOSSIER) -> Page:
    response = client.get(url)
    assert response.status_code == HTTPStatus.OK, response.content[:500]
    return Page(response.content.decode())


def item_html(page: Page, anchor: str) -> str:
    found = re.search(rf'<p class="item[^"]*" id="{anchor}">(.*?)</p>', page.html, re.S)
    assert found, anchor
    return found.group(1)


def claim_of(anchor: str):
    kind, slug = anchor.split("-", 1)
    return visibility.CLAIM_MODELS[kind].objects.get(slug=slug)


def locators_cited(*claims) -> set[str]:
    return {
        citation.footnote.locator
        for claim in claims
        for citation in Citation.objects.filter(**{claim._meta.model_name: claim})
    }


def locator_of(page: Page, number: int, locators: set[str]) -> str:
    """Which footnote a note is, by the locator its details name (", note 4.")."""
    found = [loc for loc in locators if f", {loc}." in page.note(number).text]
    assert len(found) == 1, (number, page.note(number).text, found)
    return found[0]


# --- What holds for any dossier (checked on the seed and on built data) -----------------------
def assert_footnotes_mark_only_what_cites_them(page: Page) -> None:
    """Each item's markers are exactly the footnotes its own claims cite (its claim and the
    parts told inside it; of an agreement it only names, those it shares with the item): a
    post's or membership's notes reach an item only where the item cites them too. No marker
    follows background."""
    locators = set(Citation.objects.values_list("footnote__locator", flat=True).distinct())
    for anchor, item in page.items.items():
        told = [part for part in item.parts if part not in item.named]
        expected = locators_cited(claim_of(anchor), *(claim_of(part) for part in told))
        for part in item.named:
            expected |= locators_cited(claim_of(part)) & locators_cited(claim_of(anchor))
        shown = {locator_of(page, n, locators) for n in item.markers}
        assert shown == expected, anchor
        for part in item.parts:
            if part.startswith("statement-"):
                own = {locator_of(page, n, locators) for n in item.part_markers[part]}
                assert own == locators_cited(claim_of(part)), part
    assert not page.background_followed_by_marker
    # Numbered 1, 2, ... in order of first use down the page, each linking to its note.
    assert list(dict.fromkeys(page.markers)) == [note.number for note in page.notes]
    assert [note.number for note in page.notes] == list(range(1, len(page.notes) + 1))


def assert_each_fact_told_once(page: Page) -> None:
    """No agreement or statement is an item of its own while its event is shown; no claim is
    told twice (as an item or a part)."""
    told = [anchor for item in page.items.values() for anchor in (item.anchor, *item.parts)]
    assert len(told) == len(set(told))
    shown_events = {anchor for anchor in page.items if anchor.startswith("event-")}
    for anchor in page.items:
        claim = claim_of(anchor)
        if isinstance(claim, Statement) and claim.event_id:
            assert f"event-{claim.event.slug}" not in shown_events, anchor
        if isinstance(claim, Agreement):
            events = {f"event-{slug}" for slug in claim.events.values_list("slug", flat=True)}
            assert not events & shown_events, anchor


@pytest.mark.sqlite
def test_the_seed_dossier_keeps_its_promises(client, seed):
    page = get_page(client)
    assert page.items
    assert_footnotes_mark_only_what_cites_them(page)
    assert_each_fact_told_once(page)
    # Every footnote of the page is there once, from the page's own source only.
    source = Source.objects.get(slug="belarus-iran-foreign-relations-2010")
    assert len(page.notes) == source.footnotes.count()
    assert all("Belarus-Iran Foreign Relations" in note.text for note in page.notes)
    # The lede's promise is there, and true (above).
    assert "Each fact is told once" in page.html


@pytest.mark.sqlite
def test_the_seed_dossier_holds_what_concerns_the_pair(client, seed):
    """The censure of Iran by the UN Security Council, the EU and the US: Belarus took no part,
    but it concerns Belarus–Iran relations."""
    pair = relationship("BY", "IR")
    concerning = Event.objects.filter(concerns=pair).exclude(countries=country("BY"))
    assert concerning.exists()
    page = get_page(client)
    for event in concerning:
        assert f"event-{event.slug}" in page.items


# --- Citation scope ---------------------------------------------------------------------------
@pytest.mark.sqlite
def test_a_post_is_shown_only_where_its_footnote_states_it(client):
    source = SourceFactory(title="A page")
    raei = OfficialFactory(name="Reza Example")
    post = PositionFactory(official=raei, title="Vice Governor", country=country("AZ"), citations=0)
    meeting = EventFactory(countries=["AM", "AZ"], date="May 2009", citations=0)
    later = EventFactory(countries=["AM", "AZ"], date="June 2010", citations=0)
    for event in (meeting, later):
        event.officials.add(raei)
    said = StatementFactory(speaker=raei, date="2010", quote="Ties grow.", citations=0)
    said.countries.set([country("AM"), country("AZ")])
    # The post is stated by note 5 (the meeting's sentence) and nowhere else.
    CitationFactory(source=source, locator="note 5", event=meeting)
    CitationFactory(source=source, locator="note 5", position=post)
    CitationFactory(source=source, locator="note 12", event=later)
    CitationFactory(source=source, locator="note 8", statement=said)
    # Another dossier's source states the same post: it must not reach this one.
    elsewhere = SourceFactory(title="QXOTHERSOURCE")
    CitationFactory(source=elsewhere, locator="p. 1", position=post)
    page = get_page(client, PAIR)
    assert_footnotes_mark_only_what_cites_them(page)
    assert "Reza Example, Vice Governor of Azerbaijan" in page.item(f"event-{meeting.slug}")
    meeting_html = item_html(page, f"event-{meeting.slug}")
    note_5 = page.notes_of(f"event-{meeting.slug}").pop()
    assert re.search(
        rf'<span class="role">Vice Governor of Azerbaijan</span><sup class="fn">'
        rf'<a href="#note-{note_5}">{note_5}</a></sup>',
        meeting_html,
    )
    # Elsewhere the person is named alone, and the post's note is not lent.
    for anchor in (f"event-{later.slug}", f"statement-{said.slug}"):
        assert "Vice Governor" not in page.item(anchor)
        assert note_5 not in page.notes_of(anchor)
    assert "QXOTHERSOURCE" not in page.html
    assert len(page.notes) == 3


@pytest.mark.sqlite
def test_a_speakers_post_is_shown_where_the_statement_states_it(client):
    am, az = country("AM"), country("AZ")
    official = OfficialFactory(name="Ara Example")
    early_post = PositionFactory(
        official=official, title="Deputy Minister", country=am, end="2005", citations=0
    )
    late_post = PositionFactory(
        official=official, title="Foreign Minister", country=am, start="2006", citations=0
    )
    early = StatementFactory(speaker=official, date="2003", quote="Early words.", citations=0)
    late = StatementFactory(speaker=official, date="2008", quote="Later words.", citations=0)
    for statement in (early, late):
        statement.countries.set([am, az])
    source = SourceFactory()
    CitationFactory(source=source, locator="p. 1", statement=early)
    CitationFactory(source=source, locator="p. 1", position=early_post)
    CitationFactory(source=source, locator="p. 1", position=late_post)  # (not held in 2003)
    CitationFactory(source=source, locator="p. 2", statement=late)
    CitationFactory(source=source, locator="p. 3", position=late_post)
    page = get_page(client, PAIR)
    assert page.item(f"statement-{early.slug}") == (
        "2003 Ara Example, Deputy Minister of Armenia1, said: “Early words.”1"
    )
    # The later post's footnote does not state it in the later words: named alone.
    assert page.item(f"statement-{late.slug}") == "2008 Ara Example said: “Later words.”2"
    assert_footnotes_mark_only_what_cites_them(page)


@pytest.mark.sqlite
def test_a_membership_is_shown_where_the_item_states_it(client):
    am, az = country("AM"), country("AZ")
    movement = OrganisationFactory(
        name="Non-Aligned Movement", kind=Organisation.Kind.INTERGOVERNMENTAL
    )
    membership = MembershipFactory(member_country=am, organisation=movement, citations=0)
    commends = EventFactory(countries=[am, az], date="2008", citations=0)
    commends.organisations.add(movement)
    other = EventFactory(countries=[am, az], date="2009", citations=0)
    source = SourceFactory()
    CitationFactory(source=source, locator="note 1", event=commends)
    CitationFactory(source=source, locator="note 1", membership=membership)
    CitationFactory(source=source, locator="note 2", event=other)
    page = get_page(client, PAIR)
    assert (
        "With the Non-Aligned Movement and Armenia, a member of the Non-Aligned Movement1."
        in page.item(f"event-{commends.slug}")
    )
    # The pair's own states are not listed as participants where nothing is stated of them.
    assert "Armenia" not in page.item(f"event-{other.slug}")
    assert_footnotes_mark_only_what_cites_them(page)


@pytest.mark.sqlite
def test_background_is_labelled_and_unmarked(client):
    am, az = country("AM"), country("AZ")
    treaty = AgreementFactory(
        title="A treaty",
        kind=Agreement.Kind.TREATY,
        stage=Agreement.Stage.IN_FORCE,
        purpose="QXOURWORDS what it is for.",
        date="2001",
    )
    treaty.countries.set([am, az])
    pair = relationship("AM", "AZ")
    pair.introduction = "QXINTRODUCTION Two neighbours."
    pair.save()
    page = get_page(client, PAIR)
    item = page.items[f"agreement-{treaty.slug}"]
    assert item.backgrounds == [
        "Background (Relata’s summary, not from the sources): QXOURWORDS what it is for."
    ]
    assert "(in force)." in item.text  # told on its own, an agreement says where it stands
    assert not page.background_followed_by_marker
    intro = re.search(r'<aside class="background introduction".*?</aside>', page.html, re.S)
    assert intro and "QXINTRODUCTION Two neighbours." in intro.group(0)
    assert "Background" in intro.group(0) and 'class="fn"' not in intro.group(0)
    # Only in its own dossier.
    assert "QXINTRODUCTION" not in client.get("/relations/am-ge/").content.decode()


# --- What a dossier is about ------------------------------------------------------------------
@pytest.mark.sqlite
def test_claims_that_concern_the_pair_belong_to_it(client):
    pair = relationship("AM", "AZ")
    censure = EventFactory(title="QXCENSURE", countries=["AZ", "US"], date="2008", citations=1)
    censure.concerns.add(pair)
    loan = AgreementFactory(title="QXLOAN", date="2008")
    loan.countries.set([country("AZ"), country("RU")])
    loan.concerns.add(pair)
    words = StatementFactory(quote="QXWORDS", date="2008")
    words.concerns.add(pair)
    unrelated = EventFactory(title="QXUNRELATED", countries=["AZ", "US"], date="2008")
    page = get_page(client, PAIR)
    for claim, kind in ((censure, "event"), (loan, "agreement"), (words, "statement")):
        assert f"{kind}-{claim.slug}" in page.items
    assert f"event-{unrelated.slug}" not in page.ids
    # Its participants are named (the pair's own states are not listed).
    assert "With the United States." in page.item(f"event-{censure.slug}")
    assert "1 published event, 1 agreement and 1 statement" in page.html
    # Not in a dossier it neither involves nor concerns.
    assert "QXCENSURE" not in client.get("/relations/am-ge/").content.decode()


@pytest.mark.sqlite
def test_what_belongs_to_a_pair(client):
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
        f"statement-{about.slug}",
    ):
        assert anchor in page.items
    # Told inside the visit's item.
    assert page.items[f"event-{event.slug}"].parts == [
        f"agreement-{signed_there.slug}",
        f"statement-{said_there.slug}",
    ]
    assert f"agreement-{one_side.slug}" not in page.ids
    assert f"statement-{about_one.slug}" not in page.ids


# --- Told once --------------------------------------------------------------------------------
@pytest.mark.sqlite
def test_an_agreement_and_words_are_told_inside_their_events_item(client):
    am, az = country("AM"), country("AZ")
    bank = OrganisationFactory(name="Central Bank of Armenia", kind="central-bank", country=am)
    oil = OrganisationFactory(name="Azoil", kind="state-company", country=az)
    source = SourceFactory()
    announced = EventFactory(
        title="The bank agrees to lend $212m",
        countries=[am, az],
        domains=["energy", "economic"],
        date="after May 2009, by 6 July 2010",
        citations=0,
    )
    loan = AgreementFactory(
        title="A credit for the field",
        kind=Agreement.Kind.LOAN,
        stage=Agreement.Stage.AGREED,
        value_amount=Decimal(212_000_000),
        value_currency="USD",
        date="after May 2009, by 6 July 2010",
        citations=0,
    )
    loan.organisations.set([bank, oil])
    loan.domains.set([Domain.objects.get(slug="economic")])  # its own first domain differs
    announced.agreements.add(loan)
    said = StatementFactory(
        speaker=OfficialFactory(name="Ara Example"),
        quote="We agree.",
        date="2010",
        event=announced,
        citations=0,
    )
    said.domains.set([Domain.objects.get(slug="economic")])
    CitationFactory(source=source, locator="note 6", event=announced)
    CitationFactory(source=source, locator="note 6", agreement=loan)
    CitationFactory(source=source, locator="note 7", statement=said)
    page = get_page(client, PAIR)
    assert list(page.items) == [f"event-{announced.slug}"]  # one item, in its event's section
    item = page.items[f"event-{announced.slug}"]
    assert item.parts == [f"agreement-{loan.slug}", f"statement-{said.slug}"]
    assert page.sections == ["economic"]  # the event's first domain
    text = item.text
    expected = "Loan: A credit for the field, $212m, between Azoil and the Central Bank of Armenia."
    assert expected in text
    assert "agreed in principle" not in text  # the event says what happened to it
    assert item.markers == [1, 2]  # note 6 once for the event and its loan; note 7 for words
    assert item.part_markers[f"statement-{said.slug}"] == [2]
    # The words' own date shows, since it is not the event's.
    assert re.search(
        rf'<span class="part part-statement" id="statement-{said.slug}"><span class="when">'
        r"<time datetime=\"2010\">2010</time></span>",
        page.html,
    )
    assert_each_fact_told_once(page)
    assert_footnotes_mark_only_what_cites_them(page)
    assert "1 published event, 1 agreement and 1 statement" in page.html


@pytest.mark.sqlite
def test_an_agreement_the_event_only_names_shows_its_title(client):
    """The NPT, named at a 2008 meeting: its title (linked), not its kind, parties, stage or
    purpose, and no note of its own that the meeting's sentence does not share."""
    source = SourceFactory()
    meeting = EventFactory(countries=["AM", "AZ"], date="2008", citations=0)
    treaty = AgreementFactory(
        title="Treaty on the Non-Proliferation of Nuclear Weapons",
        kind=Agreement.Kind.TREATY,
        stage=Agreement.Stage.IN_FORCE,
        purpose="QXOURWORDS on the treaty.",
        date="1 July 1968",
        citations=0,
    )
    treaty.countries.set([country("AM"), country("AZ"), country("US")])
    meeting.agreements.add(treaty)
    CitationFactory(source=source, locator="note 1", event=meeting)
    CitationFactory(source=source, locator="note 1", agreement=treaty)
    CitationFactory(source=source, locator="QXTREATYNOTE", agreement=treaty)
    page = get_page(client, PAIR)
    item = page.items[f"event-{meeting.slug}"]
    assert item.named == [f"agreement-{treaty.slug}"]
    assert "See also: Treaty on the Non-Proliferation of Nuclear Weapons." in item.text
    assert f'href="/agreements/{treaty.slug}/"' in item_html(page, f"event-{meeting.slug}")
    for unbacked in ("in force", "QXOURWORDS", "United States", "Treaty:", "1968"):
        assert unbacked not in item_html(page, f"event-{meeting.slug}")
    assert "QXOURWORDS" not in page.html
    assert "QXTREATYNOTE" not in page.html
    assert item.markers == [1]
    assert_footnotes_mark_only_what_cites_them(page)
    assert_each_fact_told_once(page)


@pytest.mark.sqlite
def test_the_told_once_check_fails_on_a_fact_told_twice(client):
    """The check the dossier's "told once" test relies on catches a statement told as an item
    of its own while its event is shown."""
    event = EventFactory(countries=["AM", "AZ"], date="2010")
    said = StatementFactory(quote="Words.", date="2010", event=event)
    page = get_page(client, PAIR)
    assert_each_fact_told_once(page)
    twice = page.html.replace(
        f'<span class="part part-statement" id="statement-{said.slug}">',
        f'</p><p class="item item-statement" id="statement-{said.slug}"><span>',
    )
    twice = Page(twice)
    assert f"statement-{said.slug}" in twice.items
    with pytest.raises(AssertionError):
        assert_each_fact_told_once(twice)


@pytest.mark.sqlite
def test_words_at_an_event_not_shown_are_an_item_of_their_own(client):
    draft = EventFactory(status=Status.DRAFT, countries=["AM", "AZ"], date="2011", title="QXD")
    said = StatementFactory(quote="At a draft event.", event=draft, date="2011")
    said.countries.set([country("AM"), country("AZ")])
    page = get_page(client, PAIR)
    assert f"statement-{said.slug}" in page.items
    assert "QXD" not in page.html


# --- Statements -------------------------------------------------------------------------------
@pytest.mark.sqlite
def test_quotes_in_fragments_and_paraphrases(client):
    am, az = country("AM"), country("AZ")
    speaker = OfficialFactory(name="Ara Example")
    fragments = StatementFactory(
        speaker=speaker, quote="ties are growing\nin all fields", date="2009", verb="said"
    )
    paraphrase = StatementFactory(
        speaker=speaker,
        form=Statement.Form.PARAPHRASE,
        verb="added",
        quote="this desire is part of a move away from one source",
        date="2010",
    )
    issued = StatementFactory(
        speaker=None,
        speaker_organisation=OrganisationFactory(name="Culture Body", kind="government"),
        context="in a press release",
        verb="stated",
        quote="An exhibition opened.",
        date="2011",
    )
    for statement in (fragments, paraphrase, issued):
        statement.countries.set([am, az])
    page = get_page(client, PAIR)
    assert page.item(f"statement-{fragments.slug}") == (
        "2009 Ara Example said: “ties are growing” … “in all fields”1"
    )
    assert page.item(f"statement-{paraphrase.slug}") == (
        "2010 Ara Example added that this desire is part of a move away from one source.2"
    )
    assert "“" not in page.item(f"statement-{paraphrase.slug}")
    assert page.item(f"statement-{issued.slug}") == (
        "2011 The Culture Body, in a press release, stated: “An exhibition opened.”3"
    )


# --- Order and sections -----------------------------------------------------------------------
@pytest.mark.sqlite
def test_the_same_date_is_ordered_by_sequence_then_slug_never_id(client):
    # Created in the reverse of their order, so that ids would sort them wrongly.
    third = EventFactory(countries=["AM", "AZ"], date="May 2007", slug="b-third", sequence=2)
    second = EventFactory(countries=["AM", "AZ"], date="May 2007", slug="z-second", sequence=1)
    first = EventFactory(countries=["AM", "AZ"], date="May 2007", slug="y-first", sequence=1)
    words = StatementFactory(quote="Said then.", date="May 2007", slug="a-words", sequence=3)
    words.countries.set([country("AM"), country("AZ")])
    words.domains.set([Domain.objects.get(slug="economic")])
    page = get_page(client, PAIR)
    assert list(page.items) == [
        f"event-{first.slug}",
        f"event-{second.slug}",
        f"event-{third.slug}",
        f"statement-{words.slug}",
    ]
    assert list(Event.objects.chronological().values_list("slug", flat=True)) == [
        "y-first",
        "z-second",
        "b-third",
    ]


@pytest.mark.sqlite
def test_a_relationship_sets_its_own_section_order_and_titles(client):
    both = EventFactory(countries=["AM", "AZ"], domains=["energy", "diplomatic"], date="2010")
    nuclear = EventFactory(countries=["AM", "AZ"], domains=["nuclear"], date="2009")
    elsewhere = EventFactory(countries=["AM", "GE"], domains=["energy", "diplomatic"], date="2010")
    pair = relationship("AM", "AZ")
    pair.sections = [{"domain": "diplomatic", "title": "Diplomatic/Military Relationship"}]
    pair.save()
    page = get_page(client, PAIR)
    assert page.sections == ["diplomatic", "nuclear"]
    assert '<h2 id="section-diplomatic-title">Diplomatic/Military Relationship</h2>' in page.html
    # A claim in several domains is told under the first in this dossier's order.
    assert f'id="event-{both.slug}"' in page.html.split('id="section-nuclear"')[0]
    assert f"event-{nuclear.slug}" in page.items
    # Other dossiers keep the usual order and names.
    other = get_page(client, "/relations/am-ge/")
    assert other.sections == ["energy"]
    assert f"event-{elsewhere.slug}" in other.items
    assert "Diplomatic/Military Relationship" not in other.html


@pytest.mark.sqlite
def test_sections_follow_the_domains_without_a_relationship(client):
    gas = EventFactory(countries=["AM", "AZ"], domains=["diplomatic", "energy"], date="2010")
    EventFactory(countries=["AM", "AZ"], domains=["cultural"], date="2010")
    EventFactory(countries=["AM", "AZ"], domains=["nuclear"], date="2010")
    page = get_page(client, PAIR)
    assert page.sections == ["nuclear", "energy", "cultural"]  # Domain.position; none empty
    energy = page.html[page.html.index('id="section-energy"') :]
    assert f'id="event-{gas.slug}"' in energy.split('id="section-cultural"')[0]


# --- Attribution and unnamed bodies -----------------------------------------------------------
@pytest.mark.sqlite
def test_according_to_names_who_made_the_claim(client):
    wire = OrganisationFactory(slug="qx-wire", name="QX Wire", kind="media")
    minister = OfficialFactory(slug="qx-minister", name="QX Minister")
    event = EventFactory(countries=["AM", "AZ"], date="2010", title="A deal", according_to=wire)
    deal = AgreementFactory(title="QX deal", date="2010", according_to_official=minister)
    deal.countries.set([country("AM"), country("AZ")])
    page = get_page(client, PAIR)
    event_html = item_html(page, f"event-{event.slug}")
    assert '<span class="according-to">according to <a href="/organisations/qx-wire/">QX Wire' in (
        event_html
    )
    assert "according to QX Minister" in page.item(f"agreement-{deal.slug}")
    # Distinct from the citation: the marker is the note's.
    assert page.notes_of(f"event-{event.slug}") == {1}


@pytest.mark.sqlite
def test_an_unnamed_body_reads_as_a_description(client):
    am, az = country("AM"), country("AZ")
    bank = OrganisationFactory(
        name="a state-owned bank abroad",
        kind=Organisation.Kind.CENTRAL_BANK,
        unnamed=True,
        country=az,
        location=country("GE"),
    )
    local = OrganisationFactory(
        name="A state agency", kind="government", unnamed=True, country=am, location=am
    )
    event = EventFactory(countries=[am, az], date="2010")
    event.organisations.set([bank, local])
    said = StatementFactory(speaker=None, speaker_organisation=bank, quote="Words.", date="2011")
    said.countries.set([am, az])
    page = get_page(client, PAIR)
    text = page.item(f"event-{event.slug}")
    assert (
        "With a state agency (unnamed in the source) and a state-owned bank abroad (owned by "
        "Azerbaijan, based in Georgia; unnamed in the source)." in text
    )
    assert "the a state" not in text and "The state" not in text
    assert page.item(f"statement-{said.slug}").startswith("2011 A state-owned bank abroad (")


# --- URLs -------------------------------------------------------------------------------------
@pytest.mark.sqlite
def test_the_reversed_pair_redirects_permanently_keeping_the_query(client):
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


@pytest.mark.sqlite
def test_the_page_says_what_it_shows(client):
    EventFactory(countries=["AM", "AZ"], date="2007", domains=["nuclear"])
    EventFactory(countries=["AM", "AZ"], date="2010")
    page = get_page(client, PAIR)
    assert page.title == "Armenia–Azerbaijan relations · Relata"
    assert page.text_by_id["dossier-title"] == "Armenia–Azerbaijan relations"
    today = datetime.date.today()
    assert page.description.startswith(f"Armenia–Azerbaijan relations as of {today:%-d %B %Y}: ")
    assert "2 events, 0 agreements and 0 statements (2007–2010)" in page.description
    html = page.html
    assert f'As of <time datetime="{today:%Y-%m-%d}">' in html
    assert "2 published events, 0 agreements and 0 statements" in html
    assert "from 2007 to 2010" in html
    assert "Each fact is told once" in html
    assert '<form method="get" class="as-of-form"' in html
    assert 'href="/timeline/?country=am&amp;country=az"' in html
    assert '<link rel="stylesheet" href="/static/css/dossier.css">' in html
    assert html.count("<article") == 1
    assert (
        '<section class="domain" id="section-nuclear" aria-labelledby="section-nuclear-title">'
        in html
    )
    assert '<h2 id="section-nuclear-title">Nuclear</h2>' in html


@pytest.mark.sqlite
def test_a_pair_with_nothing_published_says_so(client):
    html = client.get(PAIR).content.decode()
    assert "Relata holds no published events, agreements or statements" in html
    assert Event.objects.count() == Agreement.objects.count() == Statement.objects.count() == 0
    assert Country.objects.filter(code__in=["AM", "AZ"]).count() == 2


# --- As of a date -----------------------------------------------------------------------------
@pytest.mark.sqlite
def test_as_of_shows_the_dossier_as_it_stood_then(client):
    old = EventFactory(countries=["AM", "AZ"], date="May 2007")
    new = EventFactory(countries=["AM", "AZ"], date="2009")
    official = OfficialFactory(name="Ara Example")
    post = PositionFactory(official=official, title="Envoy", start="2009", citations=0)
    old.officials.add(official)
    CitationFactory(position=post, footnote=old.citations.get().footnote)
    page = get_page(client, f"{PAIR}?as_of=2008")
    assert 'As it stood on <time datetime="2008-12-31">31 December 2008</time>' in page.html
    assert f"event-{old.slug}" in page.items
    assert f"event-{new.slug}" not in page.ids
    assert "Envoy" not in page.html  # the post was not known then
    assert [n.number for n in page.notes] == [1]
    assert "Envoy" in get_page(client, PAIR).item(f"event-{old.slug}")


@pytest.mark.sqlite
def test_as_of_includes_open_and_undated_claims_once_entered(client):
    entered = datetime.datetime(2010, 7, 6, 12, tzinfo=datetime.UTC)
    trend = EventFactory(countries=["AM", "AZ"], date="in recent years, as of 6 July 2010")
    words = StatementFactory(quote="Undated words.")
    words.countries.set([country("AM"), country("AZ")])
    Event.objects.filter(pk=trend.pk).update(created=entered)
    Statement.objects.filter(pk=words.pk).update(created=entered)
    before = get_page(client, f"{PAIR}?as_of=2010-07-05")
    after = get_page(client, f"{PAIR}?as_of=6 July 2010")
    for anchor in (f"event-{trend.slug}", f"statement-{words.slug}"):
        assert anchor not in before.ids
        assert anchor in after.items


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
def test_a_malformed_as_of_is_a_bad_request_with_the_forms_message(client, as_of, message):
    EventFactory(countries=["BY", "IR"])
    response = client.get(DOSSIER, {"as_of": as_of})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    html = response.content.decode()
    assert message in html
    assert 'role="alert"' in html
    assert 'aria-invalid="true"' in html
    assert 'id="event-' not in html


# --- Published data only ----------------------------------------------------------------------
@pytest.mark.sqlite
def test_drafts_never_appear(client):
    by, ir = country("BY"), country("IR")
    EventFactory(countries=[by, ir], date="2009")
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
    # A draft post, stated by a shown event's footnote.
    shown = EventFactory(countries=[by, ir], date="2011")
    official = OfficialFactory()
    shown.officials.add(official)
    draft_post = PositionFactory(
        official=official, title="QXDRAFTPOST", status=Status.DRAFT, citations=0
    )
    CitationFactory(position=draft_post, footnote=shown.citations.get().footnote)
    html = client.get(DOSSIER).content.decode()
    for claim in (draft_event, review_event):
        assert f'id="event-{claim.slug}"' not in html
        assert claim.title not in html
    for claim in (draft_statement, at_draft_event):
        assert f'id="statement-{claim.slug}"' not in html
        assert claim.quote not in html
    for claim in (draft_agreement, via_draft_event):
        assert f'id="agreement-{claim.slug}"' not in html
    assert "QXDRAFTPOST" not in html
    assert "2 published events, 0 agreements and 0 statements" in html


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
def test_words_without_a_domain_are_told_with_their_event_only_if_it_shows(client):
    by, ir = country("BY"), country("IR")
    shown = EventFactory(countries=[by, ir], date="2011", domains=["nuclear"])
    draft = EventFactory(status=Status.DRAFT, countries=[by, ir], date="2011", domains=["nuclear"])
    at_shown = StatementFactory(quote="At a shown event.", event=shown, date="2011")
    at_draft = StatementFactory(quote="At a draft event.", event=draft, date="2011")
    for statement in (at_shown, at_draft):
        statement.countries.set([by, ir])
    page = get_page(client)
    assert page.items[f"event-{shown.slug}"].parts == [f"statement-{at_shown.slug}"]
    # The draft's domains are the draft's: its words are told under no domain.
    assert page.sections == ["nuclear", "other"]
    other = page.html[page.html.index('id="section-other"') :]
    assert f'id="statement-{at_draft.slug}"' in other


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
    page = get_page(client, PAIR)
    newest_events = [f"event-{e.slug}" for e in events[-size:]]
    assert list(page.items) == newest_events  # the newest, in date order
    assert (
        "/timeline/?country=am&country=az&domain=economic",
        "Every economic event of the two on the timeline",
    ) in page.links
    assert f"The {size} most recent of {size + 5} in this section." in page.html
    assert f"{size + 5} published events" in page.html


@pytest.mark.sqlite
def test_an_event_in_several_domains_is_told_under_the_first(client):
    event = EventFactory(countries=["AM", "AZ"], domains=["cultural", "nuclear"])
    page = get_page(client, PAIR)
    assert page.sections == ["nuclear"]
    assert f"event-{event.slug}" in page.items


@pytest.mark.sqlite
def test_one_note_per_place_in_a_source(client):
    source = SourceFactory(title="Annual review")
    first = EventFactory(countries=["AM", "AZ"], date="2001", citations=0)
    second = EventFactory(countries=["AM", "AZ"], date="2002", citations=0)
    for event in (first, second):
        CitationFactory(source=source, event=event, locator="p. 4", excerpt="Both visits.")
    CitationFactory(source=source, event=second, locator="p. 5")
    page = get_page(client, PAIR)
    assert [n.number for n in page.notes] == [1, 2]
    assert page.markers == [1, 1, 2]
    assert page.notes[0].backlinks == [f"#event-{first.slug}", f"#event-{second.slug}"]
    assert page.notes[0].excerpt == "Both visits."
    assert "Annual review, Example Wire, 2010, p. 4." in page.notes[0].text


@pytest.mark.sqlite
def test_the_seed_dossier_takes_a_constant_number_of_queries(
    client, seed, django_assert_num_queries
):
    # Cold: the knowledge base's version, countries and domains (the reference data), the
    # dossier's domains (with the relationship's settings), counts, events (read, then loaded
    # with their agreements' links), agreements, statements; then, cached or not,
    # participants, citations, and the posts and memberships they state.
    with django_assert_num_queries(11):  # cold
        assert client.get(DOSSIER).status_code == HTTPStatus.OK
    with django_assert_num_queries(3):  # the reference data, counts and chosen items cached
        assert client.get(DOSSIER).status_code == HTTPStatus.OK


def test_a_large_dossier_takes_the_same_number_of_queries(client, django_assert_max_num_queries):
    official = OfficialFactory()
    post = PositionFactory(official=official, title="Ambassador", country=country("AM"))
    source = SourceFactory()
    organisation = OrganisationFactory(unnamed=True, country=country("AM"), location=country("GE"))
    membership = MembershipFactory(member_organisation=organisation, member_country=None)
    pair = relationship("AM", "AZ")
    pair.sections = [{"domain": "cultural", "title": "Culture"}]
    pair.introduction = "Two neighbours."
    pair.save()
    for n, event in enumerate(
        make_events(("AM", "AZ"), 60, "economic", citations=0)
        + make_events(("AM", "AZ"), 20, "cultural", start_year=2000, citations=0)
    ):
        event.officials.add(official)
        event.organisations.add(organisation)
        citation = CitationFactory(source=source, event=event)
        if n % 3 == 0:  # its sentence states the post and the membership
            CitationFactory(position=post, footnote=citation.footnote)
            CitationFactory(membership=membership, footnote=citation.footnote)
        statement = StatementFactory(speaker=official, date=event.date, event=event, citations=0)
        CitationFactory(source=source, statement=statement)
        if n % 5 == 0:
            agreement = AgreementFactory(
                date=event.date,
                value_amount=Decimal(n + 1) * 10**6,
                value_currency="EUR",
                according_to=organisation,
                purpose="Ours.",
                citations__footnote=citation.footnote,  # published, so cited
            )
            agreement.domains.set(event.domains.all())
            event.agreements.add(agreement)
        if n % 7 == 0:
            elsewhere = EventFactory(
                countries=["AZ", "US"], date=event.date, according_to=organisation
            )
            elsewhere.concerns.add(pair)
    with django_assert_max_num_queries(11):  # as the seed's, cold
        page = get_page(client, PAIR)
    # Statements and agreements are told inside their events' items.
    assert len(page.items) == 2 * build.SECTION_SIZE  # both sections full
    assert page.sections == ["cultural", "economic"]
    for anchor, item in page.items.items():
        if claim_of(anchor).statements.exists():
            assert item.parts[-1].startswith("statement-"), anchor
    assert_each_fact_told_once(page)
    assert "Ambassador" in page.html and "unnamed in the source" in page.html
    # Warm (the reference data, counts and chosen items cached): the same page, in at most 6.
    with django_assert_max_num_queries(6):
        again = get_page(client, PAIR)
    assert again.html == page.html


# --- Choosing the newest items: a walk must agree with reading everything --------------------
def anchors(chosen):
    return {
        s: [
            (f"{told.kind}-{told.claim.slug}", [f"{k}-{c.slug}" for k, c in told.parts])
            for told in items
        ]
        for s, items in chosen.items()
    }


def newest_by_brute_force(first, second, size):
    """Every claim of the pair, read the simple way, and the newest ``size`` of each section,
    each fact told once."""
    pair = PairClaims(first, second, None)
    domains = list(Domain.objects.all())
    items = defaultdict(list)
    links = defaultdict(set)
    for kind in KINDS:
        for claim in pair.claims(kind):
            mine = set(claim.domains.values_list("pk", flat=True))
            if not mine and kind == "statement" and claim.event_id:  # told with its event
                mine = set(claim.event.domains.values_list("pk", flat=True))
            section = next((d.pk for d in domains if d.pk in mine), None)
            items[section].append((kind, claim))
            if kind == "event":
                links[claim.pk] = set(claim.agreements.values_list("pk", flat=True))
    return anchors(newest.fold(items, links, size))


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
        if n % 3 == 0:
            event.agreements.add(agreed)
    # Same dates, ordered by sequence and slug.
    for n in range(3):
        EventFactory(countries=[am, az], date="2012-06", sequence=3 - n, domains=["economic"])
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


def test_folding_frees_room_and_gives_back_the_parts_of_events_cut():
    """``fold``: parts leave their sections' counts; an event cut from its section gives its
    parts back, to be told on their own."""
    events = [EventFactory(countries=["AM", "AZ"], date=f"200{n}") for n in range(3)]
    words = StatementFactory(quote="Old words.", date="2000", event=events[0])
    late = StatementFactory(quote="Late words.", date="2009")
    candidates = {
        1: [("event", e) for e in events],
        2: [("statement", words), ("statement", late)],
    }
    folded = newest.fold(candidates, {}, size=2)
    # The oldest event is cut from section 1: its words are told on their own in section 2.
    assert [told.claim for told in folded[1]] == events[1:]
    assert [told.claim for told in folded[2]] == [words, late]
    folded = newest.fold(candidates, {}, size=3)
    assert folded[1][0].parts == (("statement", words),)
    assert [told.claim for told in folded[2]] == [late]


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
    busiest = visibility.events().involving("BY", "IR").count()
    assert rows[0] == ("/relations/by-ir/", "Belarus–Iran", str(busiest))
    assert ("/relations/am-az/", "Armenia–Azerbaijan", "3") in rows
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
def test_the_index_form_opens_a_dossier(client):
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
    client, django_capture_on_commit_callbacks
):
    """The counts, the span and the ranking are cached under the knowledge base's version: an
    editor's publish bumps it (on commit), and the very next request reads the change."""
    make_events(("AM", "AZ"), 3, "economic", start_year=2007)
    html = client.get(PAIR).content.decode()
    assert "in 2007" in html
    assert "3 published events" in html
    assert 'data-events="3"' in client.get("/relations/").content.decode()
    event = EventFactory(
        status=Status.DRAFT, countries=["AM", "AZ"], date="March 2011", citations=1
    )
    with django_capture_on_commit_callbacks(execute=True):
        event.status = Status.PUBLISHED
        event.save()
    html = client.get(PAIR).content.decode()
    assert "from 2007 to 2011" in html
    assert "4 published events" in html
    assert "(2007–2011)" in Page(html).description
    index = client.get("/relations/").content.decode()
    assert 'data-events="4"' in index and 'data-events="3"' not in index
    with django_capture_on_commit_callbacks(execute=True):
        event.status = Status.DRAFT
        event.save()
    assert "in 2007" in client.get(PAIR).content.decode()
    assert 'data-events="3"' in client.get("/relations/").content.decode()


def test_a_relationships_settings_reach_the_cached_page(client, django_capture_on_commit_callbacks):
    EventFactory(countries=["AM", "AZ"], domains=["energy", "diplomatic"], date="2010")
    assert get_page(client, PAIR).sections == ["energy"]
    with django_capture_on_commit_callbacks(execute=True):
        pair = relationship("AM", "AZ")
        pair.sections = [{"domain": "diplomatic"}]
        pair.save()
    assert get_page(client, PAIR).sections == ["diplomatic"]


def test_a_drafts_edit_keeps_the_cached_answers(
    client, seed, django_capture_on_commit_callbacks, django_assert_num_queries
):
    """Analysts' work on drafts changes nothing readers see: the caches stay warm."""
    client.get(DOSSIER)
    draft = EventFactory(status=Status.DRAFT, countries=["BY", "IR"], date="2011")
    with django_capture_on_commit_callbacks(execute=True):
        draft.title = "Still a draft"
        draft.save()
    with django_assert_num_queries(3):  # the counts and the chosen items come from the cache
        assert client.get(DOSSIER).status_code == HTTPStatus.OK
