from django.contrib import admin
from django.urls import include, path

from core.health import HealthView

admin.site.site_header = "Relata — analysts’ workspace"
admin.site.site_title = "Relata admin"
admin.site.index_title = "Knowledge base"

urlpatterns = [
    path("", include("reader.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
    # Load balancers and monitors: database, cache, task worker; 200 or 503, never cached.
    path("healthz", HealthView.as_view(), name="healthz"),
]

# A database that does not answer is a 503 with Retry-After wherever it fails (core.faults).
handler500 = "core.faults.server_error"
