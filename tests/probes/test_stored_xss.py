"""Stored XSS: a payload in every text field of every model analysts edit, entered through the
admin (real HTTP: the test client posts the admin's forms), published with a citation, then
every public and admin page type loaded in Chromium: no script runs, no markup is injected.

- The fields are read from each model's ``_meta``: every text field (char, text, URL, JSON)
  gets a payload, or is excluded by a rule or by name, with the reason (``RULES``,
  ``EXCLUDED``); a field the admin does not save fails the test, as does a model the admin
  registers that ``ENTRY`` does not fill. New fields and models are covered or named.
- Each field's payload is numbered (``__xss(n)``) and carries as many of the ``KINDS`` as its
  length allows: a script element, attribute and RCDATA break-outs, a CDATA end for the Atom
  feed, template syntax, a ``javascript:`` URL, a spreadsheet formula.
- The browser defines ``__xss`` (``add_init_script``) to record calls, counts dialogs, and
  bypasses any Content-Security-Policy, so an escaping bug is caught even where CSP would block
  its script. After each load: no call, no dialog, no element carrying ``data-xss``, no
  ``javascript:`` link, no evaluated template syntax. A positive control proves the recorder
  works.
- Reflected input too: the timeline's query and date filters, the admin's search, and form
  errors that echo what was typed (a bad date, an unknown domain in a dossier's sections).
- The Atom feed is parsed as XML and each entry's HTML summary rendered in the browser; the
  CSV export's cells never start a formula.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import quote, urlsplit

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.management.sql import emit_post_migrate_signal
from django.db import DEFAULT_DB_ALIAS, models
from django.test import Client
from django.urls import reverse
from playwright.sync_api import Page

from core.fields import FuzzyDateField
from relations.admin.forms import AliasesField
from relations.countries import sync_countries
from relations.models import Country, Domain, Relationship, Status
from relations.roles import EDITOR

# --- Payloads -----------------------------------------------------------------------------------
# Each kind with "{n}" for the field's number. No control characters: models refuse them.
KINDS = {
    "formula": '=HYPERLINK("http://example.org/{n}","x")',  # first, where it fits (CSV)
    "script": "<script>__xss({n})</script>",
    "attribute": '"><img src=x onerror=__xss({n}) data-xss={n}>',
    "single-quoted": "'><svg onload=__xss({n}) data-xss={n}>",
    "rcdata": "</textarea></title><svg onload=__xss({n}) data-xss={n}>",
    "cdata": "]]></summary><script>__xss({n})</script>",
    "template": "tpl{{7*191}}{%filter upper%}tplup{%endfilter%}",
    "javascript": "javascript:__xss({n})",
}
SHORT = "<i data-xss={n}>"  # for fields too short for any other kind (a language code)
# Evaluated, the template kind reads "tpl1337…TPLUP"; as text (or slugified), never so.
TEMPLATE_EVALUATED = re.compile(r"tpl1337|TPLUP")
URL_PAYLOAD = "https://example.org/?q={n}\"><svg/onload=__xss({n})>'><img/src/onerror=__xss({n})>"

# Text fields no payload is typed into, by rule (the form refuses anything but what they hold)
# or by name.
RULES = [
    (lambda f: not f.editable, "derived by the model, never typed"),
    (lambda f: bool(f.choices), "one of a fixed list of values"),
    (lambda f: isinstance(f, models.SlugField), "a slug: letters, digits and hyphens only"),
    (
        lambda f: isinstance(f, FuzzyDateField),
        "a date the parser must read (the refusal's echo of a bad one is checked)",
    ),
]
EXCLUDED = {
    "relations.country.code": "ISO 3166 code: read-only in the admin",
    "relations.country.alpha_3": "ISO 3166 code: read-only in the admin",
    "relations.country.numeric": "ISO 3166 code: read-only in the admin",
    "relations.agreement.value_currency": "an ISO 4217 code, checked against the list",
    **{
        f"relations.{kind}.review_comment": "an editor's comment, typed on the review page, "
        "not the change form; its escaping on both is tested in tests/relations/test_review.py"
        for kind in ("event", "agreement", "statement", "position", "membership")
    },
}
TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField)


@dataclass
class Payloads:
    """The payloads typed, numbered: ``n`` -> what field (and inline) it went into."""

    fields: dict[int, str] = field(default_factory=dict)
    kinds: int = 0  # payload strings typed (a field's value holds several)

    def make(self, where: str, max_length: int | None) -> str:
        n = len(self.fields) + 1
        self.fields[n] = where
        limit = max_length or 10_000
        order = list(KINDS)
        # Every kind but the formula rotates to the front in turn, so short fields differ.
        rest = order[1:]
        shift = n % len(rest)
        order = [order[0], *rest[shift:], *rest[:shift]]
        if limit < 150:
            order.remove("formula")  # (it would leave too little room for the rest)
        value = ""
        for kind in order:
            piece = KINDS[kind].replace("{n}", str(n))
            if len(value) + len(piece) <= limit:
                value += piece
                self.kinds += 1
        if not value:
            value = SHORT.replace("{n}", str(n))
            self.kinds += 1
        return value

    def url(self, where: str) -> str:
        n = len(self.fields) + 1
        self.fields[n] = where
        self.kinds += 2
        return URL_PAYLOAD.replace("{n}", str(n))


def text_fields(model) -> list[tuple[models.Field, str | None]]:
    """Every text field of ``model``, with why it gets no payload (None: it gets one)."""
    out = []
    for f in model._meta.concrete_fields:
        if not isinstance(f, TEXT_FIELDS):
            continue
        reason = EXCLUDED.get(f"{model._meta.label_lower}.{f.name}")
        reason = reason or next((why for rule, why in RULES if rule(f)), None)
        out.append((f, reason))
    return out


# --- Entry through the admin --------------------------------------------------------------------
@dataclass
class Entered:
    """What was entered: the records, by model label, and the payloads."""

    payloads: Payloads
    records: dict[str, models.Model] = field(default_factory=dict)
    posts: int = 0


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def form_errors(response) -> str:
    found = re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', response.text, re.S)
    return " | ".join(re.sub(r"<[^>]+>", "", e) for e in found) or response.text[:300]


def payload_data(model, payloads: Payloads, extra: dict, prefix: str = "") -> tuple[dict, dict]:
    """Form data with a payload in each of ``model``'s text fields not otherwise given, and what
    each field must then hold."""
    data, expect = {}, {}
    where = model._meta.label_lower
    for f, reason in text_fields(model):
        if reason or f.name in extra:
            continue
        if isinstance(f, models.URLField):
            value = payloads.url(f"{where}.{f.name}")
        else:
            value = payloads.make(f"{where}.{f.name}{' (inline)' if prefix else ''}", f.max_length)
        if f.name == "aliases":  # a list edited as lines, read by the form's own rule
            expect[f.name] = AliasesField().clean(value)
        elif isinstance(f, models.JSONField):
            expect[f.name] = [value]
            value = json.dumps([value])
        else:
            expect[f.name] = value
        data[f"{prefix}{f.name}"] = value
    return data, expect


def enter(client: Client, entered: Entered, model, extra: dict, obj=None, inline=None):
    """Add (or change ``obj``) through the admin's form, a payload in every text field; check
    every payload was stored as typed. ``inline``: (prefix, model, its extra data) of one new
    inline row, which gets payloads too."""
    payloads = entered.payloads
    data, expect = payload_data(model, payloads, extra)
    data.update({k: v for k, v in extra.items() if not k.startswith("_")})
    expect.update(extra.get("_expect", {}))
    inline_expect = {}
    if inline:
        prefix, inline_model, inline_extra = inline
        row, inline_expect = payload_data(inline_model, payloads, inline_extra, f"{prefix}-0-")
        data.update(row)
        data.update({f"{prefix}-0-{k}": v for k, v in inline_extra.items() if k[0] != "_"})
        data.update({f"{prefix}-TOTAL_FORMS": "1", f"{prefix}-INITIAL_FORMS": "0"})
        data.update({f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"})
    if obj is not None:
        data["loaded_updated"] = obj.updated.isoformat()
    url = admin_url(model, "change", obj.pk) if obj is not None else admin_url(model, "add")
    response = client.post(url, {**data, "_continue": "Save"})
    entered.posts += 1
    assert response.status_code == HTTPStatus.FOUND, (
        f"{model._meta.label}: the admin refused the payloads: {form_errors(response)}"
    )
    pk = obj.pk if obj is not None else int(response["Location"].rstrip("/").split("/")[-2])
    saved = model._default_manager.get(pk=pk)
    for name, value in expect.items():
        assert getattr(saved, name) == value, (
            f"{model._meta.label}.{name} was not saved as typed through the admin: give it a "
            f"payload another way, or exclude it in EXCLUDED with the reason"
        )
    if inline:
        row = inline_model._default_manager.filter(**{inline[2]["_fk"]: saved}).last()
        for name, value in inline_expect.items():
            assert getattr(row, name) == value, f"inline {inline_model._meta.label}.{name}"
    entered.records[model._meta.label_lower] = saved
    return saved


def refused_url(client: Client, entered: Entered, model, obj, field_name: str, base: dict):
    """A ``javascript:`` URL is refused by the form (so no link can run it)."""
    data = {**base, field_name: "javascript:__xss(0)", "loaded_updated": obj.updated.isoformat()}
    response = client.post(admin_url(model, "change", obj.pk), data)
    entered.posts += 1
    assert response.status_code == HTTPStatus.OK and "Enter a valid URL" in response.text, (
        f"{model._meta.label}.{field_name} accepted a javascript: URL"
    )


def current(obj, *names) -> dict:
    """A saved record's values as its change form posts them back (for a second save)."""
    obj.refresh_from_db()
    out = {}
    for name in names:
        value = getattr(obj, name)
        if name == "aliases":
            out[name] = "\n".join(value)
        else:
            out[name] = json.dumps(value) if isinstance(value, list | dict) else value
    return out


