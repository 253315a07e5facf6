"""Review as one page: every claim awaiting review, of every kind, with its citations.

- The admin's home says how many claims await review and links here (``index_context``, used
  by ``config.admin_site``; ``templates/admin/index.html``).
- ``/admin/review/`` lists them, oldest change first, each with its key fields and citations
  (footnote locator, source, excerpt), in a constant number of queries whatever the kinds.
  Analysts see the queue (what is waiting, what an editor said); editors (the ``publish``
  permission of each kind) publish an item or return it to draft with a comment, one button
  each. Publishing is the claim admin's own ``publish`` action (a published claim is cited);
  a decision on an item changed since the page was loaded is refused.
- The analyst reads the comment on the claim's page and in its list (``ReviewedClaimAdmin``).
- ``/admin/relations/<kind>/<id>/preview/``: a staff-only preview of a claim as readers will
  see it, through the public page's own template, with a "not published" banner. The admin
  never caches (``admin_view``); the public views and caches are untouched: they still find
  only what ``relations.visibility`` shows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import models, router, transaction
from django.db.models import Value
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.timezone import localtime
from django.views.decorators.http import require_POST

from relations import visibility
from relations.admin.filters import names
from relations.footnotes import read_citations
from relations.models import (
    Agreement,
    Claim,
    Event,
    Membership,
    Position,
    Statement,
    Status,
    UncitedClaim,
    cited,
)
from relations.presentation import money, readable_date

#: Items per page of the queue.
PER_PAGE = 25


# --- The kinds and what the queue shows of each -----------------------------------------------
def _when(text: str) -> str:
    return readable_date(text) if text else ""


def _event_facts(e: Event) -> list[tuple[str, str]]:
    return [
        ("Date", _when(e.date)),
        ("Place", e.place),
        ("Summary", e.summary),
        ("Domains", names(e.domains.all())),
        ("Countries", names(e.countries.all())),
        ("Organisations", names(e.organisations.all())),
        ("Officials", names(e.officials.all())),
    ]


def _statement_facts(s: Statement) -> list[tuple[str, str]]:
    who = s.speaker or s.speaker_organisation or "jointly, at its event"
    return [
        ("Words", "\n".join(s.fragments)),
        ("Form", f"{s.get_form_display()} ({s.verb})"),
        ("Speaker", str(who)),
        ("Date", _when(s.date)),
        ("Context", s.context),
        ("At event", str(s.event or "")),
        ("Countries", names(s.countries.all())),
        ("Domains", names(s.domains.all())),
    ]


def _position_facts(p: Position) -> list[tuple[str, str]]:
    return [
        ("Official", str(p.official)),
        ("Title", p.title),
        ("Held in", str(p.organisation or p.country or "")),
        ("Held", p.held),
    ]


def _agreement_facts(a: Agreement) -> list[tuple[str, str]]:
    value = money(a.value_amount, a.value_currency)
    return [
        ("Kind", a.get_kind_display()),
        ("Stage", a.get_stage_display()),
        ("Signed", _when(a.date)),
        ("Value", value.exact if value else ""),
        ("Parties", names([*a.countries.all(), *a.organisations.all()])),
        ("Domains", names(a.domains.all())),
        ("Purpose", a.purpose),
    ]


def _membership_facts(m: Membership) -> list[tuple[str, str]]:
    return [
        ("Member", str(m.member)),
        ("Role", m.role),
        ("Of", str(m.organisation)),
        ("Held", m.held),
    ]


@dataclass(frozen=True)
class Kind:
    """A kind of claim in the queue: its model, what is read with it, what is shown."""

    model: type[Claim]
    facts: Callable[[Claim], list[tuple[str, str]]]
    select: tuple[str, ...] = ()
    prefetch: tuple[str, ...] = ()

    def load(self, pks: list[int]) -> models.QuerySet:
        queryset = self.model._default_manager.filter(pk__in=pks)
        if self.select:
            queryset = queryset.select_related(*self.select)
        return queryset.prefetch_related(*self.prefetch)


KINDS: dict[str, Kind] = {
    "event": Kind(
        Event, _event_facts, prefetch=("domains", "countries", "organisations", "officials")
    ),
    "statement": Kind(
        Statement,
        _statement_facts,
        select=("speaker", "speaker_organisation", "event"),
        prefetch=("countries", "domains"),
    ),
    "position": Kind(Position, _position_facts, select=("official", "country", "organisation")),
    "agreement": Kind(
        Agreement, _agreement_facts, prefetch=("countries", "organisations", "domains")
    ),
    "membership": Kind(
        Membership,
        _membership_facts,
        select=("member_country", "member_organisation", "organisation"),
    ),
}


def awaiting(kinds: list[str]) -> models.QuerySet:
    """(pk, updated, kind) of every claim of these kinds awaiting review, oldest change first:
    one query (a UNION ALL of the kinds), which pages and counts as any queryset does."""
    parts = [
        KINDS[kind]
        .model._default_manager.filter(status=Status.REVIEW)
        .annotate(claim_kind=Value(kind, output_field=models.CharField()))
        .values_list("pk", "updated", "claim_kind")
        .order_by()
        for kind in kinds
    ]
    first, *rest = parts
    union = first.union(*rest, all=True) if rest else first
    return union.order_by("updated", "pk", "claim_kind")


# --- Who may do what --------------------------------------------------------------------------
def _model_admin(model: type[Claim]) -> admin.ModelAdmin:
    return admin.site.get_model_admin(model)


def viewable_kinds(request: HttpRequest) -> list[str]:
    """The kinds this user may see in the queue (analysts and editors: all of them)."""
    return [
        kind
        for kind, spec in KINDS.items()
        if _model_admin(spec.model).has_view_or_change_permission(request)
    ]


def can_decide(request: HttpRequest, kind: str) -> bool:
    """Publishing or returning is an editor's act: the kind's ``publish`` permission."""
    return _model_admin(KINDS[kind].model).has_publish_permission(request)


def index_context(request: HttpRequest) -> dict:
    """What the admin's home says of the queue: one query, for those who may see it."""
    kinds = viewable_kinds(request)
    if not kinds:
        return {}
    return {
        "review_count": awaiting(kinds).count(),
        "review_url": reverse("admin:review"),
        "review_can_decide": any(can_decide(request, kind) for kind in kinds),
    }


