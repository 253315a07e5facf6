"""The public event timeline: published events, filtered, grouped by year and month, with facets,
a chart, footnotes, keyset pages and streaming exports (CSV, JSON, Atom).

    /timeline/?domain=economic&from=2005&to=2010&country=by&country=ir
    /timeline.csv?...   /timeline.json?...   /timeline.atom?...

What a request costs, whatever the database's size:

- **Filtering** is ``relations.filters.TimelineFilter`` over ``Event.objects.published()``:
  domains and text by subquery (each event once, no DISTINCT), dates by interval overlap.
- **Pages** are keyset pages on ``(date_lower, id)`` (``?after=2008-06-01.1234``): the page's
  ids come from an index-only scan in that order that stops after one page, then only those rows
  are read; no OFFSET and no COUNT. With a "from" date the scan starts a year before it, and the
  few long events that began earlier and still overlap it ("since 1990") come from the facet
  query's cached answer (see ``_page_rows``).
- **Related data** is prefetched per page (one query per relation), and the citations of the
  events and of their quotes are read together, so a page costs the same few queries for 10 or
  100 events.
- **Facets** (events per domain and per year, which also draw the chart) are one aggregate query
  over the filtered set (a CTE), cached under the normalised filter and a data version that the
  signals at the end of this module bump whenever an event, statement, citation or agreement
  changes.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from itertools import batched
from urllib.parse import urlencode

from django.contrib.syndication.views import Feed
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, transaction
from django.db.models import Prefetch, Q, QuerySet, prefetch_related_objects
from django.db.models.functions import ExtractYear
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.views.generic import TemplateView

from relations.dates import MONTH_NAMES, OPEN_LOWER, OPEN_UPPER, FuzzyDate, Precision
from relations.dates import parse_fuzzy_date as parse
from relations.filters import (
    DEFAULT_PER_PAGE,
    ORDER_CHOICES,
    REFERENCE_VERSION_KEY,
    Cursor,
    PageForm,
    TimelineFilter,
    bump_version,
    current_version,
    reference,
)
from relations.footnotes import Footnotes
from relations.models import (
    Agreement,
    Citation,
    Country,
    Domain,
    Event,
    Official,
    Organisation,
    Statement,
)

TEMPLATE = "relations/timeline.html"
DATA_VERSION_KEY = "relata:timeline:data-version"
FACETS_TIMEOUT = 60 * 60  # a safety net: every change made through the ORM is signalled
FEED_SIZE = 50
EXPORT_CHUNK = 2000
NOTE_SOURCE_FIELDS = ("source__slug", "source__title", "source__outlet")

# Where a page with a "from" date splits the keyset order (see _page_rows): events that start
# more than this before "from" and still overlap it must span over a year, so they are few.
SPLIT_MARGIN = datetime.timedelta(days=366)
MONTH_LEVEL = {Precision.DAY, Precision.PART_OF_MONTH, Precision.MONTH}
PARAMETER_ORDER = (
    "q",
    "domain",
    "from",
    "to",
    "country",
    "official",
    "organisation",
    "agreement_kind",
    "order",
    "per_page",
    "after",
    "before",
)


# --- The request: filters, paging and what they say ----------------------------------------------
class Timeline:
    """One request's filter and page position, validated, with the links and words they need."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        self.filterset = TimelineFilter(request.GET, request=request)
        self.paging = PageForm(request.GET)

    @cached_property
    def valid(self) -> bool:
        filters_ok = self.filterset.is_valid()
        paging_ok = self.paging.is_valid()
        return filters_ok and paging_ok

    @property
    def form(self):
        return self.filterset.form

    @property
    def data(self) -> dict:
        return self.form.cleaned_data

    @property
    def queryset(self) -> QuerySet:
        """The filtered, ordered published events (valid requests only)."""
        return self.filterset.qs

    @property
    def order(self) -> str:
        return self.data.get("order") or "oldest"

    @property
    def window(self) -> tuple[datetime.date | None, datetime.date | None]:
        """The filter's dates as days: the lower bound of "from", the upper bound of "to"."""
        start, end = self.data.get("from"), self.data.get("to")
        return (start.lower if start else None, end.upper if end else None)

    # Links ---------------------------------------------------------------------------------
    @cached_property
    def params(self) -> list[tuple[str, str]]:
        """The filter as canonical query parameters: known ones only, in a fixed order."""
        data, params = self.data, []
        if data.get("q"):
            params.append(("q", " ".join(data["q"].split())))
        ref = reference()
        chosen = set(data.get("domain") or ())
        params += [("domain", d.slug) for d in ref.domains if d.slug in chosen]
        for name in ("from", "to"):
            if data.get(name):
                params.append((name, data[name].text))
        params += [("country", code) for code in data.get("country") or ()]
        for name in ("official", "organisation"):
            if data.get(name):
                params.append((name, data[name].slug))
        if data.get("agreement_kind"):
            params.append(("agreement_kind", data["agreement_kind"]))
        if self.order != "oldest":
            params.append(("order", self.order))
        return params

    def url(self, name: str = "timeline", *, drop: Iterable[str] = (), **changes) -> str:
        """A URL for this filter with some parameters replaced (a list value: repeated).

        Parameters always come in the same order, so one filter has one URL (and one cache
        entry in any shared cache in front of us).
        """
        values: dict[str, list[str]] = defaultdict(list)
        for key, value in self.params:
            values[key].append(value)
        if name == "timeline" and self.paging.is_valid():
            size = self.paging.cleaned_data.get("per_page")
            if size and size != DEFAULT_PER_PAGE:
                values["per_page"] = [str(size)]
        for key, value in changes.items():
            items = value if isinstance(value, list | tuple) else [value]
            values[key] = [str(v) for v in items if v not in (None, "")]
        params = [(k, v) for k in PARAMETER_ORDER if k not in drop for v in values.get(k, ())]
        query = urlencode(params)
        return reverse(name) + (f"?{query}" if query else "")

    # Words ---------------------------------------------------------------------------------
    @cached_property
    def summary(self) -> str:
        """What is shown, in words: "Belarus and Iran, economic, 2009–2010"."""
        data, ref, parts = self.data, reference(), []
        countries = [ref.country(code) for code in data.get("country") or ()]
        if countries:
            parts.append(" and ".join(c.name for c in countries))
        for name in ("official", "organisation"):
            if data.get(name):
                parts.append(data[name].name)
        chosen = set(data.get("domain") or ())
        domains = [d.name.lower() for d in ref.domains if d.slug in chosen]
        if domains:
            parts.append(_and(domains))
        if data.get("agreement_kind"):
            kind = Agreement.Kind(data["agreement_kind"])
            label = "another kind of agreement" if kind == Agreement.Kind.OTHER else kind.label
            parts.append(f"related to {'an' if label[0] in 'aeiou' else 'a'} {label}")
        dates = _period(data.get("from"), data.get("to"))
        if dates:
            parts.append(dates)
        if data.get("q"):
            parts.append(f"matching “{' '.join(data['q'].split())}”")
        return ", ".join(parts)

    @property
    def title(self) -> str:
        return f"Events: {self.summary}" if self.summary else "All events"


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _period(start: FuzzyDate | None, end: FuzzyDate | None) -> str:
    if start and start.lower == OPEN_LOWER:
        start = None
    if end and end.upper == OPEN_UPPER:
        end = None
    if start and end:
        first, last = start.display(), end.display()
        if first == last:
            return first
        if start.precision == end.precision == Precision.YEAR:
            return f"{first}–{last}"
        return f"{first} – {last}"
    if start:
        return f"since {start.display()}"
    return f"until {end.display()}" if end else ""


