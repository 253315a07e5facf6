"""Acceptance test of entering an event in the admin, end to end in a real browser.

An analyst logs in, adds an event with a fuzzy date, domains, countries and an official (all
through the autocomplete widgets) and cites a new footnote, added in the "add another" popup,
in a source added in the footnote's own popup; an editor then publishes it from the
changelist. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import datetime
import re

import pytest
from playwright.sync_api import Page, expect

from relations.models import Citation, Event, Status
from sources.models import Footnote, Source
from tests.browser.admin import add_in_popup, autocomplete, log_in, log_out, save_popup

pytestmark = pytest.mark.browser

TITLE = "Lukashenko and Ahmadinejad discuss oil supplies by telephone"
DATE = "late June 2010"
DATE_READ = "21 June 2010 – 30 June 2010 (part of month)"
SOURCE_TITLE = "Belarus turns to Iranian oil after gas dispute"
SOURCE_SLUG = "belarus-turns-to-iranian-oil-2010"
LOCATOR = "p. 3"


# --- What a person sees -------------------------------------------------------------------------
def shoot(page: Page, artifacts, name: str, *, full_page: bool = True) -> None:
    page.screenshot(path=artifacts / f"admin-entry-{name}.png", full_page=full_page)


def changelist_row(page: Page):
    return page.locator("#result_list tbody tr").filter(
        has=page.get_by_role("link", name=TITLE, exact=True)
    )


def expect_no_publishing(actions) -> None:
    """The action dropdown offers the analyst's actions, and none of the editor's."""
    expect(actions.get_by_role("option", name="Submit for review")).to_have_count(1)
    # ("Export selected as a fixture (published only)" is every role's, and not publishing.)
    publishing = re.compile(r"^(un)?publish", re.I)
    expect(actions.get_by_role("option", name=publishing)).to_have_count(0)


# --- The flow ---------------------------------------------------------------------------------
def test_analyst_enters_an_event_and_an_editor_publishes_it(
    page: Page, live_server, analyst, editor, artifacts
):
    base = live_server.url
    page.set_default_timeout(10_000)

    # 1. The analyst logs in through the login form.
    log_in(page, base, analyst.username)

    # 2. Add event: text fields, then every relation through its autocomplete widget.
    page.goto(f"{base}/admin/relations/event/add/")
    expect(page.get_by_role("heading", name="Add event")).to_be_visible()
    page.get_by_label("Title:").fill(TITLE)
    page.get_by_label("Date:", exact=True).fill(DATE)
    autocomplete(page, "id_domains", "Ener", "Energy")
    autocomplete(page, "id_domains", "Diplo", "Diplomatic")
    autocomplete(page, "id_countries", "Belarus", "Belarus")
    autocomplete(page, "id_countries", "Iran", "Iran")
    autocomplete(page, "id_officials", "Lukash", "Alexander Lukashenko")
    # The slug is left blank: "made from the date and title if blank", says its help.

    # The analyst may keep a draft or submit it, never publish.
    expect(page.get_by_label("Status:").locator("option")).to_have_text(
        ["draft", "ready for review"]
    )

    # The citation's footnote does not exist yet, nor its source: add the footnote in the "+"
    # popup beside the citation's footnote widget, and its source in that popup's own popup.
    footnote_popup = add_in_popup(page, "id_citations-0-footnote", "Add footnote")
    source_popup = add_in_popup(footnote_popup, "id_source", "Add source")
    source_popup.get_by_label("Title:").fill(SOURCE_TITLE)
    source_popup.get_by_label("Title:").press("Tab")  # leaving the title fills in a slug...
    slug = source_popup.get_by_label("Slug:")
    expect(slug).to_have_value("belarus-turns-to-iranian-oil-after-gas-dispute")
    slug.fill(SOURCE_SLUG)  # ... which the analyst shortens
    shoot(source_popup, artifacts, "1-source-popup")
    save_popup(source_popup)
    expect(footnote_popup.locator("#id_source + .select2")).to_contain_text(SOURCE_TITLE)
    footnote_popup.get_by_label("Locator:").fill(LOCATOR)
    save_popup(footnote_popup)
    expect(page.locator("#id_citations-0-footnote + .select2")).to_contain_text(
        f"{SOURCE_TITLE} — {LOCATOR}"
    )
    shoot(page, artifacts, "2-filled")

    page.get_by_role("button", name="Save and continue editing").first.click()

    # 3. The change page says how the date was read, in a message and a read-only field.
    messages = page.locator(".messagelist")
    expect(messages.locator(".success")).to_contain_text("was added successfully")
    expect(messages.locator(".info")).to_have_text(f"Read “{DATE}” as {DATE_READ}.")
    expect(page.locator(".field-date_as_read .readonly")).to_have_text(DATE_READ)
    expect_no_publishing(page.get_by_label("Action:"))  # Django 6.1's change-form actions
    shoot(page, artifacts, "3-saved")
    event_id = int(re.search(r"/event/(\d+)/change/", page.url)[1])

    # ... it is in the changelist with its date, domains and countries, as a draft ...
    page.get_by_role("link", name="Events", exact=True).first.click()
    row = changelist_row(page)
    expect(row.locator(".field-when")).to_have_text(DATE)
    expect(row.locator(".field-domain_list")).to_have_text("Energy, Diplomatic")
    expect(row.locator(".field-country_list")).to_have_text("Belarus, Iran")
    expect(row.locator(".field-status")).to_have_text("draft")
    expect(row.locator(".field-citations")).to_have_text("1")
    # ... where the analyst is offered no "Publish" action.
    expect_no_publishing(page.get_by_label("Action:"))

    # Its history names the analyst as the one who added it.
    page.goto(f"{base}/admin/relations/event/{event_id}/history/")
    created = page.locator("#change-history tbody tr").filter(has_text="Created")
    expect(created).to_have_count(1)
    expect(created).to_contain_text(analyst.username)

    # 4. The editor opens the event: the editor may publish it ...
    log_out(page)
    log_in(page, base, editor.username)
    page.goto(f"{base}/admin/relations/event/")
    changelist_row(page).get_by_role("link", name=TITLE, exact=True).click()
    expect(page.get_by_label("Title:")).to_have_value(TITLE)
    expect(page.get_by_label("Status:").locator("option")).to_have_text(
        ["draft", "ready for review", "published"]
    )
    # ... and does, from the changelist: tick the row, pick "Publish", run.
    page.get_by_role("link", name="Events", exact=True).first.click()
    changelist_row(page).get_by_role("checkbox").check()
    page.get_by_label("Action:").select_option(label="Publish")
    page.locator(".actions").get_by_role("button", name="Run").click()
    expect(page.locator(".messagelist .success")).to_have_text("1 published.")
    expect(changelist_row(page).locator(".field-status")).to_have_text("published")
    page.locator("#changelist-filter").get_by_role("link", name="published", exact=True).click()
    expect(page).to_have_url(re.compile(r"status__exact=published"))
    expect(changelist_row(page).locator(".field-status")).to_have_text("published")
    shoot(page, artifacts, "4-published", full_page=False)  # (the country filter is long)

    # The history names the editor as the one who published it.
    page.goto(f"{base}/admin/relations/event/{event_id}/history/")
    changed = page.locator("#change-history tbody tr").filter(has_text=editor.username)
    expect(changed).to_contain_text("Changed")
    expect(changed).to_contain_text("published")

    # 5. The database holds what was entered, and the history who did what.
    event = Event.objects.get(pk=event_id)
    assert event.title == TITLE
    assert event.date == DATE
    assert (event.date_lower, event.date_upper) == (
        datetime.date(2010, 6, 21),
        datetime.date(2010, 6, 30),
    )
    assert event.date_precision == "part-of-month"
    assert (
        event.slug == "late-june-2010-lukashenko-and-ahmadinejad-discuss-oil-supplies-by-telephone"
    )
    assert event.status == Status.PUBLISHED
    assert sorted(event.domains.values_list("slug", flat=True)) == ["diplomatic", "energy"]
    assert sorted(event.countries.values_list("code", flat=True)) == ["BY", "IR"]
    assert list(event.officials.values_list("slug", flat=True)) == ["alexander-lukashenko"]
    citation = Citation.objects.get(event=event)
    assert citation.footnote == Footnote.objects.get(source__slug=SOURCE_SLUG, locator=LOCATOR)
    assert (citation.source.slug, citation.source.title) == (SOURCE_SLUG, SOURCE_TITLE)
    assert Source.history.get(slug=SOURCE_SLUG).history_user == analyst
    assert Footnote.history.get(slug=citation.footnote.slug).history_user == analyst
    # The analyst's one save is several records (simple-history adds one per many-to-many
    # field set after the first); the editor's publishing is one more.
    history = list(event.history.order_by("history_date", "history_id"))
    assert (history[0].history_type, history[0].history_user) == ("+", analyst)
    assert {(h.history_user, h.status) for h in history[:-1]} == {(analyst, Status.DRAFT)}
    published = history[-1]
    assert (published.history_type, published.history_user, published.status) == (
        "~",
        editor,
        Status.PUBLISHED,
    )
