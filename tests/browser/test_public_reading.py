"""A reader, in Chromium: the timeline's filters and footnotes, then a dossier's cross-link."""

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOAN = "Central Bank of Iran agrees to lend $212m to Belarusneft"


def test_reader_filters_the_timeline_and_follows_a_footnote(
    page: Page, live_server, live_data, artifacts
):
    page.goto(f"{live_server.url}/timeline/")
    expect(page).to_have_title(re.compile("events", re.IGNORECASE))

    page.get_by_label("Economic", exact=True).check()
    page.get_by_role("textbox", name="From").fill("2009")
    page.get_by_role("textbox", name="To").fill("2010")
    page.get_by_role("textbox", name="To").press("Enter")

    expect(page).to_have_url(re.compile(r"domain=economic"))
    loan = page.locator("article", has_text=LOAN)
    expect(loan).to_be_visible()
    # Only economic events of 2009–2010: the 2007 trade agreement is filtered out.
    expect(
        page.get_by_text("Belarus and Iran agree to work towards deeper bilateral trade")
    ).to_have_count(0)
    page.screenshot(path=artifacts / "public-1-timeline.png", full_page=True)

    marker = loan.locator("sup.fn a").first
    number = marker.inner_text()
    marker.click()
    expect(page).to_have_url(re.compile(rf"#note-{number}$"))
    note = page.locator(f"#note-{number}")
    expect(note).to_be_visible()
    expect(note).to_contain_text("note 6")
    expect(note).to_contain_text("Belarus-Iran Foreign Relations")


def test_reader_opens_the_dossier_and_follows_the_cross_link(
    page: Page, live_server, live_data, artifacts
):
    page.goto(f"{live_server.url}/relations/ir-by/")  # the reversed pair redirects
    expect(page).to_have_url(re.compile(r"/relations/by-ir/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Belarus")
    expect(page.locator("ol.notes > li")).to_have_count(13)
    page.screenshot(path=artifacts / "public-2-dossier.png", full_page=True)

    page.get_by_role("link", name="More on the Non-Aligned Movement").click()
    expect(page).to_have_url(re.compile(r"/organisations/non-aligned-movement/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Non-Aligned Movement")
    page.screenshot(path=artifacts / "public-3-organisation.png", full_page=True)


def test_filters_update_the_results_in_place_and_the_address_follows(
    page: Page, live_server, live_data
):
    page.goto(f"{live_server.url}/timeline/")
    page.evaluate("window.sameDocument = true")  # gone if the page reloads

    page.get_by_label("Nuclear", exact=True).check()  # no click on "Show events"

    expect(page).to_have_url(re.compile(r"/timeline/\?domain=nuclear$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("nuclear")
    expect(page.locator("article", has_text=LOAN)).to_have_count(0)
    assert page.evaluate("window.sameDocument") is True
    # The URL is the server's own: loading it gives the same events.
    shown = page.locator("article.event").count()
    assert shown > 0
    page.reload()
    expect(page.locator("article.event")).to_have_count(shown)
    page.evaluate("window.sameDocument = true")

    # A malformed date shows the form's error, in place as well.
    page.get_by_role("textbox", name="From").fill("Jumne 2010")
    expect(page.get_by_role("alert")).to_contain_text("From")
    assert page.evaluate("window.sameDocument") is True


def test_the_timeline_works_without_javascript(browser, live_server, live_data):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/timeline/")
    page.get_by_label("Economic", exact=True).check()
    page.get_by_role("button", name="Show events").click()
    expect(page).to_have_url(re.compile(r"domain=economic"))
    expect(page.locator("article", has_text=LOAN)).to_be_visible()
    context.close()
