"""Relationship dossiers: the seed page (fixtures/belarus-iran-2010.txt), generated from data.

``/relations/by-ir/`` tells the relations between two countries as the seed page does: a section
per domain, one paragraph per fact in date order, each closed by numbered footnotes, "More on …"
links after each section, and the notes at the end. Only published claims are shown.

What belongs to a pair:

- events: ``Event.objects.published().involving(a, b)``;
- agreements: both countries among the parties, or party organisations of both countries, or
  related to one of the pair's events;
- statements: about both countries (``Statement.countries``), or made at one of the pair's events.

At 10^6 events a busy pair (Belarus–Iran: 47,000 published events) cannot be listed in full,
so each section shows its ``SECTION_SIZE`` most recent items and links to the timeline for the
rest. How the page stays fast there:

- The counts (per section and kind, for the lead and the "N more" links) need every claim of
  the pair, about a second of work for the busiest pair; they are computed in one query and
  cached for ``SUMMARY_TTL``. What is shown is read fresh on every request.
- The items are found by *walking* each kind's claims newest first and stopping after K rows:
  PostgreSQL reads the date index backwards and probes each row's countries, so the cost is K
  divided by the pair's share of all claims, not the pair's size. K is sized from the cached
  counts so that every section gets its share; a section the walk left short gets one more query
  of its own. Small pairs, for which a walk would read most of the index, are read whole instead.
- Statements and agreements only matter back to the date of the events already shown, so their
  walks stop there.

The whole page takes a constant number of queries (at most 10, plus one per short section, which
the counts make rare): countries, domains, counts (when not cached), one or two per kind,
participants, posts, citations.
"""

from __future__ import annotations

import datetime
import math
import operator
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property, lru_cache, reduce
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, Count, Exists, F, Max, Min, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.db.models.lookups import GreaterThan
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import redirect, render
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import capfirst
from django.views import View

from relations.dates import MAX_LENGTH, OPEN_LOWER, OPEN_UPPER, Precision, parse_fuzzy_date
from relations.footnotes import Footnotes, Note
from relations.models import (
    Agreement,
    Country,
    Domain,
    Event,
    Organisation,
    Position,
    Statement,
    Status,
)

# Items shown per section; the rest are on the timeline. Twenty would cost the busiest pair
# about 60% more time (its walk reads K ~ 670 instead of ~400 of its events; see
# bench/dossier.py, BENCH_SECTION_SIZE=20) for a page of 120 paragraphs and 250 notes.
SECTION_SIZE = 10
SOURCE_FIELDS = ("slug", "title", "outlet", "published")  # what a note shows of its source
# How long the counts of a dossier may lag behind the data (the items shown never do).
SUMMARY_TTL = 10 * 60
# The relationships index: how many pairs, and how long its ranking may lag.
INDEX_SIZE = 100
INDEX_TTL = 15 * 60
INDEX_CACHE_KEY = "relata:relationships:v1"
# A walk reads the pair's K newest claims of a kind, K sized so that each section should get
# its SECTION_SIZE items with this many standard deviations to spare (see Dossier._walk_size).
WALK_SIGMAS = 2.0
# Past this many rows of the index to read for K of the pair's claims, read the pair whole.
WALK_BUDGET = 40_000
# "More on …" links after a section, at most.
MORE_ON_LIMIT = 12

KINDS = ("event", "agreement", "statement")
# Same date: the event first, then what was agreed and said there.
KIND_ORDER = {kind: n for n, kind in enumerate(KINDS)}
MODELS: dict[str, type[models.Model]] = {
    "event": Event,
    "agreement": Agreement,
    "statement": Statement,
}

# Organisations named with "the" in running text ("More on the Non-Aligned Movement"), unlike
# companies and the like ("More on Belarusneft").
WITH_ARTICLE = {
    Organisation.Kind.INTERGOVERNMENTAL,
    Organisation.Kind.GOVERNMENT,
    Organisation.Kind.LEGISLATURE,
    Organisation.Kind.CENTRAL_BANK,
    Organisation.Kind.MILITARY,
}

CURRENCY_SIGNS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}
MAGNITUDES = ((Decimal(10) ** 12, "tn"), (Decimal(10) ** 9, "bn"), (Decimal(10) ** 6, "m"))


# --- Small formatting helpers -----------------------------------------------------------------
def money(amount: Decimal | None, currency: str) -> str:
    """A value as a reader writes it: "$212m", "€1.5bn", "IRR 40bn", "$250,000"."""
    if amount is None:
        return ""
    for size, suffix in MAGNITUDES:
        if amount >= size:
            rounded = (amount / size).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            number = f"{rounded:f}".rstrip("0").rstrip(".")
            text = number + suffix
            break
    else:
        text = f"{amount:,.2f}".removesuffix(".00")
    sign = CURRENCY_SIGNS.get(currency)
    return f"{sign}{text}" if sign else f"{currency} {text}".strip()


def and_join(parts: Iterable[SafeString]) -> SafeString:
    """ "A, B and C" of pieces of HTML."""
    parts = list(parts)
    if len(parts) < 2:
        return format_html_join("", "{}", ((p,) for p in parts))
    head = format_html_join(", ", "{}", ((p,) for p in parts[:-1]))
    return format_html("{} and {}", head, parts[-1])


