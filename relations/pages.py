"""Entity pages: countries, organisations, officials, agreements, events and sources.

Public and read-only. Every claim (event, agreement, statement, position) shown comes from
``.published()``, directly or through a ``Prefetch`` restricted to published claims, and a claim
that is not published answers 404 on its own URL. Each page costs a small constant number of
queries whatever the size of the knowledge base: lists are capped (newest first), related rows are
prefetched, and the citations of every claim on a page are read in one query and numbered with
:class:`relations.footnotes.Footnotes` in the order the page shows them.

The one expensive computation, a country's rankings (its partners by number of published events,
its most active organisations and officials), is a GROUP BY over a million-row join at scale
(about a second for Belarus at 10^6 events); it is cached for :data:`SUMMARY_TIMEOUT` seconds.
Newest events are found by the published-events index for busy countries and by collecting and
sorting the actor's own events for everyone else (see :func:`newest`, :func:`newest_by_index`).
"""

from __future__ import annotations

import itertools
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, F, Prefetch
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.generic import TemplateView

from relations.dates import MONTH_NAMES, OPEN_LOWER, OPEN_UPPER, Precision, parse_fuzzy_date
from relations.footnotes import Footnotes
from relations.models import (
    Agreement,
    Citation,
    Country,
    Domain,
    Event,
    Official,
    Organisation,
    Position,
    Statement,
    Status,
)
from sources.models import Source

#: Newest events shown on a country, organisation or official page.
EVENT_LIMIT = 20
#: Other lists (agreements, statements, posts...) are capped too: some bodies have thousands.
LIST_LIMIT = 20
#: Partners ranked on a country page.
PARTNER_LIMIT = 20
#: Organisations and officials named on a country page.
ACTOR_LIMIT = 8
#: How long a country's rankings are cached (seconds); they may be this much out of date.
SUMMARY_TIMEOUT = 5 * 60
#: A country in more events than this finds its newest ones by walking the published-events
#: index backwards; one in fewer collects its events and sorts them (see CountryView).
BUSY_COUNTRY = 5000
#: Dossier links on an event page (every pair of its countries, up to this many).
PAIR_LIMIT = 6

DOMAINS_IN_ORDER = Prefetch("domains", queryset=Domain.objects.order_by("position", "name"))


# --- Presentation helpers ---------------------------------------------------------------------
def long_date(day: date) -> str:
    """'21 June 2010', whatever the process locale."""
    return f"{day.day} {MONTH_NAMES[day.month - 1]} {day.year}"


@dataclass(frozen=True)
class When:
    """A fuzzy date as a page shows it."""

    text: str  # at the precision the sources give: "late June 2010"
    iso: str = ""  # for <time datetime>, when one fits the precision
    bounds: str = ""  # what an imprecise date can mean: "between 21 June 2010 and 30 June 2010"


def when(text: str) -> When | None:
    if not text:
        return None
    try:
        fuzzy = parse_fuzzy_date(text)
    except ValidationError:  # stored before a parser change: show it as typed
        return When(text)
    lower, upper = fuzzy.lower, fuzzy.upper
    iso = {
        Precision.DAY: lower.isoformat(),
        Precision.PART_OF_MONTH: f"{lower.year:04d}-{lower.month:02d}",
        Precision.MONTH: f"{lower.year:04d}-{lower.month:02d}",
        Precision.PART_OF_YEAR: f"{lower.year:04d}",
        Precision.YEAR: f"{lower.year:04d}",
    }.get(fuzzy.precision, "")
    if fuzzy.approximate:
        iso = ""
    if lower == upper:  # a single day, even if approximately
        bounds = ""
    elif lower == OPEN_LOWER:
        bounds = f"at any time up to {long_date(upper)}"
    elif upper == OPEN_UPPER:
        bounds = f"at any time from {long_date(lower)}"
    else:
        bounds = f"between {long_date(lower)} and {long_date(upper)}"
    return When(fuzzy.display(), iso, bounds)


CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}
SCALES = ((10**12, "tn"), (10**9, "bn"), (10**6, "m"), (10**3, "k"))


def _plain_number(number: Decimal) -> str:
    text = f"{number:.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def money(amount: Decimal | None, currency: str) -> tuple[str, str]:
    """('212,000,000 USD', '$212m'): the exact value and the compact form reporters use."""
    if amount is None:
        return "", ""
    exact = f"{amount:,.2f}".removesuffix(".00")
    scale, suffix = next(((s, x) for s, x in SCALES if amount >= s), (1, ""))
    number = _plain_number(Decimal(amount) / scale)
    symbol = CURRENCY_SYMBOLS.get(currency)
    compact = f"{symbol}{number}{suffix}" if symbol else f"{number}{suffix} {currency}"
    return f"{exact} {currency}", compact


