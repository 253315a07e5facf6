"""Every name the knowledge base knows, found in a text in one pass.

Countries (names, official names, aliases: "Belarussian", "Minsk"), organisations (names,
short names, aliases, and "UN Security Council" for "United Nations Security Council" where
the knowledge base knows "UN" for "United Nations"), officials (names, aliases, and surnames no
one else shares) and domains (names, and the terms their descriptions list: "Oil, gas,
electricity…") go into one Aho–Corasick automaton (pyahocorasick). A match must sit on word
boundaries; case folds, except for acronyms ("US" is not "us") and surnames (capitalised);
where matches overlap the longest wins ("Central Bank of the Islamic Republic of Iran", not
"Islamic Republic").

Built from the database once per knowledge-base version (``core.cache``), so an edit to an
alias is seen by the next page read.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

import ahocorasick

from core import cache
from intake.proposals import Ref

_WORD = re.compile(r"\w", re.UNICODE)
_ACRONYM = re.compile(r"^[A-Z0-9&.\-]{2,6}$")
# Description terms that are not topics ("their supply", "people-to-people ties" is fine).
_STOP_START = ("their ", "its ", "other ", "and ", "the ")


@dataclass(frozen=True)
class Match:
    """A name found: where, the words as written, and every record it may name."""

    start: int
    end: int
    text: str
    refs: tuple[Ref, ...]

    @property
    def ref(self) -> Ref:
        return self.refs[0]

    @property
    def kind(self) -> str:
        return self.refs[0].kind


@dataclass
class Gazetteer:
    """The automaton and what the rules need to know of the records it names."""

    automaton: ahocorasick.Automaton | None
    country_of: dict[tuple[str, str], str] = field(default_factory=dict)  # (kind, key) -> code
    country_names: dict[str, str] = field(default_factory=dict)  # code -> name
    organisations: list[tuple[str, str, str]] = field(default_factory=list)  # slug, name, code
    domains: dict[str, str] = field(default_factory=dict)  # slug -> name
    topics: dict[str, str] = field(default_factory=dict)  # a topic a domain lists -> its slug

    def find(self, text: str, kinds: tuple[str, ...] = ()) -> list[Match]:
        """The names in ``text``, left to right, longest first where they overlap."""
        if self.automaton is None or not text:
            return []
        folded = text.lower()
        if len(folded) != len(text):  # a rare letter whose lower case is longer: keep offsets
            folded = "".join(c.lower()[0] for c in text)
        found: list[Match] = []
        for end, (pattern, entries) in self.automaton.iter(folded):
            start = end - len(pattern) + 1
            end += 1
            if (start > 0 and _WORD.match(text[start - 1])) or (
                end < len(text) and _WORD.match(text[end])
            ):
                continue
            written = text[start:end]
            refs = tuple(
                Ref(ref.kind, ref.name, ref.key, written)
                for ref, exact in entries
                if (not exact or written == exact) and (not kinds or ref.kind in kinds)
            )
            if refs:
                found.append(Match(start, end, written, refs))
        found.sort(key=lambda m: (-(m.end - m.start), m.start))
        chosen: list[Match] = []
        taken = bytearray(len(text))  # 1 where a longer name was chosen: linear in the text
        for m in found:
            if not any(taken[m.start : m.end]):
                chosen.append(m)
                taken[m.start : m.end] = b"\x01" * (m.end - m.start)
        return sorted(chosen, key=lambda m: m.start)

    def country_of_ref(self, ref: Ref) -> str:
        return self.country_of.get((ref.kind, ref.key), "")

    def country_ref(self, code: str, as_written: str = "") -> Ref:
        return Ref("country", self.country_names.get(code, code), code, as_written)


def _terms(description: str) -> list[str]:
    """The topics a domain's description lists: "Oil, gas, electricity and their supply."."""
    text = description.split(".")[0]
    parts = re.split(r",|\band\b|;", text)
    terms = []
    for part in parts:
        term = part.strip().lower()
        if not term or term.startswith(_STOP_START) or len(term) < 3:
            continue
        terms.append(term)
        if term.endswith("s") and len(term) > 5 and " " not in term:
            terms.append(term[:-1])  # "loans" and "loan"
    return terms