CITATIONS = "citations"
DELETED = "(deleted) "


def claim(footnote, **extra) -> tuple:
    """The citation inline of a new claim: one row citing ``footnote``, its note a payload."""
    from relations.models import Citation

    return (CITATIONS, Citation, {"footnote": footnote.pk, **extra})


def enter_everything(client: Client) -> Entered:
    """Every model the admin edits, through its forms, in the order they refer to each other."""
    from relations.models import (
        Agreement,
        Citation,
        Event,
        Membership,
        Official,
        Organisation,
        Position,
        Statement,
    )
    from sources.models import Footnote, Source

    entered = Entered(Payloads())
    am, by = Country.objects.get(code="AM"), Country.objects.get(code="BY")
    enter(client, entered, Country, {"withdrawn": ""}, obj=am)
    domain = enter(client, entered, Domain, {"slug": "xss-domain", "position": "1"})
    organisation = enter(
        client,
        entered,
        Organisation,
        {"slug": "xss-organisation", "kind": "government", "country": am.pk},
    )
    refused_url(
        client,
        entered,
        Organisation,
        organisation,
        "website",
        {"kind": "government", "slug": organisation.slug}
        | current(organisation, "name", "short_name", "aliases", "description"),
    )
    official = enter(
        client,
        entered,
        Official,
        {"slug": "xss-official", "country": am.pk, **management("positions")},
    )
    source = enter(
        client,
        entered,
        Source,
        {"slug": "xss-source", "published": "May 2010", "accessed": "2010-06-01"},
    )
    refused_url(
        client,
        entered,
        Source,
        source,
        "archive_url",
        {"slug": source.slug, "published": "May 2010", "accessed": "2010-06-01"}
        | current(source, "title", "outlet", "author", "url", "language", "notes"),
    )
    footnote = enter(client, entered, Footnote, {"source": source.pk, "slug": ""})
    second = enter(client, entered, Footnote, {"source": source.pk, "slug": ""})
    claim_base = {"status": Status.DRAFT, "slug": "", "sequence": "0"}
    agreement = enter(
        client,
        entered,
        Agreement,
        {
            **claim_base,
            "kind": "loan",
            "stage": "signed",
            "date": "May 2010",
            "value_amount": "1000000",
            "value_currency": "USD",
            "countries": [am.pk, by.pk],
            "organisations": [organisation.pk],
            "domains": [domain.pk],
        },
        inline=claim(footnote, _fk="agreement"),
    )
    event = enter(
        client,
        entered,
        Event,
        {
            **claim_base,
            "date": "June 2010",
            "domains": [domain.pk],
            "countries": [am.pk, by.pk],
            "organisations": [organisation.pk],
            "officials": [official.pk],
            "agreements": [agreement.pk],
            "according_to": organisation.pk,
        },
        inline=claim(footnote, _fk="event"),
    )
    enter(
        client,
        entered,
        Statement,
        {
            **claim_base,
            "form": "quote",
            "speaker": official.pk,
            "event": event.pk,
            "date": "June 2010",
            "countries": [am.pk, by.pk],
            "domains": [domain.pk],
        },
        inline=claim(footnote, _fk="statement"),
    )
    enter(
        client,
        entered,
        Position,
        {**claim_base, "official": official.pk, "country": am.pk, "start": "2009"},
        inline=claim(footnote, _fk="position"),
    )
    enter(
        client,
        entered,
        Membership,
        {**claim_base, "member_country": am.pk, "organisation": organisation.pk},
        inline=claim(footnote, _fk="membership"),
    )
    enter(client, entered, Citation, {"footnote": second.pk, "event": event.pk})
    sections = {"sections": json.dumps([{"domain": domain.slug, "title": "placeholder"}])}
    pair = Relationship.objects.filter(slug="am-by").first()
    relationship_data = {"first": am.pk, "second": by.pk, **sections}
    title = entered.payloads.make("relations.relationship.sections[].title", None)
    relationship_data["sections"] = json.dumps([{"domain": domain.slug, "title": title}])
    relationship_data["_expect"] = {"sections": [{"domain": domain.slug, "title": title}]}
    enter(client, entered, Relationship, relationship_data, obj=pair)

    # Published, as an editor does: the publish action, on every claim at once per list.
    for model in (Agreement, Event, Statement, Position, Membership):
        pk = entered.records[model._meta.label_lower].pk
        response = client.post(
            admin_url(model, "changelist"),
            {"action": "publish", "_selected_action": [pk], "index": "0"},
        )
        entered.posts += 1
        assert response.status_code == HTTPStatus.FOUND
        assert model.objects.get(pk=pk).status == Status.PUBLISHED, model

    # One more record, deleted: the "deleted" pages list it by name (its other fields show
    # nowhere now).
    first = len(entered.payloads.fields) + 1
    gone = enter(
        client, entered, Organisation, {"slug": "xss-deleted", "kind": "other", "country": ""}
    )
    for n in range(first, len(entered.payloads.fields) + 1):
        entered.payloads.fields[n] = DELETED + entered.payloads.fields[n]
    entered.records["deleted organisation"] = gone
    response = client.post(admin_url(Organisation, "delete", gone.pk), {"post": "yes"})
    entered.posts += 1
    assert response.status_code == HTTPStatus.FOUND
    entered.records["relations.organisation"] = organisation
    check_every_model_entered(entered)
    return entered


