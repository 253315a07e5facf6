"""The fuzzy date field's live reading: what the analyst is typing, read as it will be saved.

``static/js/fuzzy-date.js`` asks ``GET /admin/date-preview/?text=…`` as the analyst types and
shows the answer under the field. The answer is the admin's own reading
(``core.admin_base.date_reading``, as the "as read" fields show it after saving) or the
parser's refusal, so the live reading and the saved one cannot disagree. Staff only; no
database query beyond the login's.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_GET

from core.admin_base import date_reading
from core.dates import MAX_LENGTH, parse_fuzzy_date, resolve_relative

# A relative word's refusal names what it needs ('"undated" is relative: it needs the source's
# date'). Its opening "Could not read … as a date: " is true of the parser, not of a
# form that resolves the word on saving, so the live reading leaves it out.
RELATIVE_OPENING = " as a date: "
# The parser's refusal ends with the list of accepted forms, which the field already shows.
ACCEPTED_FORMS_TAIL = " Accepted forms: "


def read_date(text: str) -> dict[str, object]:
    """What ``text`` reads as: ``ok`` and the reading, or why it cannot be read (yet)."""
    text = " ".join(text.split())
    if not text:
        return {"ok": False, "reading": ""}
    try:
        resolve_relative(text)  # without context: returns non-relative text as it is
    except ValidationError as error:
        # "subsequently", "undated"...: stored once their context (the source's date, the
        # fact they follow) is known; say which context, as the parser does.
        reason = refusal(error).partition(RELATIVE_OPENING)[2] or refusal(error)
        return {"ok": False, "relative": True, "reading": reason}
    try:
        fuzzy = parse_fuzzy_date(text)
    except ValidationError as error:
        return {"ok": False, "reading": refusal(error)}
    return {"ok": True, "reading": date_reading(text), "display": fuzzy.display()}


def refusal(error: ValidationError) -> str:
    return error.messages[0].split(ACCEPTED_FORMS_TAIL, 1)[0]


@require_GET
def date_preview(request: HttpRequest) -> HttpResponse:
    """Staff only, never cached: the admin site serves it through ``admin_view``
    (``config.admin_site``), as every admin page."""
    # Longer text is refused by the parser anyway; do not echo a long query string back.
    text = request.GET.get("text", "")[: MAX_LENGTH * 2]
    return JsonResponse(read_date(text))


class FuzzyDateInput(forms.TextInput):
    """A fuzzy date's text box, with a place under it for its live reading.

    The reading stays hidden without JavaScript (the "as read" field shows it after saving).
    ``relative_hint`` says what the form does with relative words ("resolved on saving
    against …"); it follows their reading.
    """

    class Media:
        js = ["js/fuzzy-date.js"]
        css = {"all": ["css/fuzzy-date.css"]}

    def __init__(self, attrs: dict | None = None, relative_hint: str = "") -> None:
        super().__init__(attrs)
        self.relative_hint = relative_hint

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget_attrs = context["widget"]["attrs"]
        widget_attrs["data-date-preview"] = reverse("admin:date_preview")
        widget_attrs.setdefault("autocomplete", "off")
        if self.relative_hint:
            widget_attrs["data-relative-hint"] = self.relative_hint
        return context

    def render(self, name, value, attrs=None, renderer=None):
        html = super().render(name, value, attrs, renderer)
        field_id = (attrs or {}).get("id") or self.attrs.get("id")
        if not field_id:
            return html
        return format_html(
            '{}<output class="fuzzy-date-reading" id="{}_reading" for="{}" '
            'aria-live="polite" hidden></output>',
            html,
            field_id,
            field_id,
        )
