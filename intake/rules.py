"""The reading rules: what a footnoted passage says, one small rule each.

Each function reads plain text (and the gazetteer's matches) and returns plain values; the
order they are applied in, and how their results become proposals, is ``intake.propose``.
Dates go through the one parser (``core.dates``): this module only finds the words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal

from django.core.exceptions import ValidationError

from core.dates import MONTH_NAMES, POINT_PRECISIONS, FuzzyDate, parse_fuzzy_date
from core.dates import resolve_relative as _resolve_relative
from intake.gazetteer import Match
from intake.posts import TITLE_HEADS, title_before
from intake.proposals import Ref

# -- Quotes ------------------------------------------------------------------------------------

# Text in quotation marks, curly or straight (pages mix them: “…trade."), at least two letters.
QUOTE = re.compile(r"[“\"]([^“”\"]{2,}?)[”\"]")
#: A quoted term (a few words, "strategic partnership") is not a sentence: the full stop after
#: it, inside the marks by American custom, belongs to the page's sentence.
TERM_WORDS = 3


@dataclass(frozen=True)
class Quote:
    start: int  # of the opening mark
    end: int  # after the closing mark
    words: str


def quotes(text: str) -> list[Quote]:
    """The quotations of a passage, verbatim, without their marks."""
    found = []
    for match in QUOTE.finditer(text):
        words = " ".join(match.group(1).split()).rstrip(",")  # “…,” said X: the page's comma
        if len(words.split()) <= TERM_WORDS:
            words = words.rstrip(".,;")
        if words:
            found.append(Quote(match.start(), match.end(), words))
    return found


def outside(text: str, spans: list[tuple[int, int]], fill: str = " ") -> str:
    """``text`` with the spans blanked (same length, so offsets still hold)."""
    chars = list(text)
    for start, end in spans:
        for i in range(start, min(end, len(chars))):
            chars[i] = fill
    return "".join(chars)


# Reporting verbs a source uses of words said; "according to" reports a saying.
REPORTING = (
    "said",
    "stated",
    "added",
    "announced",
    "agreed",
    "declared",
    "noted",
    "told",
    "warned",
    "insisted",
    "stressed",
    "wrote",
    "claimed",
    "argued",
    "affirmed",
    "confirmed",
    "emphasised",
    "emphasized",
    "remarked",
    "explained",
)
_REPORTING = re.compile(r"\b(" + "|".join(REPORTING) + r")\b", re.IGNORECASE)
#: Verbs that continue what the speaker said just before ("Lukashenko added that …").
CONTINUING = ("added", "continued", "went on")
# "<speaker> added that <words>": a paraphrase.
PARAPHRASE = re.compile(r"\b(" + "|".join(REPORTING) + r")\s+that\s+(?P<words>.+)$", re.I)


# Where words were said or published: "A press release issued by the ICRO stated, “…”".
MEDIUM = re.compile(
    r"\b(?:a|an|the|in|its|his|her|their)\s+((?:joint\s+)?(?:press release|press conference|"
    r"statement|communiqu[eé]|interview|speech|letter|op-ed|article|tweet|post|address))\b",
    re.IGNORECASE,
)


def context(words: str) -> str:
    """ "in a press release", from the words before a quotation; "" when they name no medium."""
    match = MEDIUM.search(words)
    if not match:
        return ""
    medium = match.group(1).lower()
    return f"in {'an' if medium[0] in 'aeiou' else 'a'} {medium}"


def reporting_verb(between: str) -> str:
    """The verb that reports a quotation, from the words between speaker and quote."""
    found = _REPORTING.findall(between)
    return found[-1].lower() if found else "said"


# -- Dates -------------------------------------------------------------------------------------

_MONTH = "|".join([*MONTH_NAMES, *(m[:3] + r"\.?" for m in MONTH_NAMES)])
_YEAR = r"(?:1[89]|20)\d\d(?:s\b)?"
DATE = re.compile(
    r"(?:\b(?:as early as|no later than|no earlier than|by|before|after|since|until|in|from)"
    r"\s+)?"
    r"(?:(?:early|mid|late)[- ]?)?"
    rf"(?:(?:\d{{1,2}}\s+)?(?:{_MONTH})(?:\s+\d{{1,2}},?)?\s+)?"
    rf"\b{_YEAR}\b"
    rf"(?:\s?[-\u2013/]\s?{_YEAR}|\s+to\s+{_YEAR})?",
    re.IGNORECASE,
)
SUBSEQUENTLY = re.compile(r"^\W*(subsequently|afterwards|later|then)\b", re.IGNORECASE)
RECENT = re.compile(r"\bin recent years\b", re.IGNORECASE)
# "has expressed", "have been pursuing": true by the page's date, no earlier date given.
PRESENT_PERFECT = re.compile(r"\b(?:has|have)\s+(?:not\s+)?(?:been\s+)?\w+(?:ed|en|wn|ing)\b")


@dataclass(frozen=True)
class DateRead:
    text: str  # what to store: core.dates accepts it
    as_read: str  # the page's words
    value: FuzzyDate | None = None
    doubt: str = ""

    @property
    def is_point(self) -> bool:
        return self.value is not None and self.value.precision in POINT_PRECISIONS


NO_DATE = DateRead("", "")


def _parsed(text: str) -> FuzzyDate | None:
    try:
        return parse_fuzzy_date(text)
    except ValidationError:
        return None


def _resolved(words: str, **context) -> DateRead:
    try:
        text = _resolve_relative(words, **context)
    except ValidationError as error:
        message = error.messages[0]
        return DateRead("", words, None, message.split(". Accepted forms")[0])
    return DateRead(text, words, _parsed(text))


def explicit_date(text: str) -> DateRead:
    """The first date the words give ("In late June 2010", "as early as 1998")."""
    for match in DATE.finditer(text):
        words = match.group(0).strip()
        value = _parsed(words)
        if value is None and " " in words:  # "by 2008" where "by" was not a date's word
            words = words.split(" ", 1)[1]
            value = _parsed(words)
        if value is not None:
            return DateRead(value.display(), match.group(0).strip(), value)
    return NO_DATE


def read_date(
    text: str,
    *,
    source: FuzzyDate | None,
    previous: FuzzyDate | None,
    undated: bool = True,
) -> DateRead:
    """The date of a clause: its own words, else what its words imply in context
    ("subsequently", "in recent years", "has expressed"), else, when ``undated`` is allowed,
    "by the source's date"."""
    found = explicit_date(text)
    if found.text:
        return found
    match = SUBSEQUENTLY.search(text)
    if match:
        if previous is None:
            return DateRead("", match.group(1), None, "“Subsequently” after no dated sentence")
        read = _resolved("subsequently", source=source, previous=previous)
        return replace(read, as_read=match.group(1))
    match = RECENT.search(text)
    if match:
        return replace(_resolved("in recent years", source=source), as_read=match.group(0))
    match = PRESENT_PERFECT.search(text)
    if match:
        return replace(_resolved("undated", source=source), as_read=match.group(0))
    if undated:
        read = _resolved("undated", source=source)
        return DateRead(
            read.text, "", read.value, read.doubt or "Undated on the page: by the source's date."
        )
    return NO_DATE


def before(value: FuzzyDate | None) -> DateRead:
    """ "Despite increasing censure": before the date of the fact it stands against."""
    if value is None or value.precision not in POINT_PRECISIONS:
        return DateRead("", "", None, "Before the related fact, which the page does not date.")
    text = f"before {value.display()}"
    return DateRead(text, "", _parsed(text))


# -- Clauses: background, place descriptions ------------------------------------------------------

CONCESSION = re.compile(r"^\W*(despite|in spite of|notwithstanding)\s+", re.IGNORECASE)
REASON = re.compile(r"\b(in light of|in the light of|amid|amidst|because of|due to)\s+", re.I)
LOCATIVE = re.compile(
    r",?\s*\b(?:located|situated|lying)\s+(?:in|near|on|at)\b[^,;]*"
    r"|\bnear the border with\b[^,;.]*",
    re.IGNORECASE,
)
EVENT_NOUN = re.compile(
    r"\b(meeting|meetings|summit|visit|visited|conference|talks|exhibit|exhibition|ceremony|"
    r"forum|session|met)\b",
    re.IGNORECASE,
)


_LIST_WORDS = {"the", "and", "of", "a", "an", "or"}


def _phrase_end(text: str, start: int) -> int:
    """Where a fronted phrase ends: at the comma after which a clause begins, not a list's
    next item ("…the UN Security Council, the European Union, and the United States,")."""
    comma = text.find(",", start)
    while comma >= 0:
        following = text.find(",", comma + 1)
        if following < 0:
            return comma
        item = text[comma + 1 : following].split()
        if not (0 < len(item) <= 6 and all(w in _LIST_WORDS or w[:1].isupper() for w in item)):
            return comma
        comma = following
    return len(text)


def concession(text: str) -> tuple[str, str]:
    """("increasing censure from …", "Belarus and … expressed …") for "Despite X, Y"; else
    ("", text)."""
    match = CONCESSION.match(text)
    if not match:
        return "", text
    end = _phrase_end(text, match.end())
    if end >= len(text):
        return "", text
    return text[match.end() : end].strip(), text[end + 1 :].strip()


def background_spans(text: str) -> list[tuple[int, int]]:
    """Spans told as context, not as who took part: "in light of a row with Russia,",
    ", located in south-western Iran near the border with Iraq"."""
    spans = []
    for match in REASON.finditer(text):
        spans.append((match.start(), _phrase_end(text, match.end())))
    for match in LOCATIVE.finditer(text):
        spans.append((match.start(), match.end()))
    return spans


def clauses(text: str, quote_spans: list[tuple[int, int]]) -> list[str]:
    """Independent clauses: split at semicolons and at " and, " (a clause after an aside),
    never inside a quotation."""
    blank = outside(text, quote_spans, "_")
    cuts = list(re.finditer(r";\s+|\s+and,\s+", blank))
    parts, start = [], 0
    for cut in cuts:
        parts.append(text[start : cut.start()].strip())
        start = cut.end()
    parts.append(text[start:].strip())
    return [p for p in parts if p]


# -- Agreements and values ----------------------------------------------------------------------

AGREEMENT_KINDS = (
    (r"\b(lend|lent|loan|loans|credit line|line of credit)\b", "loan"),
    (r"\b(memorandum of understanding|memorandum|MoU)\b", "mou"),
    (r"\b(treaty)\b", "treaty"),
    (r"\b(contract)\b", "contract"),
    (r"\b(joint declaration|declaration)\b", "declaration"),
    (r"\b(cooperation programme|cooperation program|programme of cooperation)\b", "programme"),
)
STAGES = (
    (r"\bagreed\b|\bagree\b", "agreed"),
    (r"\bsigned\b|\bsign\b", "signed"),
    (r"\bproposed\b|\boffered\b", "proposed"),
    (r"\bentered into force\b|\bin force\b|\bratified\b", "in-force"),
    (r"\bsuspended\b", "suspended"),
    (r"\bcancell?ed\b|\bscrapped\b", "cancelled"),
)
CURRENCIES = {"$": "USD", "US$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY"}
CURRENCY_WORDS = {
    "dollars": "USD",
    "us dollars": "USD",
    "euros": "EUR",
    "euro": "EUR",
    "rubles": "RUB",
    "roubles": "RUB",
    "pounds": "GBP",
    "yuan": "CNY",
}
SCALE = {
    "k": 10**3,
    "thousand": 10**3,
    "m": 10**6,
    "mn": 10**6,
    "million": 10**6,
    "bn": 10**9,
    "b": 10**9,
    "billion": 10**9,
    "tn": 10**12,
    "trillion": 10**12,
}
VALUE = re.compile(
    r"(?P<symbol>US\$|\$|€|£|¥)\s?(?P<number>\d[\d,]*(?:\.\d+)?)\s?"
    r"(?P<scale>thousand|million|billion|trillion|mn|bn|tn|[kmb])?\b"
    r"|(?P<number2>\d[\d,]*(?:\.\d+)?)\s?(?P<scale2>thousand|million|billion|trillion)?\s+"
    r"(?P<word>US dollars|dollars|euros?|r[o]?ubles|pounds|yuan)\b",
    re.IGNORECASE,
)


def agreement_kind(text: str) -> str:
    for pattern, kind in AGREEMENT_KINDS:
        if re.search(pattern, text, re.IGNORECASE):
            return kind
    return ""


def stage(text: str) -> str:
    for pattern, value in STAGES:
        if re.search(pattern, text, re.IGNORECASE):
            return value
    return ""


def value(text: str) -> tuple[Decimal | None, str]:
    """ "$212m" -> (212000000, "USD"); (None, "") when the text names no sum."""
    match = VALUE.search(text)
    if not match:
        return None, ""
    number = match.group("number") or match.group("number2")
    scale = (match.group("scale") or match.group("scale2") or "").lower()
    amount = Decimal(number.replace(",", "")) * SCALE.get(scale, 1)
    if match.group("symbol"):
        currency = CURRENCIES[
            match.group("symbol").upper() if match.group("symbol") != "US$" else "US$"
        ]
    else:
        currency = CURRENCY_WORDS[match.group("word").lower()]
    return amount.quantize(Decimal("0.01")), currency


# -- Memberships -------------------------------------------------------------------------------

MEMBERSHIP = re.compile(
    r"\b(?:as (?:a )?(?:part|member|members) of|(?:is|are|was|were|became|become) (?:a )?"
    r"(?:member|members|member state|member states|part) of|joined)\s+(?:the\s+)?$",
    re.IGNORECASE,
)


def membership_of(text: str, matches: list[Match]) -> list[Ref]:
    """The organisations the text says its subject is a member of ("as a part of the NAM")."""
    found = []
    for m in matches:
        if m.kind == "organisation" and MEMBERSHIP.search(text[max(0, m.start - 40) : m.start]):
            found.append(m.ref)
    return found


# -- Names the knowledge base does not hold --------------------------------------------------------

CONNECTORS = ("of", "the", "and", "de", "al")
_CAPITALISED = re.compile(r"\b[A-Z][\w\-]*(?:\s+(?:(?:of|the|and|de|al)\s+){0,2}[A-Z][\w\-]*)*")
NOT_NAMES = (
    set(MONTH_NAMES)
    | {
        "The",
        "A",
        "An",
        "In",
        "At",
        "On",
        "By",
        "As",
        "It",
        "Its",
        "This",
        "That",
        "These",
        "Those",
        "Despite",
        "According",
        "Subsequently",
        "Afterwards",
        "Later",
        "Then",
        "However",
        "Meanwhile",
        "West",
        "East",
        "North",
        "South",
        "Western",
        "Eastern",
        "Northern",
        "Southern",
        "Southwestern",
        "Southeastern",
        "Northwestern",
        "Northeastern",
        "Click",
    }
    | TITLE_HEADS
    | {"Deputy", "Vice", "First", "Acting", "Foreign"}
)
# Names of occasions, not of records: "the NAM Ministerial Conference".
EVENT_NAMES = {"Conference", "Summit", "Forum", "Exhibition", "Festival", "Week", "Games", "Talks"}
ORGANISATION_WORDS = re.compile(
    r"\b(Organi[sz]ation|Ministry|Bank|Company|Council|Agency|Movement|Party|Union|Fund|"
    r"Corporation|Committee|Commission|Institute|Association|Group|Office|Service|Community)\b"
)
# "state-run oil company Belarusneft": a body named after what it is.
BODY_BEFORE = re.compile(
    r"\b(company|firm|bank|corporation|agency|ministry|group|operator|producer|body)\s*$", re.I
)
# "Vice Governor of the Central Bank of Iran, Reza Raei"
TITLE_OF = re.compile(r"\b(?:" + "|".join(TITLE_HEADS) + r")\s+of\s+[^,;]{2,90},\s*$")
ACRONYM = re.compile(r"^[A-Z]{2,6}$")


@dataclass(frozen=True)
class Name:
    """A name the knowledge base does not hold, found in a text."""

    match: Match  # its one ref is new (no key), or a name the page defined earlier
    takes_part: bool  # named as one who acts (a titled person, a body), not only mentioned


def unknown_names(text: str, matches: list[Match], known: dict[str, Ref] | None = None):
    """Capitalised names no record matched: "Belarusneft", "Jofeir", "Uganda National Oil
    Company" (a body's name that holds a known one); not a sentence's first word, a month or a
    title. A name after a post's title ("President Mwai Kibaki") is an official; a body's name,
    an acronym, or a name after "company" an organisation; ``known``: names the page gave
    before (a surname, an acronym) and the records they stand for."""
    known = known or {}
    covered = [(m.start, m.end) for m in matches if m.kind != "domain"]  # topics name no one
    found: list[Name] = []
    for match in _CAPITALISED.finditer(text):
        words = [(w.start() + match.start(), w.group()) for w in re.finditer(r"\S+", match.group())]
        while words and (words[0][1] in NOT_NAMES or words[0][1] in CONNECTORS):
            words.pop(0)
        while words and (words[-1][1] in NOT_NAMES or words[-1][1] in CONNECTORS):
            words.pop()
        if not words:
            continue
        free = [
            w
            for w in words
            if not _inside(w, covered) and w[1] not in NOT_NAMES and w[1] not in CONNECTORS
        ]
        if not free:
            continue
        runs = []
        for part in _and_split(words, covered):
            if ORGANISATION_WORDS.search(" ".join(w for _, w in part)):
                runs.append(part)  # a body's full name, a known name in it or not
                continue
            run = []  # else the unknown words only, between known names and titles
            for word in part:
                if _inside(word, covered) or word[1] in NOT_NAMES:
                    if word[1] not in TITLE_HEADS:  # "Culture" in "Culture Minister": a title
                        runs.append(run)
                    run = []
                else:
                    run.append(word)
            runs.append(run)
        for run in runs:
            while run and run[-1][1] in CONNECTORS:
                run.pop()
            while run and run[0][1] in CONNECTORS:
                run.pop(0)
            if run and run[-1][1] not in EVENT_NAMES:  # "NAM Ministerial Conference"
                found.append(_name(text, run, known))
    return [n for n in found if n is not None]


def _and_split(words: list[tuple[int, str]], covered) -> list[list[tuple[int, str]]]:
    """ "Belarus and the Non-Aligned Movement", "the IAEA and the Non-Proliferation Treaty" are
    two names each: an "and" before "the", or one that joins a known name, separates them
    ("Islamic Culture and Relations Organization" is one)."""
    for i, (_, word) in enumerate(words):
        if word != "and" or i == 0:
            continue
        left, right = words[:i], words[i + 1 :]
        if (
            (right and right[0][1] == "the")
            or all(_inside(w, covered) for w in left)
            or all(_inside(w, covered) for w in right)
        ):
            return [left, *_and_split(right, covered)]
    return [words]


def _name(text: str, run: list[tuple[int, str]], known: dict[str, Ref]) -> Name | None:
    begin, end = run[0][0], run[-1][0] + len(run[-1][1])
    name = text[begin:end]
    preceding = text[:begin].rstrip()
    if name in known:
        return Name(Match(begin, end, name, (known[name],)), True)
    if len(run) == 1 and (not preceding or preceding[-1] in '.!?“"('):
        return None  # a sentence's first word: capitalised by grammar, not as a name
    if len(run) <= 3 and (
        title_before(preceding + " ") or TITLE_OF.search(text[max(0, begin - 160) : begin])
    ):
        kind, takes_part = "official", True
    elif ORGANISATION_WORDS.search(name) or BODY_BEFORE.search(preceding) or ACRONYM.match(name):
        kind, takes_part = "organisation", True
    else:
        kind, takes_part = "organisation", False
    return Name(Match(begin, end, name, (Ref(kind, name, "", name),)), takes_part)


def _inside(word: tuple[int, str], spans: list[tuple[int, int]]) -> bool:
    start, end = word[0], word[0] + len(word[1])
    return any(s < end and start < e for s, e in spans)