# --- Pages: keyset on (date_lower, id) -----------------------------------------------------------
@dataclass
class Page:
    events: list[Event]
    later: str | None = None  # URL of the next page in the current order
    earlier: str | None = None  # URL of the previous page
    first: str | None = None  # URL of the first page, when this is not it
    notes: Footnotes = field(default_factory=Footnotes)
    groups: list[YearGroup] = field(default_factory=list)


def _after(cursor: Cursor, descending: bool) -> Q:
    """Rows strictly beyond ``cursor`` in the scan order, with a plain bound for the index."""
    if descending:
        return Q(date_lower__lte=cursor.date) & (
            Q(date_lower__lt=cursor.date) | Q(date_lower=cursor.date, id__lt=cursor.id)
        )
    return Q(date_lower__gte=cursor.date) & (
        Q(date_lower__gt=cursor.date) | Q(date_lower=cursor.date, id__gt=cursor.id)
    )


def split_date(timeline: Timeline) -> datetime.date | None:
    """Where the timeline's order splits into long events that began before the window and the
    rest (PostgreSQL only, with a "from" date; see ``_page_rows``)."""
    start = timeline.window[0]
    if start is None or start - SPLIT_MARGIN <= OPEN_LOWER:
        return None
    if connections[timeline.queryset.db].vendor != "postgresql":
        return None
    return start - SPLIT_MARGIN


def _page_rows(
    queryset: QuerySet,
    *,
    descending: bool,
    cursor: Cursor | None,
    size: int,
    split: datetime.date | None = None,
    early: list[tuple[int, int]] = (),
) -> list[Event]:
    """Up to ``size + 1`` events in (date_lower, id) order, beyond ``cursor`` if given.

    One query, a deferred join: the ids of the page come from an index-only scan of published
    events in keyset order (partial index on (date_lower, id) carrying date_upper), checking each
    against the filter's subqueries, stopping at ``size + 1``; then only those rows are read.

    Overlap with a "from" date means ``date_upper >= from``, which an index on date_lower cannot
    bound: a plain ordered scan would start at the first event ever recorded. So with a "from"
    date the order is cut at ``split = from - 366 days``. Events that start after the split are
    scanned from there. Those that start before it and still overlap "from" all sort before the
    rest and span more than a year ("since 1990", long intervals, decades): few, and listed by
    the facet query (``early``, (ordinal, id) pairs cached with the facets); the page takes the
    ones beyond the cursor by id.
    """
    order = ("-date_lower", "-id") if descending else ("date_lower", "id")
    scan = queryset.order_by(*order)
    if cursor is not None:
        scan = scan.filter(_after(cursor, descending))
    if split is None:
        ids = scan.values("id")[: size + 1]
    else:
        key = (cursor.date.toordinal(), cursor.id) if cursor else None
        ahead = [
            pk
            for lower, pk in (reversed(early) if descending else early)
            if key is None or ((lower, pk) < key if descending else (lower, pk) > key)
        ][: size + 1]
        # Ascending, the early events come first; descending, once the cursor is before the
        # split, only early events are left.
        fills = len(ahead) > size if not descending else bool(cursor and cursor.date < split)
        ids = None if fills else scan.filter(date_lower__gte=split).values("id")[: size + 1]
        if ahead:
            listed = Event.objects.filter(pk__in=ahead).values("id")
            ids = listed if ids is None else ids.union(listed, all=True)
        if ids is None:
            return []
    return list(Event.objects.published().filter(id__in=ids).order_by(*order)[: size + 1])