def management(prefix: str) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": "0",
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def check_every_model_entered(entered: Entered) -> None:
    content = [m for m in admin.site._registry if m._meta.app_label in ("relations", "sources")]
    missing = [m._meta.label for m in content if m._meta.label_lower not in entered.records]
    assert not missing, f"models the admin edits with no payloads: {missing} (add to ENTRY)"
    for model in content:
        for f, reason in text_fields(model):
            label = f"{model._meta.label_lower}.{f.name}"
            typed = any(w.startswith(label) for w in entered.payloads.fields.values())
            assert typed or reason, f"{label}: neither filled nor excluded with a reason"


# --- The browser --------------------------------------------------------------------------------
RECORDER = """
window.__xssCalls = [];
window.__xss = (n) => { window.__xssCalls.push(String(n)); };
"""
# After a load: what ran or was injected.
INSPECT = """() => ({
    calls: window.__xssCalls || [],
    injected: Array.from(document.querySelectorAll('[data-xss]')).map(e => e.outerHTML),
    javascript: Array.from(document.querySelectorAll('[href],[src],[action],[formaction]'))
        .flatMap(e => ['href', 'src', 'action', 'formaction'].map(a => e.getAttribute(a)))
        .filter(v => v && /^\\s*javascript:/i.test(v)),
})"""


