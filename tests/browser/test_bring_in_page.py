"""Bringing in the seed page, end to end in Chromium, counted.

An analyst whose knowledge base holds the seed's reference records (countries with aliases,
domains, organisations, officials, the by-ir relationship) but not its source, footnotes or
claims pastes the seed page into "Bring in a page", corrects on the one confirm screen what
differs from ``fixtures/belarus-iran-2010.json``, and saves. The saved drafts must then hold the
fixture's facts exactly (``tests/intake/compare.py``: zero differences left).

The corrections are not scripted: the test reads the confirm screen's fields back, pairs the
rows with the fixture's claims as the comparison does, and changes exactly the fields that
differ (adds the claims no row holds, unticks the rows no claim matches), whatever the engine
proposed. It counts page loads, clicks and corrections, prints them, and holds them to the
issue's targets: at most 10 page loads, 80 clicks and 15 corrections.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group
from django.core.management.sql import emit_post_migrate_signal
from django.db import DEFAULT_DB_ALIAS
from playwright.sync_api import Page, expect

from intake.proposals import Proposal, Ref
from relations.countries import sync_countries
from relations.models import Country, Official
from relations.roles import ANALYST
from sources.models import Source
from tests.browser.admin import PASSWORD, log_in
from tests.intake import compare
from tests.intake.kb import FIXTURE, load_reference

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SEED_PAGE = ROOT / "fixtures" / "belarus-iran-2010.txt"
SCREENSHOT = ROOT / "docs" / "img" / "bring-in-a-page.png"
TARGETS = {"page loads": 10, "clicks": 80, "corrections": 15}

VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
});
"""
# The confirm screen's field for each fact the comparison checks.
FORM_FIELD = {"post": "title"}
LIST_FACTS = {"countries", "organisations", "officials", "concerns", "domains"}


@pytest.fixture
def knowledge_base(transactional_db):
    """What ``migrate`` makes (flushed between browser tests, so made again) and the seed's
    reference records with the two states' aliases (tests/intake/kb.py)."""
    sync_countries(Country)
    emit_post_migrate_signal(verbosity=0, interactive=False, db=DEFAULT_DB_ALIAS)
    load_reference()


@pytest.fixture
def analyst(knowledge_base, django_user_model):
    user = django_user_model.objects.create_user(
        "anna.analyst", "anna@example.org", PASSWORD, is_staff=True
    )
    user.groups.add(Group.objects.get(name=ANALYST))
    return user


# --- What the fixture says, field by field --------------------------------------------------
def fixture_claims() -> list[tuple[compare.Fact, dict]]:
    """The fixture's facts (as the comparison reads them), each with the form values that
    would state it: the same rows in the same order as ``compare.facts_from_fixture``."""
    rows = json.loads(FIXTURE.read_text())
    locators = {
        r["fields"]["slug"]: r["fields"]["locator"]
        for r in rows
        if r["model"] == "sources.footnote"
    }
    cited: dict[tuple[str, str], list[int]] = {}
    for row in rows:
        if row["model"] == "relations.citation":
            f = row["fields"]
            for kind in compare.FIELDS:
                if f.get(kind):
                    number = int(locators[f["footnote"][0]].removeprefix("note "))
                    cited.setdefault((kind, f[kind][0]), []).append(number)
    claims = []
    for row in rows:
        app, kind = row["model"].split(".")
        if app != "relations" or kind not in compare.FIELDS:
            continue
        f = row["fields"]

        def keys(name, f=f):
            return ", ".join(k[0] for k in f.get(name) or [])

        def one(name, f=f):
            return (f.get(name) or [""])[0]

        values = {"kind": kind, "notes": ", ".join(map(str, sorted(cited[(kind, f["slug"])])))}
        if kind in ("event", "agreement", "statement"):
            values |= {name: keys(name) for name in ("countries", "concerns", "domains")}
            values["date"] = f["date"]
        if kind in ("event", "agreement"):
            values |= {"title": f["title"], "organisations": keys("organisations")}
        if kind == "event":
            values["officials"] = keys("officials")
        if kind == "agreement":
            amount = f["value_amount"]
            values |= {
                "agreement_kind": f["kind"],
                "stage": f["stage"],
                "value_amount": str(Decimal(amount).normalize()) if amount else "",
                "value_currency": f["value_currency"],
            }
        if kind == "statement":
            values |= {
                "form": f["form"],
                "quote": f["quote"],
                "verb": f["verb"],
                "speaker": one("speaker") or one("speaker_organisation"),
            }
        if kind == "position":
            values |= {
                "official": one("official"),
                "title": f["title"],
                "country": one("country"),
                "organisation": one("organisation"),
            }
        if kind == "membership":
            values |= {
                "member": one("member_country") or one("member_organisation"),
                "organisation": one("organisation"),
            }
        claims.append(values)
    return list(zip(compare.facts_from_fixture(FIXTURE), claims, strict=True))


