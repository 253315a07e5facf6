"""``/relations/``: the relationships index; ``/relations/<iso>-<iso>/``: a pair's dossier."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from reader.dossiers import index
from reader.dossiers import render as markup
from reader.dossiers.build import Dossier, pair_name
from reader.dossiers.forms import AsOfForm, PairForm
from relations.filters import reference
from relations.models import Country


class DossierView(View):
    """``/relations/<iso>-<iso>/``: the dossier of a pair of countries."""

    template_name = "reader/dossier.html"

    def get(self, request: HttpRequest, first: str, second: str) -> HttpResponse:
        if first == second:
            raise Http404("A country has no relations with itself here.")
        ref = reference()  # (cached: every country's code and name)
        countries = {code: c for code in (first, second) if (c := ref.country(code))}
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
        built = dossier.build()
        context.update(
            built,
            body=markup.body(built["sections"], built["notes"]),
            form=form if form.is_bound else AsOfForm(),
            as_of=as_of,
            today=timezone.localdate(),
            timeline_url=dossier.timeline_url(),
        )
        return render(request, self.template_name, context)


class RelationshipIndexView(View):
    """``/relations/``: the busiest relationships, and a form to open any pair's dossier."""

    template_name = "reader/relationships.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        countries = list(Country.objects.values_list("code", "name"))
        asked = "first" in request.GET or "second" in request.GET
        form = PairForm(request.GET if asked else None, countries=countries)
        if form.is_bound and form.is_valid():
            first, second = sorted((form.cleaned_data["first"], form.cleaned_data["second"]))
            return redirect("dossier", first, second)
        return render(
            request,
            self.template_name,
            {
                "pairs": index.busiest(),
                "form": form,
                "countries": countries,
                "size": index.INDEX_SIZE,
            },
            status=400 if form.is_bound else 200,
        )