def organisation_name(name: str, kind: str) -> str:
    """The name as used mid-sentence: "the Non-Aligned Movement", "Belarusneft"."""
    if kind in WITH_ARTICLE and not name.lower().startswith("the "):
        return f"the {name}"
    return name


def datetime_attribute(fuzzy_precision: str, lower: datetime.date | None) -> str:
    """A machine-readable ``<time datetime>`` for a date, at the precision HTML allows."""
    if lower is None or lower == OPEN_LOWER:
        return ""
    match fuzzy_precision:
        case Precision.DAY:
            return lower.isoformat()
        case Precision.MONTH | Precision.PART_OF_MONTH:
            return lower.strftime("%Y-%m")
        case Precision.YEAR | Precision.PART_OF_YEAR:
            return str(lower.year)
    return ""


@lru_cache(maxsize=4096)
def readable_date(text: str) -> str:
    """A fuzzy date at its own precision ("May 2007", "late June 2010"); "" when there is none."""
    if not text:
        return ""
    try:
        return parse_fuzzy_date(text).display()
    except ValidationError:  # stored before a parser change: show it as typed
        return text


@lru_cache(maxsize=16384)
def _reverse(name: str, key: str, prefix: str, urlconf: str) -> str:
    return reverse(name, args=[key], urlconf=urlconf)


def url_for(name: str, key: str) -> str:
    """``reverse(name, args=[key])``, memoised: a busy dossier links some 600 pages."""
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    return _reverse(name, key, get_script_prefix(), urlconf)


def _end_of(day: datetime.date) -> datetime.datetime:
    """The first instant after ``day``, in the site's time zone."""
    return timezone.make_aware(
        datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)
    )


def dated_by(as_of: datetime.date | None, field: str = "date") -> Q:
    """Claims with a date that starts (on or before ``as_of``): a plain range of the date
    index, which a walk can follow backwards. NULL is not greater than anything."""
    condition = Q(**{f"{field}_lower__gt": OPEN_LOWER})
    return condition & Q(**{f"{field}_lower__lte": as_of}) if as_of else condition


def undated_by(as_of: datetime.date | None, field: str = "date") -> Q:
    """Claims with no date or an open start ("until 2010") (entered by the end of ``as_of``)."""
    lower = f"{field}_lower"
    condition = Q(**{f"{lower}__isnull": True}) | Q(**{lower: OPEN_LOWER})
    return condition & Q(created__lt=_end_of(as_of)) if as_of else condition


def known_by(as_of: datetime.date, field: str = "date") -> Q:
    """Claims as they stood at the end of ``as_of``: dated on or before it, or (undated or
    open-started) entered by then."""
    return dated_by(as_of, field) | undated_by(as_of, field)


# --- The "as of" form -------------------------------------------------------------------------
class AsOfForm(forms.Form):
    as_of = forms.CharField(
        label="As of",
        required=False,
        max_length=MAX_LENGTH,
        help_text="A date, at any precision: 2009, May 2009, 2009-12-31.",
    )

    def clean_as_of(self) -> datetime.date | None:
        """The last day the text can mean ("2009" is 31 December 2009), or None for today."""
        text = self.cleaned_data["as_of"]
        if not text:
            return None
        fuzzy = parse_fuzzy_date(text)  # its ValidationError says why and lists the forms
        if fuzzy.upper == OPEN_UPPER:
            raise ValidationError(
                f"“{text}” has no end; give the day, month or year to show the dossier as of."
            )
        return fuzzy.upper


# --- What the page shows ----------------------------------------------------------------------
@dataclass(frozen=True)
class Mention:
    """A country, organisation or official named on the page, linked to its own page."""

    kind: str  # "country", "organisation" or "official"
    key: str  # ISO code or slug
    name: str
    organisation_kind: str = ""

    @property
    def url(self) -> str:
        return url_for(self.kind, self.key.lower() if self.kind == "country" else self.key)

    @property
    def label(self) -> str:
        """The name as used mid-sentence."""
        if self.kind == "organisation":
            return organisation_name(self.name, self.organisation_kind)
        return self.name

    @property
    def html(self) -> SafeString:
        return format_html('<a href="{}">{}</a>', self.url, self.label)

    @classmethod
    def of(cls, entity: Country | Organisation | Any) -> Mention:
        if isinstance(entity, Country):
            return cls("country", entity.code, entity.name)
        if isinstance(entity, Organisation):
            return cls("organisation", entity.slug, entity.name, entity.kind)
        return cls("official", entity.slug, entity.name)


@dataclass
class Person:
    """An official as named in an item: with the post held then, if we have it on record."""

    mention: Mention
    official_id: int
    post: Position | None = None
    post_text: str = ""
    anchor: str = ""  # set on the first mention of a post, for the notes to link back to

    @property
    def html(self) -> SafeString:
        """ "<a>Reza Raei</a> (Vice Governor of the Central Bank of …)"."""
        post = f" ({self.post_text})" if self.post_text else ""
        if self.anchor:
            return format_html(
                '<span id="{}"><a href="{}">{}</a>{}</span>',
                self.anchor,
                self.mention.url,
                self.mention.name,
                post,
            )
        return format_html('<a href="{}">{}</a>{}', self.mention.url, self.mention.name, post)


