from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Relata — analysts’ workspace"
admin.site.site_title = "Relata admin"
admin.site.index_title = "Knowledge base"

urlpatterns = [
    path("", include("reader.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
]
