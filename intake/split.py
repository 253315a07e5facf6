"""A pasted page cut into footnoted passages: what "Bring in a page" reads first.

The paste is cleaned (markup stripped to text, scripts dropped unread), its head read (page
chrome dropped, the page's date and title kept), its body cut at section headings ("Nuclear:")
and footnote markers (``[1]``, ``¹``, ``(1)``, ``<sup>1</sup>``): a marker closes the sentence
or run of sentences since the previous marker. The page's own list of notes ("1. Reuters, …"),
at its end or pasted apart, gives each note its text.

Plain functions over strings; no database, no Django settings needed.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from django.core.exceptions import ValidationError

from core.dates import parse_fuzzy_date
from intake.proposals import Note

#: The largest paste read, in bytes of UTF-8 (a page of the seed's kind is a few kilobytes);
#: measured before any other work, so a huge paste costs one length check.
MAX_BYTES = 5_000_000
#: The longest passage one marker closes that is read whole: a footnoted sentence or run of
#: sentences is a few hundred characters; a longer one keeps its last sentences up to this.
MAX_PASSAGE = 2_000

SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_SUPER_DIGITS = str.maketrans(SUPERSCRIPTS, "0123456789")

# A marker: [12], ¹², or (12) right after a word or a sentence's punctuation (not "on (1) trade").
MARKER = re.compile(
    r"\[(?P<square>\d{1,3})\]"
    rf"|(?P<super>[{SUPERSCRIPTS}]{{1,3}})"
    r"|(?:(?<=[.,;:!?”\"’])\s?|(?<=[^\s(]))\((?P<round>\d{1,3})\)(?=\s|$|[.,;:])"
)
# A line of the notes list: "[1] text", "1. text", "1) text", "¹ text", "^1 text" (not "200 men").
NOTE_LINE = re.compile(
    rf"^\s*(?:\[(?P<a>\d{{1,3}})\]|\^(?P<b>\d{{1,3}})|(?P<b2>\d{{1,3}})[.)]|(?P<c>[{SUPERSCRIPTS}]{{1,3}}))"
    r"\s+(?P<text>\S.*)$"
)
NOTES_HEADING = re.compile(
    r"^\s*(?:#+\s*)?(?:(?:foot|end)?notes|references|sources|citations)\s*:?\s*$", re.IGNORECASE
)
# A section heading: a short line ending in a colon ("Economic Relationship:"), or markdown.
HEADING = re.compile(r"^\s*(?:(?P<md>#{1,6})\s+(?P<h1>[^\n]{1,80})|(?P<h2>[^\n.!?]{1,80}):)\s*$")
# Page chrome: template placeholders ("{{currentView.title}}") and link lines ("[Click here…]").
CHROME = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")
LINK = re.compile(r"\[(?!\d{1,3}\])[^\[\]\n]{2,300}\]")
TAG = re.compile(r"<\s*/?\s*[a-zA-Z!][^>]*>")


@dataclass
class Split:
    """A paste cut up: the page's head, its notes, and what was wrong with it."""

    title: str = ""
    date: str = ""
    notes: list[Note] = field(default_factory=list)
    headings: list[str] = field(default_factory=list)  # in page order
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    joined: dict[int, int] = field(default_factory=dict)  # "met.[4][5]": note 5 -> note 4


def too_large(*texts: str) -> str:
    """The refusal for a paste over :data:`MAX_BYTES`, or ""; cheap on any size."""
    size = sum(len(t) for t in texts)
    if size * 4 >= MAX_BYTES:  # characters are 1 to 4 bytes: count bytes only when it matters
        size = sum(len(t.encode("utf-8", "surrogatepass")) for t in texts)
    if size >= MAX_BYTES:
        mb = size / 1_000_000
        return (
            f"The paste is {mb:.1f} MB; a page of at most {MAX_BYTES // 1_000_000} MB is read. "
            "Paste one page at a time."
        )
    return ""