def page_prefetches() -> list[Prefetch]:
    """What a page shows of each event, one query per relation; no drafts.

    Into plain lists (``to_attr``): the template reads them many times, and a prefetched
    manager would make a new QuerySet (and a new manager) at every read.
    """
    return [
        Prefetch(
            "domains",
            queryset=Domain.objects.only("id", "slug", "name", "position"),
            to_attr="domain_list",
        ),
        Prefetch(
            "countries",
            queryset=Country.objects.only("id", "code", "name"),
            to_attr="country_list",
        ),
        Prefetch(
            "organisations",
            queryset=Organisation.objects.only("id", "slug", "name", "short_name"),
            to_attr="organisation_list",
        ),
        Prefetch(
            "officials",
            queryset=Official.objects.only("id", "slug", "name"),
            to_attr="official_list",
        ),
        Prefetch(
            "agreements",
            queryset=Agreement.objects.published().only("id", "slug", "title", "kind"),
            to_attr="published_agreements",
        ),
        Prefetch(
            "statements",
            queryset=Statement.objects.published()
            .select_related("speaker", "speaker_organisation")
            .only(
                "id",
                "slug",
                "quote",
                "context",
                "language",
                "event_id",
                "date_lower",
                "speaker__id",
                "speaker__slug",
                "speaker__name",
                "speaker_organisation__id",
                "speaker_organisation__slug",
                "speaker_organisation__name",
                "speaker_organisation__short_name",
            )
            .order_by("date_lower", "id"),
            to_attr="published_statements",
        ),
    ]


def annotate_page(events: list[Event], window) -> Footnotes:
    """Prefetch what the page shows, number its footnotes, mark imprecise dates."""
    prefetch_related_objects(events, *page_prefetches())
    statements = [s for e in events for s in e.published_statements]
    notes = Footnotes.reading(events, statements, only=NOTE_SOURCE_FIELDS)
    lower, upper = window
    url = _Urls()
    for event in events:
        # Each linked object's URL (``.url``, as its get_absolute_url() gives it).
        url.each(event.country_list)
        url.each(event.organisation_list)
        url.each(event.official_list)
        url.each(event.published_agreements)
        url.each([event])
        event.anchor = f"event-{event.slug}"
        event.fuzzy = parse(event.date)
        event.imprecise = bool(lower or upper) and not event.fuzzy.within(lower, upper)
        event.machine_date = _machine_date(event.fuzzy)
        event.label = event.title  # what a note's link back to it says
        event.notes = notes.cite(event)
        for statement in event.published_statements:
            url.each(o for o in (statement.speaker, statement.speaker_organisation) if o)
            statement.anchor = f"statement-{statement.slug}"
            statement.label = event.title
            statement.notes = notes.cite(statement)
    url.each(note.source for note in notes)
    for note in notes:
        note.html = render_note(note)
    return notes


class _Urls:
    """``obj.get_absolute_url()`` for the hundreds of links on a page, without a reverse() each:
    each URL pattern is reversed once with a placeholder, then filled in (slugs and lower-case
    ISO codes need no quoting). Checked against get_absolute_url() in the tests."""

    KEYS = {
        "event": "slug",
        "agreement": "slug",
        "organisation": "slug",
        "official": "slug",
        "source": "slug",
        "country": "code",
    }
    PLACEHOLDER = "zzzz"  # fits the slug and the ISO-code converters

    def __init__(self) -> None:
        self._patterns: dict[str, str] = {}

    def pattern(self, name: str) -> str:
        pattern = self._patterns.get(name)
        if pattern is None:
            pattern = self._patterns[name] = reverse(name, args=[self.PLACEHOLDER])
        return pattern

    def __call__(self, obj) -> str:
        name = obj._meta.model_name
        pattern = self.pattern(name)
        key = getattr(obj, self.KEYS[name])
        return pattern.replace(self.PLACEHOLDER, key.lower() if name == "country" else key, 1)

    def each(self, objects: Iterable) -> list:
        objects = list(objects)
        for obj in objects:
            obj.url = self(obj)
        return objects


def _machine_date(fuzzy: FuzzyDate) -> str:
    """A <time datetime> value where the date has one (a day, a month, a year)."""
    if fuzzy.approximate:
        return ""
    match fuzzy.precision:
        case Precision.DAY:
            return fuzzy.lower.isoformat()
        case Precision.MONTH:
            return fuzzy.lower.isoformat()[:7]
        case Precision.YEAR:
            return str(fuzzy.lower.year)
    return ""


# --- One event, as the timeline lists it ---------------------------------------------------------
# Built here rather than by a template include: a page of 50 events has some 2,000 values to
# escape and links to join, which the template engine renders in ~25 ms of a 50 ms budget and
# format_html in ~4 (bench/timeline.py). The markup is the one templates/relations/timeline.html
# documents around its use; tests read it as a reader's browser does.
IMPRECISE = SafeString(
    '<span class="imprecise" title="Its date is wider than the dates you filtered by: it may lie'
    ' partly outside them.">imprecise<span class="visually-hidden">: the date is wider than the'
    " filter’s dates</span></span>"
)


def _markers(notes) -> SafeString:
    return format_html_join(
        "", '<sup class="fn"><a href="#{}">{}</a></sup>', ((n.anchor, n.number) for n in notes)
    )


def _links(objects, label=lambda o: o.name) -> SafeString:
    return format_html_join(", ", '<a href="{}">{}</a>', ((o.url, label(o)) for o in objects))


def _participants(event: Event) -> SafeString:
    rows = [
        (heading, _links(objects, label))
        for heading, objects, label in (
            ("Countries", event.country_list, lambda o: o.name),
            ("Organisations", event.organisation_list, str),
            ("Officials", event.official_list, lambda o: o.name),
            ("Agreements", event.published_agreements, lambda o: o.title),
        )
        if objects
    ]
    if not rows:
        return SafeString("")
    return format_html(
        '<dl class="participants">{}</dl>',
        format_html_join("", "<div><dt>{}</dt><dd>{}</dd></div>", rows),
    )