def _demonym(name: str) -> str:
    """The adjective of a state whose name ends in "a", by the one reliable rule of English:
    Russia -> Russian, Kenya -> Kenyan, Saudi Arabia -> Saudi Arabian. (Others, "Iranian",
    "Belarusian", are aliases: no rule makes "Chinese" or "Israeli".) Wrong forms the rule
    makes ("Chinan") are harmless: no page writes them."""
    return f"{name}n" if name.endswith("a") and name.replace(" ", "").isalpha() else ""


def build() -> Gazetteer:
    """Read every country, organisation, official and domain: a few queries."""
    from relations.models import Country, Domain, Official, Organisation

    entries: dict[str, list[tuple[Ref, str]]] = {}  # pattern -> (record, exact case)
    gazetteer = Gazetteer(None)

    def add(name: str, ref_kind: str, ref_name: str, key: str, exact: bool = False) -> None:
        name = " ".join((name or "").split())
        if len(name) < 2:
            return
        exact = exact or bool(_ACRONYM.match(name))
        ref = Ref(ref_kind, ref_name, key)
        bucket = entries.setdefault(name.lower(), [])
        if all(r != ref for r, _ in bucket):
            bucket.append((ref, name if exact else ""))

    countries = list(Country.objects.values_list("code", "name", "official_name", "aliases"))
    countries.sort(key=lambda c: len(c[0]))  # current (2-letter) codes before withdrawn ones
    for code, name, official_name, aliases in countries:
        gazetteer.country_names[code] = name
        for n in (name, official_name, *(aliases or [])):
            add(n, "country", name, code)
    for code, name, _, _ in countries:  # after every name, so a demonym never shadows one
        demonym = _demonym(name) if len(code) == 2 else ""
        if demonym and demonym.lower() not in entries:
            add(demonym, "country", name, code)

    orgs = list(
        Organisation.objects.values_list("slug", "name", "short_name", "aliases", "country__code")
    )
    shorts = {name: short for _, name, short, _, _ in orgs if short}
    for slug, name, short, aliases, code in orgs:
        gazetteer.organisations.append((slug, name, code or ""))
        if code:
            gazetteer.country_of[("organisation", slug)] = code
        names = [name, short, *(aliases or [])]
        # "UN Security Council": a name that begins with another's name, shortened as it is.
        for other, other_short in shorts.items():
            for n in list(names):
                if n and n.startswith(other + " ") and n != other:
                    names.append(other_short + n[len(other) :])
        for n in names:
            add(n, "organisation", name, slug)

    officials = list(Official.objects.values_list("slug", "name", "aliases", "country__code"))
    surnames: dict[str, set[str]] = {}
    for slug, name, aliases, code in officials:
        if code:
            gazetteer.country_of[("official", slug)] = code
        for n in (name, *(aliases or [])):
            add(n, "official", name, slug)
            words = n.split()
            if len(words) > 1 and len(words[-1]) > 3 and words[-1][0].isupper():
                surnames.setdefault(words[-1], set()).add(slug)
    by_slug = {slug: name for slug, name, _, _ in officials}
    for surname, slugs in surnames.items():
        if len(slugs) == 1 and surname.lower() not in entries:
            slug = next(iter(slugs))
            add(surname, "official", by_slug[slug], slug, exact=True)

    for slug, name, description in Domain.objects.values_list("slug", "name", "description"):
        gazetteer.domains[slug] = name
        for term in (name, *_terms(description)):
            add(term, "domain", name, slug)
            gazetteer.topics.setdefault(term.casefold(), slug)

    if entries:
        automaton = ahocorasick.Automaton()
        for pattern, bucket in entries.items():
            automaton.add_word(pattern, (pattern, tuple(bucket)))
        automaton.make_automaton()
        gazetteer.automaton = automaton
    return gazetteer


_built: dict[str, Gazetteer] = {}  # this process's gazetteer, under its build's token


def load() -> Gazetteer:
    """The gazetteer of the knowledge base as it is now, built once per version.

    The automaton stays in this process (a big knowledge base's is tens of megabytes: too big to
    pickle through the shared cache on every read); the shared cache holds only a token per
    knowledge-base version (``core.cache.answer``), so a bump, or a cleared cache, means a
    new token and a fresh build.
    """
    token = cache.answer("intake-gazetteer", lambda: uuid.uuid4().hex)
    gazetteer = _built.get(token)
    if gazetteer is None:
        gazetteer = build()
        _built.clear()
        _built[token] = gazetteer
    return gazetteer
