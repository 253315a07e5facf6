"""Choosing what a dossier shows: the newest items of each section, found without reading the
whole pair.

At 10^6 events a busy pair (Belarus–Iran: 47,000 visible events) cannot be listed in full, so
each section shows its newest ``size`` items and links to the timeline for the rest.

- The items are found by *walking* each kind's claims newest first and stopping after K rows:
  PostgreSQL reads the date index backwards and probes each row's countries, so the cost is K
  divided by the pair's share of all claims, not the pair's size. K is sized from the counts
  (``reader.dossiers.counts``) so that every section gets its share; a section the walk left
  short gets one more query of its own. Small pairs, for which a walk would read most of the
  index, are read whole instead.
- Statements and agreements only matter back to the date of the events already shown, so their
  walks stop there.
- Each fact is told once (``fold``): an agreement linked to a shown event (``Event.agreements``)
  and a statement made at one are told inside that event's item, not as items of their own.

Order is one rule throughout: date bounds, then the analyst's ``sequence`` within the same date,
then the slug (never the database id, which an export and import do not keep), as
``ClaimQuerySet.chronological`` orders. The walks read newest first in exactly that order, so
what they stop at is what the final cut keeps.
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from django.db import models
from django.db.models import F

from core import cache
from core.dates import OPEN_LOWER, OPEN_UPPER
from reader.dossiers.counts import Summary
from reader.dossiers.pairs import KINDS, PairClaims, first_domain, in_section
from reader.dossiers.people import ORGANISATION_RELATED
from relations import visibility
from relations.models import Domain

# A walk reads the pair's K newest claims of a kind, K sized so that each section should get
# its share of items with this many standard deviations to spare (see Newest.walk_size).
WALK_SIGMAS = 2.0
# Past this many rows of the index to read for K of the pair's claims, read the pair whole.
WALK_BUDGET = 40_000
# Date order, newest first: the date index read backwards (an incremental sort settles ties).
NEWEST_FIRST = ("-date_lower", "-date_upper", "-sequence", "-slug")
ORDER_COLUMNS = ("date_lower", "date_upper", "sequence", "slug")
KIND_ORDER = {kind: n for n, kind in enumerate(KINDS)}  # the last resort: slugs are per kind
# Who an event or agreement is "according to" (shown with it).
ACCORDING_TO = (
    "according_to_official",
    *(f"according_to__{related}" for related in ORGANISATION_RELATED),
)

Section = int | None  # a domain's pk; None for claims in no domain


class Told(NamedTuple):
    """One item of a dossier: a claim, and the claims told inside it (an event's agreements and
    the statements made there), in date order."""

    kind: str
    claim: Any
    parts: tuple[tuple[str, Any], ...] = ()


Chosen = dict[Section, list[Told]]  # per section, its items in date order


def order_key(lower, upper, sequence: int, slug: str, kind: str = "") -> tuple:
    """Date order: open starts and undated first, then by bounds, the analyst's sequence within
    the same date, the slug."""
    return (lower or OPEN_LOWER, upper or OPEN_UPPER, sequence, slug, KIND_ORDER.get(kind, -1))


def date_order(kind: str, claim: Any) -> tuple:
    return order_key(*(getattr(claim, column) for column in ORDER_COLUMNS), kind)


def fold(
    candidates: dict[Section, list[tuple[str, Any]]],
    links: dict[int, set[int]],
    size: int,
) -> Chosen:
    """The newest ``size`` items of each section, each fact told once.

    ``candidates`` are the claims read, by section; ``links`` the agreements linked to each
    event read. A statement made at a shown event, and an agreement linked to one (to the
    earliest, if several), are that event's parts, wherever their own domains put them, and
    make no item of their own. Folding frees room in a section; cutting a section to ``size``
    may drop an event, whose parts are then told on their own: repeated until nothing moves
    (shown events only ever go, so this ends)."""
    hosts = _hosts(candidates, links)
    shown = {claim.pk for items in candidates.values() for kind, claim in items if kind == "event"}
    while True:
        host = {key: next((e for e in found if e in shown), None) for key, found in hosts.items()}
        cut = {
            section: sorted(
                (item for item in items if host.get((item[0], item[1].pk)) is None),
                key=lambda item: date_order(*item),
            )[-size:]
            for section, items in candidates.items()
        }
        kept = {claim.pk for items in cut.values() for kind, claim in items if kind == "event"}
        if kept == shown:
            break
        shown = kept
    parts: dict[int, list[tuple[str, Any]]] = defaultdict(list)
    for items in candidates.values():
        for kind, claim in items:
            if (event := host.get((kind, claim.pk))) is not None:
                parts[event].append((kind, claim))
    return {
        section: [
            Told(kind, claim, tuple(sorted(parts[claim.pk], key=lambda p: date_order(*p))))
            if kind == "event"
            else Told(kind, claim)
            for kind, claim in items
        ]
        for section, items in cut.items()
        if items
    }


def _hosts(
    candidates: dict[Section, list[tuple[str, Any]]], links: dict[int, set[int]]
) -> dict[tuple[str, int], list[int]]:
    """For each statement and agreement that may be told inside an event's item, the events
    read that it may be told in, oldest first."""
    events = {c.pk: c for items in candidates.values() for kind, c in items if kind == "event"}
    hosts: dict[tuple[str, int], list[int]] = defaultdict(list)
    for event in sorted(events.values(), key=lambda e: date_order("event", e)):
        for agreement in links.get(event.pk, ()):
            hosts["agreement", agreement].append(event.pk)
    for items in candidates.values():
        for kind, claim in items:
            if kind == "statement" and claim.event_id in events:
                hosts[kind, claim.pk].append(claim.event_id)
    return hosts


def chosen(pair: PairClaims, domains: Sequence[Domain], summary: Summary, size: int) -> Chosen:
    """``Newest(...).choose()`` at this version of the knowledge base (chosen on a miss): a
    cached public answer, as the counts it is sized from (``core.cache``). Choosing reads the
    pair's claims by date or whole (three queries, and up to some 2,000 rows for a pair of
    middling size, which costs it more than walking does the busiest); the answer is the
    hundred-odd records shown."""
    day = pair.as_of.isoformat() if pair.as_of else "now"
    return cache.answer(
        "dossier-items",
        lambda: Newest(pair, domains, summary, size).choose(),
        pair.first.code,
        pair.second.code,
        day,
        size,
    )


class Newest:
    """The newest ``size`` items of each section of a pair's dossier, in a few queries."""

    def __init__(
        self, pair: PairClaims, domains: Sequence[Domain], summary: Summary, size: int
    ) -> None:
        self.pair, self.domains, self.summary, self.size = pair, list(domains), summary, size

    def choose(self) -> Chosen:
        """Per section, its newest ``size`` items (by date), in date order, each fact once."""
        size, counts = self.size, self.summary.counts
        events = self._events()
        # A statement or agreement older than the newest `size` events of its section cannot
        # be shown; when every section they fall in has that many events, their reading can
        # stop at the oldest such date.
        since = None
        sections = {s for kind in ("agreement", "statement") for s in counts[kind]}
        if sections and all(len(events.get(s, [])) >= size for s in sections):
            since = min(events[s][size - 1][1][0] for s in sections)
        others = {
            kind: self._read(kind, self.walk_size(kind), since)
            for kind in ("agreement", "statement")
        }
        # (an event no longer visible since the walk read it is simply not there)
        loaded, links = self._load_events([pk for rows in events.values() for pk, _ in rows])
        candidates: dict[Section, list[tuple[str, Any]]] = defaultdict(list)
        for section, rows in events.items():
            candidates[section] += [("event", loaded[pk]) for pk, _ in rows if pk in loaded]
        for kind, by_section in others.items():
            for section, claims in by_section.items():
                candidates[section] += [(kind, claim) for claim in claims]
        return fold(candidates, links, size)

    @staticmethod
    def _load_events(pks: list[int]) -> tuple[dict[int, Any], dict[int, set[int]]]:
        """The chosen events, with who they are according to, and the agreements linked to each
        (one query: a row per event and linked agreement)."""
        loaded: dict[int, Any] = {}
        links: dict[int, set[int]] = defaultdict(set)
        rows = (
            visibility.events()
            .filter(pk__in=pks)
            .select_related(*ACCORDING_TO)
            .annotate(linked_agreement=F("agreements"))
            .order_by()
        )
        for event in rows:
            loaded.setdefault(event.pk, event)
            if event.linked_agreement is not None:
                links[event.pk].add(event.linked_agreement)
        return loaded, links

    def walk_size(self, kind: str) -> int | None:
        """How many of the pair's newest claims of ``kind`` to read, or None to read them all.

        If a section's share of the newest claims is its share ``p`` of all of them, the newest
        K hold a binomial count of it, mean ``m = K p``; asking ``m - z sqrt(m) >= want``
        (z = WALK_SIGMAS) leaves a section short about 2% of the time, and a short section
        costs one more query. A walk reads about ``K * universe / total`` rows of the index:
        past WALK_BUDGET (a pair too rare for its claims to turn up soon), or when K reaches
        the pair's total, the pair is read whole instead.
        """
        counts = self.summary.counts[kind]
        total = sum(counts.values())
        if not total:
            return None
        z = WALK_SIGMAS
        k = 0
        for t in counts.values():
            if t:
                want = min(t, self.size)
                mean = ((z + math.sqrt(z * z + 4 * want)) / 2) ** 2
                k = max(k, math.ceil(mean * total / t))
        if k >= total or k * self.summary.universe.get(kind, 0) / total > WALK_BUDGET:
            return None
        return k

    # -- Reading -----------------------------------------------------------------------------
    def _events(self) -> dict[Section, list[tuple[int, tuple]]]:
        """Per section, the newest events as (pk, order key), newest first.

        Only the date columns, the order within a date and the link tables are read here; the
        chosen events are loaded afterwards, which for a pair read whole saves loading
        thousands of rows to show a hundred.
        """
        found = self._read("event", self.walk_size("event"))
        return {
            section: sorted(rows, key=lambda r: r[1], reverse=True)[: self.size]
            for section, rows in found.items()
        }

    def _read(
        self, kind: str, k: int | None, since: datetime.date | None = None
    ) -> dict[Section, list]:
        """The pair's claims of ``kind`` by section: all of them (k None), or the newest k
        (then the newest of each section a walk left short), or all back to ``since``."""
        if k is None:
            return self._by_rows(kind, self._rows(self.pair.claims(kind), kind).order_by())
        claims = self._rows(self.pair.claims(kind, walk=True, part="dated"), kind)
        if since is not None:  # nothing older can be shown: read back to there
            rows = claims.filter(date_lower__gte=since).order_by(*NEWEST_FIRST)
            return self._by_rows(kind, rows)
        rows = list(claims.order_by(*NEWEST_FIRST)[:k])
        found = self._by_rows(kind, rows)
        bottom = len(rows) < k
        if not bottom:
            extra, bottom = self._short_sections(kind, found)
            found.update(extra)
        if bottom:
            # The walk followed the dated claims to the last; undated and open-started ones,
            # which come after them, are read apart (see PairClaims.claims).
            undated = self._rows(self.pair.claims(kind, walk=True, part="undated"), kind)
            for section, more in self._by_rows(kind, undated.order_by()).items():
                found[section] = found.get(section, []) + more
        return found

    def _short_sections(
        self, kind: str, found: dict[Section, list]
    ) -> tuple[dict[Section, list], bool]:
        """Sections a stopped walk left with fewer items than they have: one query each, rare
        by construction (the walk is sized for every section). Also says whether any of them
        reached the bottom of the dated claims."""
        size, extra, bottom = self.size, {}, False
        for section, total in self.summary.counts[kind].items():
            if len(found.get(section, [])) >= min(total, size):
                continue
            claims = self._rows(self.pair.claims(kind, walk=True, part="dated"), kind)
            claims = claims.filter(in_section(self._rank(section)))
            rows = list(claims.order_by(*NEWEST_FIRST)[:size])
            extra[section] = self._by_rows(kind, rows).get(section, [])
            bottom = bottom or len(rows) < size
        return extra, bottom

    def _rows(self, claims: models.QuerySet, kind: str) -> models.QuerySet:
        """Events as (rank, pk, order columns) rows; agreements and statements as whole rows,
        ready to show."""
        claims = claims.annotate(rank=first_domain(kind, self.domains))
        if kind == "event":
            return claims.values_list("rank", "pk", *ORDER_COLUMNS)
        if kind == "statement":
            speaker = (f"speaker_organisation__{r}" for r in ORGANISATION_RELATED)
            return claims.select_related("speaker", *speaker, "event")
        return claims.select_related(*ACCORDING_TO)

    def _by_rows(self, kind: str, rows: Iterable) -> dict[Section, list]:
        """Rows grouped by section: (pk, order key) for events, claims for the others."""
        grouped: dict[Section, list] = defaultdict(list)
        if kind == "event":
            for rank, pk, *columns in rows:
                grouped[self._section(rank)].append((pk, order_key(*columns, "event")))
        else:
            for claim in rows:
                grouped[self._section(claim.rank)].append(claim)
        return grouped

    def _section(self, rank: int | None) -> Section:
        """The domain pk of a rank (an index in ``self.domains``); None for no domain."""
        return self.domains[rank].pk if rank is not None else None

    def _rank(self, section: Section) -> int | None:
        return [d.pk for d in self.domains].index(section) if section is not None else None