# --- What the screen proposes, read back from its fields --------------------------------------
def screen_rows(page: Page) -> list[dict]:
    """Every proposal row of the confirm screen as its fields' values."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll("fieldset.intake-proposal")).map(set => {
            const row = {};
            set.querySelectorAll("input, select, textarea").forEach(el => {
                const name = el.name.replace(/^p-\\d+-/, "");
                row[name] = el.type === "checkbox" ? el.checked : el.value;
            });
            const id = set.querySelector("input[name$='-id']");
            row._prefix = (id.name.match(/^p-\\d+/) || [""])[0];
            return row;
        })"""
    )


def entries(value: str) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def as_proposal(row: dict, officials: set[str]) -> Proposal:
    """A screen row as the data shape the comparison reads (records by what the field says)."""

    def ref(kind: str, value: str) -> Ref | None:
        return Ref(kind, value, value) if value else None

    def refs(kind: str, name: str) -> list[Ref]:
        return [Ref(kind, e, e) for e in entries(row.get(name, ""))]

    speaker = row.get("speaker", "")
    member = row.get("member", "")
    return Proposal(
        id=row.get("id", ""),
        kind=row.get("kind", ""),
        notes=[int(n) for n in entries(row.get("notes", "")) if n.isdigit()],
        title=row.get("title", ""),
        date=row.get("date", ""),
        domains=refs("domain", "domains"),
        countries=refs("country", "countries"),
        organisations=refs("organisation", "organisations"),
        officials=refs("official", "officials"),
        concerns=entries(row.get("concerns", "")),
        form=row.get("form", ""),
        quote=row.get("quote", ""),
        speaker=ref("official" if speaker in officials else "organisation", speaker),
        agreement_kind=row.get("agreement_kind", ""),
        stage=row.get("stage", ""),
        value_amount=Decimal(row["value_amount"]) if row.get("value_amount") else None,
        value_currency=row.get("value_currency", ""),
        official=ref("official", row.get("official", "")),
        country=ref("country", row.get("country", "")),
        organisation=ref("organisation", row.get("organisation", "")),
        member=ref("country" if len(member) == 2 else "organisation", member),
    )


@dataclass
class Plan:
    """What to change on the screen: per row, the fields to set; rows to drop; claims to add."""

    changes: dict[str, dict[str, str]] = field(default_factory=dict)  # row prefix -> fields
    drop: list[str] = field(default_factory=list)
    add: list[dict] = field(default_factory=list)
    corrections: list[str] = field(default_factory=list)


def plan(rows: list[dict], officials: set[str]) -> Plan:
    """Pair the screen's rows with the fixture's claims as ``compare.corrections`` does (best
    score first within a kind), and list the field changes that make each pair agree."""
    kept = [r for r in rows if r.get("keep") and r.get("kind")]
    got = compare.facts_from_page(
        SimpleNamespace(proposals=[as_proposal(r, officials) for r in kept])
    )
    expected = fixture_claims()
    result = Plan()
    pairs = sorted(
        (
            (-compare._score(e, g), i, j)
            for i, (e, _) in enumerate(expected)
            for j, g in enumerate(got)
            if e.kind == g.kind and compare._score(e, g) >= 0
        ),
    )
    matched_e: set[int] = set()
    matched_g: set[int] = set()
    for _, i, j in pairs:
        if i in matched_e or j in matched_g:
            continue
        matched_e.add(i)
        matched_g.add(j)
        want, values = expected[i]
        have = got[j]
        changes = {}
        if want.detail != have.detail:
            for name in ("form", "agreement_kind", "stage", "value_amount", "value_currency"):
                if name in values:
                    changes[name] = values[name]
            result.corrections.append(f"{want.label}: kind {have.detail!r} -> {want.detail!r}")
        if want.notes != have.notes:
            changes["notes"] = values["notes"]
            result.corrections.append(f"{want.label}: notes")
        for (name, value), (_, current) in zip(want.values, have.values, strict=True):
            if value != current:
                changes[FORM_FIELD.get(name, name)] = values[FORM_FIELD.get(name, name)]
                result.corrections.append(f"{want.label}: {name} {current!r} -> {value!r}")
        if changes:
            result.changes[kept[j]["_prefix"]] = changes
    for j, row in enumerate(kept):
        if j not in matched_g:
            result.drop.append(row["_prefix"])
            result.corrections.append(f"remove {row.get('kind')} {row.get('id')}")
    for i, (want, values) in enumerate(expected):
        if i not in matched_e:
            result.add.append(values)
            result.corrections.append(f"add {want.kind} {want.label}")
    return result


