"""The admin's permission matrix: every admin URL and every admin action, for an anonymous
visitor, an analyst and an editor, GET and POST, against the policy of ``relations/roles.py``.

The policy is data (``RIGHTS``, ``VIEWS``, ``ACTIONS``, ``SITE``): what each role may do in each
admin, and what each URL and action needs. The URLs and actions are not listed by hand: they
are read from ``admin.site`` (every registered ModelAdmin's ``get_urls()`` and actions, and the
site's own URLs), so a new admin, view or action fails here until the policy names it.

- anonymous: a redirect to the login page, always;
- a role with the right: the page or the action (any 2xx/3xx that is not the login page; an
  action is checked by its effect);
- a role without it: 403; an action: refused (403, or not offered: nothing done).

Then crafted requests: every POST again without a CSRF token (403, nothing changed); state
changes attempted by GET (nothing changed); an analyst publishing by editing the status field.
Each request that may write runs in a transaction rolled back after it, so the next starts from
the same records.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.template.base import Template
from django.test import Client
from django.test.utils import _TestState
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from exchange.models import Import
from relations.models import Country, Event, Position, Status
from relations.roles import ANALYST, EDITOR
from tests.factories import (
    AgreementFactory,
    CitationFactory,
    DomainFactory,
    EventFactory,
    FootnoteFactory,
    MembershipFactory,
    OfficialFactory,
    OrganisationFactory,
    PositionFactory,
    SourceFactory,
    StatementFactory,
    relationship,
)

pytestmark = pytest.mark.django_db

# --- The policy ---------------------------------------------------------------------------------
# Rights (relations/roles.py):
#   view, add, change  as named;      delete            delete a record (a claim: a draft)
#   delete published   a claim;       delete in use     reference data a published claim uses
#   history            see every version, and deleted records
#   revert             revert to a version, recover a deleted record
#   publish            publish and unpublish claims;    import   the admin's own import
# (In admins without django-simple-history, "history" is the admin's log of a record.)
NOTHING: frozenset[str] = frozenset()
ANALYST_CONTENT = frozenset({"view", "add", "change", "delete", "history"})
EDITOR_CONTENT = ANALYST_CONTENT | {"delete published", "delete in use", "revert"}
EDITOR_CLAIMS = EDITOR_CONTENT | {"publish"}

RIGHTS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    # admin                       analyst                                    editor
    "relations.event": (ANALYST_CONTENT | {"import"}, EDITOR_CLAIMS | {"import"}),
    "relations.agreement": (ANALYST_CONTENT, EDITOR_CLAIMS),
    "relations.statement": (ANALYST_CONTENT, EDITOR_CLAIMS),
    "relations.position": (ANALYST_CONTENT, EDITOR_CLAIMS),
    "relations.membership": (ANALYST_CONTENT, EDITOR_CLAIMS),
    "relations.citation": (ANALYST_CONTENT, EDITOR_CONTENT),
    "relations.organisation": (ANALYST_CONTENT, EDITOR_CONTENT),
    "relations.official": (ANALYST_CONTENT, EDITOR_CONTENT),
    "relations.relationship": (ANALYST_CONTENT, EDITOR_CONTENT),
    "sources.source": (ANALYST_CONTENT, EDITOR_CONTENT),
    "sources.footnote": (ANALYST_CONTENT, EDITOR_CONTENT),
    # Reference data shared by everyone's work: only editors add countries or remove either.
    "relations.country": (frozenset({"view", "change", "history"}), EDITOR_CONTENT),
    "relations.domain": (frozenset({"view", "add", "change", "history"}), EDITOR_CONTENT),
    # Fixture imports write reference data and published claims: editors only.
    "exchange.import": (NOTHING, frozenset({"view", "add", "history"})),
    # Editors unlock a login locked out by django-axes: they see the failed attempts and delete
    # one to lift its lockout.
    "axes.accessattempt": (NOTHING, frozenset({"view", "delete", "history"})),
    # Accounts, other login records, the task queue: superusers only.
    "auth.user": (NOTHING, NOTHING),
    "auth.group": (NOTHING, NOTHING),
    "axes.accesslog": (NOTHING, NOTHING),
    "axes.accessfailurelog": (NOTHING, NOTHING),
    "django_tasks_database.dbtaskresult": (NOTHING, NOTHING),
}

# Each admin URL, by the end of its name: the requests made of it, as
# (method, the record it is asked about, the right it needs). A row whose record the admin
# does not have ("published": claims only) is skipped.
VIEWS: dict[str, list[tuple[str, str | None, str]]] = {
    "changelist": [("GET", None, "view")],
    "add": [("GET", None, "add"), ("POST", None, "add")],
    # (A published claim's form is the draft's, its status read-only for an analyst: see
    # test_an_analyst_cannot_publish_by_editing_the_status.)
    "change": [("GET", "draft", "view"), ("POST", "draft", "change")],
    "delete": [
        ("GET", "draft", "delete"),
        ("POST", "draft", "delete"),
        ("GET", "published", "delete published"),
        ("POST", "published", "delete published"),
        ("GET", "in use", "delete in use"),
        ("POST", "in use", "delete in use"),
    ],
    "history": [("GET", "draft", "history")],
    # An event's merge page (relations.admin.merging): asked of no other event, it sends the
    # user back to the event's page; test_merge.py tries real merges, published ones too.
    "merge": [("GET", "draft", "change"), ("POST", "draft", "change")],
    "simple_history": [("GET", "version", "history"), ("POST", "version", "revert")],
    "deleted": [("GET", None, "history")],
    # A claim as readers will see it once published (relations.admin.review): staff who may
    # view it; a GET only.
    "preview": [("GET", "draft", "view")],
    "recover": [("GET", "deleted", "revert"), ("POST", "deleted", "revert")],
    "import": [("GET", None, "import"), ("POST", None, "import")],
    "process_import": [("POST", None, "import")],
    "password_change": [("GET", "draft", "change"), ("POST", "draft", "change")],
    # Django's old address of a change form, "<id>/": a redirect to "<id>/change/", which
    # decides (right "staff": anyone logged in to the admin).
    "": [("GET", "draft", "staff")],
}
# Where an admin's URL means something else than the stock view of that name.
VIEWS_OF: dict[str, dict[str, list[tuple[str, str | None, str]]]] = {
    # An import's page is its report: read-only (a POST shows it too); confirming or
    # discarding a pending import is for whoever may import (and uploaded it).
    "exchange.import": {
        "change": [("GET", "draft", "view"), ("POST", "draft", "view")],
        "confirm": [("GET", "draft", "never"), ("POST", "draft", "add")],
        "discard": [("GET", "draft", "never"), ("POST", "draft", "add")],
    },
}

# Each action, by name: (the record it is applied to, the right it needs).
ACTIONS: dict[str, list[tuple[str, str]]] = {
    "submit_for_review": [("draft", "change")],
    "publish": [("draft", "publish")],
    "unpublish": [("published", "publish")],
    "export_fixture": [("draft", "view")],
    "export_fixture_with_drafts": [("draft", "view")],
    "delete_selected": [
        ("draft", "delete"),
        ("published", "delete published"),
        ("in use", "delete in use"),
    ],
}

# The admin site's own URLs: (method, URL name, anonymous, analyst, editor), as statuses
# ("login": the redirect to the login page). App indexes are derived from RIGHTS below.
LOGIN = "login"
SITE: list[tuple[str, str, Any, Any, Any]] = [
    ("GET", "index", LOGIN, 200, 200),
    ("GET", "login", 200, 302, 302),  # someone logged in is sent on to the index
    ("GET", "password_change", LOGIN, 200, 200),
    ("POST", "password_change", LOGIN, 200, 200),  # (empty: the form's errors)
    ("GET", "password_change_done", LOGIN, 200, 200),
    ("GET", "jsi18n", LOGIN, 200, 200),
    ("GET", "logout", 302, 405, 405),  # logging out is a POST
    # The review queue: analysts see what waits, editors decide (relations.admin.review).
    ("GET", "review", LOGIN, 200, 200),
    # Bring in a page (intake.admin): analysts and editors; the result page without its
    # signed result sends one back to the paste form.
    ("GET", "intake_page", LOGIN, 200, 200),
    ("POST", "intake_page", LOGIN, 200, 200),  # (empty: the form's errors)
    ("GET", "intake_done", LOGIN, 302, 302),
    ("GET", "date_preview", LOGIN, 200, 200),  # the fuzzy date field's live reading
]
# Checked below; "review_decide" (an editor's decision on one claim) in test_review.py.
SITE_NAMES_ELSEWHERE = {"autocomplete", "view_on_site", "app_list", "review_decide"}


# --- The records each request is about -----------------------------------------------------------
@dataclass
class Target:
    """One admin and the records its URLs and actions are tried on."""

    label: str  # "relations.event"
    model_admin: admin.ModelAdmin
    records: dict[str, Any] = field(default_factory=dict)  # draft, published, version, deleted

    @property
    def prefix(self) -> str:
        return f"{self.model_admin.opts.app_label}_{self.model_admin.opts.model_name}_"


def deleted_history_id(obj) -> int:
    """Delete ``obj`` (it stays in history) and give its last history row, for "recover"."""
    obj.delete()
    return obj.history.model.objects.filter(history_type="-").latest("history_date").history_id


CLAIM_FACTORIES = {
    "relations.event": EventFactory,
    "relations.agreement": AgreementFactory,
    "relations.statement": StatementFactory,
    "relations.position": PositionFactory,
    "relations.membership": MembershipFactory,
}
CONTENT_FACTORIES = {
    "relations.organisation": OrganisationFactory,
    "relations.official": OfficialFactory,
    "relations.domain": DomainFactory,
    "sources.source": SourceFactory,
    "sources.footnote": FootnoteFactory,
}


def in_use(obj, field: str):
    """``obj``, named in ``field`` of a published event: reference data only editors delete."""
    getattr(EventFactory(status=Status.PUBLISHED), field).add(obj)
    return obj


# The field of a published event that names each kind of reference data. (A source or footnote
# that a published claim cites cannot be deleted at all while it is cited, PROTECT: who is
# offered its Delete is tested in tests/relations/test_delete_policy.py.)
IN_USE_BY = {
    "relations.organisation": "organisations",
    "relations.official": "officials",
    "relations.domain": "domains",
}


def make_records(label: str, users: dict[str, Any]) -> dict[str, Any]:
    if label in CLAIM_FACTORIES:
        factory = CLAIM_FACTORIES[label]
        # A cited draft: publishable, and deletable by an analyst.
        draft = factory(status=Status.DRAFT, citations=1)
        published = factory(status=Status.PUBLISHED)
        gone = deleted_history_id(factory(status=Status.DRAFT, citations=0))
        return {"draft": draft, "published": published, "deleted": gone}
    if label in CONTENT_FACTORIES:
        factory = CONTENT_FACTORIES[label]
        records = {"draft": factory(), "deleted": deleted_history_id(factory())}
        if label in IN_USE_BY:
            records["in use"] = in_use(factory(), IN_USE_BY[label])
        return records
    match label:
        case "relations.citation":
            draft = EventFactory(status=Status.DRAFT, citations=0)
            gone = deleted_history_id(CitationFactory(event=draft))
            return {"draft": CitationFactory(event=draft), "deleted": gone}
        case "relations.relationship":
            gone = deleted_history_id(relationship("AD", "AE"))
            used = in_use(relationship("AF", "AG"), "concerns")
            return {"draft": relationship("AM", "AZ"), "deleted": gone, "in use": used}
        case "relations.country":
            made = Country.objects.create(code="QQ", alpha_3="QQQ", name="Qland")
            used = Country.objects.create(code="QR", alpha_3="QQR", name="Rland")
            return {
                "draft": Country.objects.get(code="AQ"),
                "deleted": deleted_history_id(made),
                "in use": in_use(used, "countries"),
            }
        case "exchange.import":
            # A pending import the editor uploaded (its file is gone: confirming rejects it).
            return {"draft": Import.objects.create(name="kb.json", user=users[EDITOR])}
        case "auth.user":
            return {"draft": users["bystander"]}
        case "auth.group":
            return {"draft": Group.objects.get(name=ANALYST)}
        case "axes.accessattempt" | "axes.accesslog" | "axes.accessfailurelog":
            model = {
                "axes.accessattempt": AccessAttempt,
                "axes.accesslog": AccessLog,
                "axes.accessfailurelog": AccessFailureLog,
            }[label]
            extra = {"failures_since_start": 1} if model is AccessAttempt else {}
            return {
                "draft": model.objects.create(username="editor", ip_address="10.0.0.1", **extra)
            }
        case "django_tasks_database.dbtaskresult":
            task = DBTaskResult.objects.create(
                args_kwargs={"args": [], "kwargs": {}},
                task_path="exchange.tasks.nothing",
                backend_name="default",
                run_after=timezone.now(),
            )
            return {"draft": task}
    raise AssertionError(
        f"No records to try the {label} admin on: add them to make_records(), and its row to "
        "RIGHTS."
    )


def with_versions(records: dict[str, Any]) -> dict[str, Any]:
    draft = records["draft"]
    if hasattr(draft, "history"):
        if not draft.history.exists():  # (countries come from a migration, unrecorded)
            draft.save()
        records["version"] = draft.history.order_by("history_id").first()
    return records


# --- Requests -------------------------------------------------------------------------------------
class Counter:
    def __init__(self) -> None:
        self.requests = 0


@contextlib.contextmanager
def rolled_back():
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def send(client: Client, counter: Counter, method: str, url: str, data: dict | None = None):
    counter.requests += 1
    # A GET changes nothing (test_no_state_change_by_get): only POSTs are rolled back.
    with rolled_back() if method == "POST" else contextlib.nullcontext():
        try:
            if method == "GET":
                return client.get(url, data or {})
            return client.post(url, data or {})
        except Exception as error:  # the test client re-raises a view's exception
            return ServerError(error)


class ServerError:
    """A view's exception, as the test client re-raises it: a 500 to report, not a crash."""

    def __init__(self, error: Exception) -> None:
        self.status_code = 500
        self.error = f"{type(error).__name__}: {error}"

    def __getitem__(self, header):
        return ""


