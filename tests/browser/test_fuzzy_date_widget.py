"""In Chromium: the date field reads what the analyst types as they type it, and the event
list's country filter is a short search box rather than a column of 250 links."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from relations.models import Event
from tests.browser.admin import log_in
from tests.factories import EventFactory

pytestmark = pytest.mark.browser


def test_the_date_reads_live_and_the_country_filter_is_short_and_searchable(
    page: Page, live_server, analyst, artifacts
):
    base = live_server.url
    page.set_default_timeout(10_000)
    log_in(page, base, analyst.username)

    # The reading follows the typing: bounds and precision, a refusal, a relative word.
    page.goto(f"{base}/admin/relations/event/add/")
    date = page.get_by_label("Date:", exact=True)
    reading = page.locator("#id_date_reading")
    expect(reading).to_be_hidden()  # nothing typed, nothing read
    date.press_sequentially("late June 2010")
    expect(reading).to_have_text("Reads as: 21 June 2010 – 30 June 2010 (part of month)")
    date.fill("Jumne 2010")
    expect(reading).to_have_text(
        'Could not read "Jumne 2010" as a date: "Jumne" is not a month name.'
    )
    expect(reading).to_have_class(re.compile(r"\brefused\b"))
    date.fill("undated")
    expect(reading).to_contain_text('"undated" is relative: it needs the source\'s date.')
    page.screenshot(path=artifacts / "fuzzy-date-live-reading.png")

    # The filter column is short, and a country is found by typing its name.
    EventFactory(title="Gas talks in Moscow", countries=["BY", "RU"])
    page.goto(f"{base}/admin/relations/event/")
    height = page.locator("#changelist-filter").bounding_box()["height"]
    assert height < 1500, height  # 250 country links made it about 6,500 px
    search = page.locator("#changelist-filter-country")
    search.fill("Iran")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]country=Iran\b"))
    expect(search).to_have_value("Iran")
    page.locator("#changelist-filter").screenshot(path=artifacts / "event-list-filters.png")
    with_iran = Event.objects.filter(countries__code="IR").count()
    assert 0 < with_iran < Event.objects.count()
    expect(page.locator("#result_list tbody tr")).to_have_count(with_iran)
