from django.views.generic import TemplateView

from relations import visibility
from relations.models import Country
from sources.models import Source


class HomeView(TemplateView):
    """What the knowledge base holds, and where to start reading."""

    template_name = "home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["counts"] = {
            "countries": Country.objects.current().count(),
            "events": visibility.events().count(),
            "sources": Source.objects.count(),
        }
        return context