def is_login(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


def outcome(response) -> str:
    if is_login(response):
        return LOGIN
    if response.status_code == HTTPStatus.FORBIDDEN:
        return "403"
    if response.status_code < 400:
        return "allowed"
    return f"{response.status_code} {getattr(response, 'error', '')}".strip()


def url_args(kind: str, record: Any) -> list:
    if record is None:
        return []
    if kind == "simple_history":
        return [record.instance.pk if hasattr(record, "instance") else record.pk, record.pk]
    if hasattr(record, "pk"):
        return [record.pk]
    return [record]  # a history id


def fingerprint() -> tuple:
    """What any write changes: every content table's rows and statuses, and history."""
    rows = []
    for model in admin.site._registry:
        manager = model._default_manager
        fields = ["pk", *(["status"] if hasattr(model, "status") and model is not Import else [])]
        if model is Import:
            fields = ["pk", "state"]
        rows.append((model._meta.label, tuple(manager.order_by("pk").values_list(*fields))))
        if hasattr(model, "history"):
            rows.append((f"{model._meta.label} history", model.history.count()))
    return tuple(rows)


@pytest.fixture(autouse=True)
def _plain_rendering(monkeypatch):
    """Render templates as a server does: the test environment's instrumented render copies
    every template's context for ``response.context``, which this test never reads, and takes
    a third of the time of a thousand admin pages."""
    monkeypatch.setattr(Template, "_render", _TestState.saved_data.template_render)


@pytest.fixture(autouse=True)
def _quiet_refusals():
    """Hundreds of expected 403s: Django logs each with its traceback (slow, and noise)."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


# --- The matrix ------------------------------------------------------------------------------
@pytest.fixture
def people(django_user_model):
    def staff(username: str, role: str):
        user = django_user_model.objects.create_user(username, password="pw", is_staff=True)
        user.groups.add(Group.objects.get(name=role))
        return user

    return {
        ANALYST: staff("anna", ANALYST),
        EDITOR: staff("eddie", EDITOR),
        "bystander": django_user_model.objects.create_user("bystander", password="pw"),
    }


@pytest.fixture
def clients(people) -> dict[str, Client]:
    anonymous, analyst, editor = Client(), Client(), Client()
    analyst.force_login(people[ANALYST])
    editor.force_login(people[EDITOR])
    return {"anonymous": anonymous, ANALYST: analyst, EDITOR: editor}


@pytest.fixture
def targets(people) -> list[Target]:
    out = []
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label_lower
        assert label in RIGHTS, f"{label} is not in the permission matrix: add it to RIGHTS"
        out.append(Target(label, model_admin, with_versions(make_records(label, people))))
    return out


def rights(role: str, label: str) -> frozenset[str]:
    if role == "anonymous":
        return NOTHING
    analyst, editor = RIGHTS[label]
    return analyst if role == ANALYST else editor


def expected(role: str, right: str, label: str) -> str:
    """The policy's answer: the login page, the page, or 403 ("staff": anyone logged in to
    the admin; "never": no one, whatever their rights)."""
    if role == "anonymous":
        return LOGIN
    if right == "staff":
        return "allowed"
    return "allowed" if right != "never" and right in rights(role, label) else "403"


def action_expected(role: str, right: str, label: str) -> str:
    """Done, or refused: not offered (nothing happens), or 403."""
    return {"allowed": "done", "403": "refused", LOGIN: LOGIN}[expected(role, right, label)]


POST_DATA = {"delete": {"post": "yes"}}


def view_requests(target: Target):
    """(kind, method, url, right, data) for every URL of the admin."""
    views = {**VIEWS, **VIEWS_OF.get(target.label, {})}
    for pattern in target.model_admin.get_urls():
        name = pattern.name or ""
        assert not name or name.startswith(target.prefix), f"{name}: not {target.label}'s"
        kind = name.removeprefix(target.prefix)
        assert kind in views, f"{name}: a URL the matrix does not know; add it to VIEWS"
        for method, record_key, right in views[kind]:
            if record_key is not None and record_key not in target.records:
                continue
            record = target.records.get(record_key) if record_key else None
            if name:
                url = reverse(f"admin:{name}", args=url_args(kind, record))
            else:
                change = reverse(f"admin:{target.prefix}change", args=url_args(kind, record))
                url = change.removesuffix("change/")
            yield kind, method, url, right, POST_DATA.get(kind, {})


@dataclass
class Matrix:
    """The requests asked, and every answer that differs from the policy's."""

    clients: dict[str, Client]
    counter: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    def check(self, role: str, what: str, want, got) -> None:
        if got != want:
            self.failures.append(f"{role:9} {what}: expected {want}, got {got}")

    def ask(self, what: str, method: str, url: str, wants: dict[str, str], data=None) -> None:
        for role, client in self.clients.items():
            self.check(
                role, what, wants[role], outcome(send(client, self.counter, method, url, data))
            )