# --- The queue --------------------------------------------------------------------------------
@dataclass
class Item:
    kind: str
    claim: Claim
    facts: list[tuple[str, str]]
    citations: list = field(default_factory=list)
    can_decide: bool = False

    @property
    def verbose_name(self) -> str:
        return self.claim._meta.verbose_name

    @property
    def change_url(self) -> str:
        return reverse(f"admin:relations_{self.kind}_change", args=[quote(self.claim.pk)])

    @property
    def preview_url(self) -> str:
        return reverse(f"admin:relations_{self.kind}_preview", args=[quote(self.claim.pk)])

    @property
    def decide_url(self) -> str:
        return reverse("admin:review_decide", args=[self.kind, self.claim.pk])

    @property
    def loaded(self) -> str:
        return self.claim.updated.isoformat()


def page_items(rows: list[tuple[int, object, str]]) -> list[Item]:
    """The page's claims, read kind by kind with what each shows, and all their citations in
    one query: at most two queries per kind plus one, however many items."""
    by_kind: dict[str, list[int]] = {}
    for pk, _, kind in rows:
        by_kind.setdefault(kind, []).append(pk)
    loaded = {
        (kind, claim.pk): claim for kind, pks in by_kind.items() for claim in KINDS[kind].load(pks)
    }
    claims = [loaded[kind, pk] for pk, _, kind in rows if (kind, pk) in loaded]
    citations = read_citations(claims)
    return [
        Item(
            kind=claim._meta.model_name,
            claim=claim,
            facts=[
                (label, value)
                for label, value in KINDS[claim._meta.model_name].facts(claim)
                if value and value != "—"
            ],
            citations=citations.get((claim._meta.model_name, claim.pk), []),
        )
        for claim in claims
    ]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("publish", "Publish"), ("return", "Return to draft")])
    comment = forms.CharField(required=False, max_length=4000, strip=True)
    loaded_updated = forms.CharField()
    page = forms.IntegerField(required=False, min_value=1)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "return" and not cleaned.get("comment"):
            raise forms.ValidationError(
                "Say what to fix: an item goes back to its analyst with a comment."
            )
        return cleaned


