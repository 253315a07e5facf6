from django.contrib import admin

from core.admin_base import ContentAdmin, date_reading
from sources.models import Source


@admin.register(Source)
class SourceAdmin(ContentAdmin):
    list_display = ["title", "outlet", "author", "published_display", "language"]
    list_filter = ["outlet", "language"]
    search_fields = ["title", "outlet", "author", "slug", "url"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["published_as_read"]
    ordering = ["title", "slug"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "outlet", "author", "language"]}),
        (
            "Where and when",
            {"fields": ["url", "archive_url", ("published", "published_as_read"), "accessed"]},
        ),
        ("Notes", {"fields": ["notes"]}),
    ]

    @admin.display(description="published", ordering="published_lower")
    def published_display(self, obj):
        return obj.published or "—"

    @admin.display(description="publication date, as read")
    def published_as_read(self, obj):
        return date_reading(obj.published)
