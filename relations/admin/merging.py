"""The event admin's merge page: "merge into this", offered by the duplicate warning.

``/admin/relations/event/<kept>/merge/?from=<other>`` shows both events side by side and what
the merge will do; its POST (with the CSRF token, as every admin form) merges ``other`` into
``kept`` (``relations.merge``). It needs the change permission on both, and when either is
published, the right to publish: merging a published event is an editor's act.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from relations.merge import FILLED_IN, MergeRefused, merge_events
from relations.models import Event, Status, UncitedClaim

# Everything the page shows of each event, in a fixed number of queries.
PREFETCH = (
    "domains",
    "countries",
    "organisations",
    "officials",
    "agreements",
    "concerns__first",
    "concerns__second",
    "citations__footnote__source",
    "statements__speaker",
    "statements__speaker_organisation",
)


class MergeEvents:
    """A ModelAdmin mixin for events: the merge page and who may merge."""

    def get_urls(self):
        return [
            path(
                "<path:object_id>/merge/",
                self.admin_site.admin_view(self.merge_view),
                name="relations_event_merge",
            ),
            *super().get_urls(),
        ]

    def may_merge(self, request: HttpRequest, kept: Event, other: Event) -> bool:
        if not (
            self.has_change_permission(request, kept) and self.has_change_permission(request, other)
        ):
            return False
        published = Status.PUBLISHED in (kept.status, other.status)
        return not published or self.can_publish(request)

    def merge_url(self, kept: Event, other: Event) -> str:
        return f"{reverse('admin:relations_event_merge', args=[quote(kept.pk)])}?from={other.pk}"

    def merge_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        kept = self._event(object_id)
        change_url = reverse("admin:relations_event_change", args=[quote(kept.pk)])
        other_id = request.POST.get("from") if request.method == "POST" else request.GET.get("from")
        if not other_id:
            if not self.has_change_permission(request, kept):
                raise PermissionDenied
            messages.info(
                request,
                "To merge an event into this one, save the other: its duplicate warning offers "
                "“merge into this”.",
            )
            return HttpResponseRedirect(change_url)
        other = self._event(other_id)
        if not self.may_merge(request, kept, other):
            raise PermissionDenied
        if request.method == "POST":
            try:
                merge_events(kept=kept, other=other, user=request.user)
            except (MergeRefused, UncitedClaim) as refusal:
                self.message_user(request, str(refusal), messages.ERROR)
                return HttpResponseRedirect(request.get_full_path())
            self.log_change(request, kept, f"Merged “{other}” ({other.slug}) into this event.")
            self.message_user(
                request,
                f"Merged “{other}” into this event. The other was removed; it can be "
                "recovered from the deleted events.",
                messages.SUCCESS,
            )
            return HttpResponseRedirect(change_url)
        if kept.pk == other.pk:
            self.message_user(request, "An event cannot be merged into itself.", messages.ERROR)
            return HttpResponseRedirect(change_url)
        pair = {
            e.pk: e
            for e in Event.objects.filter(pk__in=[kept.pk, other.pk]).prefetch_related(*PREFETCH)
        }
        kept, other = pair[kept.pk], pair[other.pk]
        context = {
            **self.admin_site.each_context(request),
            "title": "Merge two events",
            "opts": self.opts,
            "kept": kept,
            "other": other,
            "swap_url": self.merge_url(other, kept),
            "change_url": change_url,
            "filled_in": [
                Event._meta.get_field(name).verbose_name
                for name in FILLED_IN
                if not getattr(kept, name) and getattr(other, name)
            ],
            "withdrawn": other.status == Status.PUBLISHED,
            "stays_draft": other.status == Status.PUBLISHED and kept.status != Status.PUBLISHED,
        }
        return TemplateResponse(request, "admin/relata/merge.html", context)

    def _event(self, object_id: str) -> Event:
        try:
            return Event.objects.get(pk=int(unquote(object_id)))
        except (ValueError, Event.DoesNotExist):
            raise Http404("No such event.") from None