def _quote(statement: Statement) -> SafeString:
    speaker, body = statement.speaker, statement.speaker_organisation
    if speaker and body:
        who = format_html(
            '<a href="{}">{}</a>, <a href="{}">{}</a>', speaker.url, speaker.name, body.url, body
        )
    elif speaker or body:
        who = format_html(
            '<a href="{}">{}</a>', (speaker or body).url, speaker.name if speaker else body
        )
    else:
        who = "the parties jointly"
    context = (
        format_html(', <span class="context">{}</span>', statement.context)
        if statement.context
        else ""
    )
    lang = format_html(' lang="{}"', statement.language) if statement.language != "en" else ""
    return format_html(
        '<blockquote class="quote" id="{}"{}><p>“{}”{}</p><footer>— {}{}</footer></blockquote>',
        statement.anchor,
        lang,
        statement.quote,
        _markers(statement.notes),
        who,
        context,
    )


def render_event(event: Event, level: int) -> SafeString:
    """An event as an ``<article>``: title with its footnote markers, date in its own
    precision (marked imprecise against the filter's dates), place, domains, summary,
    participants and agreements linked, quotes with their own markers."""
    display = event.fuzzy.display()
    date = (
        format_html('<time datetime="{}">{}</time>', event.machine_date, display)
        if event.machine_date
        else format_html('<span class="date">{}</span>', display)
    )
    meta = [date]
    if event.imprecise:
        meta.append(IMPRECISE)
    if event.place:
        meta.append(format_html('<span class="place">{}</span>', event.place))
    meta += [
        format_html('<span class="tag domain-{}">{}</span>', d.slug, d.name)
        for d in event.domain_list
    ]
    summary = format_html('<p class="summary">{}</p>', event.summary) if event.summary else ""
    return format_html(
        '<article class="event{}" id="{}"><h{} class="event-title"><a href="{}">{}</a>{}</h{}>'
        '<p class="event-meta">{}</p>{}{}{}</article>',
        " is-imprecise" if event.imprecise else "",
        event.anchor,
        level,
        event.url,
        event.title,
        _markers(event.notes),
        level,
        format_html_join(" ", "{}", ((m,) for m in meta)),
        summary,
        _participants(event),
        format_html_join("", "{}", ((_quote(s),) for s in event.published_statements)),
    )


def render_note(note) -> SafeString:
    """A note of the list at the page's foot: source (linked), outlet, locator, excerpt, and a
    link back to each claim on the page that it backs."""
    source = note.source
    details = "".join(f", {d}" for d in (source.outlet, note.locator) if d)
    excerpt = format_html(' <q class="excerpt">{}</q>', note.excerpt) if note.excerpt else ""
    back = format_html_join(
        "",
        ' <a class="back" href="#{}" aria-label="Back to “{}”">↩</a>',
        ((claim.anchor, claim.label) for claim in note.claims),
    )
    return format_html(
        '<li id="{}" value="{}"><a href="{}">{}</a>{}.{}{}</li>',
        note.anchor,
        note.number,
        source.url,
        source.title,
        details,
        excerpt,
        back,
    )


# --- Headings: year, then month (or none, for dates known to the year) --------------------------
@dataclass
class Block:
    label: str | None  # "June 2010"; None for events dated to a year or more loosely
    events: list[Event] = field(default_factory=list)


@dataclass
class YearGroup:
    label: str  # "2010", or "Start not known" for open starts ("until 2009")
    blocks: list[Block] = field(default_factory=list)


def _heading(event: Event) -> tuple[str, str | None]:
    fuzzy: FuzzyDate = event.fuzzy
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


def group(events: list[Event]) -> list[YearGroup]:
    groups: list[YearGroup] = []
    for event in events:
        year, month = _heading(event)
        if not groups or groups[-1].label != year:
            groups.append(YearGroup(year))
        blocks = groups[-1].blocks
        if not blocks or blocks[-1].label != month:
            blocks.append(Block(month))
        blocks[-1].events.append(event)
    return groups


def render_groups(groups: list[YearGroup]) -> list[YearGroup]:
    """Each event's HTML (``event.html``), its title a level below its heading's."""
    for year in groups:
        for block in year.blocks:
            for event in block.events:
                event.html = render_event(event, 4 if block.label else 3)
    return groups


# --- Facets: events per domain and per year, cached ----------------------------------------------
@dataclass
class FacetLink:
    label: str
    count: int
    url: str | None  # None: the current choice, or a count that narrowing cannot reach
    current: bool = False


@dataclass
class Facets:
    total: int
    domains: list[FacetLink]
    years: list[FacetLink]
    chart: Chart | None


def _facet_key(timeline: Timeline) -> str:
    data = timeline.data
    lower, upper = timeline.window
    normalised = {
        "q": " ".join((data.get("q") or "").lower().split()),
        "domain": sorted(data.get("domain") or ()),
        "from": lower.isoformat() if lower else None,
        "to": upper.isoformat() if upper else None,
        "country": sorted(data.get("country") or ()),
        "official": data["official"].pk if data.get("official") else None,
        "organisation": data["organisation"].pk if data.get("organisation") else None,
        "agreement_kind": data.get("agreement_kind") or None,
    }
    digest = hashlib.sha256(json.dumps(normalised, sort_keys=True).encode()).hexdigest()
    return f"relata:timeline:facets:{current_version(DATA_VERSION_KEY)}:{digest}"


@dataclass
class FacetData:
    """What the facet query finds, as cached: count rows, and the early long events."""

    rows: list[tuple[int, int, int, int | None, int]]
    early: list[tuple[int, int]]  # (date_lower as a proleptic ordinal, id), in keyset order