class ReviewViews:
    """The queue page and the editor's decision on one item."""

    def __init__(self, site: admin.AdminSite) -> None:
        self.site = site

    def queue(self, request: HttpRequest) -> TemplateResponse:
        kinds = viewable_kinds(request)
        if not kinds:
            raise PermissionDenied
        paginator = Paginator(awaiting(kinds), PER_PAGE)
        page = paginator.get_page(request.GET.get("p"))
        items = page_items(list(page.object_list))
        deciding = {kind for kind in kinds if can_decide(request, kind)}
        for item in items:
            item.can_decide = item.kind in deciding
        context = {
            **self.site.each_context(request),
            "title": "Awaiting review",
            "items": items,
            "page": page,
            "paginator": paginator,
            "can_decide": bool(deciding),
        }
        return TemplateResponse(request, "admin/relata/review.html", context)

    def decide(self, request: HttpRequest, kind: str, pk: int) -> HttpResponse:
        if kind not in KINDS:
            raise Http404
        model = KINDS[kind].model
        model_admin = _model_admin(model)
        if not can_decide(request, kind):
            raise PermissionDenied
        form = DecisionForm(request.POST)
        back = reverse("admin:review")
        if not form.is_valid():
            for error in form.errors.get("__all__", []) or ["The form was incomplete."]:
                messages.error(request, error)
            return HttpResponseRedirect(back)
        data = form.cleaned_data
        if data["page"]:
            back = f"{back}?p={data['page']}"
        using = router.db_for_write(model)
        try:
            with transaction.atomic(using=using), cited.checked(using):
                claim = model._default_manager.select_for_update().filter(pk=pk).first()
                if claim is None:
                    raise Http404
                refusal = self._refusal(claim, data["loaded_updated"])
                if refusal:
                    messages.error(request, refusal)
                elif data["decision"] == "publish":
                    self._publish(request, model_admin, claim)
                else:
                    self._return(request, model_admin, claim, data["comment"])
        except UncitedClaim as refusal:
            messages.error(request, f"Nothing was published. {refusal.message}")
        return HttpResponseRedirect(back)

    @staticmethod
    def _refusal(claim: Claim, loaded: str) -> str:
        """Why no decision can be taken on ``claim`` now, or ''."""
        if claim.updated.isoformat() != loaded:
            latest = claim.history.order_by("-history_date", "-history_id").first()
            who = getattr(latest, "history_user", None) if latest else None
            when = date_format(localtime(claim.updated), "DATETIME_FORMAT")
            by = f" by {who}" if who else ""
            return (
                f"“{claim}” was changed{by} at {when}, after this page was loaded: nothing was "
                "done. Look at it again below, then decide."
            )
        if claim.status != Status.REVIEW:
            return f"“{claim}” is no longer awaiting review ({claim.get_status_display()})."
        return ""

    @staticmethod
    def _publish(request: HttpRequest, model_admin, claim: Claim) -> None:
        """Through the claim admin's own action: its checks and messages, its history."""
        queryset = type(claim)._default_manager.filter(pk=claim.pk)
        model_admin.publish(request, queryset)
        # The editor's earlier comment was answered: the published claim carries none.
        queryset.filter(status=Status.PUBLISHED).exclude(review_comment="").update(
            review_comment=""
        )

    @staticmethod
    def _return(request: HttpRequest, model_admin, claim: Claim, comment: str) -> None:
        claim.status = Status.DRAFT
        claim.review_comment = comment
        claim._history_user = request.user
        claim.save(update_fields=["status", "review_comment"])
        model_admin.log_change(
            request, claim, [{"changed": {"fields": ["status", "editor's comment"]}}]
        )
        model_admin.message_user(
            request, f"“{claim}” returned to draft with your comment.", messages.SUCCESS
        )


