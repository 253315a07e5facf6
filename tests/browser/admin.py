"""What a person does in the admin, in Chromium: shared by the browser tests."""

from __future__ import annotations

from playwright.sync_api import Page, expect

PASSWORD = "correct-horse-battery-staple"


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/admin/login/?next=/admin/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#user-tools")).to_contain_text(username)


def log_out(page: Page) -> None:
    page.locator("#logout-form").get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Logged out")).to_be_visible()


def autocomplete(page: Page, field_id: str, search: str, option: str) -> None:
    """Pick ``option`` in the select2 widget of ``<select id=field_id>`` by typing ``search``."""
    widget = page.locator(f"#{field_id} + .select2")
    widget.locator(".select2-selection").click()
    # One search box is open: inside the widget (multiple) or in its dropdown (single).
    page.locator(".select2-container--open .select2-search__field").press_sequentially(search)
    page.locator(".select2-results").get_by_role("option", name=option, exact=True).click()
    expect(widget.locator(".select2-selection")).to_contain_text(option)


def add_in_popup(page: Page, field_id: str, heading: str) -> Page:
    """Click the "+" ("add another") beside ``<select id=field_id>``; the popup that opens."""
    with page.expect_popup() as popup_info:
        page.locator(f"#add_{field_id}").click()
    popup = popup_info.value
    expect(popup.get_by_role("heading", name=heading)).to_be_visible()
    return popup


def save_popup(popup: Page) -> None:
    """Save the popup's form; it closes and hands the new record to the form that opened it."""
    with popup.expect_event("close"):
        popup.get_by_role("button", name="Save", exact=True).first.click()
