"""Our URLs plus a second admin site configured the stock way, to measure both in one run."""

from django.contrib import admin
from django.urls import path

from config.urls import urlpatterns as ours
from relations.models import Event

stock_site = admin.AdminSite(name="stock")


@admin.register(Event, site=stock_site)
class StockEventAdmin(admin.ModelAdmin):
    """What a competent first attempt looks like: the documented options, nothing more."""

    list_display = ["title", "date", "status"]
    list_filter = ["status", "domains", "countries"]
    search_fields = ["title"]
    ordering = ["-date_lower", "-date_upper", "-id"]


urlpatterns = [path("stock-admin/", stock_site.urls), *ours]