@dataclass
class Item:
    """One fact, told in one paragraph: an event, an agreement or a statement."""

    kind: str
    claim: Any
    section: int | None  # the pk of its first domain; None if it has none
    people: list[Person] = field(default_factory=list)
    organisations: list[Mention] = field(default_factory=list)
    countries: list[Mention] = field(default_factory=list)  # others than the pair
    speaker: Person | None = None
    speaker_organisation: Mention | None = None
    notes: list[Note] = field(default_factory=list)
    event_shown: bool = False  # a statement's event is told on the same page

    @property
    def anchor(self) -> str:
        return f"{self.kind}-{self.claim.slug}"

    @property
    def sort_key(self) -> tuple:
        """Date order: open starts and undated first, then by bounds; events before what was
        agreed or said at the same date."""
        claim = self.claim
        return (
            claim.date_lower or OPEN_LOWER,
            claim.date_upper or OPEN_UPPER,
            KIND_ORDER[self.kind],
            claim.pk,
        )

    @cached_property
    def when(self) -> str:
        return readable_date(self.claim.date)

    @property
    def when_attribute(self) -> str:
        return datetime_attribute(self.claim.date_precision, self.claim.date_lower)

    @property
    def value(self) -> str:
        if self.kind != "agreement":
            return ""
        return money(self.claim.value_amount, self.claim.value_currency)

    @property
    def participants(self) -> list[Person | Mention]:
        """Who took part (events) or the parties (agreements), people first."""
        return [*self.people, *self.organisations, *self.countries]

    @property
    def participants_html(self) -> SafeString:
        return and_join(p.html for p in self.participants)

    @property
    def attribution_html(self) -> SafeString:
        """Who said it, and where: "<a>Alexander Lukashenko</a> (President of Belarus),
        describing …", "The <a>Islamic Culture and Relations Organization</a>, in a press
        release"; for words the parties said together, the context says who."""
        statement = self.claim
        speaker, organisation, context = self.speaker, self.speaker_organisation, statement.context
        if speaker and organisation:
            who = format_html("{}, for {}", speaker.html, organisation.html)
        elif speaker:
            who = speaker.html
        elif organisation:  # it opens the sentence
            who = format_html('<a href="{}">{}</a>', organisation.url, capfirst(organisation.label))
        else:
            who, context = format_html("{}", capfirst(context) or "Jointly"), ""
        if context:
            who = format_html("{}, {}", who, context)
        event = statement.event
        if event is not None and event.status == Status.PUBLISHED and not self.event_shown:
            url = url_for("event", event.slug)
            who = format_html('{}, at “<a href="{}">{}</a>”', who, url, event.title)
        return who

    @property
    def kind_label(self) -> str:
        """An agreement's kind, unless its title already says it ("… loan of $212m …")."""
        kind = self.claim.get_kind_display()
        return "" if kind.lower() in self.claim.title.lower() else capfirst(kind)

    @property
    def html(self) -> SafeString:
        """The paragraph: date, what happened (or was agreed, or said), footnote markers.

        Built here rather than in a template: a busy dossier has over a hundred of these, and
        the template language's lookups would cost more than the rest of the page."""
        claim, kind = self.claim, self.kind
        if not self.when:
            when = ""
        elif self.when_attribute:
            when = format_html(
                '<span class="when"><time datetime="{}">{}</time></span> ',
                self.when_attribute,
                self.when,
            )
        else:
            when = format_html('<span class="when">{}</span> ', self.when)
        if kind == "event":
            body = format_html(
                '<a class="what" href="{}">{}</a>{}. {}',
                url_for("event", claim.slug),
                claim.title,
                f" ({claim.place})" if claim.place else "",
                claim.summary,
            )
            if self.participants:
                body = format_html(
                    '{} <span class="with">With {}.</span>', body, self.participants_html
                )
        elif kind == "agreement":
            value = format_html(', <span class="value">{}</span>', self.value) if self.value else ""
            parties = ""
            if self.participants:
                joined = "between" if len(self.participants) > 1 else "party:"
                parties = format_html(", {} {}", joined, self.participants_html)
            body = format_html(
                '{}<a class="what" href="{}">{}</a>{}{} ({}).{}',
                format_html('<span class="kind">{}</span>: ', self.kind_label)
                if self.kind_label
                else "",
                url_for("agreement", claim.slug),
                claim.title,
                value,
                parties,
                claim.get_stage_display(),
                f" {claim.purpose}" if claim.purpose else "",
            )
        else:
            body = format_html(
                '{}: “<span class="quote" lang="{}">{}</span>”',
                self.attribution_html,
                claim.language,
                claim.quote,
            )
        markers = "".join(
            f'<sup class="fn"><a href="#note-{n.number}">{n.number}</a></sup>' for n in self.notes
        )  # numbers only: nothing to escape
        return format_html(
            '<p class="item item-{}" id="{}">{}{}{}</p>',
            kind,
            self.anchor,
            when,
            body,
            SafeString(markers),
        )

    @property
    def label(self) -> str:
        """How the notes name this item when linking back to it."""
        if self.kind != "statement":
            return self.claim.title
        who = self.speaker.mention.name if self.speaker else ""
        if not who and self.speaker_organisation:
            who = self.speaker_organisation.name
        quote = self.claim.quote
        quote = quote if len(quote) <= 60 else quote[:59].rstrip() + "…"
        return f"{who}: “{quote}”" if who else f"“{quote}”"