@dataclass
class Browser:
    page: Page
    base: str
    loads: int = 0
    dialogs: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    seen: str = ""  # every page's HTML, for the coverage check

    def load(self, path: str, *, status: tuple[int, ...] = (200,)) -> str:
        response = self.page.goto(self.base + path, wait_until="load")
        self.loads += 1
        got = response.status if response else None
        if got not in status:
            self.problems.append(f"{path}: status {got}")
        return self.inspect(path)

    def inspect(self, where: str) -> str:
        html = self.page.content()
        found = self.page.evaluate(INSPECT)
        if found["calls"]:
            self.problems.append(f"{where}: script ran: __xss({', '.join(found['calls'])})")
        if found["injected"]:
            self.problems.append(f"{where}: markup injected: {found['injected'][:3]}")
        if found["javascript"]:
            self.problems.append(f"{where}: javascript: URL: {found['javascript'][:3]}")
        if TEMPLATE_EVALUATED.search(html):
            self.problems.append(f"{where}: template syntax was evaluated")
        self.seen += html
        return html


@pytest.fixture
def chromium(browser, live_server):
    """One page in a context that ignores Content-Security-Policy, recording ``__xss`` calls
    and dialogs."""
    context = browser.new_context(bypass_csp=True)
    context.add_init_script(RECORDER)
    page = context.new_page()
    page.set_default_timeout(15_000)
    seen = Browser(page, live_server.url)
    page.on("dialog", lambda dialog: (seen.dialogs.append(dialog.message), dialog.dismiss()))
    yield seen
    context.close()


