"""The admin's "Bring in a page": paste, confirm on one screen, save as cited drafts.

Three steps, one URL (``admin:intake_page``) and a result page (``admin:intake_done``):

1. the paste form: the page's text, its notes (optional) and the source, chosen once;
2. the confirm screen: every proposal of ``intake.propose.read_page`` as an editable row, the
   new records offered, the new source prefilled from the page; the state the analyst does not
   edit travels signed (``intake.forms.State``);
3. the save (``intake.save.bring_in``): everything as drafts with their citations, in one
   transaction; then a result page listing the drafts.

There is no model to register: the admin site (``config.admin_site``) adds these views to its
URLs and "Bring in a page" to its app list (the home and the sidebar), for those who may use it.
A paste larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE`` would make Django refuse the request
before any form sees it (a bare 400): the view reads the body itself first and answers with a
message on the form, then checks the CSRF token as ``csrf_protect`` would.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from urllib.parse import parse_qsl

from django.conf import settings
from django.contrib import admin, messages
from django.core import signing
from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.datastructures import MultiValueDict
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from core.admin_base import date_reading
from intake import forms as intake_forms
from intake.forms import (
    NewRecordFormSet,
    ProposalFormSet,
    State,
    new_records_from,
    proposal_initial,
)
from intake.paste import MAX_PAGE_CHARS, PasteForm, SourceForm
from intake.proposals import Page
from intake.save import MODELS, NotSaved, already_brought_in, bring_in
from sources.models import Source

#: What one needs to bring in a page: to add every claim kind, footnotes and citations.
PERMISSIONS = (
    *(f"relations.add_{kind}" for kind in MODELS),
    "relations.add_citation",
    "sources.add_footnote",
)
DONE_SALT = "intake.done"
MORE_ROWS = 3
#: The confirm screen's own limit on posted fields (see ``read_form``): some 250 proposals.
MAX_FIELDS = 10_000


def date_preview_url() -> str:
    """The live date reading's URL (core.date_preview)."""
    return reverse("admin:date_preview")


def may_bring_in(user) -> bool:
    return bool(user and user.is_active and user.is_staff and user.has_perms(PERMISSIONS))


def read_page(text: str, notes: str, *, source_date: str, title: str) -> Page:
    """The engine (``intake.propose``), imported late: it loads the gazetteer."""
    from intake.propose import read_page as engine

    return engine(text, notes, source_date=source_date, title=title)


def too_big(error: Exception) -> str:
    if isinstance(error, TooManyFieldsSent):
        what = f"more than {MAX_FIELDS:,} fields"
    else:
        what = f"larger than {filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)}"
    return (
        f"What was sent is {what}, more than a page: nothing was read or saved. Bring in "
        f"one page at a time (at most {MAX_PAGE_CHARS:,} characters)."
    )


def read_form(request: HttpRequest) -> None:
    """Read the posted form, with this view's own limit on the number of fields.

    The confirm screen has some 40 fields per proposal: a 50-footnote page passes Django's
    ``DATA_UPLOAD_MAX_NUMBER_FIELDS`` (1,000), which guards every other form of the site.
    The body's size is still capped by ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (``request.body``).
    Raises ``RequestDataTooBig`` or ``TooManyFieldsSent``.
    """
    if request.content_type != "application/x-www-form-urlencoded":
        request.POST  # noqa: B018 (Django's own parser and limits)
        return
    text = request.body.decode(request.encoding or settings.DEFAULT_CHARSET, "replace")
    try:
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError as error:
        raise TooManyFieldsSent(str(error)) from error
    form = QueryDict(mutable=True)
    for key, value in pairs:
        form.appendlist(key, value)
    form._mutable = False
    request._post, request._files = form, MultiValueDict()


