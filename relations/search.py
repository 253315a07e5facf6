"""The timeline's search box: what it reads, and which events match.

The help text promises words (all of them), "phrases" (straight or curly quotes) and
-exclusions (-word, -"a phrase"); ``parse_search`` reads them and ``search_events`` keeps the
events that match. An event's words are its title, its summary and the quotes of the published
statements made at it, read as one: every required term somewhere in them ("oil" in the title
and "loan" in a quote finds the event), no excluded term anywhere in them. A draft statement's
words neither find nor hide its event (``relations.visibility``: only published words are
read).

On PostgreSQL by full-text search over each event's stored words (table
``relations_event_search``, one tsvector per event, which migration 0014 creates and its
triggers keep current on every write path, a bulk load's at its end (0015); no model: fixtures,
the API and history never see it); on SQLite (the one-command demo) by regular expressions that
mean the same as closely as SQLite allows.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce

from django.db import connections
from django.db.models import BooleanField, F, Func, Q, QuerySet

from relations import visibility

#: The help text's examples; each finds events in the seed (tests/reader/test_timeline.py).
SEARCH_EXAMPLES = ("Jofeir oil", "“strategic partnership”", "-nuclear")
SEARCH_HELP = (
    "In titles, summaries and the words of statements made at events: "
    f"{SEARCH_EXAMPLES[0]} (both words), {SEARCH_EXAMPLES[1]} (the phrase), "
    f"{SEARCH_EXAMPLES[2]} (without that word)"
)
MAX_TERMS = 10
_QUOTES = str.maketrans(dict.fromkeys("“”„‟«»″", '"'))
_TOKEN = re.compile(r'(-?)(?:"([^"]*)"?|(\S+))')
_EDGES = re.compile(r"^\W+|\W+$")
# The commonest of PostgreSQL's English stop words: it ignores them, and so does SQLite's search.
_STOP_WORDS = frozenset(
    re.findall(
        r"\w+",
        "a an and are as at be by for from in is it its of on or that the this to was were with",
    )
)
#: Each event's words, one row per event (migration 0014, PostgreSQL only).
TABLE = "relations_event_search"


@dataclass(frozen=True)
class Search:
    """What the search box asked: terms (words or phrases) every match holds, and terms none
    holds."""

    required: tuple[str, ...]
    excluded: tuple[str, ...]


def parse_search(text: str) -> Search:
    """Words, "phrases" (straight or curly quotes) and -exclusions (-word, -"a phrase"), as the
    help text promises; punctuation around words is dropped."""
    required: list[str] = []
    excluded: list[str] = []
    for minus, quoted, bare in _TOKEN.findall(text.translate(_QUOTES)):
        words = [_EDGES.sub("", word) for word in (quoted if quoted else bare).split()]
        term = " ".join(word for word in words if word)
        terms = excluded if minus else required
        if term and term.casefold() not in {t.casefold() for t in terms}:
            terms.append(term)
    return Search(tuple(required), tuple(excluded))


def search_events(queryset: QuerySet, search: Search, *, probe: bool = False) -> QuerySet:
    """The events of ``queryset`` whose words (see the module's docstring) hold every required
    term and no excluded one.

    PostgreSQL: the event's stored words hold ``t1 & t2 ...`` and not ``x1 | x2 ...``
    (config "english": stemmed, stop words ignored; a phrase matches its words in order), two
    conditions in the same WHERE as the other filters (see ``Holds``): the planner walks the
    timeline's date index and stops at a page of matches for a common word, or reads the GIN
    index for a rare one. A term of stop words only is held nowhere: required, nothing matches;
    excluded, nothing is left out; beside other terms, it is ignored.

    ``probe=True`` (a filter known to keep many events, ``relations.paging.probe_rows``) keeps
    the required terms' condition a check of each row walked: PostgreSQL estimates two common
    words together as rare (independent selectivities: 250 events for "nuclear agreement",
    which 48,844 of 10^7 hold) and would read every match through the GIN index, then sort.

    Elsewhere (the SQLite demo): each word matches at the start of a word, case-insensitively
    ("loan" finds "loans"), a phrase its words in order; a term at a time, in the title, the
    summary or a visible statement's quote.
    """
    if connections[queryset.db].vendor == "postgresql":
        if search.required:
            words = _tsquery(search.required, operator.and_)
            queryset = queryset.filter(Holds(F("id"), words, probe=probe))
        if search.excluded:
            queryset = queryset.exclude(Holds(F("id"), _tsquery(search.excluded, operator.or_)))
        return queryset
    required = [term for term in search.required if term.casefold() not in _STOP_WORDS]
    if search.required and not required:  # as PostgreSQL: stop words are held nowhere
        return queryset.none()
    for term in required:
        queryset = queryset.filter(_holds(term))
    for term in search.excluded:
        if term.casefold() not in _STOP_WORDS:
            queryset = queryset.exclude(_holds(term))
    return queryset


class Holds(Func):
    """Whether the event's stored words (PostgreSQL: ``relations_event_search``, migration
    0014) match a full-text query: ``Holds(F("id"), query)``, a condition for ``filter`` and
    ``exclude`` that the planner turns into a semi-join or an anti-join."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, *expressions, probe: bool = False, **extra) -> None:
        super().__init__(*expressions, **extra)
        self.probe = probe

    def as_sql(self, compiler, connection, **extra_context):
        event_id, query = (compiler.compile(e) for e in self.get_source_expressions())
        # OFFSET 0 keeps PostgreSQL from turning the EXISTS into a join (it never pulls up a
        # subquery with an OFFSET): it stays a probe of each row the date order walks.
        fence = " OFFSET 0" if self.probe else ""
        sql = (
            f"EXISTS (SELECT 1 FROM {TABLE} relata_words "
            f"WHERE relata_words.event_id = {event_id[0]} AND relata_words.search @@ {query[0]}"
            f"{fence})"
        )
        return sql, (*event_id[1], *query[1])


def _tsquery(terms: Sequence[str], combine):
    from django.contrib.postgres.search import SearchQuery

    return reduce(
        combine,
        (
            SearchQuery(term, config="english", search_type="phrase" if " " in term else "plain")
            for term in terms
        ),
    )


def _holds(term: str) -> Q:
    """SQLite: the events whose title, summary or a published statement's quote holds
    ``term``."""
    pattern = _pattern(term)
    quoted = visibility.statements().filter(event__isnull=False, quote__iregex=pattern)
    return (
        Q(title__iregex=pattern)
        | Q(summary__iregex=pattern)
        | Q(id__in=quoted.order_by().values("event_id"))
    )


def _pattern(term: str) -> str:
    """A regular expression for a word or phrase: from the start of a word, its words in order
    with anything but letters and digits between them, the last "s" or "'s" optional."""
    words = []
    for word in term.split():
        word = re.sub(r"(?i)['’]s$", "", word)
        if len(word) > 3 and word[-1] in "sS" and word[-2] not in "sS":
            word = word[:-1]
        words.append(re.escape(word))
    return r"\b" + r"\W+".join(words)
