"""A timeline page: keyset rows on (date_lower, id), what each event shows, its footnotes, and
its headings (year, then month).

What a page costs, whatever the database's size: one query for the rows (no OFFSET, no COUNT),
one for every record they link to (five link tables, one UNION ALL; domains and countries are
the cached reference data), one for their statements, one for the citations of the events and
their quotes together: four queries for 10 or 100 events. The last three read values, not
records, with SQL compiled once per process (``reader.prepared``): building and compiling the
querysets cost more Python time than the rest of the page's data.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db.models import BooleanField, CharField, DateField, QuerySet, Value
from django.db.models.functions import Cast

from core.dates import MONTH_NAMES, OPEN_LOWER, Precision, parse_fuzzy_date
from reader import prepared
from reader.pages.common import organisation_label, read_cited
from reader.timeline.request import Timeline
from relations import visibility
from relations.filters import Cursor, reference
from relations.footnotes import Footnotes
from relations.models import Agreement, Event, Official, Organisation, Statement
from relations.paging import SPLIT_MARGIN, event_rows  # noqa: F401 (SPLIT_MARGIN: tests)
from relations.paging import split_date as split_of
from relations.presentation import linker, when

if TYPE_CHECKING:
    from reader.timeline.facets import FacetData  # (which imports this module)

#: What the page shows of an organisation: enough to name one the sources do not name.
ORGANISATION_FIELDS = (
    "id",
    "slug",
    "name",
    "short_name",
    "kind",
    "unnamed",
    "country__name",
    "location__name",
)
NOTE_SOURCE_FIELDS = (
    "footnote__source__slug",
    "footnote__source__title",
    "footnote__source__outlet",
)
MONTH_LEVEL = {Precision.DAY, Precision.PART_OF_MONTH, Precision.MONTH}


@dataclass
class Block:
    label: str | None  # "June 2010"; None for events dated to a year or more loosely
    events: list[Event] = field(default_factory=list)


@dataclass
class YearGroup:
    label: str  # "2010", or "Start not known" for open starts ("until 2009")
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Page:
    events: list[Event]
    later: str | None = None  # URL of the next page in the current order
    earlier: str | None = None  # URL of the previous page
    first: str | None = None  # URL of the first page, when this is not it
    notes: Footnotes = field(default_factory=Footnotes)
    groups: list[YearGroup] = field(default_factory=list)


def page(timeline: Timeline, facets: FacetData) -> Page:
    """The page the request asks for (``facets``: the facet query's answer, which holds the long
    events a "from" date needs, ``relations.paging.event_rows``, and how many events the filter
    keeps), with its links, its events annotated and grouped, and its notes."""
    paging = timeline.paging.cleaned_data
    after, before = paging.get("after"), paging.get("before")
    size = timeline.paging.size
    cursor = after or before
    rows = event_rows(
        timeline.rows_queryset(facets.events),
        descending=(timeline.order == "newest") != bool(before),
        position=(cursor.date, cursor.id) if cursor else None,
        size=size,
        split=split_date(timeline),
        early=facets.early,
    )
    more = len(rows) > size
    events = rows[:size]
    if before:
        events.reverse()
    result = Page(events)
    if events:
        if more or before:
            result.later = timeline.url(after=Cursor.of(events[-1]))
        if after or (more and before):
            result.earlier = timeline.url(before=Cursor.of(events[0]))
    if after or before:
        result.first = timeline.url()
    result.notes = annotate(events, timeline.window)
    result.groups = group(events)
    return result


# --- Rows: keyset on (date_lower, id), as the API's event list (relations.paging) ----------
def split_date(timeline: Timeline) -> datetime.date | None:
    """Where the timeline's order splits (``relations.paging.split_date``)."""
    return split_of(timeline.queryset, timeline.window[0])


# --- What each event shows -------------------------------------------------------------------
NO_TEXT = Value("", output_field=CharField())
NO_FLAG = Value(False, output_field=BooleanField())
NO_DATE = Cast(Value(None), DateField())  # typed: a bare NULL in one branch is text to a UNION


