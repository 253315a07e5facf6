"""Fidelity: the seed dossier says exactly what the seed page says, footnote by footnote.

Expectations come from the page (fixtures/belarus-iran-2010.txt) and its reviewed reading
(fixtures/belarus-iran-2010-claims.tsv), never from the fixture or from rendered output: each
note is found by its locator ("note 4"), each fact by words of the page. In ``/relations/by-ir/``
and in the API's dossier:

- each of the 13 notes marks exactly the items that hold its sentence, and no other;
- no note from another source appears;
- every footnoted sentence has its item, and each fact is told once (each phrase is in exactly
  one item; every item holds one of the page's facts);
- no date is shown more precisely than the page gives it (a shown date's interval contains the
  page's);
- a post is shown, with its marker, only where the page states it.

The markup read is contract.md's: a top-level ``.item`` per fact (nested ``.part`` for a
statement made at its event, or an agreement told with its event), markers
``<sup class="fn"><a href="#note-N">``, dates ``<span class="when">``, notes ``<li id="note-N">``.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.test import Client

from core.dates import FuzzyDate, parse_fuzzy_date

pytestmark = [pytest.mark.sqlite, pytest.mark.django_db]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PAGE = FIXTURES / "belarus-iran-2010.txt"
READING = FIXTURES / "belarus-iran-2010-claims.tsv"
TEAM_READING = Path(__file__).resolve().parents[2] / "shared" / "seed" / READING.name
SOURCE = "belarus-iran-foreign-relations-2010"
DOSSIER = "/relations/by-ir/"
API_DOSSIER = "/api/relations/by-ir/"
NOTES = range(1, 14)

# --- What the page says, note by note -----------------------------------------------------------
# For each note: words of its sentence that name one fact each (so each must be in exactly one
# dossier item), with the date the page gives that fact (the reading's date column: "undated"
# facts are true by the page's date, 6 July 2010; "subsequently" follows May 2009).
FACTS: dict[int, dict[str, str]] = {
    1: {
        "right to peaceful nuclear technology": "by 6 July 2010",
        "compliance with the IAEA": "2008",
    },
    2: {
        "Ministerial Conference": "June 2008",
        "censure": "before June 2008",
    },
    3: {
        "closer economic ties": "in recent years, as of 6 July 2010",
        "close cooperation in various areas of transportation": "by 6 July 2010",
    },
    4: {
        "deeper bilateral trade": "May 2007",
        "strategic partnership": "May 2007",
    },
    5: {"oil production project": "May 2009"},
    6: {"$212m": "after May 2009, by 6 July 2010"},
    7: {"close political partnership": "in recent years, as of 6 July 2010"},
    8: {"Tehran-Minsk ties are growing in all fields": "by 6 July 2010"},
    9: {
        "to act jointly to counter attempts to exert pressure on individual nations": "May 2007",
    },
    10: {"Iranian art exhibit": "June 2010"},
    11: {"Iran-Belarus artists association": "by 6 July 2010"},
    12: {"row with Russia over gas supplies": "late June 2010"},
    13: {"dependency on one source for oil and gas": "late June 2010"},
}


@dataclass(frozen=True)
class Post:
    """A post the page states (in the sentences of ``notes``), as a pattern of the holder's
    name next to the title, in either order ("Reza Raei, Vice Governor", "President
    Alexander Lukashenko")."""

    name: str
    title: str  # a regular expression: the page's words, or the usual long form
    notes: frozenset[int]

    def pattern(self) -> re.Pattern[str]:
        name, title = re.escape(fold(self.name)), self.title
        after = rf"{name}\W{{1,3}}(?:[\w']+\W{{1,2}}){{0,2}}?(?:{title})"
        before = rf"(?:{title})(?: of [^,()]{{1,80}}?)?,?\s(?:\w+\s)?{name}"
        return re.compile(f"{after}|{before}", re.IGNORECASE)


POSTS = (
    Post("Ahmadinejad", "President", frozenset({3, 8})),
    Post("Lukashenko", "President", frozenset({4, 12})),
    Post("Semashko", r"Deputy (?:PM|Prime Minister)", frozenset({5})),
    Post("Raei", r"Vice[- ]Governor", frozenset({5})),
    Post("Latushka", r"Culture Minister|Minister of Culture", frozenset({10})),
)

MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
DATE_WORDS = re.compile(rf"(?:\d{{1,2}} )?(?:(?:{MONTHS}) )?(?:19|20)\d\d")


def fold(text: str) -> str:
    """Compare words, not typography: quotes and apostrophes folded, case and spaces ignored."""
    text = text.translate(str.maketrans("“”„‘’", '"""\'\''))
    return " ".join(text.casefold().split())


def page_sentences() -> dict[int, str]:
    """Each footnote number of the page with the text it closes."""
    notes = {}
    for line in PAGE.read_text(encoding="utf-8").splitlines():
        for match in re.finditer(r"(.*?)\[(\d+)\]", line):
            notes[int(match.group(2))] = match.group(1).strip()
    return notes


def reading() -> dict[int, dict[str, str]]:
    """The reviewed reading, by note: its columns by name."""
    lines = [line for line in READING.read_text(encoding="utf-8").splitlines() if line]
    header = next(line for line in lines if line.startswith("# note\t"))
    names = header.removeprefix("# ").split("\t")
    rows = csv.reader((line for line in lines if not line.startswith("#")), delimiter="\t")
    return {int(row[0]): dict(zip(names, row, strict=True)) for row in rows}


def contains(shown: FuzzyDate, meant: FuzzyDate) -> bool:
    return shown.lower <= meant.lower and meant.upper <= shown.upper


# --- The expectations are the page's -----------------------------------------------------------
def test_the_reading_is_the_teams():
    if not TEAM_READING.exists():
        pytest.skip("the team's shared/seed folder is not beside this clone")
    assert READING.read_bytes() == TEAM_READING.read_bytes()


def test_every_fact_is_words_of_its_note():
    sentences = page_sentences()
    assert sorted(sentences) == sorted(FACTS) == list(NOTES)
    for note, facts in FACTS.items():
        for phrase in facts:
            assert fold(phrase) in fold(sentences[note]), f"note {note}: {phrase!r}"


def test_every_date_is_the_readings():
    """Each expected date names only dates the reading's date column gives for its note."""
    rows = reading()
    assert sorted(rows) == list(NOTES)
    for note, facts in FACTS.items():
        column = rows[note]["date as the page gives it"]
        for phrase, date in facts.items():
            parse_fuzzy_date(date)
            for words in DATE_WORDS.findall(date):
                assert words in column, f"note {note}, {phrase!r}: {words!r} not in {column!r}"


def test_every_post_is_stated_in_its_notes():
    sentences = page_sentences()
    for post in POSTS:
        for note in NOTES:
            stated = post.pattern().search(fold(sentences[note])) is not None
            assert stated == (note in post.notes), f"{post.name}'s post in note {note}"


# --- Reading the dossier ----------------------------------------------------------------------
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def outermost(self, css_class: str, *, stop: str = "") -> list[Node]:
        """Descendants with ``css_class`` that are not inside another one (nor inside an
        element with class ``stop``)."""
        found = []
        for child in self.children:
            if isinstance(child, str) or (stop and stop in child.classes):
                continue
            if css_class in child.classes:
                found.append(child)
            else:
                found += child.outermost(css_class, stop=stop)
        return found

    def marker(self) -> int | None:
        """The note number of a footnote marker (``<sup class="fn">``), else None."""
        if self.tag != "sup" or "fn" not in self.classes:
            return None
        link = next((c for c in self.children if isinstance(c, Node) and c.tag == "a"), None)
        match = re.fullmatch(r"#note-(\d+)", link.attrs.get("href", "")) if link else None
        assert match, f"a footnote marker without a link to its note: {self}"
        return int(match.group(1))

    def tokens(self, skip: str = "") -> list[str | int]:
        """Text and markers (as note numbers) in document order, skipping class ``skip``."""
        out: list[str | int] = []
        for child in self.children:
            if isinstance(child, str):
                out.append(child)
            elif (number := child.marker()) is not None:
                out.append(number)
            elif not (skip and skip in child.classes):
                out += child.tokens(skip)
        return out

    def text(self, skip: str = "") -> str:
        return " ".join("".join(t for t in self.tokens(skip) if isinstance(t, str)).split())

    def links(self) -> list[str]:
        here = [self.attrs["href"]] if self.tag == "a" and "href" in self.attrs else []
        return here + [h for c in self.children if isinstance(c, Node) for h in c.links()]

    def walk(self):
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.walk()


class Tree(HTMLParser):
    """The document as nested nodes (the templates write well-formed HTML)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self._open = [self.root]
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v or "" for k, v in attrs})
        self._open[-1].children.append(node)
        if tag not in VOID:
            self._open.append(node)

    def handle_startendtag(self, tag, attrs):
        self._open[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag):
        if any(node.tag == tag for node in self._open[1:]):
            while self._open.pop().tag != tag:
                pass

    def handle_data(self, data):
        self._open[-1].children.append(data)


@dataclass
class Scope:
    """An item's own words or one nested part's, with the dates shown for them."""

    text: str  # folded
    dates: list[str]


@dataclass
class Shown:
    """One dossier item as a reader gets it."""

    where: str
    text: str  # folded, without markers
    tokens: list[str | int]
    scopes: list[Scope]  # the item's own words first, then its parts

    @classmethod
    def read(cls, node: Node, where: str) -> Shown:
        parts = node.outermost("part")
        own = Scope(fold(node.text(skip="part")), dates_in(node, stop="part"))
        scopes = [own] + [Scope(fold(p.text()), dates_in(p)) for p in parts]
        return cls(where, fold(node.text()), node.tokens(), scopes)

    def markers(self) -> set[int]:
        return {t for t in self.tokens if isinstance(t, int)}

    def marked(self, locators: dict[int, int]) -> str:
        """The folded text with each marker written as the page writes it: "[5]"."""
        text = "".join(
            t if isinstance(t, str) else f"[{locators.get(t, '?')}]" for t in self.tokens
        )
        return fold(text)


def dates_in(node: Node, stop: str = "") -> list[str]:
    return [when.text() for when in node.outermost("when", stop=stop)]


@dataclass
class Surface:
    """A dossier as one surface shows it: its items, and its notes by number."""

    name: str
    items: list[Shown]
    locators: dict[int, str]  # note number -> locator ("note 4")
    sources: dict[int, str]  # note number -> source slug
    marked_background: list[str]  # background elements that carry a marker

    def note_number(self, note: int) -> int:
        numbers = [n for n, locator in self.locators.items() if locator == f"note {note}"]
        assert len(numbers) == 1, f"{self.name}: {len(numbers)} notes with locator 'note {note}'"
        return numbers[0]

    def page_notes(self) -> dict[int, int]:
        """Note number on this surface -> the page's note number (from the locator)."""
        found = {}
        for number, locator in self.locators.items():
            match = re.fullmatch(r"note (\d+)", locator)
            if match:
                found[number] = int(match.group(1))
        return found

    def holding(self, phrase: str) -> list[Shown]:
        return [item for item in self.items if fold(phrase) in item.text]


def background_markers(root: Node, where: str) -> list[str]:
    return [
        f"{where}: background {node.text()[:60]!r}"
        for node in root.outermost("background")
        if any(isinstance(t, int) for t in node.tokens())
    ]


def read_page(html: str) -> Surface:
    root = Tree(html).root
    items = [
        Shown.read(node, f"page item #{node.attrs.get('id')}") for node in root.outermost("item")
    ]
    locators, sources = {}, {}
    for li in root.walk():
        match = re.fullmatch(r"note-(\d+)", li.attrs.get("id", "")) if li.tag == "li" else None
        if not match:
            continue
        number = int(match.group(1))
        found = re.findall(r"\bnote (\d+)\b", li.text(skip="backlinks"))
        locators[number] = f"note {found[0]}" if len(found) == 1 else f"unclear: {found}"
        slugs = {m.group(1) for h in li.links() if (m := re.match(r"/sources/([^/]+)/", h))}
        sources[number] = ", ".join(sorted(slugs)) or "none"
    return Surface("page", items, locators, sources, background_markers(root, "page"))


def read_api(body: dict) -> Surface:
    items, marked = [], []
    for section in body["sections"]:
        for item in section["items"]:
            where = f"API item {item['kind']}-{item.get('slug') or item.get('key')}"
            root = Tree(item["html"]).root
            nodes = root.outermost("item")
            assert len(nodes) == 1, f"{where}: its html holds {len(nodes)} .item elements"
            shown = Shown.read(nodes[0], where)
            if item.get("date"):
                shown.scopes[0].dates.append(item["date"])
            assert set(item["notes"]) == shown.markers(), f"{where}: notes vs its markers"
            items.append(shown)
            marked += background_markers(root, where)
    locators = {n["number"]: n["locator"] for n in body["notes"]}
    sources = {
        n["number"]: n["source"]["slug"] if isinstance(n["source"], dict) else n["source"]
        for n in body["notes"]
    }
    return Surface("API", items, locators, sources, marked)


@pytest.fixture(scope="module")
def surfaces(django_db_setup, django_db_blocker) -> dict[str, Surface]:
    """The seed loaded once (rolled back at the end), and both surfaces read from it."""
    from relations.filters import forget_reference

    with django_db_blocker.unblock(), transaction.atomic():
        call_command("loaddata", "belarus-iran-2010", verbosity=0)
        cache.clear()
        forget_reference()
        client = Client()
        page = client.get(DOSSIER)
        api = client.get(API_DOSSIER)
        transaction.set_rollback(True)
    assert page.status_code == 200, page.content[:500]
    assert api.status_code == 200, api.content[:500]
    return {"page": read_page(page.content.decode()), "api": read_api(api.json())}


SURFACES = ["page", "api"]


# --- The dossier says what the page says --------------------------------------------------------
@pytest.mark.parametrize("surface", SURFACES)
def test_the_notes_are_the_pages_thirteen_and_no_other(surfaces, surface):
    shown = surfaces[surface]
    assert sorted(shown.locators.values()) == sorted(f"note {n}" for n in NOTES), shown.locators
    others = {n: s for n, s in shown.sources.items() if s != SOURCE}
    assert not others, f"{surface}: notes from other sources (or none): {others}"


@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize("note", NOTES)
def test_a_note_marks_exactly_the_items_holding_its_sentence(surfaces, surface, note):
    shown = surfaces[surface]
    number = shown.note_number(note)
    expected = {item.where for phrase in FACTS[note] for item in shown.holding(phrase)}
    missing = [p for p in FACTS[note] if not shown.holding(p)]
    assert not missing, f"{surface}, note {note}: no item holds {missing}"
    marked = {item.where for item in shown.items if number in item.markers()}
    assert marked == expected, (
        f"{surface}, note {note} (shown as {number}): marks {sorted(marked - expected)} that do "
        f"not hold its sentence; misses {sorted(expected - marked)} that do"
    )


@pytest.mark.parametrize("surface", SURFACES)
def test_every_fact_is_told_once(surfaces, surface):
    shown = surfaces[surface]
    problems = []
    for note, facts in FACTS.items():
        for phrase in facts:
            holding = [item.where for item in shown.holding(phrase)]
            if len(holding) != 1:
                problems.append(f"note {note}: {phrase!r} is in {len(holding)} items {holding}")
    phrases = [fold(p) for facts in FACTS.values() for p in facts]
    for item in shown.items:
        if not any(p in item.text for p in phrases):
            problems.append(f"{item.where} holds no fact of the page: {item.text[:100]!r}")
    assert not problems, f"{surface}:\n" + "\n".join(problems)


@pytest.mark.parametrize("surface", SURFACES)
def test_no_date_is_shown_more_precisely_than_the_page_gives_it(surfaces, surface):
    """A shown date's interval contains the page's date of each fact it dates: a part with no
    date of its own is dated by its item's."""
    shown = surfaces[surface]
    meant = {fold(p): (n, d) for n, facts in FACTS.items() for p, d in facts.items()}
    problems = []
    for item in shown.items:
        own = item.scopes[0]
        if not own.dates:
            problems.append(f"{item.where}: no date shown")
        for scope in item.scopes:
            dates = scope.dates or own.dates
            for phrase, (note, date) in meant.items():
                if phrase not in scope.text:
                    continue
                for text in dates:
                    try:
                        ok = contains(parse_fuzzy_date(text), parse_fuzzy_date(date))
                    except Exception as error:  # the message says why it is unreadable
                        problems.append(f"{item.where}: date {text!r} unreadable: {error}")
                        continue
                    if not ok:
                        problems.append(
                            f"{item.where}, note {note} {phrase!r}: shows {text!r}, more "
                            f"precise than the page's {date!r}"
                        )
    assert not problems, f"{surface}:\n" + "\n".join(problems)


@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize("post", POSTS, ids=lambda post: post.name)
def test_a_post_is_shown_and_marked_only_where_the_page_states_it(surfaces, surface, post):
    shown = surfaces[surface]
    page_notes = shown.page_notes()
    pattern = post.pattern()
    # The items of the notes that state the post, where the holder is named.
    stated = {
        item.where
        for n in post.notes
        for p in FACTS[n]
        for item in shown.holding(p)
        if fold(post.name) in item.text
    }
    showing = {item.where for item in shown.items if pattern.search(item.text)}
    assert showing == stated, (
        f"{surface}: {post.name}'s post shown in {sorted(showing - stated)} where the page does "
        f"not state it; not shown in {sorted(stated - showing)} where it does"
    )
    for item in shown.items:
        marked = item.marked(page_notes)
        for match in pattern.finditer(marked):
            following = re.search(r"\[(\d+|\?)\]", marked[match.end() :])
            note = following.group(1) if following else "none"
            assert note in {str(n) for n in post.notes}, (
                f"{surface}: {item.where}: {post.name}'s post is followed by marker {note}, "
                f"not by a note stating it ({sorted(post.notes)})"
            )


@pytest.mark.parametrize("surface", SURFACES)
def test_background_carries_no_marker(surfaces, surface):
    assert not surfaces[surface].marked_background