def public_paths(entered: Entered) -> list[str]:
    records = entered.records
    reflected = '"><svg onload=__xss(900) data-xss=900><script>__xss(901)</script>'
    slug = {
        label.split(".")[1]: obj.slug
        for label, obj in records.items()
        if "." in label and hasattr(obj, "slug")
    }
    paths = [
        "/",
        "/timeline/",
        "/timeline/?q=HYPERLINK",
        f"/timeline/?q={quote(reflected)}",
        "/timeline/?country=am",
        f"/timeline/?domain={slug['domain']}",
        "/relations/",
        "/relations/am-by/",
        "/countries/",
        "/countries/am/",
        f"/organisations/{slug['organisation']}/",
        f"/officials/{slug['official']}/",
        f"/agreements/{slug['agreement']}/",
        f"/events/{slug['event']}/",
        f"/sources/{slug['source']}/",
        "/timeline.json",
        "/api/",
        "/api/changes/?since=2000-01-01T00:00:00Z",
    ]
    from api.urls import router

    # Every list (its items are what a detail shows), and the details that show more.
    for _, _, basename in router.registry:
        paths.append(reverse(f"api:{basename}-list"))
    paths.append(reverse("api:dossier-detail", args=["am-by"]))
    paths.append(reverse("api:event-detail", args=[slug["event"]]))
    return paths