def test_every_admin_url_and_action_for_every_role(clients, targets):
    started, cpu = time.monotonic(), time.process_time()
    matrix = Matrix(clients)
    for target in targets:
        model_urls(matrix, target)
        actions(matrix, target)
    site_urls(matrix, targets)
    elapsed, cpu = time.monotonic() - started, time.process_time() - cpu
    count = matrix.counter.requests
    print(f"\npermission matrix: {count} requests in {elapsed:.1f} s ({cpu:.1f} s CPU)")
    assert not matrix.failures, "\n".join([f"{len(matrix.failures)} mismatches:", *matrix.failures])


def model_urls(matrix: Matrix, target: Target) -> None:
    """Every URL of a ModelAdmin, for every role, GET and POST."""
    for _, method, url, right, data in view_requests(target):
        wants = {role: expected(role, right, target.label) for role in matrix.clients}
        matrix.ask(f"{method} {url} ({right})", method, url, wants, data)


def actions(matrix: Matrix, target: Target) -> None:
    """Every action, from the change list and (where offered) from the change form."""
    for name in sorted({*(target.model_admin.actions or []), *admin.site._actions}):
        assert name in ACTIONS, f"{target.label}: action {name} is not in ACTIONS"
        func = target.model_admin.get_action(name).func
        form_too = "CHANGE_FORM" in str(getattr(func, "locations", ""))
        for record_key, right in ACTIONS[name]:
            if record_key not in target.records:
                continue
            record = target.records[record_key]
            for role, client in matrix.clients.items():
                want = action_expected(role, right, target.label)
                what = f"action {name} on {target.label} ({record_key})"
                matrix.check(
                    role, what, want, run_action(client, matrix.counter, target, name, record)
                )
                if form_too:
                    got = run_action(client, matrix.counter, target, name, record, on_form=True)
                    matrix.check(role, f"{what}, from its page", want, got)