def facet_rows(queryset: QuerySet, split: datetime.date | None = None) -> FacetData:
    """One query over the filtered set.

    Kind 0 rows count events per (start year, end year); kind 1 rows count them per domain too;
    with a split date (PostgreSQL), kind 2 rows list the events that start before it: the
    ``early`` events of ``_page_rows``. The filtered set is a CTE, computed once for all of them
    (PostgreSQL materialises a CTE used more than once).
    """
    inner = queryset.order_by().values_list(
        "id", ExtractYear("date_lower"), ExtractYear("date_upper"), "date_lower"
    )
    connection = connections[queryset.db]
    sql, params = inner.query.get_compiler(connection=connection).as_sql()
    params = list(params)
    through = connection.ops.quote_name(Event.domains.through._meta.db_table)
    query = (
        f"WITH filtered (id, yl, yu, lower) AS ({sql}) "
        "SELECT 0, yl, yu, NULL, COUNT(*) FROM filtered GROUP BY yl, yu "
        "UNION ALL "
        "SELECT 1, f.yl, f.yu, t.domain_id, COUNT(*) FROM filtered f "
        f"INNER JOIN {through} t ON t.event_id = f.id GROUP BY f.yl, f.yu, t.domain_id"
    )
    if split is not None:  # PostgreSQL: date - date is a number of days
        query += " UNION ALL SELECT 2, NULL, NULL, id, lower - %s FROM filtered WHERE lower < %s"
        params += [OPEN_LOWER, split]
    rows, early = [], []
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        for kind, yl, yu, pk, count in cursor.fetchall():
            if kind == 2:
                early.append((OPEN_LOWER.toordinal() + count, pk))  # compact to cache
            else:
                rows.append((kind, int(yl), int(yu), pk, count))
    return FacetData(rows, sorted(early))


def facet_data(timeline: Timeline) -> FacetData:
    """The facet query's answer for this filter, from the cache when it can be."""
    key = _facet_key(timeline)
    data = cache.get(key)
    if data is None:
        data = facet_rows(timeline.queryset, split_date(timeline))
        cache.set(key, data, FACETS_TIMEOUT)
    return data


def _year_range(rows, window) -> tuple[int, int] | None:
    """The years to count in: those the events' known ends span, within the filter's dates."""
    years = [y for _, yl, yu, _, _ in rows for y in (yl, yu) if y not in (1, 9999)]
    if not years:
        return None
    first, last = min(years), max(years)
    lower, upper = window
    if lower and lower != OPEN_LOWER:
        first = max(first, lower.year)
    if upper and upper != OPEN_UPPER:
        last = min(last, upper.year)
    return (first, last) if first <= last else None


def _spread(rows, first: int, last: int) -> dict[int, int]:
    """Events per year they overlap (clipped to [first, last]), by difference array."""
    diff = [0] * (last - first + 2)
    for yl, yu, count in rows:
        a, b = max(yl, first), min(yu, last)
        if a <= b:
            diff[a - first] += count
            diff[b - first + 1] -= count
    counts, running = {}, 0
    for offset in range(last - first + 1):
        running += diff[offset]
        counts[first + offset] = running
    return counts


def build_facets(timeline: Timeline, data: FacetData | None = None) -> Facets:
    """Counts for the current filter, as links that narrow it.

    A year counts the events that overlap it, the same test the date filter applies, so the
    number on a year's link is the number of events its page shows. A domain counts the events
    tagged with it; its link narrows to that domain where that is a narrowing (no domain chosen
    yet, or one of several chosen).
    """
    rows = (data or facet_data(timeline)).rows
    ref = reference()
    total = sum(count for kind, *_, count in rows if kind == 0)
    chosen = set(timeline.data.get("domain") or ())
    per_domain: dict[int, int] = defaultdict(int)
    for kind, _, _, domain_id, count in rows:
        if kind == 1:
            per_domain[domain_id] += count
    domains = []
    for domain in ref.domains:
        count = per_domain.get(domain.pk, 0)
        if not count:
            continue
        narrows = not chosen or (domain.slug in chosen and len(chosen) > 1)
        domains.append(
            FacetLink(
                domain.name,
                count,
                timeline.url(domain=domain.slug) if narrows else None,
                current=domain.slug in chosen and len(chosen) == 1,
            )
        )
    years: list[FacetLink] = []
    chart = None
    span = _year_range(rows, timeline.window)
    if span:
        first, last = span
        events = [(yl, yu, n) for kind, yl, yu, _, n in rows if kind == 0]
        per_year = _spread(events, first, last)
        start, end = timeline.data.get("from"), timeline.data.get("to")
        for year, count in per_year.items():
            if not count:
                continue
            y_from = str(year) if not start or start.lower <= datetime.date(year, 1, 1) else None
            y_to = str(year) if not end or end.upper >= datetime.date(year, 12, 31) else None
            new_from = y_from or start.text
            new_to = y_to or end.text
            current = (
                start is not None
                and end is not None
                and (new_from, new_to)
                == (
                    start.text,
                    end.text,
                )
            )
            years.append(
                FacetLink(
                    str(year),
                    count,
                    None if current else timeline.url(**{"from": new_from, "to": new_to}),
                    current=current,
                )
            )
        by_domain = {
            domain.pk: _spread(
                [(yl, yu, n) for kind, yl, yu, d, n in rows if kind == 1 and d == domain.pk],
                first,
                last,
            )
            for domain in ref.domains
            if per_domain.get(domain.pk)
        }
        chart = build_chart(ref.domains, by_domain, first, last, timeline.summary)
    return Facets(total, domains, years, chart)


# --- The chart: events per year by domain, as inline SVG -----------------------------------------
# Okabe–Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str


