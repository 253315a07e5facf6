"""The pages of organisations, officials, agreements and events."""

from __future__ import annotations

import itertools

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.generic import TemplateView

from core import cache
from reader.pages import jinja
from reader.pages.common import (
    DESCRIBED,
    DOMAINS_IN_ORDER,
    EVENT_LIMIT,
    LIST_LIMIT,
    also_written,
    capped,
    dated,
    domained,
    labelled,
    members_of,
    memberships_of,
    newest,
    number_notes,
    with_domains,
)
from relations import presentation, visibility
from relations.models import Agreement, Country, Event, Official, Organisation, Statement

#: Dossier links on an event page (every pair of its countries, up to this many).
PAIR_LIMIT = 6
#: Members listed on an organisation's page (the UN has 193).
MEMBER_LIMIT = 200


# --- Organisations and officials --------------------------------------------------------------
def organisation_structure(organisation: Organisation) -> dict:
    """An organisation's members, its own memberships, the posts in it (each capped, with
    whether there are more) and its sub-bodies, at this version of the knowledge base: a
    cached public answer (``core.cache``), as a country's rankings are. Four queries on a miss;
    what changes with every event (its newest events, agreements, words) is read each time."""
    return cache.answer("organisation-structure", lambda: structure(organisation), organisation.pk)


def structure(organisation: Organisation) -> dict:
    return {
        "members": capped(members_of(organisation), MEMBER_LIMIT),
        "member_of": capped(memberships_of(member_organisation=organisation), LIST_LIMIT),
        "positions": capped(
            visibility.positions()
            .filter(organisation=organisation)
            .select_related("official", "country")
            .chronological(),
            LIST_LIMIT,
        ),
        "children": list(Organisation.objects.filter(parent=organisation).order_by("name")),
    }


class OrganisationView(TemplateView):
    template_name = "reader/pages/organisation.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        organisation = get_object_or_404(
            Organisation.objects.select_related("country", "parent", "location"),
            slug=self.kwargs["slug"],
        )
        structure = organisation_structure(organisation)
        members, more_members = structure["members"]
        member_of, more_member_of = structure["member_of"]
        positions, more_positions = structure["positions"]
        events = list(
            with_domains(newest(visibility.events().filter(organisations=organisation)))[
                :EVENT_LIMIT
            ]
        )
        domained(events)
        agreements, more_agreements = capped(
            newest(visibility.agreements().filter(organisations=organisation)), LIST_LIMIT
        )
        statements, more_statements = capped(
            newest(
                visibility.statements()
                .filter(speaker_organisation=organisation)
                .select_related("speaker", "event")
            ),
            LIST_LIMIT,
        )
        for statement in statements:
            statement.public_event = visibility.event_of(statement)
            statement.speaker_organisation = organisation  # labelled with it
        labelled(organisation, *(m.member_organisation for m in members))
        labelled(*(m.organisation for m in member_of))
        dated(members, member_of, positions, events, agreements, statements)
        # In the page's order.
        notes = number_notes(members, member_of, positions, events, agreements, statements)
        context.update(
            organisation=organisation,
            children=structure["children"],
            aliases=also_written(organisation.aliases, organisation.name, organisation.short_name),
            members=members,
            more_members=more_members,
            member_of=member_of,
            more_member_of=more_member_of,
            member_limit=MEMBER_LIMIT,
            positions=positions,
            more_positions=more_positions,
            events=events,
            agreements=agreements,
            more_agreements=more_agreements,
            statements=statements,
            more_statements=more_statements,
            notes=notes,
            event_limit=EVENT_LIMIT,
            list_limit=LIST_LIMIT,
            timeline_url=f"{reverse('timeline')}?organisation={organisation.slug}",
        )
        context["body"] = jinja.render("reader/pages/organisation.html", **context)
        return context


class OfficialView(TemplateView):
    template_name = "reader/pages/official.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        official = get_object_or_404(
            Official.objects.select_related("country"), slug=self.kwargs["slug"]
        )
        positions, more_positions = capped(
            visibility.positions()
            .filter(official=official)
            .select_related("country", *(f"organisation__{f}" for f in DESCRIBED))
            .chronological(),
            LIST_LIMIT,
        )
        statements, more_statements = capped(
            newest(
                visibility.statements()
                .filter(speaker=official)
                .select_related("event", *(f"speaker_organisation__{f}" for f in DESCRIBED))
            ),
            LIST_LIMIT,
        )
        for statement in statements:
            statement.public_event = visibility.event_of(statement)
            statement.speaker = official  # (not read again for each)
        labelled(*(p.organisation for p in positions))
        labelled(*(s.speaker_organisation for s in statements))
        events = list(
            with_domains(newest(visibility.events().filter(officials=official)))[:EVENT_LIMIT]
        )
        domained(events)
        dated(positions, statements, events)
        notes = number_notes(positions, statements, events)
        context.update(
            official=official,
            aliases=also_written(official.aliases, official.name),
            positions=positions,
            more_positions=more_positions,
            statements=statements,
            more_statements=more_statements,
            events=events,
            notes=notes,
            event_limit=EVENT_LIMIT,
            list_limit=LIST_LIMIT,
            timeline_url=f"{reverse('timeline')}?official={official.slug}",
        )
        context["body"] = jinja.render("reader/pages/official.html", **context)
        return context


