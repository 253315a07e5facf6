"""``/api/``: the read-only JSON API, its OpenAPI schema and its interactive documentation.

The documentation page loads Swagger UI from this site's own static files (drf-spectacular-
sidecar), never from a CDN, and its start-up script is a file of its own (the "split" view),
not inline, so a Content-Security-Policy of ``script-src 'self'`` holds. (No Redoc: its page
loads Google Fonts.)
"""

from django.urls import path
from rest_framework.routers import DefaultRouter

from api import views
from api.changes import ChangesView
from api.dossiers import DossierViewSet
from api.fixture import FixtureView
from api.root import RootView
from api.schema import DocsView, SchemaView

app_name = "api"

router = DefaultRouter()
router.include_root_view = False  # RootView also lists the feed, the schema and the docs
router.include_format_suffixes = False
router.register("events", views.EventViewSet, basename="event")
router.register("agreements", views.AgreementViewSet, basename="agreement")
router.register("statements", views.StatementViewSet, basename="statement")
router.register("positions", views.PositionViewSet, basename="position")
router.register("memberships", views.MembershipViewSet, basename="membership")
router.register("footnotes", views.FootnoteViewSet, basename="footnote")
router.register("countries", views.CountryViewSet, basename="country")
router.register("domains", views.DomainViewSet, basename="domain")
router.register("organisations", views.OrganisationViewSet, basename="organisation")
router.register("officials", views.OfficialViewSet, basename="official")
router.register("sources", views.SourceViewSet, basename="source")
router.register("relationships", views.RelationshipViewSet, basename="relationship")
router.register("relations", DossierViewSet, basename="dossier")

urlpatterns = [
    path("", RootView.as_view(), name="root"),
    path("changes/", ChangesView.as_view(), name="changes"),
    path("fixture/", FixtureView.as_view(), name="fixture"),
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", DocsView.as_view(url_name="api:schema"), name="docs"),
    *router.urls,
]