@dataclass
class Chart:
    width: int
    height: int
    bars: list[Bar]
    legend: list[tuple[float, float, str, str, float, float]]  # x, y, colour, label, text x, y
    labels: list[tuple[float, str]]  # x, year
    axis_y: float
    plot_left: float
    plot_right: float
    plot_top: float
    label_x: float  # right edge of the y-axis labels
    label_y: float  # baseline of the year labels
    maximum: int
    title: str
    description: str

    @cached_property
    def marks(self) -> str:
        """The legend, axis, bars and labels as SVG, built here rather than by the template
        engine: a few hundred elements with numbers, which a template renders ten times slower."""
        legend = format_html_join(
            "",
            '<rect x="{}" y="{}" width="12" height="12" fill="{}"/><text x="{}" y="{}">{}</text>',
            ((x, y, colour, tx, ty, label) for x, y, colour, label, tx, ty in self.legend),
        )
        bars = format_html_join(
            "",
            '<rect class="bar" x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title>'
            "</rect>",
            ((b.x, b.y, b.width, b.height, b.colour, b.title) for b in self.bars),
        )
        labels = format_html_join(
            "",
            '<text x="{}" y="{}" text-anchor="middle">{}</text>',
            ((x, self.label_y, year) for x, year in self.labels),
        )
        axis = format_html(
            '<line x1="{0}" y1="{1}" x2="{2}" y2="{1}"/>'
            '<line x1="{0}" y1="{3}" x2="{2}" y2="{3}" class="grid"/>'
            '<text x="{4}" y="{1}" text-anchor="end">0</text>'
            '<text x="{4}" y="{3}" text-anchor="end" dominant-baseline="middle">{5}</text>',
            self.plot_left,
            self.axis_y,
            self.plot_right,
            self.plot_top,
            self.label_x,
            self.maximum,
        )
        return format_html(
            '<g class="legend">{}</g><g class="axis">{}</g><g class="bars">{}</g>'
            '<g class="labels">{}</g>',
            legend,
            axis,
            bars,
            labels,
        )


def build_chart(domains, by_domain: dict[int, dict[int, int]], first, last, summary) -> Chart:
    width, left, right, top, bottom = 640, 36, 8, 56, 22
    plot_height = 150
    height = top + plot_height + bottom
    years = list(range(first, last + 1))
    colours = {d.pk: PALETTE[i % len(PALETTE)] for i, d in enumerate(domains)}
    shown = [d for d in domains if d.pk in by_domain]
    totals = {y: sum(by_domain[d.pk].get(y, 0) for d in shown) for y in years}
    maximum = max(totals.values(), default=0) or 1
    band = (width - left - right) / len(years)
    bar_width = min(max(band * 0.8, 1), 48)
    bars = []
    for index, year in enumerate(years):
        x = left + index * band + (band - bar_width) / 2
        y = top + plot_height
        for domain in shown:
            count = by_domain[domain.pk].get(year, 0)
            if not count:
                continue
            h = plot_height * count / maximum
            y -= h
            plural = "event" if count == 1 else "events"
            bars.append(
                Bar(
                    round(x, 2),
                    round(y, 2),
                    round(bar_width, 2),
                    round(h, 2),
                    colours[domain.pk],
                    f"{year} · {domain.name}: {count} {plural}",
                )
            )
    step = next(s for s in (1, 2, 5, 10, 20, 50, 100, 1000) if len(years) / s <= 12)
    labels = [
        (round(left + i * band + band / 2, 2), str(y))
        for i, y in enumerate(years)
        if (y - first) % step == 0
    ]
    legend, x, row = [], left, 0
    for domain in shown:
        item_width = 24 + 7 * len(domain.name)
        if x + item_width > width - right and x > left:
            x, row = left, row + 1
        y = 8 + row * 18
        legend.append((x, y, colours[domain.pk], domain.name, x + 16, y + 11))
        x += item_width + 12
    busiest = max(years, key=lambda y: totals[y])
    per_domain = ", ".join(f"{d.name} {sum(by_domain[d.pk].values())}" for d in shown)
    span = str(first) if first == last else f"{first} to {last}"
    description = (
        f"Stacked bars: events per year from {span}, one colour per domain. "
        f"Busiest year: {busiest} ({totals[busiest]}). Per domain: {per_domain}. "
        "An event in several domains counts once in each; one that spans several years "
        "counts in each year it overlaps."
    )
    title = f"Events per year by domain{': ' + summary if summary else ''}"
    return Chart(
        width,
        height,
        bars,
        legend,
        labels,
        top + plot_height,
        left,
        width - right,
        top,
        left - 4,
        top + plot_height + 16,
        maximum,
        title,
        description,
    )


# --- The page ------------------------------------------------------------------------------------
def _context(timeline: Timeline, **extra) -> dict:
    ref = reference()
    form = timeline.form
    values = {
        name: (form[name].value() if form.is_bound else None) for name in ("domain", "country")
    }
    chosen_countries = [str(v).lower() for v in values["country"] or () if v]
    return {
        "timeline": timeline,
        "form": form,
        "paging": timeline.paging,
        "domains": ref.domains,
        "chosen_domains": [str(v) for v in values["domain"] or ()],
        "country_options": [ref.country_options(code) for code in [*chosen_countries, "", ""][:2]],
        "agreement_kinds": Agreement.Kind.choices,
        "more_filters_open": any(
            (form.data.get(name) if form.is_bound else None) or name in form.errors
            for name in ("official", "organisation", "agreement_kind", "order")
        ),
        "orders": ORDER_CHOICES,
        **extra,
    }