def site_urls(matrix: Matrix, targets: list[Target]) -> None:
    """The site's own URLs, app indexes, autocompletes, "view on site" and the catch-all."""
    roles = list(matrix.clients)
    for method, name, *statuses in SITE:
        for role, want in zip(roles, statuses, strict=True):
            response = send(matrix.clients[role], matrix.counter, method, reverse(f"admin:{name}"))
            matrix.check(
                role,
                f"{method} {name}",
                want,
                LOGIN if is_login(response) else response.status_code,
            )
    site_names = {p.name for p in admin.site.get_urls() if getattr(p, "name", None)}
    unknown = site_names - {row[1] for row in SITE} - SITE_NAMES_ELSEWHERE
    assert not unknown, f"admin site URLs the matrix does not know: {unknown}"

    for app_label in {t.model_admin.opts.app_label for t in targets}:
        # An app's index lists the admins a role may view; with none, there is no such page.
        admins = [t.label for t in targets if t.model_admin.opts.app_label == app_label]
        wants = {
            role: LOGIN
            if role == "anonymous"
            else ("allowed" if any("view" in rights(role, a) for a in admins) else "404")
            for role in roles
        }
        url = reverse("admin:app_list", kwargs={"app_label": app_label})
        matrix.ask(f"GET {url}", "GET", url, wants)
    for url, label in autocomplete_urls(targets):
        matrix.ask(f"GET {url}", "GET", url, {r: expected(r, "view", label) for r in roles})
    event = next(t for t in targets if t.label == "relations.event").records["draft"]
    kind = ContentType.objects.get_for_model(Event).pk
    on_site = reverse("admin:view_on_site", args=[kind, event.pk])
    matrix.ask(f"GET {on_site}", "GET", on_site, {r: expected(r, "staff", "") for r in roles})
    nowhere = "/admin/no-such-page/"  # the catch-all: no page, and no hint of one
    wants = {r: LOGIN if r == "anonymous" else "404" for r in roles}
    matrix.ask(f"GET {nowhere}", "GET", nowhere, wants)


