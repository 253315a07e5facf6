"""The admin's list filters and per-row counts: subqueries, never joins (no DISTINCT over a
million rows)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin import SimpleListFilter
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce

from core.dates import parse_fuzzy_date
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
    title = "country"
    parameter_name = "country"

    def lookups(self, request, model_admin):
        return list(Country.objects.current().values_list("code", "name"))

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        code = self.value().upper()
        country_id = Country.objects.filter(code=code).values_list("pk", flat=True).first()
        if not hasattr(queryset.model, "countries"):  # a single country foreign key
            return queryset.filter(country_id=country_id)
        return queryset.linked("countries", country_id)


class DateFilter(SimpleListFilter):
    """Decades, then the years of the chosen decade; matches by interval overlap.

    Only the values offered are read: anything else in the URL (a hand-edited ``?date=foo``, a
    decade outside the list) is ignored with a message, never an error page.
    """

    title = "date"
    parameter_name = "date"
    decades = range(1950, 2030, 10)

    def __init__(self, request, params, model, model_admin):
        value = params.get(self.parameter_name)
        value = value[-1] if isinstance(value, list) else value
        if value and value not in self.offered():
            params.pop(self.parameter_name)
            first, last = self.decades[0], self.decades[-1]
            messages.warning(
                request,
                f"The date filter “{value}” was ignored: choose a decade from {first}s to "
                f"{last}s, or a year in one of them.",
            )
        super().__init__(request, params, model, model_admin)

    @classmethod
    def offered(cls) -> set[str]:
        return {f"{d}s" for d in cls.decades} | {str(d + y) for d in cls.decades for y in range(10)}

    def lookups(self, request, model_admin):
        choices = [(f"{d}s", f"{d}s") for d in self.decades]
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