@dataclass
class Section:
    domain: Domain | None
    items: list[Item]
    total: int
    timeline_url: str
    more_on: list[Mention]

    @property
    def slug(self) -> str:
        return self.domain.slug if self.domain else "other"

    @property
    def name(self) -> str:
        return self.domain.name if self.domain else "Other relations"

    @property
    def more(self) -> int:
        return max(self.total - len(self.items), 0)


@dataclass
class NoteView:
    note: Note
    backlinks: list[tuple[str, str]]  # (anchor, label) of each claim citing it

    @property
    def html(self) -> SafeString:
        """``<li id="note-3">``: the source (linked), its date, the locator, the excerpt, and
        links back to each claim it backs."""
        note, source = self.note, self.note.source
        details = [d for d in (source.outlet, readable_date(source.published), note.locator) if d]
        excerpt = format_html(' <span class="excerpt">“{}”</span>', note.excerpt)
        backlinks = format_html_join(
            "",
            '<a href="#{0}" title="Back to: {1}"><span aria-hidden="true">↩ </span>'
            '<span class="visually-hidden">Back to: </span>{1}</a>',
            self.backlinks,
        )
        return format_html(
            '<li id="{}"><a href="{}">{}</a>{}.{}{}</li>',
            note.anchor,
            url_for("source", source.slug),
            source.title,
            "".join(f", {d}" for d in details),
            excerpt if note.excerpt else "",
            format_html(' <span class="backlinks">{}</span>', backlinks) if self.backlinks else "",
        )


@dataclass
class Summary:
    """The counts of a dossier: per kind and section, the span, and each kind's universe
    (all published claims of that kind, to tell a busy pair from a rare one)."""

    counts: dict[str, dict[int | None, int]]
    universe: dict[str, int]
    first: datetime.date | None
    last: datetime.date | None

    def total(self, kind: str) -> int:
        return sum(self.counts.get(kind, {}).values())

    def section_total(self, section: int | None) -> int:
        return sum(self.counts.get(kind, {}).get(section, 0) for kind in KINDS)


# --- Selecting the pair's claims --------------------------------------------------------------
def _per_row(subquery: models.QuerySet) -> models.QuerySet:
    """Keep an EXISTS probed row by row.

    PostgreSQL turns an EXISTS whose links to the outer row are all equalities into a hashed
    subplan: it builds the whole inner set first (for "related to one of the pair's events",
    every agreement of the 47,000 events of Belarus–Iran: ~100 ms at 10^6 events, more for
    statements) and then probes it. One condition on the outer row that is not an equality
    rules that out (``id > 0`` is always true), so a walk that stops after K rows costs a few
    index probes per row it reads.
    """
    return subquery.filter(GreaterThan(OuterRef("pk"), 0))


class PairClaims:
    """The published claims of a pair of countries, optionally as they stood on a date."""

    def __init__(self, first: Country, second: Country, as_of: datetime.date | None) -> None:
        self.first, self.second, self.as_of = first, second, as_of

    def pair_events(self) -> models.QuerySet[Event]:
        return Event.objects.published().involving(self.first, self.second)

    def _branches(self, kind: str) -> list[tuple[models.QuerySet, str]]:
        """Each way a claim of ``kind`` belongs to the pair, as (queryset, claim id column)."""
        a, b = self.first, self.second
        at_pair_event = {"event__status": Status.PUBLISHED, "event__countries": a}
        if kind == "statement":
            return [
                (Statement.objects.filter(countries=a).filter(countries=b), "pk"),
                (Statement.objects.filter(**at_pair_event).filter(event__countries=b), "pk"),
            ]
        related = Event.agreements.through.objects.filter(**at_pair_event)
        return [
            (Agreement.objects.filter(countries=a).filter(countries=b), "pk"),
            (
                Agreement.objects.filter(organisations__country=a).filter(organisations__country=b),
                "pk",
            ),
            (related.filter(event__countries=b), "agreement_id"),
        ]

    def claims(self, kind: str, *, walk: bool = False, part: str = "known") -> models.QuerySet:
        """The pair's published claims of ``kind``.

        Read whole, the branches are a union of id sets, each driven by its own index (cheap for
        a small pair). Walked, they are per-row tests, so reading stops with the LIMIT.

        ``part`` is "known" (all of them, or all known on the "as of" date), "dated" (those
        with a date that starts, on or before the "as of" date: what a walk follows, newest
        first, along the date index) or "undated" (undated or open-started ones, entered by
        the "as of" date: they sort oldest, so a walk needs them only when it reaches the
        bottom). One condition for all would sort NULLs against the index's order and, as of a
        date, need each row's ``created``: either rules out a walk.
        """
        if kind == "event":
            claims = self.pair_events()
        elif walk:
            condition = reduce(
                operator.or_,
                (
                    Exists(_per_row(qs.filter(**{column: OuterRef("pk")})))
                    for qs, column in self._branches(kind)
                ),
            )
            claims = MODELS[kind].objects.published().filter(condition)
        else:
            ids = [qs.values(column) for qs, column in self._branches(kind)]
            claims = MODELS[kind].objects.published().filter(pk__in=ids[0].union(*ids[1:]))
        if part == "dated":
            claims = claims.filter(dated_by(self.as_of))
        elif part == "undated":
            claims = claims.filter(undated_by(self.as_of))
        elif self.as_of:
            claims = claims.filter(known_by(self.as_of))
        return claims


