"""The country index and a country's page.

A country's rankings (its partners by number of visible events, its most active organisations
and officials) are a GROUP BY over a million-row join at scale (about a second for Belarus at
10^6 events): a cached public answer, kept under the knowledge base's version (``core.cache``),
so the first request after a change readers can see ranks afresh. Newest events are found by
the published-events index for busy countries and by collecting and sorting the country's own
events for everyone else (see ``common.newest``, ``common.newest_by_index``).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.generic import TemplateView

from core import cache
from reader.pages import jinja
from reader.pages.common import (
    EVENT_LIMIT,
    LIST_LIMIT,
    also_written,
    capped,
    dated,
    domained,
    labelled,
    memberships_of,
    newest,
    newest_by_index,
    number_notes,
    with_domains,
)
from relations import presentation, visibility
from relations.filters import about, events_about
from relations.models import Country, Event
from relations.paging import probe_rows

#: Partners ranked on a country page.
PARTNER_LIMIT = 20
#: Organisations and officials named on a country page.
ACTOR_LIMIT = 8
#: A country in more events than this finds its newest ones by walking the published-events
#: index backwards; one in fewer collects its events and sorts them (see CountryView).
BUSY_COUNTRY = 5000


class CountryIndexView(TemplateView):
    """Every country, current ones by initial letter, withdrawn states apart. One query."""

    template_name = "reader/pages/country_index.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        sort_name = presentation.sort_name
        countries = sorted(
            Country.objects.only("code", "name", "official_name", "withdrawn"),
            key=lambda c: sort_name(c.name),
        )
        letters: dict[str, list[Country]] = {}
        for country in countries:
            if country.withdrawn is None:
                letters.setdefault(sort_name(country.name)[:1].upper(), []).append(country)
        context["letters"] = list(letters.items())
        context["withdrawn"] = [c for c in countries if c.withdrawn is not None]
        context["current_count"] = sum(len(group) for group in letters.values())
        return context


def country_summary(country: Country) -> dict[str, Any]:
    """A country's rankings at this version of the knowledge base (ranked on a miss)."""
    return cache.answer("country-summary", lambda: rank(country), country.code)


def rank(country: Country) -> dict[str, Any]:
    """A country's partners ranked by visible events, its most active organisations and
    officials, and whether it is busy."""
    visible = visibility.events()
    # One GROUP BY over the event–country table joined to itself: the other country of every
    # visible event this one took part in ((event, country) is unique, so rows are events).
    partners = (
        Event.countries.through.objects.filter(event__in=visible.involving(country))
        .exclude(country=country)
        .values("country__code", "country__name")
        .annotate(events=Count("id"))
        .order_by("-events", "country__name")[:PARTNER_LIMIT]
    )
    organisations = (
        Event.organisations.through.objects.filter(event__in=visible, organisation__country=country)
        .values("organisation__slug", "organisation__name", "organisation__short_name")
        .annotate(events=Count("id"))
        .order_by("-events", "organisation__name")[:ACTOR_LIMIT]
    )
    officials = (
        Event.officials.through.objects.filter(event__in=visible, official__country=country)
        .values("official__slug", "official__name")
        .annotate(events=Count("id"))
        .order_by("-events", "official__name")[:ACTOR_LIMIT]
    )
    taking_part = Event.countries.through.objects.filter(country=country).count()
    return {
        # How to find its newest events (drafts included: a plan hint, never shown; an
        # index-only count, 16 ms for Belarus where counting visible events takes 300 ms).
        "busy": taking_part > BUSY_COUNTRY,
        "probed": probe_rows(taking_part),
        "partners": [
            {
                "code": row["country__code"],
                "name": row["country__name"],
                "events": row["events"],
                "dossier": presentation.dossier_url(country.code, row["country__code"]),
            }
            for row in partners
        ],
        "organisations": [
            {
                "slug": row["organisation__slug"],
                "name": row["organisation__name"],
                "short_name": row["organisation__short_name"],
                "events": row["events"],
            }
            for row in organisations
        ],
        "officials": [
            {"slug": row["official__slug"], "name": row["official__name"], "events": row["events"]}
            for row in officials
        ],
    }


class CountryView(TemplateView):
    """A country: its facts and memberships, partners ranked, newest events, most active
    bodies and people."""

    template_name = "reader/pages/country.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        country = get_object_or_404(Country, code=self.kwargs["code"])
        summary = country_summary(country)
        # As the timeline's country filter: what it took part in, or what concerns one of its
        # relationships (so the page's link to the timeline shows the same events). A busy
        # country walks the date index, testing each event; a quiet one gathers its own.
        if summary["busy"]:
            probe = summary.get("probed", False)  # (not in a summary cached before it was)
            recent = newest_by_index(visibility.events().filter(about([country], probe=probe)))
        else:
            recent = newest(visibility.events().filter(id__in=events_about([country])))
        events = list(with_domains(recent)[:EVENT_LIMIT])
        domained(events)
        memberships, more_memberships = capped(memberships_of(member_country=country), LIST_LIMIT)
        labelled(*(m.organisation for m in memberships))
        dated(memberships, events)
        context.update(
            country=country,
            aliases=also_written(country.aliases, country.name, country.official_name),
            summary=summary,
            memberships=memberships,
            more_memberships=more_memberships,
            list_limit=LIST_LIMIT,
            events=events,
            notes=number_notes(memberships, events),  # the page's order
            event_limit=EVENT_LIMIT,
            timeline_url=f"{reverse('timeline')}?country={country.code.lower()}",
        )
        context["body"] = jinja.render("reader/pages/country.html", **context)
        return context
