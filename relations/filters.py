"""The public timeline's filter: which visible events a reader asked for.

``TimelineFilter`` is a django-filter FilterSet over ``visibility.events()``; every parameter
lives in the query string (``?domain=economic&domain=energy&from=2007&to=May 2009
&country=by&country=ir&official=...&organisation=...&agreement_kind=loan&q=oil&order=newest``).
The timeline (``reader.timeline``) shows its results (page, exports, feed), and the API's event
list filters with it too; ``PageForm`` reads the keyset-paging parameters that go with it.

Two decisions live here: what "events of a country, or of a pair" means (``events_about``: the
events they took part in, or that concern their relationship), and, in ``relations.search``,
what the search box reads (words, "phrases", -exclusions, in events and the statements made at
them).

Validating a request costs no query once the reference data is cached: domains and countries
(the form's choices) and the officials and organisations named in filters (found or not) are
answers of ``core.cache``, keyed by the knowledge-base version that every write readers can see
raises.

Every input is checked before it can reach the database: unknown choices, unreadable dates,
over-long text and NUL characters (which PostgreSQL refuses in text, a classic 500) all become
form errors, which the views turn into a 400 page that shows them.
"""

from __future__ import annotations

import datetime
import operator
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import DateField, Exists, OuterRef, Q, QuerySet, Value

from core import cache
from core.dates import MAX_LENGTH, OPEN_LOWER, OPEN_UPPER, FuzzyDate, parse_fuzzy_date
from relations import visibility
from relations.models import (
    Agreement,
    Country,
    Domain,
    Event,
    Official,
    Organisation,
    Relationship,
)
from relations.paging import per_row
from relations.search import MAX_TERMS, SEARCH_HELP, parse_search, search_events


# --- Reference data: the form's vocabulary -------------------------------------------------------
@dataclass(frozen=True, eq=False)  # one per knowledge-base version: compared by identity
class Reference:
    """Every domain (in dossier order) and every country, with lookups by slug and code."""

    domains: tuple[Domain, ...]
    countries: tuple[Country, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "_domains", {d.slug: d for d in self.domains})
        object.__setattr__(self, "_countries", {c.code: c for c in self.countries})

    def domain(self, slug: str) -> Domain | None:
        return self._domains.get(slug)

    def country(self, code: str) -> Country | None:
        return self._countries.get(code.upper())

    def domain_choices(self) -> list[tuple[str, str]]:
        return [(d.slug, d.name) for d in self.domains]

    def country_choices(self) -> list[tuple[str, str]]:
        choices = self.__dict__.get("_country_choices")
        if choices is None:
            # Lower case in URLs, as in /countries/by/; withdrawn states after current ones.
            choices = [(c.code.lower(), c.name) for c in self.countries if not c.withdrawn]
            choices += [
                (c.code.lower(), f"{c.name} (former)") for c in self.countries if c.withdrawn
            ]
            object.__setattr__(self, "_country_choices", choices)
        return choices


_memo: dict[str, Reference] = {}


def reference() -> Reference:
    """Domains and countries, from the cache; one query when it is cold (a UNION of the two).

    Also kept in this process under the same versioned key, so that a request that asks for it
    several times (choices, filters, titles, links) reads the shared cache once.
    """
    key = cache.key("filter-reference")
    ref = _memo.get(key)
    if ref is None:
        ref = cache.answer("filter-reference", _read_reference)
        _memo.clear()
        _memo[key] = ref
    return ref


def forget_reference() -> None:
    """Drop this process's copy. Only tests need it: a rolled-back or flushed test database
    gives version numbers again, with other rows behind them."""
    _memo.clear()