def first_domain(kind: str, domains: Sequence[Domain], outer: str = "pk") -> Any:
    """The index in ``domains`` (in Domain order) of a claim's first domain; NULL if none.

    A claim in several domains is told in the section of its first domain (by position) only,
    so that each fact is told once and each of its footnotes numbered once: the seed's gas row
    with Russia (energy and diplomatic) appears under Energy alone. A statement with no domain
    of its own is told with the event it was made at, if any.
    """
    if not domains:
        return Value(None, output_field=models.IntegerField())
    through = MODELS[kind].domains.through
    rank = Case(
        *(When(domain_id=d.pk, then=Value(n)) for n, d in enumerate(domains)),
        output_field=models.IntegerField(),
    )
    own = Subquery(
        through.objects.filter(**{kind: OuterRef(outer)})
        .values(kind)
        .annotate(rank=Min(rank))
        .values("rank"),
        output_field=models.IntegerField(),
    )
    if kind == "statement":
        return Coalesce(own, first_domain("event", domains, outer="event_id"))
    return own


def in_section(rank: int | None) -> Q:
    """Claims annotated with ``rank=first_domain(...)`` whose first domain has this index."""
    return Q(rank__isnull=True) if rank is None else Q(rank=rank)


class Dossier:
    """Builds what the dossier page shows for a pair, in a constant number of queries."""

    def __init__(
        self,
        first: Country,
        second: Country,
        as_of: datetime.date | None = None,
        section_size: int | None = None,
    ) -> None:
        self.first, self.second, self.as_of = first, second, as_of
        self.section_size = section_size or SECTION_SIZE
        self.pair = PairClaims(first, second, as_of)
        self.domains: list[Domain] = []

    # -- Counts (cached) -------------------------------------------------------------------
    @property
    def cache_key(self) -> str:
        day = self.as_of.isoformat() if self.as_of else "now"
        return f"relata:dossier:v1:{self.first.code}-{self.second.code}:{day}"

    def summary(self) -> Summary:
        summary = cache.get(self.cache_key)
        if summary is None:
            summary = self._count()
            cache.set(self.cache_key, summary, SUMMARY_TTL)
        return summary

    def _count(self) -> Summary:
        """Per kind and first domain: how many, the earliest start and the latest end; and
        each kind's universe. One query (a UNION ALL of grouped counts)."""
        dated_from = Min(Case(When(date_lower__gt=OPEN_LOWER, then=F("date_lower"))))
        dated_to = Max(Case(When(date_upper__lt=OPEN_UPPER, then=F("date_upper"))))
        no_date = Value(None, output_field=models.DateField())
        parts = []
        for kind in KINDS:
            parts.append(
                self.pair.claims(kind)
                .annotate(claim_kind=Value(kind), section=first_domain(kind, self.domains))
                .values_list("claim_kind", "section")
                .annotate(n=Count("pk"), first=dated_from, last=dated_to)
                .order_by()
            )
            universe = MODELS[kind].objects.published()
            parts.append(
                universe.annotate(
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
            section = self.domains[rank].pk if rank is not None else None
            counts[kind][section] = counts[kind].get(section, 0) + n
            firsts += [first] if first else []
            lasts += [last] if last else []
        return Summary(counts, universe, min(firsts, default=None), max(lasts, default=None))

    # -- Choosing the items ----------------------------------------------------------------
    def _walk_size(self, kind: str, summary: Summary) -> int | None:
        """How many of the pair's newest claims of ``kind`` to read, or None to read them all.

        If a section's share of the newest claims is its share ``p`` of all of them, the newest
        K hold a binomial count of it, mean ``m = K p``; asking ``m - z sqrt(m) >= want``
        (z = WALK_SIGMAS) leaves a section short about 2% of the time, and a short section
        costs one more query. A walk reads about ``K * universe / total`` rows of the index:
        past WALK_BUDGET (a pair too rare for its claims to turn up soon), or when K reaches
        the pair's total, the pair is read whole instead.
        """
        counts = summary.counts[kind]
        total = sum(counts.values())
        if not total:
            return None
        z = WALK_SIGMAS
        k = 0
        for t in counts.values():
            if t:
                want = min(t, self.section_size)
                mean = ((z + math.sqrt(z * z + 4 * want)) / 2) ** 2
                k = max(k, math.ceil(mean * total / t))
        if k >= total or k * summary.universe.get(kind, 0) / total > WALK_BUDGET:
            return None
        return k

    def _section(self, rank: int | None) -> int | None:
        """The domain pk of a rank (an index in ``self.domains``); None for no domain."""
        return self.domains[rank].pk if rank is not None else None

    def _rank(self, section: int | None) -> int | None:
        return [d.pk for d in self.domains].index(section) if section is not None else None

    def _by_section(self, rows: Iterable[tuple]) -> dict[int | None, list]:
        """Rows of (rank, ...) grouped by section (a domain pk, None for none)."""
        grouped: dict[int | None, list] = defaultdict(list)
        for rank, *rest in rows:
            grouped[self._section(rank)].append(rest[0] if len(rest) == 1 else tuple(rest))
        return grouped

    def _choose_events(self, summary: Summary) -> dict[int | None, list[tuple[int, Any]]]:
        """Per section, the newest events as (pk, date_lower), newest first.

        Only the index and the link tables are read here (a walk is an index-only scan); the
        chosen events are loaded afterwards, which for a pair read whole saves loading
        thousands of rows to show a hundred.
        """
        k = self._walk_size("event", summary)
        found = self._read("event", summary, k)
        size = self.section_size
        return {
            section: sorted(rows, key=lambda r: (r[1], r[0]), reverse=True)[:size]
            for section, rows in found.items()
        }

    def _choose(
        self, kind: str, summary: Summary, since: datetime.date | None
    ) -> dict[int | None, list]:
        """Per section, candidate agreements or statements (loaded): the newest of each."""
        return self._read(kind, summary, self._walk_size(kind, summary), since)

    def _rows(self, claims: models.QuerySet, kind: str) -> models.QuerySet:
        """Events as (rank, pk, date_lower) rows; agreements and statements as whole rows,
        ready to show."""
        claims = claims.annotate(rank=first_domain(kind, self.domains))
        if kind == "event":
            return claims.values_list("rank", "pk", "date_lower")
        if kind == "statement":
            return claims.select_related("speaker", "speaker_organisation", "event")
        return claims

    def _by_rows(self, kind: str, rows: Iterable) -> dict[int | None, list]:
        if kind == "event":
            return self._by_section(rows)
        return self._by_section((claim.rank, claim) for claim in rows)

    def _read(
        self, kind: str, summary: Summary, k: int | None, since: datetime.date | None = None
    ) -> dict[int | None, list]:
        """The pair's claims of ``kind`` by section: all of them (k None), or the newest k
        (then the newest of each section a walk left short), or all back to ``since``."""
        newest_first = ("-date_lower", "-pk")  # the date index's order, read backwards
        if k is None:
            return self._by_rows(kind, self._rows(self.pair.claims(kind), kind).order_by())
        claims = self._rows(self.pair.claims(kind, walk=True, part="dated"), kind)
        if since is not None:  # nothing older can be shown: read back to there
            rows = claims.filter(date_lower__gte=since).order_by(*newest_first)
            return self._by_rows(kind, rows)
        rows = list(claims.order_by(*newest_first)[:k])
        found = self._by_rows(kind, rows)
        bottom = len(rows) < k
        if not bottom:
            extra, bottom = self._short_sections(kind, found, summary)
            found.update(extra)
        if bottom:
            # The walk followed the dated claims to the last; undated and open-started ones,
            # which come after them, are read apart (see PairClaims.claims).
            undated = self._rows(self.pair.claims(kind, walk=True, part="undated"), kind)
            for section, more in self._by_rows(kind, undated.order_by()).items():
                found[section] = found.get(section, []) + more
        return found

    def _short_sections(
        self, kind: str, found: dict[int | None, list], summary: Summary
    ) -> tuple[dict[int | None, list], bool]:
        """Sections a stopped walk left with fewer items than they have: one query each, rare
        by construction (the walk is sized for every section). Also says whether any of them
        reached the bottom of the dated claims."""
        size, extra, bottom = self.section_size, {}, False
        for section, total in summary.counts[kind].items():
            if len(found.get(section, [])) >= min(total, size):
                continue
            claims = self._rows(self.pair.claims(kind, walk=True, part="dated"), kind)
            claims = claims.filter(in_section(self._rank(section)))
            rows = list(claims.order_by("-date_lower", "-pk")[:size])
            extra[section] = self._by_rows(kind, rows).get(section, [])
            bottom = bottom or len(rows) < size
        return extra, bottom

    def choose(self, summary: Summary) -> dict[int | None, list[Item]]:
        """The newest ``section_size`` items of each section (by start date), in date order."""
        size = self.section_size
        events = self._choose_events(summary)
        # A statement or agreement older than the newest `size` events of its section cannot
        # be shown; when every section they fall in has that many events, their reading can
        # stop at the oldest such date.
        since = None
        sections = {s for kind in ("agreement", "statement") for s in summary.counts[kind]}
        if sections and all(len(events.get(s, [])) >= size for s in sections):
            since = min(events[s][size - 1][1] for s in sections)
        others = {kind: self._choose(kind, summary, since) for kind in ("agreement", "statement")}

        loaded = Event.objects.in_bulk([pk for rows in events.values() for pk, _ in rows])
        chosen: dict[int | None, list[Item]] = defaultdict(list)
        for section, rows in events.items():
            # (an event unpublished since the walk read it is simply not there)
            chosen[section] += [
                Item("event", loaded[pk], section) for pk, _ in rows if pk in loaded
            ]
        for kind, by_section in others.items():
            for section, claims in by_section.items():
                chosen[section] += [Item(kind, claim, section) for claim in claims]
        return {
            section: sorted(items, key=lambda i: i.sort_key)[-size:]
            for section, items in chosen.items()
        }

    # -- Who is named, and their posts -----------------------------------------------------
    def _participants(self, items: list[Item]) -> None:
        """Countries, organisations and officials of the events and agreements shown, in one
        query: a UNION ALL over the five link tables."""
        ids = {kind: [i.claim.pk for i in items if i.kind == kind] for kind in KINDS}
        links = [
            ("event", "countries", "country", "code", None),
            ("event", "organisations", "organisation", "slug", "kind"),
            ("event", "officials", "official", "slug", None),
            ("agreement", "countries", "country", "code", None),
            ("agreement", "organisations", "organisation", "slug", "kind"),
        ]
        parts = []
        for owner, relation, target, key, kind in links:
            if ids[owner]:
                through = getattr(MODELS[owner], relation).through
                parts.append(
                    through.objects.filter(**{f"{owner}_id__in": ids[owner]}).values_list(
                        Value(owner),
                        f"{owner}_id",
                        Value(target),
                        f"{target}_id",
                        f"{target}__{key}",
                        f"{target}__name",
                        f"{target}__{kind}" if kind else Value(""),
                    )
                )
        by_claim: dict[tuple[str, int], list[tuple]] = defaultdict(list)
        if parts:
            for owner, owner_id, *participant in parts[0].union(*parts[1:], all=True):
                by_claim[owner, owner_id].append(participant)
        pair = {self.first.pk, self.second.pk}
        for item in items:
            if item.kind == "statement":
                statement = item.claim
                if statement.speaker:
                    item.speaker = Person(Mention.of(statement.speaker), statement.speaker.pk)
                if statement.speaker_organisation:
                    item.speaker_organisation = Mention.of(statement.speaker_organisation)
                continue
            for target, target_id, key, name, org_kind in sorted(
                by_claim[item.kind, item.claim.pk], key=lambda r: r[3]
            ):
                mention = Mention(target, key, name, org_kind)
                if target == "official":
                    item.people.append(Person(mention, target_id))
                elif target == "organisation":
                    item.organisations.append(mention)
                elif target_id not in pair or item.kind == "agreement":
                    item.countries.append(mention)

    def _posts(self, items: list[Item]) -> list[Position]:
        """Attach to each official named the post held at the item's date (one query)."""
        people = [p for item in items for p in (*item.people, item.speaker) if p]
        if not people:
            return []
        posts = Position.objects.published().filter(official_id__in={p.official_id for p in people})
        if self.as_of:
            posts = posts.filter(known_by(self.as_of, "start"))
        by_official: dict[int, list[Position]] = defaultdict(list)
        # (no ordering: Position's default sorts by official name, a join for nothing here)
        for post in posts.select_related("country", "organisation").order_by():
            by_official[post.official_id].append(post)
        for item in items:
            for person in (*item.people, item.speaker):
                if person:
                    person.post = _post_at(by_official[person.official_id], item.claim)
                    person.post_text = _post_text(person.post) if person.post else ""
        return [post for posts in by_official.values() for post in posts]

    # -- Putting the page together ---------------------------------------------------------
    def build(self) -> dict[str, Any]:
        self.domains = list(Domain.objects.all())
        summary = self.summary()
        chosen = self.choose(summary)
        order = {d.pk: n for n, d in enumerate(self.domains)}
        sections = sorted(chosen, key=lambda s: order.get(s, len(order)))
        items = [item for s in sections for item in chosen[s]]
        shown = {item.claim.pk for item in items if item.kind == "event"}
        for item in items:
            item.event_shown = item.kind == "statement" and item.claim.event_id in shown
        self._participants(items)
        posts = self._posts(items)
        # Footnotes are numbered in order of first use down the page: each item's own
        # citations, then those of the posts it names.
        notes = Footnotes.reading(
            [i.claim for i in items], posts, only=[f"source__{f}" for f in SOURCE_FIELDS]
        )
        backlinks: dict[tuple[str, int], tuple[str, str]] = {}
        for item in items:
            numbered = {n.number: n for n in notes.cite(item.claim)}
            backlinks.setdefault((item.kind, item.claim.pk), (item.anchor, item.label))
            for person in (*item.people, item.speaker):
                if person and person.post:
                    key = ("position", person.post.pk)
                    if key not in backlinks:
                        person.anchor = f"position-{person.post.slug}"
                        label = f"{person.mention.name}, {person.post_text}"
                        backlinks[key] = (person.anchor, label)
                    numbered.update({n.number: n for n in notes.cite(person.post)})
            item.notes = [numbered[n] for n in sorted(numbered)]

        domains = {d.pk: d for d in self.domains}
        return {
            "sections": [
                Section(
                    domain=domains.get(s),
                    items=chosen[s],
                    total=max(summary.section_total(s), len(chosen[s])),
                    timeline_url=self.timeline_url(domains.get(s)),
                    more_on=_more_on(chosen[s]),
                )
                for s in sections
            ],
            "notes": [
                NoteView(
                    note,
                    [
                        backlinks[claim._meta.model_name, claim.pk]
                        for claim in note.claims
                        if (claim._meta.model_name, claim.pk) in backlinks
                    ],
                )
                for note in notes
            ],
            "summary": summary,
            # (cached counts may lag behind what is shown; never below it)
            "counts": {
                kind: max(summary.total(kind), sum(i.kind == kind for i in items)) for kind in KINDS
            },
            "span": self.span(summary),
            "section_size": self.section_size,
        }

    def span(self, summary: Summary) -> tuple[int, int] | None:
        """The years the dossier covers, (2007, 2010), not past its "as of" date."""
        first, last = summary.first, summary.last
        if self.as_of and last and last > self.as_of:
            last = self.as_of
        if not first or not last:
            return None
        return tuple(sorted((first.year, last.year)))

    def timeline_url(self, domain: Domain | None = None) -> str:
        """The timeline of the pair (of one domain), with the parameters the timeline reads."""
        query = [("country", self.first.code.lower()), ("country", self.second.code.lower())]
        if domain is not None:
            query.append(("domain", domain.slug))
        return f"{reverse('timeline')}?{urlencode(query)}"


def _post_at(posts: list[Position], claim: Any) -> Position | None:
    """The post held at the claim's date: the latest-starting one that overlaps it."""
    lower = claim.date_lower or OPEN_LOWER
    upper = claim.date_upper or OPEN_UPPER
    held = [
        p
        for p in posts
        if (p.start_lower or OPEN_LOWER) <= upper and (p.end_upper or OPEN_UPPER) >= lower
    ]
    return max(held, key=lambda p: (p.start_lower or OPEN_LOWER, p.pk), default=None)


def _post_text(post: Position) -> str:
    """ "President of Iran", "Vice Governor of the Central Bank of …", "Minister of Culture of
    Belarus" (a ministry's post is named after its country, not the ministry)."""
    organisation = post.organisation
    if organisation and not (organisation.kind == Organisation.Kind.GOVERNMENT and post.country):
        return f"{post.title} of {organisation_name(organisation.name, organisation.kind)}"
    if post.country:
        return f"{post.title} of {post.country.name}"
    return post.title


def _more_on(items: Iterable[Item]) -> list[Mention]:
    """The organisations and officials a section names, in order of first mention."""
    seen: dict[Mention, None] = {}
    for item in items:
        for person in (*item.people, item.speaker):
            if person:
                seen.setdefault(person.mention)
        for mention in (*item.organisations, item.speaker_organisation):
            if mention:
                seen.setdefault(mention)
    return list(seen)[:MORE_ON_LIMIT]


# --- Views ------------------------------------------------------------------------------------
def pair_name(first: Country, second: Country) -> str:
    """ "Belarus–Iran": names in alphabetical order, joined by an en dash."""
    return "–".join(sorted((first.name, second.name)))


class DossierView(View):
    """``/relations/<iso>-<iso>/``: the dossier of a pair of countries."""

    template_name = "relations/dossier.html"

    def get(self, request: HttpRequest, first: str, second: str) -> HttpResponse:
        if first == second:
            raise Http404("A country has no relations with itself here.")
        countries = {c.code: c for c in Country.objects.filter(code__in=[first, second])}
        if len(countries) != 2:
            raise Http404("No such country.")
        if first > second:  # the canonical URL has the codes in alphabetical order
            url = reverse("dossier", args=[second, first])
            query = request.META.get("QUERY_STRING", "")
            return HttpResponsePermanentRedirect(f"{url}?{query}" if query else url)
        a, b = countries[first], countries[second]
        context: dict[str, Any] = {"first": a, "second": b, "title": pair_name(a, b)}
        form = AsOfForm(request.GET or None)
        if form.is_bound and not form.is_valid():
            context["form"] = form
            return render(request, self.template_name, context, status=400)
        as_of = form.cleaned_data["as_of"] if form.is_bound else None
        dossier = Dossier(a, b, as_of)
        context.update(dossier.build())
        context.update(
            form=form if form.is_bound else AsOfForm(),
            as_of=as_of,
            today=timezone.localdate(),
            timeline_url=dossier.timeline_url(),
        )
        return render(request, self.template_name, context)


def top_relationships(limit: int = INDEX_SIZE) -> list[dict[str, Any]]:
    """The pairs of countries with the most published events, busiest first.

    One GROUP BY over the event–country link table joined to itself (each pair once, by
    ``country_id <`` its partner) and to the published events: about 1.7 s at 10^6 events,
    hence the cache (see ``RelationshipIndexView``).
    """
    links = Event.countries.through.objects.filter(event__status=Status.PUBLISHED)
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
                "url": reverse("dossier", args=[first.code, second.code]),
                "codes": f"{first.code}–{second.code}",
                "events": events,
            }
        )
    return result


