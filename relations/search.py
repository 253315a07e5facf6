"""The timeline's search box: what it reads, and which events match.

The help text promises words (all of them), "phrases" (straight or curly quotes) and
-exclusions (-word, -"a phrase"); ``parse_search`` reads them and ``search_events`` keeps the
events that match, on PostgreSQL by full-text search and on SQLite (the one-command demo) by
regular expressions that mean the same as closely as SQLite allows. An event is found through
its title and summary, and through the words of the visible statements made at it.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce

from django.db import connections
from django.db.models import Q, QuerySet

from relations import visibility
from relations.models import Event

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


def search_events(queryset: QuerySet, search: Search) -> QuerySet:
    """The events of ``queryset`` that hold every required term and no excluded one.

    An event's documents are its title with its summary, and the words of each visible
    statement made at it: the required terms must all be in one of them (as PostgreSQL's
    full-text search matches one document), an excluded term in none.
    """
    if search.required:
        queryset = queryset.filter(id__in=_event_ids(search.required, queryset.db, every=True))
    if search.excluded:
        queryset = queryset.exclude(id__in=_event_ids(search.excluded, queryset.db, every=False))
    return queryset


def _event_ids(terms: Sequence[str], using: str, *, every: bool) -> QuerySet:
    """Ids of events one of whose documents holds every one (or any one) of ``terms``.

    PostgreSQL: full-text search (config "english": stemmed, stop words ignored; a phrase
    matches its words in order), each side backed by a GIN expression index from migration
    0008 whose expression is exactly the one compiled here. Elsewhere (the SQLite demo): each
    word matches at the start of a word, case-insensitively ("loan" finds "loans"), a phrase its
    words in order. One semi-join over a UNION: each side uses its own index.
    """
    combine = operator.and_ if every else operator.or_
    statements = visibility.statements().filter(event__isnull=False)
    if connections[using].vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchVector

        query = reduce(
            combine,
            (SearchQuery(term, config="english", search_type=_search_type(term)) for term in terms),
        )
        events = Event.objects.annotate(
            search=SearchVector("title", "summary", config="english")
        ).filter(search=query)
        statements = statements.annotate(search=SearchVector("quote", config="english")).filter(
            search=query
        )
    else:
        patterns = [_pattern(term) for term in terms if term.casefold() not in _STOP_WORDS]
        if not patterns:  # only stop words: as PostgreSQL, ignored (nothing holds them)
            return Event.objects.none().values("id")
        events = Event.objects.filter(
            reduce(combine, (Q(title__iregex=p) | Q(summary__iregex=p) for p in patterns))
        )
        statements = statements.filter(reduce(combine, (Q(quote__iregex=p) for p in patterns)))
    return events.order_by().values("id").union(statements.order_by().values("event_id"), all=True)


def _search_type(term: str) -> str:
    return "phrase" if " " in term else "plain"


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