def render_invalid(request: HttpRequest, timeline: Timeline) -> HttpResponse:
    errors = []
    for form in (timeline.form, timeline.paging):
        for name, messages in form.errors.items():
            label = form.fields[name].label if name in form.fields else None
            anchor = f"id_{name}" if name in timeline.form.fields else None
            errors += [(label or "", anchor, message) for message in messages]
    context = _context(timeline, errors=errors, title="Events: please check the filter")
    return render(request, TEMPLATE, context, status=400)


class TimelineView(TemplateView):
    template_name = TEMPLATE

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        timeline = Timeline(request)
        if not timeline.valid:
            return render_invalid(request, timeline)
        paging = timeline.paging.cleaned_data
        after, before = paging.get("after"), paging.get("before")
        size = timeline.paging.size
        newest = timeline.order == "newest"
        data = facet_data(timeline)
        rows = _page_rows(
            timeline.queryset,
            descending=newest != bool(before),
            cursor=after or before,
            size=size,
            split=split_date(timeline),
            early=data.early,
        )
        more = len(rows) > size
        events = rows[:size]
        if before:
            events.reverse()
        page = Page(events)
        if events:
            if (more and not before) or before:
                page.later = timeline.url(after=Cursor.of(events[-1]))
            if after or (more and before):
                page.earlier = timeline.url(before=Cursor.of(events[0]))
        if after or before:
            page.first = timeline.url()
        page.notes = annotate_page(events, timeline.window)
        page.groups = render_groups(group(events))
        facets = build_facets(timeline, data)
        context = _context(
            timeline,
            page=page,
            facets=facets,
            title=timeline.title,
            description=_description(timeline, facets.total),
            exports=[
                ("CSV", timeline.url("timeline-csv"), "text/csv"),
                ("JSON", timeline.url("timeline-json"), "application/json"),
                (
                    "Atom feed",
                    timeline.url("timeline-atom", drop=("order",)),
                    "application/atom+xml",
                ),
            ],
            feed_url=timeline.url("timeline-atom", drop=("order",)),
        )
        return render(request, TEMPLATE, context)


def _description(timeline: Timeline, total: int) -> str:
    what = f"{total:,} published event{'s' if total != 1 else ''}"
    about = f" — {timeline.summary}" if timeline.summary else ""
    return (
        f"{what} in foreign relations{about}, in date order, each with its sources. "
        "On Relata, a cited knowledge base of relations between states."
    )


# --- Exports: CSV and JSON stream the whole filtered set, Atom the newest 50 ----------------------
FIELDS = (
    "slug",
    "title",
    "date",
    "date_lower",
    "date_upper",
    "precision",
    "domains",
    "countries",
    "organisations",
    "officials",
    "agreements",
    "summary",
    "url",
    "citations",
)


EXPORT_RELATIONS = {
    # field: (through-table query for a chunk's event ids, as (event_id, value) pairs, in the
    # order the related model's Meta.ordering gives a page)
    "domains": lambda ids: (
        Event.domains.through.objects.filter(event_id__in=ids)
        .order_by("domain__position", "domain__name")
        .values_list("event_id", "domain__slug")
    ),
    "countries": lambda ids: (
        Event.countries.through.objects.filter(event_id__in=ids)
        .order_by("country__name")
        .values_list("event_id", "country__code")
    ),
    "organisations": lambda ids: (
        Event.organisations.through.objects.filter(event_id__in=ids)
        .order_by("organisation__name", "organisation_id")
        .values_list("event_id", "organisation__slug")
    ),
    "officials": lambda ids: (
        Event.officials.through.objects.filter(event_id__in=ids)
        .order_by("official__name", "official_id")
        .values_list("event_id", "official__slug")
    ),
    "agreements": lambda ids: (
        Event.agreements.through.objects.filter(event_id__in=ids, agreement__status="published")
        .order_by("agreement__date_lower", "agreement__date_upper", "agreement_id")
        .values_list("event_id", "agreement__slug")
    ),
    "citations": lambda ids: (
        Citation.objects.filter(event_id__in=ids)
        .order_by("id")
        .values_list("event_id", "source__slug", "locator")
    ),
}
EVENT_COLUMNS = ("id", "slug", "title", "date", "date_lower", "date_upper", "date_precision")


@lru_cache(maxsize=4096)
def _display(text: str) -> str:
    return parse(text).display()  # exports repeat the same few thousand dates


def export_records(queryset: QuerySet, base_url: str) -> Iterator[dict]:
    """Every event of the filter as a plain dict, streamed with flat memory: the events come
    through a server-side cursor (``iterator(chunk_size=2000)``), and for each chunk of 2,000
    their related rows are read with one query per relation, as plain values (an export of a
    million events would otherwise build some ten million model instances).

    On PostgreSQL the cursor lives in a transaction, planned for the whole result rather than
    its first tenth (``cursor_tuple_fraction``): an export reads every row, and the plan that
    returns the first ones soonest can be several times slower over all of them (a whole-country
    export: 9 s against 2.6 s at 10^6 events). Outside a transaction Django would use a WITH
    HOLD cursor, which PostgreSQL materialises in full before sending the first row.
    """
    connection = connections[queryset.db]
    event_url = _Urls().pattern("event")
    with transaction.atomic(using=queryset.db):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL cursor_tuple_fraction = 1")
        rows = queryset.values_list(*EVENT_COLUMNS, "summary").iterator(chunk_size=EXPORT_CHUNK)
        for chunk in batched(rows, EXPORT_CHUNK):
            ids = [row[0] for row in chunk]
            related: dict[str, dict[int, list]] = {}
            for name, query in EXPORT_RELATIONS.items():
                related[name] = defaultdict(list)
                for event_id, *value in query(ids).using(queryset.db):
                    related[name][event_id].append(value[0] if len(value) == 1 else value)
            for pk, slug, title, date, lower, upper, precision, summary in chunk:
                yield {
                    "slug": slug,
                    "title": title,
                    "date": _display(date),
                    "date_lower": lower,
                    "date_upper": upper,
                    "precision": precision,
                    "domains": related["domains"].get(pk, []),
                    "countries": related["countries"].get(pk, []),
                    "organisations": related["organisations"].get(pk, []),
                    "officials": related["officials"].get(pk, []),
                    "agreements": related["agreements"].get(pk, []),
                    "summary": summary,
                    "url": base_url + event_url.replace(_Urls.PLACEHOLDER, slug, 1),
                    "citations": [
                        {"source": source, "locator": locator}
                        for source, locator in related["citations"].get(pk, [])
                    ],
                }


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    """A CSV cell that no spreadsheet will run as a formula (OWASP's advice: quote it)."""
    if isinstance(value, list):
        value = "; ".join(
            f"{v['source']} ({v['locator']})" if isinstance(v, dict) else str(v) for v in value
        )
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _export_timeline(request: HttpRequest) -> Timeline | HttpResponse:
    timeline = Timeline(request)
    if not timeline.valid:
        return render_invalid(request, timeline)
    return timeline


