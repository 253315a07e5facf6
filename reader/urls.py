"""The public site: read-only; what it shows is `relations.visibility`'s to decide."""

from django.urls import path, register_converter

from core.throttle import throttled
from reader import home
from reader.dossiers import views as dossiers
from reader.pages import countries, entities, sources
from reader.timeline import exports as timeline_exports
from reader.timeline import views as timeline


class CountryCode:
    """ISO codes in URLs are lower case: /countries/by/, /relations/by-ir/."""

    regex = "[a-zA-Z]{2}(?:[a-zA-Z]{2})?"

    def to_python(self, value: str) -> str:
        return value.upper()

    def to_url(self, value: str) -> str:
        return value.lower()


register_converter(CountryCode, "iso")

# The exports stream the whole (filtered) knowledge base: a per-client limit (core.throttle).
export = throttled("export")

urlpatterns = [
    path("", home.HomeView.as_view(), name="home"),
    path("timeline/", timeline.TimelineView.as_view(), name="timeline"),
    path("timeline.csv", export(timeline_exports.timeline_csv), name="timeline-csv"),
    path("timeline.json", export(timeline_exports.timeline_json), name="timeline-json"),
    path("timeline.atom", export(timeline_exports.TimelineFeed()), name="timeline-atom"),
    path("relations/", dossiers.RelationshipIndexView.as_view(), name="relationships"),
    path("relations/<iso:first>-<iso:second>/", dossiers.DossierView.as_view(), name="dossier"),
    path("countries/", countries.CountryIndexView.as_view(), name="countries"),
    path("countries/<iso:code>/", countries.CountryView.as_view(), name="country"),
    path("organisations/<slug:slug>/", entities.OrganisationView.as_view(), name="organisation"),
    path("officials/<slug:slug>/", entities.OfficialView.as_view(), name="official"),
    path("agreements/<slug:slug>/", entities.AgreementView.as_view(), name="agreement"),
    path("events/<slug:slug>/", entities.EventView.as_view(), name="event"),
    path("sources/<slug:slug>/", sources.SourceView.as_view(), name="source"),
]
