from django.views.generic import TemplateView

from relations.models import Country, Event
from sources.models import Source


class HomeView(TemplateView):
    """Proof of life: what the knowledge base holds. The public pages come later."""

    template_name = "home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["counts"] = {
            "countries": Country.objects.current().count(),
            "events": Event.objects.published().count(),
            "sources": Source.objects.count(),
        }
        return context
