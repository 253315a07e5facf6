"""A timeline request: its filter and page position, validated, as canonical URLs and words.

One filter has one URL: parameters always come in the same order, known ones only, so that any
shared cache in front of us holds one entry per filter.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from functools import cached_property
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse

from core.dates import OPEN_LOWER, OPEN_UPPER, FuzzyDate, Precision, long_date
from relations.filters import DEFAULT_PER_PAGE, PROBED, PageForm, TimelineFilter, reference
from relations.models import Agreement
from relations.paging import probe_rows
from relations.presentation import and_list

# Dates known on one side only, or in a window: a filter's bound is a day, not their text.
ONE_SIDED = frozenset(
    {Precision.OPEN, Precision.NOT_AFTER, Precision.NOT_BEFORE, Precision.WINDOW, Precision.RECENT}
)

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
        """The filtered, ordered visible events (valid requests only)."""
        return self.filterset.qs

    def rows_queryset(self, total: int | None) -> QuerySet:
        """What a page's keyset scan reads, given how many events the filter keeps (``total``,
        the facets' count, ``FacetData.events``): ``queryset``, or the same filter with its
        conditions probed per row when it keeps many (``relations.paging.probe_rows``,
        ``relations.filters.PROBED``)."""
        if any(self.data.get(name) for name in PROBED) and probe_rows(total):
            return self.filterset.probing_qs
        return self.queryset

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
        chosen = set(data.get("domain") or ())
        params += [("domain", d.slug) for d in reference().domains if d.slug in chosen]
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
        """A URL for this filter with some parameters replaced (a list value: repeated)."""
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
            parts.append(and_list(domains))
        if data.get("agreement_kind"):
            kind = Agreement.Kind(data["agreement_kind"])
            label = "another kind of agreement" if kind == Agreement.Kind.OTHER else kind.label
            parts.append(f"related to {'an' if label[0] in 'aeiou' else 'a'} {label}")
        dates = period(data.get("from"), data.get("to"))
        if dates:
            parts.append(dates)
        if data.get("q"):
            parts.append(f"matching “{' '.join(data['q'].split())}”")
        return ", ".join(parts)

    @cached_property
    def about(self) -> str:
        """What the country filter selects, in words (``relations.filters.events_about``)."""
        ref = reference()
        names = [ref.country(code).name for code in self.data.get("country") or ()]
        if len(names) == 1:
            return (
                f"Events {names[0]} took part in, and events that concern its relations with "
                "another state without it taking part."
            )
        if len(names) == 2:
            pair = "–".join(sorted(names))
            return (
                f"Events {names[0]} and {names[1]} both took part in, and events that concern "
                f"{pair} relations without both taking part."
            )
        return ""

    @property
    def title(self) -> str:
        return f"Events: {self.summary}" if self.summary else "All events"


def period(start: FuzzyDate | None, end: FuzzyDate | None) -> str:
    """The filter's dates in words: "2009–2010", "since May 2009", "until 2010". A one-sided
    date ("after May 2009") is written by the bound the filter uses ("since 1 June 2009"), not
    as "since after May 2009"."""
    if start and start.lower == OPEN_LOWER:
        start = None
    if end and end.upper == OPEN_UPPER:
        end = None
    if start and end:
        first, last = _side(start, start.lower), _side(end, end.upper)
        if first == last:
            return first
        if start.precision == end.precision == Precision.YEAR:
            return f"{first}–{last}"
        return f"{first} – {last}"
    if start:
        return f"since {_side(start, start.lower)}"
    return f"until {_side(end, end.upper)}" if end else ""


def _side(date: FuzzyDate, bound: datetime.date) -> str:
    return long_date(bound) if date.precision in ONE_SIDED else date.display()
