"""The timeline page (/timeline/) and its 400 page: the request read, the facets and page
fetched, the hot parts rendered by Jinja2 into the Django page (layout, form, facets)."""

from __future__ import annotations

from functools import lru_cache

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import engines
from django.utils.safestring import SafeString, mark_safe
from django.views import View

from reader.timeline import query
from reader.timeline.facets import build_facets, facet_data
from reader.timeline.request import Timeline
from relations import presentation
from relations.filters import ORDER_CHOICES, Reference, reference
from relations.models import Agreement

TEMPLATE = "reader/timeline.html"


class TimelineView(View):
    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        timeline = Timeline(request)
        if not timeline.valid:
            return render_invalid(request, timeline)
        data = facet_data(timeline)
        page = query.page(timeline, data)
        facets = build_facets(timeline, data)
        feed_url = timeline.url("timeline-atom", drop=("order",))
        chart = fragment("reader/timeline_chart.html", chart=facets.chart) if facets.chart else ""
        context = _context(
            timeline,
            page=page,
            results=fragment("reader/timeline_events.html", page=page, timeline=timeline),
            facets=facets,
            chart=chart,
            title=timeline.title,
            description=_description(timeline, facets.total),
            exports=[
                ("CSV", timeline.url("timeline-csv"), "text/csv"),
                ("JSON", timeline.url("timeline-json"), "application/json"),
                ("Atom feed", feed_url, "application/atom+xml"),
            ],
            feed_url=feed_url,
        )
        return render(request, TEMPLATE, context)


def render_invalid(request: HttpRequest, timeline: Timeline) -> HttpResponse:
    """The form again with what is wrong, and 400 (for the page and the CSV and Atom exports)."""
    errors = []
    for form in (timeline.form, timeline.paging):
        for name, messages in form.errors.items():
            label = form.fields[name].label if name in form.fields else None
            anchor = f"id_{name}" if name in timeline.form.fields else None
            errors += [(label or "", anchor, message) for message in messages]
    context = _context(timeline, errors=errors, title="Events: please check the filter")
    return render(request, TEMPLATE, context, status=400)


def fragment(name: str, **context) -> SafeString:
    """A hot part of the page, rendered by Jinja2 (which escapes every value) for the Django
    template: Django's engine takes several times longer over a page's thousands of values."""
    context.setdefault("url_of", presentation.record_linker())  # (for this request's links)
    return mark_safe(engines["jinja2"].get_template(name).render(context))


@lru_cache(maxsize=256)
def country_options(ref: Reference, selected: str) -> SafeString:
    """A country select's <option>s (some 280, twice a page): rendered once per version of the
    reference data and choice."""
    return fragment("reader/country_options.html", choices=ref.country_choices(), selected=selected)


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
        "country_options": [country_options(ref, code) for code in [*chosen_countries, "", ""][:2]],
        "agreement_kinds": Agreement.Kind.choices,
        "more_filters_open": any(
            (form.data.get(name) if form.is_bound else None) or name in form.errors
            for name in ("official", "organisation", "agreement_kind", "order")
        ),
        "orders": ORDER_CHOICES,
        **extra,
    }


def _description(timeline: Timeline, total: int) -> str:
    what = f"{total:,} published event{'s' if total != 1 else ''}"
    about = f" — {timeline.summary}" if timeline.summary else ""
    return (
        f"{what} in foreign relations{about}, in date order, each with its sources. "
        "On Relata, a cited knowledge base of relations between states."
    )