def _link_rows(relation: str, ids: list[int], *columns) -> QuerySet:
    """An event relation's link table as rows of the page's one link query: (relation, event,
    record, then ``columns``, padded with blanks to the organisations' and agreements' width)."""
    through = getattr(Event, relation).through
    target = through._meta.get_field(Event._meta.get_field(relation).m2m_reverse_field_name())
    padding = (NO_TEXT, NO_TEXT, NO_TEXT, NO_TEXT, NO_FLAG, NO_TEXT, NO_TEXT, NO_DATE, NO_DATE)
    return (
        through.objects.filter(event_id__in=ids)
        .values_list(
            Value(relation), "event_id", target.attname, *columns, *padding[len(columns) :]
        )
        .order_by()
    )


def link_rows(ids: list[int]) -> QuerySet:
    """Every record the events link to, one query (a UNION ALL of the five link tables): (relation,
    event, record, key, name, short name, kind, unnamed, owner, location, date bounds).

    Domains and countries are the reference data's (``relations.filters.reference``, cached):
    their ids are enough. Linked agreements only where a reader may see them."""
    organisation = (
        "organisation__slug",
        "organisation__name",
        "organisation__short_name",
        "organisation__kind",
        "organisation__unnamed",
        "organisation__country__name",
        "organisation__location__name",
    )
    agreement = ("agreement__slug", "agreement__title", NO_TEXT, "agreement__kind", NO_FLAG)
    agreements = _link_rows(
        "agreements", ids, *agreement, NO_TEXT, NO_TEXT, "agreement__date_lower",
        "agreement__date_upper",
    ).filter(visibility.claim_q(Agreement, "agreement__"))  # fmt: skip
    parts = [
        _link_rows("domains", ids),
        _link_rows("countries", ids),
        _link_rows("organisations", ids, *organisation),
        _link_rows("officials", ids, "official__slug", "official__name"),
        agreements,
    ]
    return parts[0].union(*parts[1:], all=True)


#: What the page shows of a statement made at an event (its own fields), and of its speakers.
STATEMENT_FIELDS = ("id", "event_id", "slug", "form", "quote", "verb", "context", "language")
STATEMENT_COLUMNS = (
    *STATEMENT_FIELDS,
    "speaker_id",
    "speaker__slug",
    "speaker__name",
    "speaker_organisation_id",
    *(f"speaker_organisation__{f}" for f in ORGANISATION_FIELDS[1:]),
)


def statement_rows(ids: list[int]) -> QuerySet:
    """The visible statements made at the events, with their speakers, in date order."""
    statements = visibility.claims(Statement).filter(event_id__in=ids).chronological()
    return statements.values_list(*STATEMENT_COLUMNS)


def statements_of(ids: list[int]) -> list[Statement]:
    """``statement_rows`` as records (with what the page shows, the rest deferred), the
    speaking organisation labelled (as ``reader.pages.common.labelled`` does)."""
    statements = []
    width = len(STATEMENT_FIELDS)
    for row in prepared.rows(statement_rows, ids):
        statement = prepared.record(Statement, **dict(zip(STATEMENT_FIELDS, row, strict=False)))
        speaker_id, slug, name, body_id, body_slug, *body = row[width:]
        statement.speaker = prepared.record(Official, id=speaker_id, slug=slug, name=name)
        body_record = prepared.record(Organisation, id=body_id, slug=body_slug, name=body[0])
        if body_record is not None:
            body_record.label = _organisation_label(*body)
        statement.speaker_organisation = body_record
        statements.append(statement)
    return statements


