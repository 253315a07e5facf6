"""The claim forms: relative dates ("undated", "in recent years") resolved once, at entry.

A claim's date may be typed as the source gives it: "by the source's date", "undated", "in
recent years". When the form is saved, such words are turned into stored text with
``core.dates.resolve_relative`` against the publication date of the source of the first
footnote cited in the form's citation inline, so the record says "by 6 July 2010" and no longer
depends on its citation. Without that context the date field shows why, and nothing is saved.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError

from core.admin_base import ConcurrencyForm
from core.dates import FuzzyDate, parse_fuzzy_date, resolve_relative
from core.fields import FuzzyDateField
from sources.models import Footnote

# The citation inline's formset prefix: the related name of Citation's key to every claim.
CITATIONS_PREFIX = "citations"
MAX_CITATION_FORMS = 1000  # Django's own ceiling on an inline's forms
RELATIVE_HELP = (
    "“Undated”, “by the source's date” and “in recent years” are read once, on saving, "
    "against the publication date of the first cited footnote's source."
)


def cited_footnote_ids(data: Mapping[str, Any], prefix: str = CITATIONS_PREFIX) -> list[int]:
    """The footnotes the submitted citation inline cites, in its order (deleted rows left out).

    Read from the same POST as the claim's form: the admin validates the claim before its
    inlines, and the date must be resolved while the claim's form is being cleaned.
    """
    try:
        total = min(int(data.get(f"{prefix}-TOTAL_FORMS", 0)), MAX_CITATION_FORMS)
    except (TypeError, ValueError):
        return []
    ids = []
    for i in range(total):
        value = str(data.get(f"{prefix}-{i}-footnote") or "")
        if value.isdigit() and not data.get(f"{prefix}-{i}-DELETE"):
            ids.append(int(value))
    return ids


def source_date(footnote_ids: list[int]) -> FuzzyDate | None:
    """The publication date of the first cited footnote's source; None when unknown."""
    if not footnote_ids:
        return None
    published = (
        Footnote.objects.filter(pk=footnote_ids[0])
        .values_list("source__published", flat=True)
        .first()
    )
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
            field.help_text = f"{field.help_text} {RELATIVE_HELP}".strip()

    def fuzzy_field_names(self) -> list[str]:
        return [
            f.name
            for f in self._meta.model._meta.fields
            if isinstance(f, FuzzyDateField) and f.name in self.fields
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        names = [n for n in self.fuzzy_field_names() if cleaned.get(n)]
        if not names:
            return cleaned
        source = source_date(cited_footnote_ids(self.data))
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