def site_urls(site: admin.AdminSite) -> list:
    views = ReviewViews(site)
    return [
        path("review/", site.admin_view(views.queue), name="review"),
        path(
            "review/<str:kind>/<int:pk>/",
            site.admin_view(require_POST(views.decide)),
            name="review_decide",
        ),
    ]


# --- On each claim's admin: the comment, and the preview --------------------------------------
def _event_page(event: Event) -> tuple[str, dict]:
    from reader.pages.entities import EventView

    loaded = EventView.loading(Event.objects.filter(pk=event.pk)).get()
    return EventView.template_name, EventView.page(loaded)


def _agreement_page(agreement: Agreement) -> tuple[str, dict]:
    from reader.pages.entities import AgreementView

    loaded = AgreementView.loading(Agreement.objects.filter(pk=agreement.pk)).get()
    return AgreementView.template_name, AgreementView.page(loaded)


def _item_page(claim: Claim) -> tuple[str, dict]:
    """Statements, posts and memberships have no page of their own: readers see them in the
    lists of an official's or an organisation's page, drawn by these same macros
    (``templates/jinja2/reader/pages/parts.html``)."""
    from reader.pages import jinja
    from reader.pages.common import dated, labelled, number_notes

    kind = KINDS[claim._meta.model_name]
    claim = kind.load([claim.pk]).get()
    if isinstance(claim, Statement):
        labelled(claim.speaker_organisation)
        claim.public_event = visibility.event_of(claim)  # as readers would see it
    else:
        labelled(claim.organisation)
    dated([claim])
    context = {"claim": claim, "kind": claim._meta.model_name, "notes": number_notes([claim])}
    context["body"] = jinja.render("reader/pages/preview_item.html", **context)
    return "admin/relata/review_preview_item.html", context


PAGES: dict[type[Claim], Callable[[Claim], tuple[str, dict]]] = {
    Event: _event_page,
    Agreement: _agreement_page,
    Statement: _item_page,
    Position: _item_page,
    Membership: _item_page,
}


class ReviewedClaimAdmin:
    """Mixed into every claim admin (``workflow.ClaimAdmin``): the editor's comment on the
    claim's page and in its list, and "View on site" of an unpublished claim as a preview."""

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path(
                "<path:object_id>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name=f"{prefix}_preview",
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request: HttpRequest, object_id: str) -> TemplateResponse:
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        template, context = PAGES[type(obj)](obj)
        context |= {
            "page_template": template,
            "preview_of": obj,
            "preview_kind": obj._meta.verbose_name,
            "change_url": reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
                args=[quote(obj.pk)],
            ),
        }
        return TemplateResponse(request, "admin/relata/review_preview.html", context)

    def get_view_on_site_url(self, obj=None):
        if obj is not None and obj.pk and obj.status != Status.PUBLISHED:
            # Its public URL is a 404 until it is published: show it as it will be.
            return reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_preview",
                args=[quote(obj.pk)],
            )
        return super().get_view_on_site_url(obj)

    # --- The comment, where the analyst works
    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and obj.review_comment and obj.status != Status.PUBLISHED:
            fieldsets = [("Returned by an editor", {"fields": ["editor_comment"]}), *fieldsets]
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        return [*readonly, "editor_comment"]

    @admin.display(description="editor's comment")
    def editor_comment(self, obj):
        lines = ((line,) for line in obj.review_comment.splitlines() if line.strip())
        return format_html(
            '<div class="review-comment">{}</div>', format_html_join("", "<p>{}</p>", lines)
        )

    def get_list_display(self, request):
        return [*super().get_list_display(request), "returned_with"]

    @admin.display(description="editor's comment")
    def returned_with(self, obj):
        if not obj.review_comment or obj.status == Status.PUBLISHED:
            return ""
        return Truncator(obj.review_comment).chars(80)
