"""The public site: read-only, published claims only."""

from django.urls import path, register_converter

from relations import dossiers, pages, timeline


class CountryCode:
    """ISO codes in URLs are lower case: /countries/by/, /relations/by-ir/."""

    regex = "[a-zA-Z]{2}(?:[a-zA-Z]{2})?"

    def to_python(self, value: str) -> str:
        return value.upper()

    def to_url(self, value: str) -> str:
        return value.lower()


register_converter(CountryCode, "iso")

urlpatterns = [
    path("timeline/", timeline.TimelineView.as_view(), name="timeline"),
    path("timeline.csv", timeline.timeline_csv, name="timeline-csv"),
    path("timeline.json", timeline.timeline_json, name="timeline-json"),
    path("timeline.atom", timeline.TimelineFeed(), name="timeline-atom"),
    path("relations/", dossiers.RelationshipIndexView.as_view(), name="relationships"),
    path("relations/<iso:first>-<iso:second>/", dossiers.DossierView.as_view(), name="dossier"),
    path("countries/", pages.CountryIndexView.as_view(), name="countries"),
    path("countries/<iso:code>/", pages.CountryView.as_view(), name="country"),
    path("organisations/<slug:slug>/", pages.OrganisationView.as_view(), name="organisation"),
    path("officials/<slug:slug>/", pages.OfficialView.as_view(), name="official"),
    path("agreements/<slug:slug>/", pages.AgreementView.as_view(), name="agreement"),
    path("events/<slug:slug>/", pages.EventView.as_view(), name="event"),
    path("sources/<slug:slug>/", pages.SourceView.as_view(), name="source"),
]