# --- The analyst's session --------------------------------------------------------------------
class Counted:
    """Page loads (main-frame navigations), clicks and typed fields of one session."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.loads = self.clicks = self.typed = 0
        page.on("framenavigated", self._navigated)

    def _navigated(self, frame) -> None:
        if frame == self.page.main_frame:
            self.loads += 1

    def click(self, locator) -> None:
        self.clicks += 1
        locator.click()

    def set(self, locator, value: str) -> None:
        """Set one field as a person would: a select is a click, a box a click, text typed."""
        tag = locator.evaluate("el => el.tagName + ':' + (el.type || '')")
        if tag.startswith("SELECT"):
            self.clicks += 1
            locator.select_option(value)
        elif tag.endswith(":checkbox"):
            if locator.is_checked() != bool(value):
                self.click(locator)
        else:
            self.typed += 1
            locator.fill(value)


def correct(counted: Counted, page: Page, todo: Plan) -> None:
    for prefix in todo.drop:
        counted.set(page.locator(f"[name='{prefix}-keep']"), "")
    for prefix, changes in todo.changes.items():
        if "kind" in changes:  # first: it brings that kind's fields up
            counted.set(page.locator(f"[name='{prefix}-kind']"), changes.pop("kind"))
        for name, value in changes.items():
            reveal(counted, page, prefix, name)
            counted.set(page.locator(f"[name='{prefix}-{name}']"), value)
    empty = [
        row["_prefix"] for row in screen_rows(page) if not row.get("id") and not row.get("kind")
    ]
    while len(empty) < len(todo.add):
        counted.click(page.get_by_role("button", name="Add three rows"))
        empty = [r["_prefix"] for r in screen_rows(page) if not r.get("id") and not r.get("kind")]
    for prefix, values in zip(empty, todo.add, strict=False):
        counted.set(page.locator(f"[name='{prefix}-kind']"), values["kind"])
        for name, value in values.items():
            if name != "kind" and value:
                reveal(counted, page, prefix, name)
                counted.set(page.locator(f"[name='{prefix}-{name}']"), value)


def reveal(counted: Counted, page: Page, prefix: str, name: str) -> None:
    """A field of another kind sits in a folded <details>: open it (a click)."""
    field_ = page.locator(f"[name='{prefix}-{name}']")
    if not field_.is_visible():
        details = page.locator(f"fieldset:has([name='{prefix}-id']) details.intake-other")
        counted.click(details.locator("summary"))


def console_error(message) -> bool:
    return message.type == "error" and not message.location["url"].endswith("/favicon.ico")


def test_an_analyst_brings_in_the_seed_page_and_it_matches_the_fixture(
    page: Page, live_server, analyst, artifacts
):
    base = live_server.url
    page.set_default_timeout(15_000)
    page.set_viewport_size({"width": 1280, "height": 900})
    counted = Counted(page)
    errors: list[str] = []
    # (The browser asks for /favicon.ico by itself; the site has none.)
    page.on("console", lambda m: console_error(m) and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.add_init_script(VIOLATIONS)

    log_in(page, base, analyst.username)  # a page load, a click
    counted.clicks += 1
    counted.click(page.get_by_role("link", name="Bring in a page").first)
    expect(page.get_by_role("heading", name="Bring in a page")).to_be_visible()
    expect(page.locator("#id_source + .select2")).to_be_visible()  # the admin's search
    assert page.evaluate("window.__violations") == []
    counted.set(page.get_by_label("The page"), SEED_PAGE.read_text())
    counted.click(page.get_by_role("button", name="Read the page"))
    expect(page.locator("fieldset.intake-proposal").first).to_be_visible()
    expect(page.locator("#id_source-title")).to_have_value("Belarus-Iran Foreign Relations")
    page.screenshot(path=str(artifacts / "bring-in-a-page.png"))
    if not SCREENSHOT.exists():
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT))

    assert page.evaluate("window.__violations") == []
    # The script's part: the live date reading (core.date_preview, where the project has it).
    first_date = page.locator("[name='p-0-date']")
    if page.locator("form.intake-confirm[data-date-preview]").count():
        original = first_date.input_value()
        first_date.fill("late June 2010")
        expect(page.locator(".intake-date-reading").first).to_have_text(
            "21 June 2010 – 30 June 2010 (part of month)"
        )
        first_date.fill(original)

    officials = set(Official.objects.values_list("slug", flat=True))
    todo = plan(screen_rows(page), officials)
    correct(counted, page, todo)
    counted.click(page.get_by_role("button", name="Save all as drafts"))
    expect(page.get_by_role("heading", name="Brought in")).to_be_visible()

    source = Source.objects.get()
    left = compare.corrections(
        [fact for fact, _ in fixture_claims()], compare.facts_from_db(source)
    )
    counts = {
        "page loads": counted.loads,
        "clicks": counted.clicks,
        "corrections": len(todo.corrections),
        "typed fields": counted.typed,
    }
    print("\nBring in the seed page:", ", ".join(f"{k} {v}" for k, v in counts.items()))
    for line in todo.corrections:
        print("  corrected:", line)
    assert left == [], left
    assert errors == [], errors
    over = {k: (counts[k], limit) for k, limit in TARGETS.items() if counts[k] > limit}
    assert not over, f"over the issue's targets (count, target): {over}"
