"""Which claims belong to a pair of countries, optionally as they stood on a date.

A claim belongs to a pair when both states take part in it, or when it *concerns* the pair's
relationship (``concerns``: the censure of Iran by the UN, the EU and the US bears on
Belarus–Iran relations though Belarus took no part):

- events: the visible events both countries took part in, or that concern the pair;
- agreements: both countries among the parties, or party organisations of both countries, or
  related to one of the pair's events, or concerning the pair;
- statements: about both countries (``Statement.countries``), or made at one of the pair's
  events, or concerning the pair.

Visible claims only, and through visible claims only (``relations.visibility``): an agreement
related to a draft event of the pair, or a statement made there, belongs to the pair only by
another way.
"""

from __future__ import annotations

import datetime
import operator
from collections.abc import Sequence
from functools import reduce
from typing import Any

from django.db import models
from django.db.models import Case, Exists, Min, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.dates import OPEN_LOWER
from relations import visibility
from relations.models import Agreement, Country, Domain, Event, Relationship, Statement
from relations.paging import per_row

KINDS = ("event", "agreement", "statement")
MODELS: dict[str, type[models.Model]] = {
    "event": Event,
    "agreement": Agreement,
    "statement": Statement,
}


# --- As of a date -------------------------------------------------------------------------------
def _end_of(day: datetime.date) -> datetime.datetime:
    """The first instant after ``day``, in the site's time zone."""
    return timezone.make_aware(
        datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)
    )


def dated_by(as_of: datetime.date | None, field: str = "date") -> Q:
    """Claims with a date that starts (on or before ``as_of``): a plain range of the date
    index, which a walk can follow backwards. NULL is not greater than anything.

    ``field`` may be reached through a relation ("position__start")."""
    condition = Q(**{f"{field}_lower__gt": OPEN_LOWER})
    return condition & Q(**{f"{field}_lower__lte": as_of}) if as_of else condition


def undated_by(as_of: datetime.date | None, field: str = "date") -> Q:
    """Claims with no date or an open start ("until 2010") (entered by the end of ``as_of``)."""
    lower = f"{field}_lower"
    relation = field.rpartition("__")[0]
    created = f"{relation}__created" if relation else "created"
    condition = Q(**{f"{lower}__isnull": True}) | Q(**{lower: OPEN_LOWER})
    return condition & Q(**{f"{created}__lt": _end_of(as_of)}) if as_of else condition


def known_by(as_of: datetime.date, field: str = "date") -> Q:
    """Claims as they stood at the end of ``as_of``: dated on or before it, or (undated or
    open-started) entered by then."""
    return dated_by(as_of, field) | undated_by(as_of, field)


# --- The pair's claims --------------------------------------------------------------------------
class PairClaims:
    """The visible claims of a pair of countries, optionally as they stood on a date."""

    def __init__(self, first: Country, second: Country, as_of: datetime.date | None) -> None:
        self.first, self.second, self.as_of = first, second, as_of
        self.slug = Relationship.slug_for(first, second)

    def _branches(self, kind: str) -> list[tuple[models.QuerySet, str]]:
        """Each way a claim of ``kind`` belongs to the pair, as (queryset, claim id column).

        "Concerns" goes through the relationship's slug (``by-ir``): a pair with no
        Relationship record simply has no claims that concern it. Few claims concern a given
        pair, so those branches are small sets, cheap to probe or hash either way."""
        a, b, slug = self.first, self.second, self.slug
        model = MODELS[kind]
        concerning = (model.concerns.through.objects.filter(relationship__slug=slug), f"{kind}_id")
        if kind == "event":
            both = Event.countries.through.objects.filter(country=a).filter(event__countries=b)
            return [(both, "event_id"), concerning]
        at_event = visibility.claim_q(Event, "event__")
        at_pair_event = at_event & Q(event__countries=a)
        at_concerning_event = at_event & Q(event__concerns__slug=slug)
        if kind == "statement":
            return [
                (Statement.objects.filter(countries=a).filter(countries=b), "pk"),
                (Statement.objects.filter(at_pair_event).filter(event__countries=b), "pk"),
                concerning,
                (Statement.objects.filter(at_concerning_event), "pk"),
            ]
        related = Event.agreements.through.objects
        return [
            (Agreement.objects.filter(countries=a).filter(countries=b), "pk"),
            (
                Agreement.objects.filter(organisations__country=a).filter(organisations__country=b),
                "pk",
            ),
            (related.filter(at_pair_event).filter(event__countries=b), "agreement_id"),
            concerning,
            (related.filter(at_concerning_event), "agreement_id"),
        ]

    def claims(self, kind: str, *, walk: bool = False, part: str = "known") -> models.QuerySet:
        """The pair's visible claims of ``kind``.

        Read whole, the branches are a union of id sets, each driven by its own index (cheap for
        a small pair). Walked, they are per-row tests, so reading stops with the LIMIT.

        ``part`` is "known" (all of them, or all known on the "as of" date), "dated" (those
        with a date that starts, on or before the "as of" date: what a walk follows, newest
        first, along the date index) or "undated" (undated or open-started ones, entered by
        the "as of" date: they sort oldest, so a walk needs them only when it reaches the
        bottom). One condition for all would sort NULLs against the index's order and, as of a
        date, need each row's ``created``: either rules out a walk.
        """
        if walk:
            condition = reduce(
                operator.or_,
                (
                    Exists(per_row(qs.filter(**{column: OuterRef("pk")})))
                    for qs, column in self._branches(kind)
                ),
            )
            claims = visibility.claims(MODELS[kind]).filter(condition)
        else:
            ids = [qs.values(column) for qs, column in self._branches(kind)]
            claims = visibility.claims(MODELS[kind]).filter(pk__in=ids[0].union(*ids[1:]))
        if part == "dated":
            claims = claims.filter(dated_by(self.as_of))
        elif part == "undated":
            claims = claims.filter(undated_by(self.as_of))
        elif self.as_of:
            claims = claims.filter(known_by(self.as_of))
        return claims


# --- Sections -----------------------------------------------------------------------------------
def first_domain(kind: str, domains: Sequence[Domain], outer: str = "pk") -> Any:
    """The index in ``domains`` (in Domain order) of a claim's first domain; NULL if none.

    A claim in several domains is told in the section of its first domain (by position) only,
    so that each fact is told once and each of its footnotes numbered once: the seed's gas row
    with Russia (energy and diplomatic) appears under Energy alone. A statement with no domain
    of its own is told with the event it was made at, if a reader may see that event.
    """
    if not domains:
        return Value(None, output_field=models.IntegerField())
    through = MODELS[kind].domains.through
    rank = Case(
        *(When(domain_id=d.pk, then=Value(n)) for n, d in enumerate(domains)),
        output_field=models.IntegerField(),
    )
    links = through.objects.filter(**{kind: OuterRef(outer)})
    if outer != "pk":  # another claim's domains (a statement's event): only a visible one's
        links = links.filter(visibility.claim_q(MODELS[kind], f"{kind}__"))
    own = Subquery(
        links.values(kind).annotate(rank=Min(rank)).values("rank"),
        output_field=models.IntegerField(),
    )
    if kind == "statement":
        return Coalesce(own, first_domain("event", domains, outer="event_id"))
    return own


def in_section(rank: int | None) -> Q:
    """Claims annotated with ``rank=first_domain(...)`` whose first domain has this index."""
    return Q(rank__isnull=True) if rank is None else Q(rank=rank)
