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
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import models

from core.dates import OPEN_LOWER, OPEN_UPPER
from reader.dossiers.counts import Summary
from reader.dossiers.pairs import KINDS, PairClaims, first_domain, in_section
from relations import visibility
from relations.models import Domain

# A walk reads the pair's K newest claims of a kind, K sized so that each section should get
# its share of items with this many standard deviations to spare (see Newest.walk_size).
WALK_SIGMAS = 2.0
# Past this many rows of the index to read for K of the pair's claims, read the pair whole.
WALK_BUDGET = 40_000
NEWEST_FIRST = ("-date_lower", "-pk")  # the date index's order, read backwards
# Same date: the event first, then what was agreed and said there.
KIND_ORDER = {kind: n for n, kind in enumerate(KINDS)}

Section = int | None  # a domain's pk; None for claims in no domain
Chosen = dict[Section, list[tuple[str, Any]]]  # per section, (kind, claim) in date order


def date_order(kind: str, claim: Any) -> tuple:
    """Date order: open starts and undated first, then by bounds; events before what was
    agreed or said at the same date."""
    return (
        claim.date_lower or OPEN_LOWER,
        claim.date_upper or OPEN_UPPER,
        KIND_ORDER[kind],
        claim.pk,
    )


class Newest:
    """The newest ``size`` items of each section of a pair's dossier, in a few queries."""

    def __init__(
        self, pair: PairClaims, domains: Sequence[Domain], summary: Summary, size: int
    ) -> None:
        self.pair, self.domains, self.summary, self.size = pair, list(domains), summary, size

    def choose(self) -> Chosen:
        """Per section, its newest ``size`` items (by start date), in date order."""
        size, counts = self.size, self.summary.counts
        events = self._events()
        # A statement or agreement older than the newest `size` events of its section cannot
        # be shown; when every section they fall in has that many events, their reading can
        # stop at the oldest such date.
        since = None
        sections = {s for kind in ("agreement", "statement") for s in counts[kind]}
        if sections and all(len(events.get(s, [])) >= size for s in sections):
            since = min(events[s][size - 1][1] for s in sections)
        others = {
            kind: self._read(kind, self.walk_size(kind), since)
            for kind in ("agreement", "statement")
        }
        # (an event no longer visible since the walk read it is simply not there)
        loaded = visibility.events().in_bulk([pk for rows in events.values() for pk, _ in rows])
        chosen: Chosen = defaultdict(list)
        for section, rows in events.items():
            chosen[section] += [("event", loaded[pk]) for pk, _ in rows if pk in loaded]
        for kind, by_section in others.items():
            for section, claims in by_section.items():
                chosen[section] += [(kind, claim) for claim in claims]
        return {
            section: sorted(items, key=lambda item: date_order(*item))[-size:]
            for section, items in chosen.items()
        }

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
    def _events(self) -> dict[Section, list[tuple[int, Any]]]:
        """Per section, the newest events as (pk, date_lower), newest first.

        Only the index and the link tables are read here (a walk is an index-only scan); the
        chosen events are loaded afterwards, which for a pair read whole saves loading
        thousands of rows to show a hundred.
        """
        found = self._read("event", self.walk_size("event"))
        return {
            section: sorted(rows, key=lambda r: (r[1], r[0]), reverse=True)[: self.size]
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
        """Events as (rank, pk, date_lower) rows; agreements and statements as whole rows,
        ready to show."""
        claims = claims.annotate(rank=first_domain(kind, self.domains))
        if kind == "event":
            return claims.values_list("rank", "pk", "date_lower")
        if kind == "statement":
            return claims.select_related("speaker", "speaker_organisation", "event")
        return claims

    def _by_rows(self, kind: str, rows: Iterable) -> dict[Section, list]:
        """Rows grouped by section: (pk, date_lower) for events, claims for the others."""
        grouped: dict[Section, list] = defaultdict(list)
        if kind == "event":
            for rank, pk, date_lower in rows:
                grouped[self._section(rank)].append((pk, date_lower))
        else:
            for claim in rows:
                grouped[self._section(claim.rank)].append(claim)
        return grouped

    def _section(self, rank: int | None) -> Section:
        """The domain pk of a rank (an index in ``self.domains``); None for no domain."""
        return self.domains[rank].pk if rank is not None else None

    def _rank(self, section: Section) -> int | None:
        return [d.pk for d in self.domains].index(section) if section is not None else None
