"""The public event timeline (placeholder: being built)."""

from django.contrib.syndication.views import Feed
from django.http import HttpResponse
from django.views.generic import TemplateView


class TimelineView(TemplateView):
    template_name = "relations/placeholder.html"


def timeline_csv(request):
    return HttpResponse("", content_type="text/csv")


def timeline_json(request):
    return HttpResponse("[]", content_type="application/json")


class TimelineFeed(Feed):
    title = "Relata timeline"
    link = "/timeline/"

    def items(self):
        return []