def timeline_csv(request: HttpRequest) -> HttpResponse:
    timeline = _export_timeline(request)
    if isinstance(timeline, HttpResponse):
        return timeline
    records = export_records(timeline.queryset, _base_url(request))
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow(FIELDS)
        for record in records:
            yield writer.writerow([_cell(record[name]) for name in FIELDS])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="relata-events.csv"'
    return response


def timeline_json(request: HttpRequest) -> HttpResponse:
    timeline = Timeline(request)
    if not timeline.valid:
        errors = {**timeline.form.errors.get_json_data(), **timeline.paging.errors.get_json_data()}
        return JsonResponse({"errors": errors}, status=400)
    records = export_records(timeline.queryset, _base_url(request))
    encoder = DjangoJSONEncoder(ensure_ascii=False)
    head = {"title": timeline.title, "filter": dict(_multi(timeline.params))}

    def chunks() -> Iterator[str]:
        yield encoder.encode(head)[:-1] + ', "events": ['
        separator = "\n"
        for record in records:
            yield separator + encoder.encode(record)
            separator = ",\n"
        yield "\n]}\n"

    return StreamingHttpResponse(chunks(), content_type="application/json")


def _multi(params: list[tuple[str, str]]) -> dict[str, str | list[str]]:
    out: dict[str, str | list[str]] = {}
    for key, value in params:
        if key in ("domain", "country"):
            out.setdefault(key, []).append(value)
        else:
            out[key] = value
    return out


class TimelineFeed(Feed):
    """The newest 50 events of the filter, as Atom."""

    feed_type = Atom1Feed

    def __call__(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        timeline = _export_timeline(request)
        if isinstance(timeline, HttpResponse):
            return timeline
        request.timeline = timeline
        return super().__call__(request, *args, **kwargs)

    def get_object(self, request: HttpRequest, *args, **kwargs) -> Timeline:
        return request.timeline

    def title(self, timeline: Timeline) -> str:
        return f"Relata — {timeline.title}"

    def subtitle(self, timeline: Timeline) -> str:
        summary = timeline.summary
        return f"The newest published events: {summary}" if summary else "The newest events"

    def link(self, timeline: Timeline) -> str:
        return timeline.url(drop=("order",))

    def feed_url(self, timeline: Timeline) -> str:
        return timeline.url("timeline-atom", drop=("order",))

    def items(self, timeline: Timeline) -> list[Event]:
        newest = timeline.queryset.order_by("-date_lower", "-id")
        return list(
            newest.prefetch_related(
                Prefetch("domains", queryset=Domain.objects.only("id", "name", "position")),
                Prefetch("countries", queryset=Country.objects.only("id", "code", "name")),
            )[:FEED_SIZE]
        )

    def item_title(self, event: Event) -> str:
        return event.title

    def item_description(self, event: Event) -> str:
        who = ", ".join(c.name for c in event.countries.all())
        parts = [parse(event.date).display(), who, event.summary]
        return " — ".join(p for p in parts if p)

    def item_categories(self, event: Event) -> list[str]:
        return [d.name for d in event.domains.all()]

    def item_pubdate(self, event: Event) -> datetime.datetime:
        return event.created

    def item_updateddate(self, event: Event) -> datetime.datetime:
        return event.updated


# --- Cache invalidation --------------------------------------------------------------------------
def _bump(key: str, using: str | None) -> None:
    bump_version(key)
    # Again once the change is committed, so that a request that read the old rows while it was
    # in flight cannot leave them cached under the new version.
    transaction.on_commit(lambda: bump_version(key), using=using)


def data_changed(sender, using=None, **kwargs) -> None:
    if kwargs.get("action", "post_").startswith("post_"):
        _bump(DATA_VERSION_KEY, using)


def reference_changed(sender, using=None, **kwargs) -> None:
    _bump(REFERENCE_VERSION_KEY, using)
    _bump(DATA_VERSION_KEY, using)


for _model in (Event, Statement, Citation, Agreement):
    for _signal in (post_save, post_delete):
        _signal.connect(data_changed, sender=_model, dispatch_uid=f"timeline-{_model.__name__}")
for _through in (
    Event.domains.through,
    Event.countries.through,
    Event.organisations.through,
    Event.officials.through,
    Event.agreements.through,
):
    m2m_changed.connect(data_changed, sender=_through, dispatch_uid=f"timeline-{_through}")
for _model in (Domain, Country, Official, Organisation):
    for _signal in (post_save, post_delete):
        _signal.connect(
            reference_changed, sender=_model, dispatch_uid=f"timeline-ref-{_model.__name__}"
        )
