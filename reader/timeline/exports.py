"""The timeline's exports: CSV and JSON stream the whole filtered set, Atom the newest 50.

    /timeline.csv?...   /timeline.json?...   /timeline.atom?...

The same filter as the page (a bad one answers 400 the same way), the same visible events, the
same date texts and links (``relations.presentation``); a date both as typed and as shown,
as the API gives it.
"""

from __future__ import annotations

import csv
import datetime
from collections import defaultdict
from collections.abc import Iterator
from itertools import batched

from django.contrib.syndication.views import Feed
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, transaction
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape

from core.faults import broken_stream_guard, started
from core.text import printable
from reader.timeline.request import Timeline
from reader.timeline.views import render_invalid
from relations import visibility
from relations.models import Agreement, Citation, Country, Domain, Event
from relations.presentation import readable_date, url_for

FEED_SIZE = 50
EXPORT_CHUNK = 2000
# As the API names them: "date" as typed, "date_display" as the pages show it.
FIELDS = (
    "slug",
    "title",
    "date",
    "date_display",
    "date_lower",
    "date_upper",
    "precision",
    "domains",
    "countries",
    "organisations",
    "officials",
    "agreements",
    "concerns",
    "summary",
    "url",
    "citations",
)
RELATIONS = {
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
        Event.agreements.through.objects.filter(
            visibility.claim_q(Agreement, "agreement__"), event_id__in=ids
        )
        .order_by("agreement__date_lower", "agreement__date_upper", "agreement_id")
        .values_list("event_id", "agreement__slug")
    ),
    # The relationships an event bears on beyond its participants' (the pair filter lists it
    # for them): the keys of their dossiers, "by-ir".
    "concerns": lambda ids: (
        Event.concerns.through.objects.filter(event_id__in=ids)
        .order_by("relationship__slug")
        .values_list("event_id", "relationship__slug")
    ),
    # The events are visible, so their citations are; each names its footnote (a place in a
    # source, one record however many claims it backs) and the footnote's source and locator.
    "citations": lambda ids: (
        Citation.objects.filter(event_id__in=ids)
        .order_by("id")
        .values_list("event_id", "footnote__slug", "footnote__source__slug", "footnote__locator")
    ),
}
EVENT_COLUMNS = ("id", "slug", "title", "date", "date_lower", "date_upper", "date_precision")


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
    with transaction.atomic(using=queryset.db):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL cursor_tuple_fraction = 1")
        rows = queryset.values_list(*EVENT_COLUMNS, "summary").iterator(chunk_size=EXPORT_CHUNK)
        for chunk in batched(rows, EXPORT_CHUNK):
            ids = [row[0] for row in chunk]
            related: dict[str, dict[int, list]] = {}
            for name, query in RELATIONS.items():
                related[name] = defaultdict(list)
                for event_id, *value in query(ids).using(queryset.db):
                    related[name][event_id].append(value[0] if len(value) == 1 else value)
            for pk, slug, title, date, lower, upper, precision, summary in chunk:
                yield {
                    "slug": slug,
                    "title": title,
                    "date": date,
                    "date_display": readable_date(date),
                    "date_lower": lower,
                    "date_upper": upper,
                    "precision": precision,
                    "domains": related["domains"].get(pk, []),
                    "countries": related["countries"].get(pk, []),
                    "organisations": related["organisations"].get(pk, []),
                    "officials": related["officials"].get(pk, []),
                    "agreements": related["agreements"].get(pk, []),
                    "concerns": related["concerns"].get(pk, []),
                    "summary": summary,
                    "url": base_url + url_for("event", slug),
                    "citations": [
                        {"footnote": footnote, "source": source, "locator": locator}
                        for footnote, source, locator in related["citations"].get(pk, [])
                    ],
                }


