"""Entity pages (placeholder: being built)."""

from django.views.generic import TemplateView


class CountryIndexView(TemplateView):
    template_name = "relations/placeholder.html"


class CountryView(TemplateView):
    template_name = "relations/placeholder.html"


OrganisationView = OfficialView = AgreementView = EventView = SourceView = CountryView