DELETE_PAGES = {"relations.event", "relations.organisation", "sources.footnote"}


def admin_paths(entered: Entered) -> list[str]:
    """Each model's list, change form, history and a version; the delete confirmation (what
    goes with a record, by name), the deleted records' page and the admin's search, each for a
    few models (one template for all)."""
    paths = ["/admin/"]
    for label, obj in entered.records.items():
        if "." not in label:
            continue
        model = type(obj)
        paths += [
            admin_url(model, "changelist"),
            admin_url(model, "change", obj.pk),
            admin_url(model, "history", obj.pk),
            admin_url(model, "simple_history", obj.pk, obj.history.latest().pk),
        ]
        if label in DELETE_PAGES:
            paths.append(admin_url(model, "delete", obj.pk))
    event, gone = entered.records["relations.event"], entered.records["deleted organisation"]
    paths += [
        admin_url(type(gone), "deleted"),
        admin_url(type(event), "changelist") + "?q=" + quote('"><svg onload=__xss(902)>'),
        admin_url(type(event), "change", event.pk) + "?_changelist_filters=q%3D%22%3E",
        reverse("admin:autocomplete")
        + "?app_label=relations&model_name=event&field_name=agreements&term=",
    ]
    return paths


@pytest.fixture
def editor(transactional_db, django_user_model):
    """An editor, on what ``migrate`` makes (the live server needs committed data, and the
    flush after a transactional test empties every table; see tests/browser/conftest.py):
    countries and the roles. No seed: every record the pages show is the payloads'."""
    sync_countries(Country)
    emit_post_migrate_signal(verbosity=0, interactive=False, db=DEFAULT_DB_ALIAS)
    user = django_user_model.objects.create_user("eddie", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=EDITOR))
    return user


# --- The test -----------------------------------------------------------------------------------
@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_no_stored_payload_runs_anywhere(chromium, live_server, editor):
    started = time.monotonic()
    client = Client()
    client.force_login(editor)
    entered = enter_everything(client)
    entry_time = time.monotonic() - started

    # The recorder works (CSP bypassed): a positive control.
    chromium.page.goto(live_server.url + "/")
    chromium.page.set_content("<img src=x onerror=__xss(0)><script>__xss(0)</script>")
    chromium.page.wait_for_function("window.__xssCalls.length == 2")

    # Public pages, anonymous.
    for path in public_paths(entered):
        chromium.load(path)
    chromium.load("/timeline/?from=" + quote('"><svg onload=__xss(903)>'), status=(400,))
    chromium.load("/timeline/?to=" + quote("</title><script>__xss(904)</script>"), status=(400,))
    check_feed(chromium, entered)
    check_csv(chromium)

    # The admin, as an editor: the session of the client that entered everything.
    session = client.cookies["sessionid"].value
    host = urlsplit(live_server.url).hostname
    chromium.page.context.add_cookies(
        [{"name": "sessionid", "value": session, "domain": host, "path": "/"}]
    )
    for path in admin_paths(entered):
        chromium.load(path)
    echoed_errors(chromium, entered)

    problems = chromium.problems + [f"dialog: {m}" for m in chromium.dialogs]
    unseen = [
        f"{n}: {where}"
        for n, where in entered.payloads.fields.items()
        if not re.search(rf"__xss\({n}\)|data-xss={n}(?!\d)", chromium.seen)
        and not where.startswith(DELETED)
    ]
    elapsed = time.monotonic() - started
    print(
        f"\nstored XSS: {len(entered.payloads.fields)} fields, {entered.payloads.kinds} payloads "
        f"entered in {entered.posts} admin POSTs ({entry_time:.1f} s); {chromium.loads} page "
        f"loads; {len(problems)} problems; {elapsed:.1f} s"
    )
    assert not problems, "\n".join(problems)
    assert not unseen, f"payloads no page showed (the probe would miss them): {unseen}"