def sort_name(name: str) -> str:
    """'Åland Islands' sorts (and is filed) under A, not after Z."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def dossier_url(*codes: str) -> str:
    """/relations/by-ir/: the two codes in alphabetical order (the converter lower-cases)."""
    first, second = sorted(codes)
    return reverse("dossier", kwargs={"first": first, "second": second})


def also_written(aliases: Iterable[str], *names: str) -> list[str]:
    """Aliases other than the names already shown, each once, in their given order."""
    seen = {n.casefold() for n in names if n}
    out = []
    for alias in aliases or []:
        if alias and alias.casefold() not in seen:
            seen.add(alias.casefold())
            out.append(alias)
    return out


def capped(queryset: models.QuerySet, limit: int) -> tuple[list, bool]:
    """The first ``limit`` rows and whether there are more, in one query."""
    rows = list(queryset[: limit + 1])
    return rows[:limit], len(rows) > limit


def newest(queryset: models.QuerySet) -> models.QuerySet:
    """Newest first, undated last.

    For the claims of one organisation or official. On PostgreSQL, NULLS LAST is an order the
    published-events index (date_lower, id) cannot give, so the planner collects the actor's
    events through its join table and sorts them (15 ms for the busiest organisation at 10^6
    events) instead of walking the whole index backwards until 20 match (350 ms).
    """
    return queryset.order_by(F("date_lower").desc(nulls_last=True), "-id")


def newest_by_index(queryset: models.QuerySet) -> models.QuerySet:
    """Newest events first, in the order of the published-events index (date_lower, id).

    For a busy country (Belarus is in a tenth of all events) the newest 20 are at the top of
    the index (3 ms), where collecting and sorting all of its events takes 600 ms. For a quiet
    one the walk is the slow way: a country with no events reads the whole index (5 s).
    """
    return queryset.order_by("-date_lower", "-id")


def dated(*groups: Iterable[models.Model]) -> None:
    """Give every claim a ``when`` (its date as shown); agreements also their value."""
    for claim in itertools.chain(*groups):
        text = claim.start if isinstance(claim, Position) else claim.date
        claim.when = when(text)
        if isinstance(claim, Agreement):
            claim.value, claim.value_compact = money(claim.value_amount, claim.value_currency)


def public_event(statement: Statement) -> Event | None:
    """The event a statement was made at, if the public may see it (it may be a draft)."""
    event = statement.event if statement.event_id else None
    return event if event is not None and event.status == Status.PUBLISHED else None


def number_notes(*groups: Iterable[models.Model]) -> Footnotes:
    """The page's footnotes: each claim's markers (``claim.notes``), numbered in the order
    given, its citations read in one query for all kinds."""
    notes = Footnotes.reading(*groups)
    for claim in itertools.chain(*groups):
        claim.notes = notes.cite(claim)
    for note in notes:
        note.published = when(note.source.published)
    return notes


# --- Countries --------------------------------------------------------------------------------
class CountryIndexView(TemplateView):
    """Every country, current ones by initial letter, withdrawn states apart. One query."""

    template_name = "relations/pages/country_index.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
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


def country_summary(country: Country) -> dict:
    """A country's partners ranked by published events, its most active organisations and
    officials, and whether it is busy: cached for SUMMARY_TIMEOUT seconds (about a second to
    compute for the busiest countries at 10^6 events)."""
    key = f"relata:pages:country-summary:v1:{country.pk}"
    summary = cache.get(key)
    if summary is None:
        summary = compute_country_summary(country)
        cache.set(key, summary, SUMMARY_TIMEOUT)
    return summary


def compute_country_summary(country: Country) -> dict:
    published = Event.objects.published()
    # One GROUP BY over the event–country table joined to itself: the other country of every
    # published event this one took part in ((event, country) is unique, so rows are events).
    partners = (
        Event.countries.through.objects.filter(event__in=published.involving(country))
        .exclude(country=country)
        .values("country__code", "country__name")
        .annotate(events=Count("id"))
        .order_by("-events", "country__name")[:PARTNER_LIMIT]
    )
    organisations = (
        Event.organisations.through.objects.filter(
            event__in=published, organisation__country=country
        )
        .values("organisation__slug", "organisation__name", "organisation__short_name")
        .annotate(events=Count("id"))
        .order_by("-events", "organisation__name")[:ACTOR_LIMIT]
    )
    officials = (
        Event.officials.through.objects.filter(event__in=published, official__country=country)
        .values("official__slug", "official__name")
        .annotate(events=Count("id"))
        .order_by("-events", "official__name")[:ACTOR_LIMIT]
    )
    return {
        # How to find its newest events (drafts included: a plan hint, never shown; an
        # index-only count, 16 ms for Belarus where counting published events takes 300 ms).
        "busy": Event.countries.through.objects.filter(country=country).count() > BUSY_COUNTRY,
        "partners": [
            {
                "code": row["country__code"],
                "name": row["country__name"],
                "events": row["events"],
                "dossier": dossier_url(country.code, row["country__code"]),
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
    """A country: its facts, partners ranked, newest events, most active bodies and people."""

    template_name = "relations/pages/country.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        country = get_object_or_404(Country, code=self.kwargs["code"])
        summary = country_summary(country)
        order = newest_by_index if summary["busy"] else newest
        recent = order(Event.objects.published().involving(country))
        events = list(recent.prefetch_related(DOMAINS_IN_ORDER)[:EVENT_LIMIT])
        dated(events)
        notes = number_notes(events)
        context.update(
            country=country,
            aliases=also_written(country.aliases, country.name, country.official_name),
            summary=summary,
            events=events,
            notes=notes,
            event_limit=EVENT_LIMIT,
            timeline_url=f"{reverse('timeline')}?country={country.code.lower()}",
        )
        return context


# --- Organisations and officials --------------------------------------------------------------
class OrganisationView(TemplateView):
    template_name = "relations/pages/organisation.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        organisation = get_object_or_404(
            Organisation.objects.select_related("country", "parent").prefetch_related(
                Prefetch("children", queryset=Organisation.objects.order_by("name"))
            ),
            slug=self.kwargs["slug"],
        )
        positions, more_positions = capped(
            Position.objects.published()
            .filter(organisation=organisation)
            .select_related("official", "country")
            .chronological(),
            LIST_LIMIT,
        )
        events = list(
            newest(Event.objects.published().filter(organisations=organisation)).prefetch_related(
                DOMAINS_IN_ORDER
            )[:EVENT_LIMIT]
        )
        agreements, more_agreements = capped(
            newest(Agreement.objects.published().filter(organisations=organisation)), LIST_LIMIT
        )
        statements, more_statements = capped(
            newest(
                Statement.objects.published()
                .filter(speaker_organisation=organisation)
                .select_related("speaker", "speaker_organisation", "event")
            ),
            LIST_LIMIT,
        )
        for statement in statements:
            statement.public_event = public_event(statement)
        dated(positions, events, agreements, statements)
        notes = number_notes(positions, events, agreements, statements)  # the page's order
        context.update(
            organisation=organisation,
            aliases=also_written(organisation.aliases, organisation.name, organisation.short_name),
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
        return context


class OfficialView(TemplateView):
    template_name = "relations/pages/official.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        official = get_object_or_404(
            Official.objects.select_related("country"), slug=self.kwargs["slug"]
        )
        positions, more_positions = capped(
            Position.objects.published()
            .filter(official=official)
            .select_related("country", "organisation")
            .chronological(),
            LIST_LIMIT,
        )
        statements, more_statements = capped(
            newest(
                Statement.objects.published()
                .filter(speaker=official)
                .select_related("speaker_organisation", "event")
            ),
            LIST_LIMIT,
        )
        for statement in statements:
            statement.public_event = public_event(statement)
        events = list(
            newest(Event.objects.published().filter(officials=official)).prefetch_related(
                DOMAINS_IN_ORDER
            )[:EVENT_LIMIT]
        )
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
        return context


# --- Agreements and events --------------------------------------------------------------------
def stage_history(agreement: Agreement) -> tuple[dict | None, list[dict]]:
    """The agreement's stage as first recorded, and each later change of it, read from its
    django-simple-history rows (oldest first).

    The first published row is a baseline, not a change: the stage the record was entered (or
    published) with, or, for a record loaded from a fixture (which writes no history of its
    own), the stage when its history began. Every later row whose stage differs from the row
    before is a change.
    """
    labels = dict(Agreement.Stage.choices)
    first, changes, previous = None, [], None
    # Only versions the public could see: edits while a draft (or under review) are the
    # analysts' business, and a change made then shows at the next published version.
    rows = (
        agreement.history.filter(status=Status.PUBLISHED)
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
    template_name = "relations/pages/agreement.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        agreement = get_object_or_404(
            Agreement.objects.published().prefetch_related(
                Prefetch("countries", queryset=Country.objects.order_by("name")),
                Prefetch("organisations", queryset=Organisation.objects.order_by("name")),
                DOMAINS_IN_ORDER,
            ),
            slug=self.kwargs["slug"],
        )
        events, more_events = capped(
            Event.objects.published().filter(agreements=agreement).chronological(), LIST_LIMIT
        )
        first_recorded, changes = stage_history(agreement)
        dated([agreement], events)
        notes = number_notes([agreement], events)
        context.update(
            agreement=agreement,
            events=events,
            more_events=more_events,
            first_recorded=first_recorded,
            changes=changes,
            notes=notes,
            list_limit=LIST_LIMIT,
        )
        return context


class EventView(TemplateView):
    template_name = "relations/pages/event.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        event = get_object_or_404(
            Event.objects.published().prefetch_related(
                DOMAINS_IN_ORDER,
                Prefetch("countries", queryset=Country.objects.order_by("name")),
                Prefetch(
                    "organisations",
                    queryset=Organisation.objects.select_related("country").order_by("name"),
                ),
                Prefetch(
                    "officials",
                    queryset=Official.objects.select_related("country").order_by("name"),
                ),
                Prefetch(
                    "agreements",
                    queryset=Agreement.objects.published().chronological(),
                    to_attr="published_agreements",
                ),
                Prefetch(
                    "statements",
                    queryset=Statement.objects.published()
                    .select_related("speaker", "speaker_organisation")
                    .chronological(),
                    to_attr="published_statements",
                ),
            ),
            slug=self.kwargs["slug"],
        )
        statements = event.published_statements
        dated([event], event.published_agreements, statements)
        notes = number_notes([event], statements)
        countries = list(event.countries.all())
        pairs = [
            {"countries": pair, "url": dossier_url(pair[0].code, pair[1].code)}
            for pair in itertools.islice(
                itertools.combinations(sorted(countries, key=lambda c: c.code), 2), PAIR_LIMIT
            )
        ]
        context.update(
            event=event,
            countries=countries,
            agreements=event.published_agreements,
            statements=statements,
            pairs=pairs,
            notes=notes,
        )
        return context


# --- Sources ----------------------------------------------------------------------------------
@dataclass
class CitingClaim:
    """A published claim that cites the source, with the places in the source it cites."""

    kind: str
    claim: models.Model
    url: str
    citations: Sequence[Citation]


def _claim_url(claim: models.Model) -> str:
    """Where a reader can see the claim: its own page, or its official's (or speaker's)."""
    if isinstance(claim, Event | Agreement):
        return claim.get_absolute_url()
    if isinstance(claim, Position):
        return claim.official.get_absolute_url()
    if claim.speaker_id:
        return claim.speaker.get_absolute_url()
    if claim.speaker_organisation_id:
        return claim.speaker_organisation.get_absolute_url()
    event = public_event(claim)
    return event.get_absolute_url() if event else ""


class SourceView(TemplateView):
    template_name = "relations/pages/source.html"

    #: Citing claims listed per kind; a source is rarely cited more than a few dozen times.
    claim_limit = 200

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        source = get_object_or_404(Source, slug=self.kwargs["slug"])
        cites = Citation.objects.filter(source=source)
        groups = [
            ("event", "Events", Event.objects.published(), ()),
            ("agreement", "Agreements", Agreement.objects.published(), ()),
            (
                "statement",
                "Statements",
                Statement.objects.published(),
                ("speaker", "speaker_organisation", "event"),
            ),
            (
                "position",
                "Posts held",
                Position.objects.published(),
                ("official", "country", "organisation"),
            ),
        ]
        kinds = []
        for kind, heading, queryset, related in groups:
            queryset = queryset.filter(pk__in=cites.values(f"{kind}_id")).chronological()
            claims, more = capped(
                queryset.select_related(*related) if related else queryset, self.claim_limit
            )
            kinds.append((kind, heading, claims, more))
        all_claims = [claim for _, _, claims, _ in kinds for claim in claims]
        found: dict[tuple[str, int], list[Citation]] = defaultdict(list)
        for citation in cites.for_claims(all_claims).order_by("id"):
            kind = citation.claim_kind
            found[(kind, getattr(citation, f"{kind}_id"))].append(citation)
        dated(all_claims)
        sections = [
            {
                "kind": kind,
                "heading": heading,
                "more": more,
                "claims": [
                    CitingClaim(kind, claim, _claim_url(claim), found[(kind, claim.pk)])
                    for claim in claims
                ],
            }
            for kind, heading, claims, more in kinds
        ]
        context.update(
            source=source,
            published=when(source.published),
            sections=sections,
            count=sum(len(section["claims"]) for section in sections),
            citation_count=sum(len(c) for c in found.values()),
            claim_limit=self.claim_limit,
        )
        return context