class _Text(HTMLParser):
    """Markup to plain text: never executed, scripts and styles dropped with their content,
    ``<sup>N</sup>`` kept as the marker ``[N]``, block elements as line breaks."""

    BLOCKS = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "ol"}
    DROPPED = {"script", "style", "template", "noscript", "iframe", "object"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.dropping = 0
        self.sup: list[str] | None = None
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.DROPPED:
            self.dropping += 1
            self.scripts += tag == "script"
        elif tag == "sup":
            self.sup = []
        elif tag in ("h2", "h3", "h4", "h5", "h6"):
            self.parts.append("\n## ")  # a section heading, as markdown writes it
        elif tag in self.BLOCKS:
            self.parts.append("\n")
        if any(
            name.startswith("on") or "javascript:" in (value or "").lower().replace(" ", "")
            for name, value in attrs
        ):
            self.scripts += 1

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in self.DROPPED:
            self.dropping = max(0, self.dropping - 1)

    def handle_endtag(self, tag):
        if tag in self.DROPPED:
            self.dropping = max(0, self.dropping - 1)
        elif tag == "sup" and self.sup is not None:
            inner = "".join(self.sup).strip().strip("[]")
            self.parts.append(f"[{inner}]" if inner.isdigit() else inner)
            self.sup = None
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if self.dropping:
            return
        (self.sup if self.sup is not None else self.parts).append(data)


def clean(text: str) -> tuple[str, list[str], list[str]]:
    """The paste as plain text; what to say about it; and why to refuse it.

    Markup is stripped to its text (never rendered, never run), ``<sup>1</sup>`` kept as the
    marker ``[1]``: said, not refused. Scripts (``<script>``, ``on…=`` handlers,
    ``javascript:`` links) are dropped unread, and the paste refused: a page copied as text has
    none, so one that does is not the page the analyst meant to bring in.
    """
    said: list[str] = []
    refused: list[str] = []
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    if TAG.search(text):
        parser = _Text()
        parser.feed(text)
        parser.close()
        text = "".join(parser.parts)
        said.append("The paste held markup (HTML): it was read as plain text, tags stripped.")
        if parser.scripts:
            refused.append(
                f"The paste holds {parser.scripts} script{'s' if parser.scripts > 1 else ''} "
                "(<script> or on…= handlers): dropped, never run, and nothing was read. "
                "Paste the page's text (copy it from the browser's page, not its source)."
            )
    if re.search(r"&(#\d+|#x[0-9a-f]+|[a-z]+);", text, re.I):
        text = html.unescape(text)
    return text, said, refused


def _note_number(match: re.Match[str]) -> int:
    digits = match.group("a") or match.group("b") or match.group("b2") or match.group("c")
    return int(digits.translate(_SUPER_DIGITS))


def parse_notes(text: str) -> dict[int, str]:
    """The list of notes: number -> text; lines that start no note continue the one before."""
    notes: dict[int, str] = {}
    last = None
    for line in text.splitlines():
        if not line.strip() or NOTES_HEADING.match(line):
            continue
        match = NOTE_LINE.match(line)
        if match:
            last = _note_number(match)
            notes[last] = match.group("text").strip()
        elif last is not None:
            notes[last] = f"{notes[last]} {line.strip()}"
    return notes


def _heading(line: str, in_body: bool) -> str:
    """A section's name: "Nuclear:", "## Nuclear", or, between paragraphs, a short line in
    capitals with no sentence's end ("Economic Relationship")."""
    if MARKER.search(line):
        return ""
    match = HEADING.match(line)
    if match:
        return (match.group("h1") or match.group("h2") or "").strip()
    words = line.split()
    if in_body and len(words) <= 6 and line[:1].isupper() and line[-1] not in '.!?”"’)':
        return line.strip()
    return ""


def _is_date(line: str) -> bool:
    try:
        parse_fuzzy_date(line)
    except ValidationError:
        return False
    return True


def _last_sentences(text: str) -> str:
    """The sentences that end ``text``, at most :data:`MAX_PASSAGE` characters of them."""
    tail = text[-MAX_PASSAGE:]
    start = re.search(r"[.!?][”\"’]?\s+(?=\S)", tail)
    return tail[start.end() :] if start else tail


def _normalise(text: str) -> str:
    return " ".join(text.split())


def split(text: str, notes_text: str = "") -> Split:
    """Cut a cleaned paste into its head, sections and footnoted passages."""
    result = Split()
    lines = [CHROME.sub("", line).rstrip() for line in text.split("\n")]
    body: list[tuple[str, str]] = []  # (section, paragraph)
    list_lines: list[str] = []
    section = ""
    in_notes = False
    seen_body = False
    for line in lines:
        stripped = LINK.sub("", line).strip()
        if not stripped:
            continue
        if NOTES_HEADING.match(stripped) and seen_body:
            in_notes = True
            continue
        if in_notes or (seen_body and NOTE_LINE.match(stripped) and not MARKER.search(stripped)):
            in_notes = True
            list_lines.append(stripped)
            continue
        heading = _heading(stripped, seen_body)
        if heading:
            section = heading
            result.headings.append(heading)
            seen_body = True
            continue
        if not seen_body and not MARKER.search(stripped):
            # The page's head: its date and title, one short line each.
            if not result.date and len(stripped) <= 40 and _is_date(stripped):
                result.date = stripped
                continue
            if not result.title and len(stripped) <= 150 and stripped[-1] not in ".!?":
                result.title = stripped
                continue
        seen_body = True
        body.append((section, stripped))

    listed = parse_notes("\n".join(list_lines))
    if notes_text.strip():
        listed.update(parse_notes(notes_text))

    seen: set[int] = set()
    for section, paragraph in body:
        start, passage = 0, ""
        for match in MARKER.finditer(paragraph):
            digits = match.group("square") or match.group("round") or match.group("super")
            number = int(digits.translate(_SUPER_DIGITS))
            text_before = _normalise(paragraph[start : match.start()])
            joined = not text_before and result.notes and result.notes[-1].passage == passage
            if text_before and text_before not in ".,;:":
                passage = text_before
                if len(passage) > MAX_PASSAGE:
                    passage = _last_sentences(passage)
                    result.warnings.append(
                        f"Note {int(digits.translate(_SUPER_DIGITS))} closes a long stretch "
                        f"of text: only its last sentences were read ({len(passage)} "
                        "characters)."
                    )
            start = match.end()
            if not passage:
                continue
            if number in seen:  # a note cited again: the first passage it closes is its own
                continue
            seen.add(number)
            if joined:
                result.joined[number] = result.notes[-1].number
            result.notes.append(Note(number, section, passage, listed.get(number, "")))

    if not result.notes:
        if listed:
            result.problems.append(
                f"The page lists {len(listed)} notes but its text has no footnote markers, so "
                "no sentence can be tied to a note. Paste the text with its markers "
                "([1], ¹, (1) or <sup>1</sup>)."
            )
        else:
            result.problems.append(
                "The page has no footnote markers ([1], ¹, (1) or <sup>1</sup>): nothing ties "
                "its sentences to sources. Paste the text with its markers."
            )
    return result