# --- CSV and JSON ----------------------------------------------------------------------------
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    """A CSV cell that no spreadsheet will run as a formula (OWASP's advice: quote it)."""
    if isinstance(value, list):
        value = "; ".join(
            (f"{v['source']} ({v['locator']})" if v["locator"] else v["source"])
            if isinstance(v, dict)
            else str(v)
            for v in value
        )
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


# The last line of an export cut short by a fault (the server then aborts the response too):
# docs/operations.md, "Broken streams".
INCOMPLETE = "#incomplete: this export was cut short by a server fault; retry"


class _Echo:
    def write(self, value: str) -> str:
        return value


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def timeline_csv(request: HttpRequest) -> HttpResponse:
    timeline = Timeline(request)
    if not timeline.valid:
        return render_invalid(request, timeline)
    records = started(export_records(timeline.queryset, _base_url(request)))
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow(FIELDS)
        for record in records:
            yield writer.writerow([_cell(record[name]) for name in FIELDS])

    cut = writer.writerow([INCOMPLETE])  # no slug starts with "#": never an event's row
    guarded = broken_stream_guard(lines(), marker=cut, what=request.get_full_path())
    response = StreamingHttpResponse(guarded, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="relata-events.csv"'
    return response


def timeline_json(request: HttpRequest) -> HttpResponse:
    timeline = Timeline(request)
    if not timeline.valid:
        errors = {**timeline.form.errors.get_json_data(), **timeline.paging.errors.get_json_data()}
        return JsonResponse({"errors": errors}, status=400)
    records = started(export_records(timeline.queryset, _base_url(request)))
    encoder = DjangoJSONEncoder(ensure_ascii=False)
    head = {"title": timeline.title, "filter": _multi(timeline.params)}

    def chunks() -> Iterator[str]:
        yield encoder.encode(head)[:-1] + ', "events": ['
        separator = "\n"
        for record in records:
            yield separator + encoder.encode(record)
            separator = ",\n"
        yield "\n]}\n"

    # Cut short, the array is never closed and a line that is not JSON ends the text.
    cut = f"\n{INCOMPLETE}\n"
    guarded = broken_stream_guard(chunks(), marker=cut, what=request.get_full_path())
    return StreamingHttpResponse(guarded, content_type="application/json")


def _multi(params: list[tuple[str, str]]) -> dict[str, str | list[str]]:
    out: dict[str, str | list[str]] = {}
    for key, value in params:
        if key in ("domain", "country"):
            out.setdefault(key, []).append(value)
        else:
            out[key] = value
    return out


# --- Atom ------------------------------------------------------------------------------------
def _printable(value):
    """A feed's or an item's values (dicts, lists, strings), without what XML cannot hold."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {key: _printable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_printable(item) for item in value]
    return value


class PrintableAtom1Feed(Atom1Feed):
    """Atom that drops control characters (``core.text``) from every text it writes: titles,
    descriptions, categories, the filter's words echoed from the query string. XML 1.0 cannot
    hold them, and one stored before they were refused must not take the feed down."""

    def write(self, outfile, encoding) -> None:
        self.feed = _printable(self.feed)
        self.items = [_printable(item) for item in self.items]
        super().write(outfile, encoding)


class TimelineFeed(Feed):
    """The newest 50 events of the filter, as Atom."""

    feed_type = PrintableAtom1Feed

    def __call__(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        timeline = Timeline(request)
        if not timeline.valid:
            return render_invalid(request, timeline)
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
        # Atom's <summary type="html"> is read as HTML: our plain text, escaped, so that markup
        # typed into a summary or a country's name reaches feed readers as text.
        who = ", ".join(c.name for c in event.countries.all())
        parts = [readable_date(event.date), who, event.summary]
        return escape(" — ".join(p for p in parts if p))

    def item_categories(self, event: Event) -> list[str]:
        return [d.name for d in event.domains.all()]

    def item_link(self, event: Event) -> str:
        return url_for("event", event.slug)

    def item_pubdate(self, event: Event) -> datetime.datetime:
        return event.created

    def item_updateddate(self, event: Event) -> datetime.datetime:
        return event.updated
