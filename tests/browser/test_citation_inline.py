"""The citation inline in Chromium at 1280×800: no column off-screen on any claim's add or
change page (nor the posts on an official's page), and a footnote typed once in its row.

An analyst opens every claim kind's add and change page and the seed official's page and
compares each inline cell's right edge with the form's and the window's; then enters an event
cited to a footnote typed right in the citation row (source, locator, excerpt), and finds the
next row already set to that source (as is a row added with "Add another"). Screenshots go to
``test-artifacts/``.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from relations.models import Agreement, Event, Membership, Official, Position, Statement
from sources.models import Footnote, Source
from tests.browser.admin import autocomplete, log_in

pytestmark = pytest.mark.browser

CLAIMS = [Event, Statement, Agreement, Position, Membership]
LOCATOR = "note 14"
EXCERPT = "Minsk and Tehran agreed to build a car plant in Iran."

# Every visible cell and widget of the inlines whose right edge passes the form's or the
# window's: what a reader at 1280 pixels would have to scroll sideways to see.
OFF_SCREEN = """() => {
    const form = document.querySelector('#content-main form').getBoundingClientRect();
    const limit = Math.min(form.right, window.innerWidth) + 0.5;
    return [...document.querySelectorAll(
        '.inline-group th, .inline-group td, .inline-group .select2-container, '
        + '.inline-group input:not([type=hidden]), .inline-group textarea'
    )]
        .filter((e) => e.getClientRects().length && e.getBoundingClientRect().right > limit)
        .map((e) => `${e.tagName.toLowerCase()}.${e.className}`);
}"""


def test_the_citation_inline_fits_1280_pixels_and_a_footnote_is_typed_once(
    page: Page, live_server, analyst, artifacts
):
    base = live_server.url
    page.set_default_timeout(10_000)
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page, base, analyst.username)

    # 1. Nothing runs off-screen, on any claim's add and change page, nor the official's.
    pages = [f"/admin/relations/{model._meta.model_name}/add/" for model in CLAIMS]
    pages += [
        f"/admin/relations/{model._meta.model_name}/{model.objects.first().pk}/change/"
        for model in [*CLAIMS, Official]
    ]
    for path in pages:
        page.goto(f"{base}{path}")
        expect(page.locator(".inline-group").first).to_be_visible()
        assert page.evaluate(OFF_SCREEN) == [], path
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280, path
    page.locator("#positions-group").screenshot(path=artifacts / "citation-inline-official.png")

    # 2. An event cited to a footnote typed once, in its row: no popup, no second form.
    source = Source.objects.get()
    page.goto(f"{base}/admin/relations/event/add/")
    page.get_by_label("Title:").fill("Belarus and Iran agree to build a car plant")
    page.get_by_label("Date:", exact=True).fill("2006")
    autocomplete(page, "id_domains", "Econ", "Economic")
    autocomplete(page, "id_citations-0-source", "Belarus-Iran", str(source))
    page.locator("#id_citations-0-locator").fill(LOCATOR)
    page.locator("#id_citations-0-excerpt").fill(EXCERPT)
    # A row added below types in the same source (admin-citations.js); left blank, it is
    # no row at all.
    page.locator("#citations-group .add-row a").click()
    expect(page.locator("#id_citations-1-source + .select2")).to_contain_text(str(source))
    page.locator("#citations-group").screenshot(path=artifacts / "citation-inline-typed.png")
    page.get_by_role("button", name="Save and continue editing").first.click()
    expect(page.locator(".messagelist .success")).to_contain_text("was added successfully")

    footnote = Footnote.objects.get(source=source, locator=LOCATOR)
    assert footnote.excerpt == EXCERPT
    event = Event.objects.get(title__startswith="Belarus and Iran agree to build")
    assert [c.footnote for c in event.citations.all()] == [footnote]
    # The saved row names its footnote; the next row is set to type in the same source.
    expect(page.locator("#id_citations-0-footnote + .select2")).to_contain_text(LOCATOR)
    expect(page.locator("#id_citations-1-source + .select2")).to_contain_text(str(source))
    assert page.evaluate(OFF_SCREEN) == []