class PairForm(forms.Form):
    """Two countries, to open their dossier; the choices come from one list (one query)."""

    first = forms.ChoiceField(label="Country")
    second = forms.ChoiceField(label="and")

    def __init__(self, *args: Any, countries: Sequence[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "—"), *countries]
        self.fields["first"].choices = self.fields["second"].choices = choices

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("first") and data.get("first") == data.get("second"):
            raise ValidationError("Choose two different countries.")
        return data


class RelationshipIndexView(View):
    """``/relations/``: the busiest relationships, and a form to open any pair's dossier.

    The ranking is cached for ``INDEX_TTL``: it counts every published event's pairs.
    """

    template_name = "relations/relationships.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        countries = list(Country.objects.values_list("code", "name"))
        asked = "first" in request.GET or "second" in request.GET
        form = PairForm(request.GET if asked else None, countries=countries)
        if form.is_bound and form.is_valid():
            first, second = sorted((form.cleaned_data["first"], form.cleaned_data["second"]))
            return redirect("dossier", first, second)
        pairs = cache.get_or_set(INDEX_CACHE_KEY, top_relationships, INDEX_TTL)
        return render(
            request,
            self.template_name,
            {"pairs": pairs, "form": form, "countries": countries, "size": INDEX_SIZE},
            status=400 if form.is_bound else 200,
        )
