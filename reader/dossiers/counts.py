"""A dossier's counts: per kind and section, the years it spans, and each kind's universe.

The counts need every claim of the pair: about a second of work for the busiest pair at 10^6
events, in one query. They are one of the public answers kept in the cache under the knowledge
base's version (``core.cache``), so the first request after a change that readers can see
counts afresh, and no request before it does.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import models
from django.db.models import Case, Count, F, Max, Min, Value, When

from core import cache
from core.dates import OPEN_LOWER, OPEN_UPPER
from reader.dossiers.pairs import KINDS, MODELS, PairClaims, first_domain
from relations.models import Domain


@dataclass
class Summary:
    """The counts of a dossier: per kind and section (a domain's pk, None for none), the span,
    and each kind's universe: how many claims of that kind there are, drafts included, to tell
    a busy pair from a rare one. The universe sizes a walk (``newest.Newest.walk_size``) and is
    never shown; counting every row is an index-only scan, where counting the visible ones
    would join each statement to its event (680 ms instead of 30 ms at 10^6 events)."""

    counts: dict[str, dict[int | None, int]]
    universe: dict[str, int]
    first: datetime.date | None
    last: datetime.date | None

    def total(self, kind: str) -> int:
        return sum(self.counts.get(kind, {}).values())

    def section_total(self, section: int | None) -> int:
        return sum(self.counts.get(kind, {}).get(section, 0) for kind in KINDS)


def summary(pair: PairClaims, domains: Sequence[Domain]) -> Summary:
    """The pair's counts at this version of the knowledge base (computed on a miss)."""
    day = pair.as_of.isoformat() if pair.as_of else "now"
    return cache.answer(
        "dossier-summary", lambda: count(pair, domains), pair.first.code, pair.second.code, day
    )


def count(pair: PairClaims, domains: Sequence[Domain]) -> Summary:
    """Per kind and first domain: how many, the earliest start and the latest end; and each
    kind's universe (see ``Summary``). One query (a UNION ALL of grouped counts)."""
    dated_from = Min(Case(When(date_lower__gt=OPEN_LOWER, then=F("date_lower"))))
    dated_to = Max(Case(When(date_upper__lt=OPEN_UPPER, then=F("date_upper"))))
    no_date = Value(None, output_field=models.DateField())
    parts = []
    for kind in KINDS:
        parts.append(
            pair.claims(kind)
            .annotate(claim_kind=Value(kind), section=first_domain(kind, domains))
            .values_list("claim_kind", "section")
            .annotate(n=Count("pk"), first=dated_from, last=dated_to)
            .order_by()
        )
        parts.append(
            MODELS[kind]
            .objects.annotate(
                claim_kind=Value(f"all {kind}s"),
                section=Value(None, output_field=models.IntegerField()),
            )
            .values_list("claim_kind", "section")
            .annotate(n=Count("pk"), first=no_date, last=no_date)
            .order_by()
        )
    rows = parts[0].union(*parts[1:], all=True).order_by()
    counts: dict[str, dict[int | None, int]] = {kind: {} for kind in KINDS}
    universe: dict[str, int] = {}
    firsts, lasts = [], []
    for kind, rank, n, first, last in rows:
        if kind.startswith("all "):
            universe[kind[4:-1]] = n
            continue
        section = domains[rank].pk if rank is not None else None
        counts[kind][section] = counts[kind].get(section, 0) + n
        firsts += [first] if first else []
        lasts += [last] if last else []
    return Summary(counts, universe, min(firsts, default=None), max(lasts, default=None))
