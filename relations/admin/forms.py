"""The claim forms: dates read as they are typed, and completed from their context at entry.

A claim's date may be typed as the source gives it: "by the source's date", "undated", "in
recent years". When the form is saved, such words are turned into stored text with
``core.dates.resolve_relative`` against the publication date of the source of the first
footnote cited in the form's citation inline (picked, or typed in its row), so the record says
"by 6 July 2010" and no longer depends on its citation. Without that context the date field
shows why, and nothing is saved.

Each date field lists its accepted forms (``core.dates.ACCEPTED_FORMS``) and, with JavaScript,
shows its reading as the analyst types (``core.date_preview``). A statement made at an event
and given no date of its own takes the event's. Reference records' aliases are edited one per
line (``AliasesField``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import format_html, format_html_join

from core.admin_base import ConcurrencyForm
from core.date_preview import FuzzyDateInput
from core.dates import ACCEPTED_FORMS, FuzzyDate, parse_fuzzy_date, resolve_relative
from core.fields import FuzzyDateField
from sources.models import Footnote, Source

# The citation inline's formset prefix: the related name of Citation's key to every claim.
CITATIONS_PREFIX = "citations"
MAX_CITATION_FORMS = 1000  # Django's own ceiling on an inline's forms
RELATIVE_HELP = (
    "“Undated”, “by the source's date” and “in recent years” are read once, on saving, "
    "against the publication date of the first cited footnote's source."
)
# A date left blank takes the date of the record named in another field: a statement made at
# an event was made on the event's date unless the source says otherwise.
INHERITED_DATES = {"date": "event"}


def date_help(help_text: str, *extra: str) -> str:
    """The field's own help, what the form does with it, then the accepted forms as a list."""
    return format_html(
        '{} <span class="fuzzy-date-forms-label">Accepted forms:</span>'
        '<ul class="fuzzy-date-forms">{}</ul>',
        format_html_join(" ", "{}", ((part,) for part in (help_text, *extra) if part)),
        format_html_join("", "<li>{}</li>", ((form,) for form in ACCEPTED_FORMS)),
    )


def cited_places(data: Mapping[str, Any], prefix: str = CITATIONS_PREFIX) -> list[tuple[str, int]]:
    """What the submitted citation inline cites, in its order (deleted rows left out):
    ``("footnote", id)`` for a picked footnote, ``("source", id)`` for one typed in its row
    (``relations.admin.footnotes_form``: a source with a locator or an excerpt; a row showing
    only the default source is blank).

    Read from the same POST as the claim's form: the admin validates the claim before its
    inlines, and the date must be resolved while the claim's form is being cleaned.
    """
    try:
        total = min(int(data.get(f"{prefix}-TOTAL_FORMS", 0)), MAX_CITATION_FORMS)
    except (TypeError, ValueError):
        return []
    places = []
    for i in range(total):
        row = f"{prefix}-{i}-"
        if data.get(f"{row}DELETE"):
            continue
        footnote, source = (str(data.get(f"{row}{name}") or "") for name in ("footnote", "source"))
        typed = any(str(data.get(f"{row}{name}") or "").strip() for name in ("locator", "excerpt"))
        if footnote.isdigit():
            places.append(("footnote", int(footnote)))
        elif source.isdigit() and typed:
            places.append(("source", int(source)))
    return places


def source_date(places: list[tuple[str, int]]) -> FuzzyDate | None:
    """The publication date of the first cited place's source; None when unknown."""
    if not places:
        return None
    kind, pk = places[0]
    if kind == "footnote":
        published = Footnote.objects.filter(pk=pk).values_list("source__published", flat=True)
    else:
        published = Source.objects.filter(pk=pk).values_list("published", flat=True)
    published = published.first()
    if not published:
        return None
    try:
        return parse_fuzzy_date(published)
    except ValidationError:  # a stored date the parser no longer reads: no usable context
        return None


class ClaimForm(ConcurrencyForm):
    """A claim's form: stale edits refused, relative dates resolved against the cited source.

    ``resolved`` maps each field whose text was resolved to (typed, stored), for the message
    that says so once the claim is saved.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.resolved: dict[str, tuple[str, str]] = {}
        for name in self.fuzzy_field_names():
            field = self.fields[name]
            origin = INHERITED_DATES.get(name)
            inherited = (
                f"Left blank, it takes the {(self.fields[origin].label or origin).lower()}'s "
                "date on saving."
                if origin in self.fields
                else ""
            )
            field.help_text = date_help(field.help_text, inherited, RELATIVE_HELP)
            field.widget = FuzzyDateInput(field.widget.attrs, relative_hint=RELATIVE_HELP)

    def fuzzy_field_names(self) -> list[str]:
        return [
            f.name
            for f in self._meta.model._meta.fields
            if isinstance(f, FuzzyDateField) and f.name in self.fields
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        self.inherit_dates(cleaned)
        names = [n for n in self.fuzzy_field_names() if cleaned.get(n)]
        if not names:
            return cleaned
        source = source_date(cited_places(self.data))
        for name in names:
            typed = cleaned[name]
            try:
                stored = resolve_relative(typed, source=source, previous=None)
            except ValidationError as error:
                self.add_error(name, error)  # also drops it from cleaned_data
                continue
            if stored != typed:
                cleaned[name] = stored
                self.resolved[name] = (typed, stored)
        return cleaned

    def inherit_dates(self, cleaned: dict[str, Any]) -> None:
        """A date left blank takes its origin's (``INHERITED_DATES``), as stored there."""
        for name, origin in INHERITED_DATES.items():
            record = cleaned.get(origin)
            if name not in self.fields or name in self.errors or cleaned.get(name) or not record:
                continue
            if record.date:
                cleaned[name] = record.date
                # Recorded as a change: in the history's message and the "Read … as …" note.
                if name not in self.changed_data:
                    self.changed_data.append(name)


# --- Reference data ---------------------------------------------------------------------------
class AliasesField(forms.CharField):
    """A list of names edited as lines of text: one alias per line, blank lines dropped,
    repeats removed (the first kept), spaces within a line normalised."""

    widget = forms.Textarea(attrs={"rows": 4, "cols": 40})

    def __init__(self, *, encoder: Any = None, decoder: Any = None, **kwargs: Any) -> None:
        # (A JSONField's formfield() passes its encoder and decoder: lines need neither.)
        kwargs.setdefault("help_text", "")
        kwargs["help_text"] = f"{kwargs['help_text']} One per line.".strip()
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(value) if isinstance(value, (list, tuple)) else value

    def to_python(self, value: Any) -> list[str]:
        if isinstance(value, (list, tuple)):
            lines = [str(item) for item in value]
        else:
            lines = (super().to_python(value) or "").splitlines()
        names = (" ".join(line.split()) for line in lines)
        return list(dict.fromkeys(name for name in names if name))

    def has_changed(self, initial: Any, data: Any) -> bool:
        return self.to_python(initial or []) != self.to_python(data)


class AliasesAsLines:
    """For reference admins: their ``aliases`` (a JSON list) edited with ``AliasesField``."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "aliases":
            kwargs["form_class"] = AliasesField
        return super().formfield_for_dbfield(db_field, request, **kwargs)