def _read_reference() -> Reference:
    blank = Value(None, output_field=DateField())
    domains = Domain.objects.order_by().values_list(
        Value("d"), "id", "slug", "name", "position", blank
    )
    countries = Country.objects.order_by().values_list(
        Value("c"), "id", "code", "name", Value(0), "withdrawn"
    )
    rows = list(domains.union(countries, all=True).order_by())
    return Reference(
        domains=tuple(
            sorted(
                (Domain(id=i, slug=k, name=n, position=p) for t, i, k, n, p, _ in rows if t == "d"),
                key=lambda d: (d.position, d.name),
            )
        ),
        countries=tuple(
            sorted(
                (
                    Country(id=i, code=k, name=n, withdrawn=w)
                    for t, i, k, n, _, w in rows
                    if t == "c"
                ),
                key=lambda c: c.name,
            )
        ),
    )


@dataclass(frozen=True)
class Entity:
    """An official or organisation named in a filter: enough to filter and to title."""

    pk: int
    slug: str
    name: str


ENTITY_MODELS = {"official": Official, "organisation": Organisation}


def lookup_entity(kind: str, slug: str) -> Entity | None:
    """The official or organisation with this slug, or None (an answer cached like any other:
    a mistyped slug asked again costs no query)."""

    def find() -> Entity | None:
        obj = ENTITY_MODELS[kind].objects.filter(slug=slug).first()
        return Entity(obj.pk, obj.slug, str(obj)) if obj else None

    return cache.answer("filter-entity", find, kind, slug)


# --- Form fields ---------------------------------------------------------------------------------
class FuzzyDateField(forms.CharField):
    """Reads "2007", "2007-05", "May 2007", "late June 2010"... into a FuzzyDate."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_length", MAX_LENGTH)
        super().__init__(**kwargs)

    def clean(self, value) -> FuzzyDate | None:
        text = super().clean(value)  # strips, checks the length and for NUL characters
        return parse_fuzzy_date(text) if text else None


class CountryCodesField(forms.MultipleChoiceField):
    """One ISO code, or two for the relations between two states; any letter case."""

    def to_python(self, value) -> list[str]:
        codes = []
        for code in super().to_python(value):
            code = code.strip().lower()
            if code and code not in codes:  # the second select's "none" option sends ""
                codes.append(code)
        return codes

    def validate(self, value: list[str]) -> None:
        super().validate(value)
        if len(value) > 2:
            raise ValidationError(
                "Choose one country, or two for the relations between them.", code="too_many"
            )


class EntityField(forms.SlugField):
    """The slug of an official or organisation, as in their page's URL."""

    def __init__(self, *, kind: str, **kwargs) -> None:
        self.kind = kind
        kwargs.setdefault("max_length", 120)
        super().__init__(**kwargs)

    def clean(self, value) -> Entity | None:
        slug = super().clean(value)
        if not slug:
            return None
        entity = lookup_entity(self.kind, slug)
        if entity is None:
            raise ValidationError(
                "There is no %(kind)s with the identifier “%(slug)s”.",
                code="unknown",
                params={"kind": self.kind, "slug": slug},
            )
        return entity


NUL_MESSAGE = "This contains a NUL character, which no query can hold; remove it."


class NulSafeForm(forms.Form):
    """Refuses NUL characters in any parameter, before a field (or PostgreSQL) sees them.

    The form that owns the request's other parameters says so once (``report_unknown``).
    """

    report_unknown = True

    def full_clean(self) -> None:
        bad: list[str] = []
        if self.is_bound and hasattr(self.data, "lists"):
            bad = [
                key
                for key, values in self.data.lists()
                if "\x00" in key or any("\x00" in str(v) for v in values)
            ]
            if bad:
                self.data = self.data.copy()
                for key in bad:
                    del self.data[key]
        super().full_clean()
        for key in bad:
            if key in self.fields:
                self.add_error(key, NUL_MESSAGE)
            elif self.report_unknown:
                self.add_error(None, "A parameter contains a NUL character; remove it.")