def check_feed(chromium: Browser, entered: Entered) -> None:
    """The Atom feed is XML whatever the titles hold; the HTML each entry's summary declares
    (type="html") renders without running a script; and Chromium's view of the feed too."""
    for path in ("/timeline.atom", "/timeline.atom?q=HYPERLINK"):
        response = chromium.page.request.get(chromium.base + path)
        chromium.loads += 1
        assert response.status == HTTPStatus.OK, path
        root = ET.fromstring(response.body())  # raises if a payload broke the XML
        ns = {"atom": "http://www.w3.org/2005/Atom"}
        entries = root.findall("atom:entry", ns)
        assert entries, path
        title = entered.records["relations.event"].title
        assert any(e.findtext("atom:title", namespaces=ns) == title for e in entries), path
        for entry in entries:
            summary = entry.find("atom:summary", ns)
            if summary is None or "xss" not in (summary.text or ""):
                continue  # (the seed's events)
            if summary.get("type") == "html":
                chromium.page.set_content(summary.text or "")
                chromium.inspect(f"{path}: an entry's summary rendered as the HTML it declares")
        chromium.load(path)


def check_csv(chromium: Browser) -> None:
    """No cell of the CSV export starts a spreadsheet formula; the payloads' did, escaped."""
    response = chromium.page.request.get(chromium.base + "/timeline.csv")
    chromium.loads += 1
    assert response.status == HTTPStatus.OK
    rows = list(csv.reader(io.StringIO(response.text())))
    cells = [cell for row in rows for cell in row]
    formulas = [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert not formulas, f"CSV cells that start a formula: {formulas[:3]}"
    assert any(c.startswith("'=HYPERLINK") for c in cells), "no payload reached the CSV"


def echoed_errors(chromium: Browser, entered: Entered) -> None:
    """Form errors that repeat what was typed: a date the parser cannot read, a dossier section
    naming an unknown domain. Typed in the browser and saved: the error page is checked."""
    page = chromium.page
    event = entered.records["relations.event"]
    page.goto(chromium.base + admin_url(type(event), "change", event.pk))
    page.fill("#id_date", '<script>__xss(905)</script>"><svg onload=__xss(906) data-xss=906>')
    page.locator("input[name=_continue]").first.click()
    page.wait_for_load_state("load")
    chromium.loads += 1
    html = chromium.inspect("event form, a bad date echoed")
    assert "errorlist" in html, "the bad date was not refused"

    pair = entered.records["relations.relationship"]
    page.goto(chromium.base + admin_url(Relationship, "change", pair.pk))
    page.fill(
        "#id_sections",
        json.dumps([{"domain": "<script>__xss(907)</script><i data-xss=907>", "title": "x"}]),
    )
    page.locator("input[name=_continue]").first.click()
    page.wait_for_load_state("load")
    chromium.loads += 1
    html = chromium.inspect("relationship form, an unknown domain echoed")
    assert "No such domain" in html

    # A saved change: the admin's message names the record.
    page.goto(chromium.base + admin_url(type(event), "change", event.pk))
    page.locator("input[name=_continue]").first.click()
    page.wait_for_load_state("load")
    chromium.loads += 1
    html = chromium.inspect("event form, saved: the message names it")
    assert "was changed successfully" in html


@pytest.mark.django_db
def test_atom_summaries_are_html_escaped(client):
    """Atom's ``<summary type="html">`` is HTML to a feed reader: a summary's (or a country's)
    markup must arrive as text. (Found by the browser probe above: the summary was written
    raw, and ran in any reader that renders it.)"""
    from tests.factories import EventFactory

    EventFactory(summary='<img src=x onerror=alert(1)> & "more"', date="2010")
    root = ET.fromstring(client.get("/timeline.atom").content)
    ns = {"atom": "http://www.w3.org/2005/Atom"}
    summary = root.find("atom:entry/atom:summary", ns)
    assert summary.get("type") == "html"
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; &quot;more&quot;" in summary.text
    assert "<img" not in summary.text