class BringInPage:
    """The views, bound to an admin site."""

    def __init__(self, site: admin.AdminSite) -> None:
        self.site = site

    def urls(self) -> list:
        return [
            path("intake/page/", self.site.admin_view(self.page_view), name="intake_page"),
            path("intake/page/done/", self.site.admin_view(self.done_view), name="intake_done"),
        ]

    def app(self) -> dict:
        url = reverse("admin:intake_page", current_app=self.site.name)
        return {
            "name": "Bring in a page",
            "app_label": "intake",
            "app_url": url,
            "has_module_perms": True,
            "models": [
                {
                    "name": "Bring in a page",
                    "object_name": "Page",
                    "admin_url": url,
                    "add_url": url,
                    "view_only": False,
                    "perms": {"add": True, "change": False, "delete": False, "view": True},
                }
            ],
        }

    def context(self, request: HttpRequest, title: str, **extra) -> dict:
        return {**self.site.each_context(request), "title": title, **extra}

    # --- The one URL of the three steps --------------------------------------------------
    @csrf_exempt  # checked below, once the body is known to be readable
    def page_view(self, request: HttpRequest) -> HttpResponse:
        if not may_bring_in(request.user):
            raise PermissionDenied
        if request.method == "POST":
            try:
                read_form(request)
            except (RequestDataTooBig, TooManyFieldsSent) as error:
                # Nothing is read, saved or trusted: only a message on an empty form.
                form = PasteForm()
                form.too_big = too_big(error)
                return self.paste(request, form, status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        return csrf_protect(self._steps)(request)

    def _steps(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            source = request.GET.get("source", "")
            initial = {"source": source} if source.isdigit() else {}
            return self.paste(request, PasteForm(initial=initial))
        if "state" in request.POST:
            return self.confirm_or_save(request)
        form = PasteForm(request.POST)
        if not form.is_valid():
            return self.paste(request, form)
        data = form.cleaned_data
        source: Source | None = data["source"]
        new = form.new_source()
        page = read_page(
            data["text"],
            data["notes"],
            source_date=source.published if source else new["published"],
            title=source.title if source else new["title"],
        )
        if page.problems:
            for problem in page.problems:
                form.add_error("text", problem)
            return self.paste(request, form)
        return self.confirm_screen(request, page, source, new)

    def paste(self, request: HttpRequest, form: PasteForm, status=HTTPStatus.OK):
        context = self.context(request, "Bring in a page", form=form)
        return TemplateResponse(request, "admin/intake/paste.html", context, status=status)

    # --- Step 2: the confirm screen ---------------------------------------------------------
    def confirm_screen(self, request, page: Page, source: Source | None, new: dict):
        state = State(
            user=request.user.pk,
            source=source.pk if source else None,
            title=page.title,
            date=page.date,
            notes=page.notes,
            suggestions={p.id: p.summary for p in page.proposals if p.summary},
            as_read={p.id: p.date_as_read for p in page.proposals if p.date_as_read},
            doubts={p.id: p.doubts for p in page.proposals if p.doubts},
            warnings=list(page.warnings),
        )
        title = new["title"] or page.title
        if source is None and title:
            twin = Source.objects.filter(title__iexact=title).order_by("pk").first()
            if twin is not None:
                state.warnings.append(
                    f"A source titled “{twin.title}” exists already: to add to it (and skip "
                    "what was brought in from it before), go back and choose it as the source."
                )
        proposals = ProposalFormSet(
            initial=[proposal_initial(p) for p in page.proposals],
            prefix="p",
            suggestions=state.suggestions,
            notes=state.notes,
        )
        done = already_brought_in(source, page.proposals)
        for form in proposals.forms:
            form.already = form.initial.get("id") in done
            if form.already:
                form.initial["keep"] = False
        offered = [*page.new_domains, *page.new_records]
        records = NewRecordFormSet(
            initial=[
                {"kind": r.kind, "name": r.name, "as_written": r.as_written, "create": False}
                for r in offered
                if r.kind in intake_forms.CREATABLE
            ],
            prefix="new",
        )
        source_form = None
        if source is None:
            source_form = SourceForm(
                prefix="source",
                initial={
                    "title": title,
                    "outlet": new["outlet"],
                    "author": new["author"],
                    "published": new["published"] or page.date,
                    "url": new["url"],
                },
            )
        return self.render_confirm(request, state, source, proposals, records, source_form)

    def render_confirm(self, request, state, source, proposals, records, source_form, status=200):
        for form in proposals.forms:
            pid = form["id"].value() or ""
            form.date_as_read = state.as_read.get(pid, "")
            form.doubts = state.doubts.get(pid, [])
            form.date_reading = date_reading(form["date"].value() or "")
        context = self.context(
            request,
            "Confirm what the page says",
            state=state.dumps(),
            page_title=state.title,
            page_date=state.date,
            notes=state.notes,
            warnings=state.warnings,
            source=source,
            source_form=source_form,
            proposals=proposals,
            records=records,
            kinds_json=json.dumps(intake_forms.KIND_FIELDS),
            date_preview=date_preview_url(),
        )
        return TemplateResponse(request, "admin/intake/confirm.html", context, status=status)

    def confirm_or_save(self, request: HttpRequest) -> HttpResponse:
        try:
            state = State.loads(request.POST["state"], request.user.pk)
        except signing.BadSignature:
            messages.error(
                request,
                "This confirm screen could not be read back (it is more than a day old, or "
                "was changed): nothing was saved. Paste the page again.",
            )
            return HttpResponseRedirect(reverse("admin:intake_page"))
        source = Source.objects.filter(pk=state.source).first() if state.source else None
        if state.source and source is None:
            messages.error(request, "The chosen source was deleted meanwhile: nothing was saved.")
            return HttpResponseRedirect(reverse("admin:intake_page"))
        data = request.POST
        if "more" in data:  # "Add rows": the same screen, three empty rows more
            data = data.copy()
            total = data.get("p-TOTAL_FORMS", "0")
            data["p-TOTAL_FORMS"] = str(int(total) + MORE_ROWS if total.isdigit() else 0)
        source_form = None if source else SourceForm(data, prefix="source")
        records = NewRecordFormSet(data, prefix="new")
        proposals = ProposalFormSet(
            data, prefix="p", suggestions=state.suggestions, notes=state.notes
        )
        # Rows already brought in (the source's notes cite a claim of their kind) stay out.
        valid_rows = [f for f in proposals.forms if f.is_valid() and not f.is_blank()]
        done = already_brought_in(source, [_row(f) for f in valid_rows])
        for form in valid_rows:
            form.already = form.cleaned_data["id"] in done
        proposals.new_records = new_records_from(records) if records.is_valid() else []
        forms_ok = (
            records.is_valid()
            and proposals.is_valid()
            and (source_form is None or source_form.is_valid())
        )
        if "more" in data:
            return self.render_confirm(request, state, source, proposals, records, source_form)
        if not forms_ok:
            messages.error(request, "Nothing was saved yet: correct what is marked below.")
            return self.render_confirm(request, state, source, proposals, records, source_form)
        to_save = proposals.proposals()
        if not to_save:
            messages.warning(request, "No row is kept: nothing to save.")
            return self.render_confirm(request, state, source, proposals, records, source_form)
        try:
            saved = bring_in(
                source=source or source_form.save(commit=False),
                notes=state.notes,
                proposals=to_save,
                create=proposals.new_records,
            )
        except NotSaved as refused:  # rolled back: the screen again, as it was posted
            if source_form is not None:
                source_form.instance.pk = None
                source_form.instance._state.adding = True
            messages.error(
                request, f"Nothing was saved: {refused.proposal}: {'; '.join(refused.messages)}"
            )
            return self.render_confirm(request, state, source, proposals, records, source_form)
        token = signing.dumps(
            {
                "source": saved.source.pk,
                "claims": [[c._meta.model_name, c.pk] for c in saved.claims],
                "created": [[r._meta.model_name, r.pk] for r in saved.created],
                "skipped": saved.skipped + sorted(done),
            },
            salt=DONE_SALT,
            compress=True,
        )
        return HttpResponseRedirect(f"{reverse('admin:intake_done')}?r={token}")

    # --- Step 3: the result ------------------------------------------------------------------
    def done_view(self, request: HttpRequest) -> HttpResponse:
        if not may_bring_in(request.user):
            raise PermissionDenied
        try:
            result = signing.loads(request.GET.get("r", ""), salt=DONE_SALT)
        except signing.BadSignature:
            return HttpResponseRedirect(reverse("admin:intake_page"))
        rows = _load(result["claims"]) + _load(result["created"])
        source = Source.objects.filter(pk=result["source"]).first()
        claims = rows[: len(result["claims"])]
        created = rows[len(result["claims"]) :]
        context = self.context(
            request,
            "Brought in",
            source=source,
            claims=[_listed(c) for c in claims if c is not None],
            created=[_listed(r) for r in created if r is not None],
            skipped=result["skipped"],
        )
        return TemplateResponse(request, "admin/intake/done.html", context)


def _row(form):
    """A valid row as far as "already brought in" needs: its id, kind and notes."""
    from intake.proposals import Proposal

    data = form.cleaned_data
    return Proposal(id=data["id"], kind=data["kind"], notes=data["notes"])


def _load(pairs: list[list]) -> list:
    """Records by (model name, pk), one query per model, in the given order."""
    from django.apps import apps

    wanted: dict[str, list[int]] = {}
    for name, pk in pairs:
        wanted.setdefault(name, []).append(pk)
    found = {}
    for name, pks in wanted.items():
        app = "sources" if name == "source" else "relations"
        model = apps.get_model(app, name)
        for record in model.objects.filter(pk__in=pks):
            found[(name, record.pk)] = record
    return [found.get((name, pk)) for name, pk in pairs]


def _listed(record) -> dict:
    opts = record._meta
    return {
        "kind": opts.verbose_name,
        "text": str(record),
        "url": reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[record.pk]),
    }
