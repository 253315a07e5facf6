"""The relationships index: the pairs of countries with the most visible events.

One GROUP BY over the event–country link table joined to itself (each pair once, by
``country_id <`` its partner) and to the visible events: about 1.7 s at 10^6 events, so the
ranking is a cached public answer, kept under the knowledge base's version (``core.cache``):
any change readers can see makes the next request rank afresh.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, F

from core import cache
from reader.dossiers.build import pair_name
from relations import presentation, visibility
from relations.models import Country, Event

# How many pairs the index ranks.
INDEX_SIZE = 100


def busiest(limit: int = INDEX_SIZE) -> list[dict[str, Any]]:
    """The busiest relationships at this version of the knowledge base (ranked on a miss)."""
    return cache.answer("relationships", lambda: rank(limit), limit)


def rank(limit: int = INDEX_SIZE) -> list[dict[str, Any]]:
    """The pairs of countries with the most visible events, busiest first."""
    links = Event.countries.through.objects.filter(visibility.claim_q(Event, "event__"))
    # Grouped by the two ids only: grouping by names too makes the rows to sort wider, and
    # the sort spills to disk (1.1 s more at 10^6 events). The names come in a second query.
    pairs = list(
        links.annotate(partner=F("event__countries"))
        .filter(partner__gt=F("country_id"))
        .values_list("country_id", "partner")
        .annotate(events=Count("pk"))
        .order_by("-events", "country_id", "partner")[:limit]
    )
    countries = Country.objects.in_bulk({pk for pair in pairs for pk in pair[:2]})
    result = []
    for first_id, second_id, events in pairs:
        first, second = sorted((countries[first_id], countries[second_id]), key=lambda c: c.code)
        result.append(
            {
                "name": pair_name(first, second),
                "url": presentation.dossier_url(first.code, second.code),
                "codes": f"{first.code}–{second.code}",
                "events": events,
            }
        )
    return result
