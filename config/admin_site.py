"""The admin site: Django's, plus the pages that belong to no model — "Bring in a page"
(``intake.admin``), the editors' review queue (``relations.admin.review``) and the fuzzy date
field's live reading (``core.date_preview``).

Installed as ``config.admin_site.RelataAdminConfig`` in place of ``django.contrib.admin``
(Django's documented way to replace the default site): every ``admin.register`` and
``admin.site`` then means this site. The views are imported when the site is asked for them,
not when it is built: the apps' admin modules register on the site as they are imported.
"""

from __future__ import annotations

from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.sites import AdminSite
from django.urls import path


class RelataAdminConfig(AdminConfig):
    default_site = "config.admin_site.RelataAdminSite"


class RelataAdminSite(AdminSite):
    def get_urls(self):
        from core.date_preview import date_preview
        from intake.admin import BringInPage
        from relations.admin import review

        preview = path("date-preview/", self.admin_view(date_preview), name="date_preview")
        return [preview, *BringInPage(self).urls(), *review.site_urls(self), *super().get_urls()]

    def get_app_list(self, request, app_label=None):
        """Django's, with "Bring in a page" first for those who may use it: it is where a
        page's facts come in."""
        from intake.admin import BringInPage, may_bring_in

        apps = super().get_app_list(request, app_label)
        if app_label in (None, "intake") and may_bring_in(request.user):
            apps = [BringInPage(self).app(), *apps]
        return apps

    def index(self, request, extra_context=None):
        """The home page, with how many claims await review (``templates/admin/index.html``)."""
        from relations.admin import review

        context = {**review.index_context(request), **(extra_context or {})}
        return super().index(request, context)