def read_links(events: list[Event]) -> list[Statement]:
    """Give each event what it shows besides itself: its domains (``domain_list``: records),
    countries, organisations, officials and visible agreements (``country_links``…: (URL,
    label) pairs, in their models' order) and its visible statements (``statement_list``). Two
    queries; returns the statements."""
    ids = [event.pk for event in events]
    ref = reference()
    domain_rank = {d.pk: (n, d) for n, d in enumerate(ref.domains)}
    country_rank = {c.pk: (n, c) for n, c in enumerate(ref.countries)}
    found: dict[tuple[str, int], list[tuple]] = defaultdict(list)
    for relation, event_id, *row in prepared.rows(link_rows, ids):
        found[relation, event_id].append(row)
    country_url, official_url = linker("country"), linker("official")
    organisation_url, agreement_url = linker("organisation"), linker("agreement")
    for event in events:
        pk = event.pk
        domains = [domain_rank[row[0]] for row in found["domains", pk] if row[0] in domain_rank]
        event.domain_list = [d for _, d in sorted(domains, key=itemgetter(0))]
        countries = [country_rank[r[0]] for r in found["countries", pk] if r[0] in country_rank]
        event.country_links = [
            (country_url(c.code), c.name) for _, c in sorted(countries, key=itemgetter(0))
        ]
        event.organisation_links = [
            (organisation_url(slug), _organisation_label(name, short, kind, unnamed, *where))
            for _, slug, name, short, kind, unnamed, *where, _, _ in sorted(
                found["organisations", pk], key=_by_name
            )
        ]
        event.official_links = [
            (official_url(r[1]), r[2]) for r in sorted(found["officials", pk], key=_by_name)
        ]
        event.agreement_links = [
            (agreement_url(r[1]), r[2]) for r in sorted(found["agreements", pk], key=_by_date)
        ]
        event.statement_list = []
    statements = statements_of(ids)
    by_id = {event.pk: event for event in events}
    for statement in statements:
        by_id[statement.event_id].statement_list.append(statement)
    return statements


def _organisation_label(name, short_name, kind, unnamed, owner, location) -> str:
    if not unnamed:  # (its owner and location do not change its label)
        return organisation_label(name, short_name, kind, False, "", "")
    return organisation_label(name, short_name, kind, True, owner or "", location or "")


def _by_name(row: tuple) -> tuple:
    """Officials (organisations) in their model's order: by name (then id, for a stable page)."""
    return row[2], row[0]


def _by_date(row: tuple) -> tuple:
    """Agreements in their model's order (date bounds, undated last, then id)."""
    lower, upper = row[-2], row[-1]
    return lower is None, lower or OPEN_LOWER, upper is None, upper or OPEN_LOWER, row[0]


def annotate(events: list[Event], window) -> Footnotes:
    """Read what the page shows (``read_links``), number its footnotes, read dates, mark
    imprecise ones (a date wider than the filter's: it may lie partly outside them)."""
    statements = read_links(events)
    notes = Footnotes(read_cited([*events, *statements]))
    lower, upper = window
    for event in events:
        event.anchor = f"event-{event.slug}"
        event.when = when(event.date)
        event.imprecise = (lower is not None and event.date_lower < lower) or (
            upper is not None and event.date_upper > upper
        )
        event.label = event.title  # what a note's link back to it says
        event.notes = notes.cite(event)
        for statement in event.statement_list:
            statement.anchor = f"statement-{statement.slug}"
            statement.label = event.title
            statement.notes = notes.cite(statement)
    return notes


# --- Headings: year, then month (or none, for dates known to the year) -----------------------
@lru_cache(maxsize=8192)
def _heading(text: str) -> tuple[str, str | None] | None:
    try:
        fuzzy = parse_fuzzy_date(text)
    except ValidationError:  # stored before a parser change: filed under its year
        return None
    if fuzzy.lower == OPEN_LOWER:
        return "Start not known", None
    precision = fuzzy.precision
    if precision in (Precision.INTERVAL, Precision.OPEN):
        start, _ = fuzzy._ends()  # the start as typed: "May 2009" in "2009-05/2010-07"
        precision = start.precision if start else Precision.YEAR
    year = str(fuzzy.lower.year)
    if precision in MONTH_LEVEL:
        return year, f"{MONTH_NAMES[fuzzy.lower.month - 1]} {year}"
    return year, None


def heading(event: Event) -> tuple[str, str | None]:
    """The year and month headings an event is listed under (month None: under its year)."""
    return _heading(event.date) or (str(event.date_lower.year), None)


def group(events: list[Event]) -> list[YearGroup]:
    groups: list[YearGroup] = []
    for event in events:
        year, month = heading(event)
        if not groups or groups[-1].label != year:
            groups.append(YearGroup(year))
        blocks = groups[-1].blocks
        if not blocks or blocks[-1].label != month:
            blocks.append(Block(month))
        blocks[-1].events.append(event)
    return groups