# Actions that only read: whether the role is offered one is asked with an empty selection
# (Django answers "Items must be selected…" for an action it offers, "No action selected."
# otherwise) rather than by exporting the whole selection each time.
READ_ONLY_ACTIONS = {"export_fixture", "export_fixture_with_drafts"}


def run_action(client, counter, target, name, record, *, on_form=False) -> str:
    """Apply action ``name`` to ``record``: "done", "refused" (403, or nothing happened) or
    the login redirect. Whether it was done is read from its effect."""
    opts = target.model_admin.opts
    selected = [] if name in READ_ONLY_ACTIONS else [record.pk]
    if on_form:
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[record.pk])
        data = {"CHANGE_FORM-action": name, "_selected_action": selected}
    else:
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        data = {"action": name, "_selected_action": selected, "index": 0}
        if name == "delete_selected":
            data["post"] = "yes"  # the confirmation page's answer
    model = type(record)
    counter.requests += 1
    with rolled_back():
        try:
            response = client.post(url, data)
        except Exception as error:  # the test client re-raises a view's exception
            return f"500 ({type(error).__name__}: {error})"
        if is_login(response):
            return LOGIN
        if response.status_code == HTTPStatus.FORBIDDEN:
            return "refused"
        if response.status_code >= 400:
            return str(response.status_code)
        if name in READ_ONLY_ACTIONS:
            said = " ".join(str(m) for m in response.wsgi_request._messages)
            return "done" if "Items must be selected" in said else "refused"
        after = model._default_manager.filter(pk=record.pk).first()
        done = {
            "submit_for_review": lambda: after.status == Status.REVIEW,
            "publish": lambda: after.status == Status.PUBLISHED,
            "unpublish": lambda: after.status == Status.DRAFT,
            "delete_selected": lambda: after is None,
        }[name]()
    return "done" if done else "refused"


