from django.views.generic import TemplateView

from core import cache
from relations import visibility
from relations.models import Country
from sources.models import Source


def counts() -> dict[str, int]:
    return {
        "countries": Country.objects.current().count(),
        "events": visibility.events().count(),
        "sources": Source.objects.count(),
    }


class HomeView(TemplateView):
    """What the knowledge base holds, and where to start reading."""

    template_name = "home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # Counting a million events on every visit costs more than the page: cached under the
        # knowledge-base version, like every public answer.
        context["counts"] = cache.answer("home-counts", counts)
        return context