# --- Agreements and events --------------------------------------------------------------------
def stage_history(agreement: Agreement) -> tuple[dict | None, list[dict]]:
    """The agreement's stage as first recorded, and each later change of it, read from its
    django-simple-history rows (oldest first).

    Only versions a reader could see count: edits while a draft (or under review) are the
    analysts' business, and a change made then shows at the next visible version. The first
    visible row is a baseline, not a change: the stage the record was entered (or published)
    with, or, for a record loaded from a fixture (which writes no history of its own), the
    stage when its history began. Every later row whose stage differs from the row before is
    a change.
    """
    labels = dict(Agreement.Stage.choices)
    first, changes, previous = None, [], None
    # A version is a row of the agreement's own fields: the rule for an agreement applies.
    rows = (
        agreement.history.filter(visibility.claim_q(Agreement))
        .order_by("history_date", "history_id")
        .values_list("history_date", "history_type", "stage")
    )
    for history_date, history_type, stage in rows:
        if first is None:
            first = {
                "date": history_date,
                "stage": labels.get(stage, stage),
                "entered": history_type == "+",
            }
        elif stage != previous:
            changes.append(
                {
                    "date": history_date,
                    "stage": labels.get(stage, stage),
                    "previous": labels.get(previous, previous),
                }
            )
        previous = stage
    return first, changes


class AgreementView(TemplateView):
    template_name = "reader/pages/agreement.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        agreement = get_object_or_404(
            self.loading(visibility.agreements()), slug=self.kwargs["slug"]
        )
        context.update(self.page(agreement))
        return context

    # The page in two steps, so that the admin's staff-only preview renders a draft as readers
    # will see it once published (relations.admin.review); this view only finds visible ones.
    @staticmethod
    def loading(agreements: QuerySet) -> QuerySet:
        """What the page shows of the agreement itself, read with it."""
        return agreements.prefetch_related(
            Prefetch("countries", queryset=Country.objects.order_by("name")),
            Prefetch(
                "organisations",
                queryset=Organisation.objects.select_related(*DESCRIBED).order_by("name"),
            ),
            DOMAINS_IN_ORDER,
        )

    @staticmethod
    def page(agreement: Agreement) -> dict:
        """The page's context for an agreement read through ``loading``."""
        labelled(*agreement.organisations.all())
        events, more_events = capped(
            visibility.events().filter(agreements=agreement).chronological(), LIST_LIMIT
        )
        first_recorded, changes = stage_history(agreement)
        dated([agreement], events)
        notes = number_notes([agreement], events)
        context = {
            "agreement": agreement,
            "events": events,
            "more_events": more_events,
            "first_recorded": first_recorded,
            "changes": changes,
            "notes": notes,
            "list_limit": LIST_LIMIT,
        }
        return context | {"body": jinja.render("reader/pages/agreement.html", **context)}


class EventView(TemplateView):
    template_name = "reader/pages/event.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        event = get_object_or_404(self.loading(visibility.events()), slug=self.kwargs["slug"])
        context.update(self.page(event))
        return context

    # In two steps, as AgreementView's: the admin's preview renders a draft through them.
    @staticmethod
    def loading(events: QuerySet) -> QuerySet:
        """What the page shows of the event itself, read with it."""
        return events.prefetch_related(
            DOMAINS_IN_ORDER,
            Prefetch("countries", queryset=Country.objects.order_by("name")),
            Prefetch(
                "organisations",
                queryset=Organisation.objects.select_related(*DESCRIBED).order_by("name"),
            ),
            Prefetch(
                "officials",
                queryset=Official.objects.select_related("country").order_by("name"),
            ),
            Prefetch(
                "agreements",
                queryset=visibility.claims(Agreement).chronological(),
                to_attr="visible_agreements",
            ),
            Prefetch(
                "statements",
                queryset=visibility.claims(Statement)
                .select_related("speaker", *(f"speaker_organisation__{f}" for f in DESCRIBED))
                .chronological(),
                to_attr="visible_statements",
            ),
        )

    @staticmethod
    def page(event: Event) -> dict:
        """The page's context for an event read through ``loading``."""
        statements = event.visible_statements
        labelled(*event.organisations.all(), *(s.speaker_organisation for s in statements))
        dated([event], event.visible_agreements, statements)
        notes = number_notes([event], statements)
        countries = list(event.countries.all())
        pairs = [
            {"countries": pair, "url": presentation.dossier_url(pair[0].code, pair[1].code)}
            for pair in itertools.islice(
                itertools.combinations(sorted(countries, key=lambda c: c.code), 2), PAIR_LIMIT
            )
        ]
        context = {
            "event": event,
            "countries": countries,
            "agreements": event.visible_agreements,
            "statements": statements,
            "pairs": pairs,
            "notes": notes,
        }
        return context | {"body": jinja.render("reader/pages/event.html", **context)}