def autocomplete_urls(targets):
    """Every autocomplete widget of every admin and inline: (URL, the admin it is on)."""
    for target in targets:
        model_admin = target.model_admin
        sources = [(model_admin.model, model_admin.autocomplete_fields)]
        sources += [(inline.model, inline.autocomplete_fields) for inline in model_admin.inlines]
        for model, fields in sources:
            for field_name in fields:
                query = (
                    f"?app_label={model._meta.app_label}&model_name={model._meta.model_name}"
                    f"&field_name={field_name}&term=a"
                )
                yield reverse("admin:autocomplete") + query, target.label


# --- Crafted requests ------------------------------------------------------------------------
def test_no_post_without_a_csrf_token(people, targets):
    """Every POST of the matrix, as an editor (who may do most), with no CSRF token: 403, and
    nothing changed."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(people[EDITOR])
    counter = Counter()
    before = fingerprint()
    failures = []
    posts = [
        (url, data)
        for target in targets
        for _, method, url, _, data in view_requests(target)
        if method == "POST"
    ]
    for target in targets:
        opts = target.model_admin.opts
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        for name in {*(target.model_admin.actions or []), *admin.site._actions}:
            pk = target.records["draft"].pk
            posts.append((changelist, {"action": name, "_selected_action": [pk], "index": 0}))
    posts += [(reverse("admin:password_change"), {}), (reverse("admin:logout"), {})]
    for url, data in posts:
        counter.requests += 1
        response = client.post(url, data)
        if response.status_code != HTTPStatus.FORBIDDEN or b"CSRF" not in response.content:
            failures.append(f"POST {url} {data}: {response.status_code}")
    assert not failures, "\n".join(failures)
    assert fingerprint() == before
    print(f"\nCSRF: {counter.requests} POSTs without a token, all refused")


def test_no_state_change_by_get(clients, targets):
    """What a POST does, asked by GET (an action in the query, the delete, recover, revert,
    confirm and logout URLs): nothing changes, and the editor stays logged in."""
    editor = clients[EDITOR]
    by_label = {t.label: t for t in targets}
    event = by_label["relations.event"].records
    before = fingerprint()
    changelist = reverse("admin:relations_event_changelist")
    change = reverse("admin:relations_event_change", args=[event["draft"].pk])
    token = by_label["exchange.import"].records["draft"].pk
    urls = [
        (changelist, {"action": "publish", "_selected_action": event["draft"].pk, "index": 0}),
        (changelist, {"action": "delete_selected", "_selected_action": event["draft"].pk,
                      "post": "yes"}),
        (change, {"CHANGE_FORM-action": "unpublish", "_selected_action": event["draft"].pk}),
        (reverse("admin:relations_event_changelist").replace("event", "event") + "?e=1", {}),
        (reverse("admin:relations_event_delete", args=[event["draft"].pk]), {"post": "yes"}),
        (reverse("admin:relations_event_recover", args=[event["deleted"]]), {}),
        (reverse("admin:relations_event_simple_history",
                 args=[event["draft"].pk, event["version"].pk]), {"title": "Reverted"}),
        (reverse("admin:relations_event_add"), {"title": "By GET", "date": "2010",
                                                "status": "published", "_save": "Save"}),
        (reverse("admin:exchange_import_confirm", args=[token]), {}),
        (reverse("admin:exchange_import_discard", args=[token]), {}),
        (reverse("admin:logout"), {}),
    ]  # fmt: skip
    for url, query in urls:
        response = editor.get(url, query)
        assert response.status_code in (200, 302, 403, 405), (url, response.status_code)
    assert fingerprint() == before
    assert editor.get(reverse("admin:index")).status_code == HTTPStatus.OK  # still logged in


def test_an_analyst_cannot_publish_by_editing_the_status(clients, targets):
    """The status field refuses "published" from an analyst, on a claim's page and in the
    posts inline of an official's page: the claim stays a draft."""
    analyst = clients[ANALYST]
    event = next(t for t in targets if t.label == "relations.event").records["draft"]
    citation = event.citations.get()
    data = {
        "title": event.title, "date": event.date, "place": "", "summary": "",
        "domains": [d.pk for d in event.domains.all()], "sequence": "0",
        "status": "published", "slug": event.slug,
        "loaded_updated": event.updated.isoformat(),
        "citations-TOTAL_FORMS": "1", "citations-INITIAL_FORMS": "1",
        "citations-MIN_NUM_FORMS": "0", "citations-MAX_NUM_FORMS": "1000",
        "citations-0-id": citation.pk, "citations-0-event": event.pk,
        "citations-0-footnote": citation.footnote_id, "citations-0-note": "",
        "_save": "Save",
    }  # fmt: skip
    response = analyst.post(reverse("admin:relations_event_change", args=[event.pk]), data)
    assert response.status_code == HTTPStatus.OK  # the form again, with the refusal
    assert "published is not one of the available choices" in response.text
    added = analyst.post(reverse("admin:relations_event_add"), {**data, "slug": "new"})
    assert added.status_code == HTTPStatus.OK
    assert Event.objects.get(pk=event.pk).status == Status.DRAFT
    assert not Event.objects.filter(slug="new").exists()

    position = next(t for t in targets if t.label == "relations.position").records["draft"]
    official = position.official
    inline = {
        "name": official.name, "slug": official.slug, "country": "", "aliases": "[]",
        "description": "", "loaded_updated": official.updated.isoformat(),
        "positions-TOTAL_FORMS": "1", "positions-INITIAL_FORMS": "1",
        "positions-MIN_NUM_FORMS": "0", "positions-MAX_NUM_FORMS": "1000",
        "positions-0-id": position.pk, "positions-0-official": official.pk,
        "positions-0-title": position.title, "positions-0-country": position.country_id,
        "positions-0-organisation": "", "positions-0-start": "", "positions-0-end": "",
        "positions-0-status": "published", "_save": "Save",
    }  # fmt: skip
    analyst.post(reverse("admin:relations_official_change", args=[official.pk]), inline)
    assert Position.objects.get(pk=position.pk).status == Status.DRAFT
