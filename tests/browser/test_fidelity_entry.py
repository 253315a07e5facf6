"""Entering what a source says as it says it, end to end in a real browser.

An editor enters an event dated "as early as 1998" (a latest possible date, not the span "until
1998") and a paraphrase said at it, both cited to one new footnote (added once, in the "add
another" popup, then picked by autocomplete), publishes them from their forms, and reads them
back as written on the public timeline and on the pair's dossier.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from relations.models import Event, Statement, Status
from sources.models import Footnote, Source
from tests.browser.admin import add_in_popup, autocomplete, log_in, save_popup

pytestmark = pytest.mark.browser

TITLE = "Belarus and Iran begin defence cooperation"
DATE = "as early as 1998"
DATE_READ = "some time up to 31 December 1998 (no later than; one time, not a span)"
WORDS = "Belarus had helped Iran modernise its air defences"
LOCATOR = "para. 12"
SEED_SOURCE = "belarus-iran-foreign-relations-2010"


def test_an_editor_enters_a_paraphrase_dated_as_early_as_1998_and_readers_see_it_as_written(
    page: Page, live_server, editor, artifacts
):
    base = live_server.url
    page.set_default_timeout(10_000)
    source = str(Source.objects.get(slug=SEED_SOURCE))
    footnote = f"{source} — {LOCATOR}"
    log_in(page, base, editor.username)

    # 1. The event, cited to a footnote of the seed's page that is not in the database yet.
    page.goto(f"{base}/admin/relations/event/add/")
    page.get_by_label("Title:").fill(TITLE)
    page.get_by_label("Date:", exact=True).fill(DATE)
    autocomplete(page, "id_domains", "Milit", "Military")
    autocomplete(page, "id_countries", "Belarus", "Belarus")
    autocomplete(page, "id_countries", "Iran", "Iran")
    page.get_by_label("Status:").select_option("published")
    popup = add_in_popup(page, "id_citations-0-footnote", "Add footnote")
    autocomplete(popup, "id_source", "Belarus-Iran", source)
    popup.get_by_label("Locator:").fill(LOCATOR)
    popup.get_by_label("Excerpt:").fill("Minsk was assisting Tehran with air defence by 1998.")
    save_popup(popup)
    expect(page.locator("#id_citations-0-footnote + .select2")).to_contain_text(footnote)
    page.get_by_role("button", name="Save and continue editing").first.click()
    expect(page.locator(".messagelist .success")).to_contain_text("was added successfully")
    expect(page.locator(".field-date_as_read .readonly")).to_have_text(DATE_READ)

    # 2. The paraphrase said at it, cited to the same footnote, picked this time.
    page.goto(f"{base}/admin/relations/statement/add/")
    page.get_by_label("Form:").select_option("paraphrase")
    page.get_by_label("Words:").fill(WORDS)
    autocomplete(page, "id_speaker", "Lukash", "Alexander Lukashenko")
    page.get_by_label("Date:", exact=True).fill(DATE)
    autocomplete(page, "id_event", "defence coop", f"{DATE}: {TITLE}")
    page.get_by_label("Status:").select_option("published")
    autocomplete(page, "id_citations-0-footnote", LOCATOR, footnote)
    page.get_by_role("button", name="Save", exact=True).first.click()
    expect(page.locator(".messagelist .success")).to_contain_text("was added successfully")

    event = Event.objects.get(title=TITLE)
    statement = Statement.objects.get(event=event)
    assert (event.date, statement.date) == (DATE, DATE)
    assert (event.status, statement.status) == (Status.PUBLISHED, Status.PUBLISHED)
    assert (statement.form, statement.quote, statement.verb) == ("paraphrase", WORDS, "said")
    one = Footnote.objects.get(locator=LOCATOR, source__slug=SEED_SOURCE)
    assert [c.footnote for c in (*event.citations.all(), *statement.citations.all())] == [one, one]

    # 3. The pair's dossier says it as written, once: the date in its words (a sentence may
    # begin "As early as 1998"), the paraphrase without quotation marks.
    page.goto(f"{base}/relations/by-ir/")
    said = page.locator(".item", has_text=WORDS)
    expect(said).to_have_count(1)
    expect(said).to_contain_text(re.compile(re.escape(DATE), re.IGNORECASE))
    expect(said).to_contain_text(f"that {WORDS}")
    expect(said).not_to_contain_text(f"“{WORDS}")
    said.screenshot(path=artifacts / "fidelity-2-dossier.png")

    # 4. So does the timeline (events up to 1998: the seed's are all later).
    page.goto(f"{base}/timeline/?to=1998")
    item = page.locator("article.event", has_text=TITLE)
    expect(item.locator(".event-meta")).to_contain_text(DATE)
    expect(item).to_contain_text(f"that {WORDS}")
    expect(item).not_to_contain_text(f"“{WORDS}")
    item.screenshot(path=artifacts / "fidelity-1-timeline.png")