class TimelineForm(NulSafeForm):
    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("from"), cleaned.get("to")
        # "From" reads the earliest day a date allows and "To" the latest: a date with no bound
        # on that side ("from=by 2005", "to=after May 2009") would filter nothing, silently.
        if start and start.lower == OPEN_LOWER:
            self.add_error("from", f"“{start}” has no earliest day, so it cannot start a range.")
            start = None
        if end and end.upper == OPEN_UPPER:
            self.add_error("to", f"“{end}” has no latest day, so it cannot end a range.")
            end = None
        if start and end and end.upper < start.lower:
            self.add_error("to", "“To” is before “From”: swap them, or widen the range.")
        if cleaned.get("q"):
            search = parse_search(cleaned["q"])
            if max(len(search.required), len(search.excluded)) > MAX_TERMS:
                message = f"Use at most {MAX_TERMS} words or phrases, and as many to leave out."
                self.add_error("q", message)
        return cleaned


# --- Countries: who took part, and what an event concerns ----------------------------------------
COUNTRY_HELP = (
    "One country: the events it took part in, or that concern its relations with another state. "
    "Two: the events both took part in, or that concern the relations between them (a third "
    "party’s act that bears on them)."
)


def _about(countries: Sequence[Country]) -> list[QuerySet]:
    """The through-table rows that put an event among those about ``countries``: one queryset
    per way (took part; concerns), each with an ``event_id``. The one rule behind both spellings
    below."""
    took_part = Event.countries.through.objects
    concern = Event.concerns.through.objects
    if len(countries) == 1:
        pk = countries[0].pk
        participants = took_part.filter(country_id=pk)
        concerned = concern.filter(Q(relationship__first_id=pk) | Q(relationship__second_id=pk))
    else:
        first, second = countries
        participants = took_part.filter(
            country_id=first.pk,
            event_id__in=took_part.filter(country_id=second.pk).values("event_id"),
        )
        concerned = concern.filter(relationship__slug=Relationship.slug_for(first, second))
    return [participants, concerned]


def events_about(countries: Sequence[Country]) -> QuerySet:
    """Ids of the events about one country or a pair, as the timeline's country filter means it.

    A pair: the events both states took part in, or that concern their relationship (the UN's
    censure of Iran concerns Belarus–Iran relations without Belarus taking part). One country:
    the events it took part in, or that concern one of its relationships, so that adding a
    second country only ever narrows. Each side is an index range of a through table
    ((country, event) from migration 0008; the concerns' relationship index); one semi-join
    over their UNION, no OR across tables: the fast way to read the whole set (facets, counts).
    """
    participants, concerned = _about(countries)
    return participants.values("event_id").union(concerned.values("event_id"), all=True)


def about(countries: Sequence[Country], *, probe: bool = False) -> Exists:
    """The same events as ``events_about``, as a condition on each event row (EXISTS … OR
    EXISTS …): the fast way to walk events in date order and stop after a page, for a busy
    country. (The planner takes the UNION's semi-join for a set of some 200 rows, so for
    Belarus, in 118,000 events at 10^6, it gathers and sorts them all: 290 ms for the newest
    20, against 34 ms this way.)

    PostgreSQL may run each EXISTS as a hashed subplan: it reads all of the country's links
    into a hash before the walk's first row (185,000 for the United States at 10^6: some
    150 ms). That is right when the walk is long (a quiet country), wrong when a page of
    matches is near (a busy one): ``probe=True`` keeps each EXISTS probed per row walked
    (``relations.paging.per_row``; the United States' newest page: 3 ms), for a filter that
    keeps many events (``relations.paging.probe_rows``)."""
    ways = [rows.filter(event_id=OuterRef("pk")) for rows in _about(countries)]
    if probe:
        ways = [per_row(rows) for rows in ways]
    return reduce(operator.or_, (Exists(rows) for rows in ways))


# --- The FilterSet -------------------------------------------------------------------------------
#: The filters whose condition ``TimelineFilter.probing_qs`` checks on each row walked, rather
#: than reading every event it holds first, when the filter keeps many events.
PROBED = ("country", "q")


