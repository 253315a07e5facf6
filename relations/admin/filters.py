"""The admin's list filters and per-row counts: subqueries, never joins (no DISTINCT over a
million rows)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin import SimpleListFilter
from django.db.models import Count, IntegerField, Max, Min, OuterRef, Subquery
from django.db.models.functions import Coalesce

from core.dates import OPEN_LOWER, parse_fuzzy_date
from relations.models import Citation, Country, Domain


class DomainFilter(SimpleListFilter):
    title = "domain"
    parameter_name = "domain"

    def lookups(self, request, model_admin):
        return list(Domain.objects.values_list("slug", "name"))

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        # The id first: with a join on the slug the planner gives up the date index's order.
        domain_id = Domain.objects.filter(slug=self.value()).values_list("pk", flat=True).first()
        return queryset.linked("domains", domain_id)


class CountryFilter(SimpleListFilter):
    """A country by name or code, typed in a search box (suggested from a list), not 250
    links: a plain GET form, so it works without JavaScript and keeps the other filters."""

    title = "country"
    parameter_name = "country"
    template = "admin/relata/filters/search.html"

    def lookups(self, request, model_admin):
        return list(Country.objects.current().values_list("code", "name"))

    def code(self) -> str:
        """The chosen country's code: "ir", "IR", "Iran" and "iran" all choose Iran."""
        value = " ".join((self.value() or "").split()).casefold()
        for code, name in self.lookup_choices:
            if value in (code.casefold(), name.casefold()):
                return code
        return value.upper()  # a withdrawn country's code, or nothing

    def choices(self, changelist):
        """One "choice": what the filter's form needs (see its template)."""
        code = self.code() if self.value() else ""
        name = next((n for c, n in self.lookup_choices if c == code), self.value() or "")
        yield {
            "parameter": self.parameter_name,
            "value": name,
            "selected": bool(code),
            "options": self.lookup_choices,
            # The other filters, search and ordering: kept when this one is chosen.
            "hidden": [
                (key, value)
                for key, values in changelist.filter_params.items()
                if key != self.parameter_name
                for value in values
            ],
            "all_url": changelist.get_query_string(remove=[self.parameter_name]),
        }

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        code = self.code()
        country_id = Country.objects.filter(code=code).values_list("pk", flat=True).first()
        if country_id is None:
            messages.warning(request, f"No country is called or coded “{self.value()}”.")
        if not hasattr(queryset.model, "countries"):  # a single country foreign key
            return queryset.filter(country_id=country_id)
        return queryset.linked("countries", country_id)


class DateFilter(SimpleListFilter):
    """Decades where the data lies, then the years of the chosen decade; matches by interval
    overlap.

    Only decades and years are read: anything else in the URL (a hand-edited ``?date=foo``, a
    decade outside the accepted ones) is ignored with a message, never an error page. The
    accepted decades are the data's and, whatever the data, those of ``decades`` (so a link
    made before the data moved still works).
    """

    title = "date"
    parameter_name = "date"
    decades = range(1950, 2030, 10)

    def __init__(self, request, params, model, model_admin):
        self.data_decades = data_decades(model)
        first = min([self.decades[0], *self.data_decades[:1]])
        last = max([self.decades[-1], *self.data_decades[-1:]])
        self.accepted = range(first, last + 10, 10)
        value = params.get(self.parameter_name)
        value = value[-1] if isinstance(value, list) else value
        if value and value not in self.offered():
            params.pop(self.parameter_name)
            messages.warning(
                request,
                f"The date filter “{value}” was ignored: choose a decade from {first}s to "
                f"{last}s, or a year in one of them.",
            )
        super().__init__(request, params, model, model_admin)

    def offered(self) -> set[str]:
        return {f"{d}s" for d in self.accepted} | {
            str(d + y) for d in self.accepted for y in range(10)
        }

    def lookups(self, request, model_admin):
        choices = [(f"{d}s", f"{d}s") for d in self.data_decades]
        value = self.value() or ""
        decade = next((i for i, (v, _) in enumerate(choices) if v[:3] == value[:3]), None)
        if decade is not None:
            years = [(f"{value[:3]}{y}", f"  {value[:3]}{y}") for y in range(10)]
            choices[decade + 1 : decade + 1] = years
        return choices

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        fuzzy = parse_fuzzy_date(self.value())  # one of the offered values (see __init__)
        return queryset.between(fuzzy.lower, fuzzy.upper)


def data_decades(model) -> list[int]:
    """The decades from the earliest start of a date to the latest, open starts left out.

    One query: PostgreSQL answers a min and a max of an indexed column (events: the
    ``date_lower`` index) from the two ends of the index, not from a scan.
    """
    field = f"{model.date_field}_lower"
    span = (
        model._default_manager.filter(**{f"{field}__gt": OPEN_LOWER})
        .order_by()
        .aggregate(first=Min(field), last=Max(field))
    )
    if span["first"] is None:
        return []
    return list(range(span["first"].year // 10 * 10, span["last"].year // 10 * 10 + 10, 10))


def citation_count(model) -> Coalesce:
    """A correlated count, computed for the page's rows only (not a GROUP BY over all)."""
    field = model._meta.model_name
    counts = (
        Citation.objects.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


def names(objects) -> str:
    return ", ".join(str(o) for o in objects) or "—"