class FuzzyDateFilter(django_filters.Filter):
    field_class = FuzzyDateField


class CountryFilter(django_filters.Filter):
    field_class = CountryCodesField


class EntityFilter(django_filters.Filter):
    field_class = EntityField


ORDER_CHOICES = (("oldest", "Oldest first"), ("newest", "Newest first"))
Q_MAX_LENGTH = 200


class TimelineFilter(django_filters.FilterSet):
    """Visible events by words, domain, date, country, official, organisation, agreement."""

    q = django_filters.CharFilter(
        label="Words",
        method="filter_q",
        max_length=Q_MAX_LENGTH,
        help_text=SEARCH_HELP,
    )
    domain = django_filters.MultipleChoiceFilter(
        label="Domains",
        method="filter_domain",
        choices=lambda: reference().domain_choices(),
        widget=forms.CheckboxSelectMultiple,
    )
    country = CountryFilter(
        label="Countries",
        method="filter_country",
        choices=lambda: reference().country_choices(),
        help_text=COUNTRY_HELP,
    )
    official = EntityFilter(
        label="Official",
        method="filter_official",
        kind="official",
        help_text="As in the official’s page address, e.g. alexander-lukashenko",
    )
    organisation = EntityFilter(
        label="Organisation",
        method="filter_organisation",
        kind="organisation",
        help_text="As in the organisation’s page address, e.g. central-bank-of-iran",
    )
    agreement_kind = django_filters.ChoiceFilter(
        label="Related agreement",
        method="filter_agreement_kind",
        choices=Agreement.Kind.choices,
        empty_label="any or none",
    )
    order = django_filters.ChoiceFilter(
        label="Order",
        method="filter_order",
        choices=ORDER_CHOICES,
        empty_label=None,
        widget=forms.RadioSelect,
    )

    class Meta:
        model = Event
        fields: list[str] = []
        form = TimelineForm

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        if queryset is None:
            queryset = visibility.events()
        super().__init__(data, queryset, request=request, prefix=prefix)

    # ``from`` is a Python keyword, so the date filters are added after the class body.

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        return queryset.order_by(*ordering(self.form.cleaned_data.get("order")))

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return search_events(queryset, parse_search(value), probe=getattr(self, "_probe", False))

    # Every relation is filtered by an IN (subquery) on its through table, by id: each event
    # once (no join, no DISTINCT), and the planner may probe or hash as the numbers suggest.
    def filter_domain(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        ref = reference()
        ids = [ref.domain(slug).pk for slug in value]
        links = Event.domains.through.objects.filter(domain_id__in=ids)
        return queryset.filter(id__in=links.values("event_id"))  # as in_domains(), by id

    def filter_country(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        if not value:
            return queryset
        # Per row (``about``): a page walks the date order and stops; a UNION's semi-join,
        # planned for 200 rows, gathered and sorted all of a busy country's events first.
        ref = reference()
        countries = [ref.country(code) for code in value]
        return queryset.filter(about(countries, probe=getattr(self, "_probe", False)))

    @property
    def probing_qs(self) -> QuerySet:
        """``qs`` with the conditions of :data:`PROBED` probed per row (``about(probe=True)``,
        ``search_events(probe=True)``): the same events in the same order, for a keyset page
        of a filter that keeps many of them."""
        probing = self.__dict__.get("_probing_qs")
        if probing is None:
            self._probe = True
            try:
                probing = self.filter_queryset(self.queryset.all())
            finally:
                self._probe = False
            self._probing_qs = probing
        return probing

    def filter_official(self, queryset: QuerySet, name: str, value: Entity) -> QuerySet:
        links = Event.officials.through.objects.filter(official_id=value.pk)
        return queryset.filter(id__in=links.values("event_id"))

    def filter_organisation(self, queryset: QuerySet, name: str, value: Entity) -> QuerySet:
        links = Event.organisations.through.objects.filter(organisation_id=value.pk)
        return queryset.filter(id__in=links.values("event_id"))

    def filter_agreement_kind(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # Only visible agreements count: a draft must not even be hinted at.
        links = Event.agreements.through.objects.filter(
            visibility.claim_q(Agreement, "agreement__"), agreement__kind=value
        )
        return queryset.filter(id__in=links.values("event_id"))

    def filter_order(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset  # applied last, in filter_queryset

    def filter_from(self, queryset: QuerySet, name: str, value: FuzzyDate) -> QuerySet:
        return queryset.between(value, None)  # from the lower bound of what was typed

    def filter_to(self, queryset: QuerySet, name: str, value: FuzzyDate) -> QuerySet:
        return queryset.between(None, value)  # to its upper bound


def _date_filter(label: str, method: str, help_text: str) -> FuzzyDateFilter:
    return FuzzyDateFilter(label=label, method=method, help_text=help_text)


def _add_date_filters() -> None:
    filters = TimelineFilter.base_filters
    dates = {
        "from": _date_filter("From", "filter_from", "2007, 2007-05, May 2007, 21 June 2010…"),
        "to": _date_filter("To", "filter_to", "the same forms; “2009” means to its end"),
    }
    for name, date_filter in dates.items():
        date_filter.field_name = name
    # The form reads best as words, domains, dates, then who, what and order.
    order = ["q", "domain", "from", "to", "country", "official", "organisation"]
    rest = [name for name in filters if name not in order]
    merged = {**filters, **dates}
    TimelineFilter.base_filters = {name: merged[name] for name in [*order, *rest]}


_add_date_filters()


def ordering(order: str | None) -> tuple[str, str]:
    """The keyset order: (date_lower, id), ascending or descending."""
    return ("-date_lower", "-id") if order == "newest" else ("date_lower", "id")


# --- Paging parameters ---------------------------------------------------------------------------
TOKEN = re.compile(r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})\.(?P<id>[0-9]{1,18})")
DEFAULT_PER_PAGE, MAX_PER_PAGE = 50, 100


@dataclass(frozen=True)
class Cursor:
    """A position in the keyset order: the (date_lower, id) of an event.

    Written ``2008-06-01.1234`` in ``?after=`` and ``?before=``: readable, stable, shareable.
    """

    date: datetime.date
    id: int

    def __str__(self) -> str:
        return f"{self.date.isoformat()}.{self.id}"

    @classmethod
    def of(cls, event: Event) -> Cursor:
        return cls(event.date_lower, event.pk)


class CursorField(forms.CharField):
    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)

    def clean(self, value) -> Cursor | None:
        text = super().clean(value)
        if not text:
            return None
        match = TOKEN.fullmatch(text)
        try:
            if match is None:
                raise ValueError
            return Cursor(datetime.date.fromisoformat(match["date"]), int(match["id"]))
        except ValueError:
            raise ValidationError(
                "This page link is damaged: follow the timeline’s own “earlier” and “later” "
                "links, or start again from the first page.",
                code="invalid_cursor",
            ) from None


class PageForm(NulSafeForm):
    """Where in the filtered timeline a page starts, and how many events it shows."""

    report_unknown = False  # TimelineForm reports NULs in parameters neither form knows

    after = CursorField(required=False)
    before = CursorField(required=False)
    per_page = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_PER_PAGE, label="Events per page"
    )
    # Pages are not numbered (they are links to a position); an old "?page=1" is harmless.
    page = forms.IntegerField(required=False, min_value=1, max_value=1)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("after") and cleaned.get("before"):
            raise ValidationError("A page starts after one event or before another, not both.")
        if "page" in self.errors:
            self.errors["page"] = self.error_class(
                [
                    "Pages are not numbered here: follow the “earlier” and “later” links, or "
                    "narrow the dates."
                ]
            )
        return cleaned

    @property
    def size(self) -> int:
        return self.cleaned_data.get("per_page") or DEFAULT_PER_PAGE
