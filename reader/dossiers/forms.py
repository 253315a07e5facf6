"""The dossier's forms: the date to show it as of, and the pair to open."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from core.dates import MAX_LENGTH, OPEN_UPPER, parse_fuzzy_date


class AsOfForm(forms.Form):
    as_of = forms.CharField(
        label="As of",
        required=False,
        max_length=MAX_LENGTH,
        help_text="A date, at any precision: 2009, May 2009, 2009-12-31.",
    )

    def clean_as_of(self) -> datetime.date | None:
        """The last day the text can mean ("2009" is 31 December 2009), or None for today."""
        text = self.cleaned_data["as_of"]
        if not text:
            return None
        fuzzy = parse_fuzzy_date(text)  # its ValidationError says why and lists the forms
        if fuzzy.upper == OPEN_UPPER:
            raise ValidationError(
                f"“{text}” has no end; give the day, month or year to show the dossier as of."
            )
        return fuzzy.upper


class PairForm(forms.Form):
    """Two countries, to open their dossier; the choices come from one list (one query)."""

    first = forms.ChoiceField(label="Country")
    second = forms.ChoiceField(label="and")

    def __init__(self, *args: Any, countries: Sequence[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "—"), *countries]
        self.fields["first"].choices = self.fields["second"].choices = choices

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("first") and data.get("first") == data.get("second"):
            raise ValidationError("Choose two different countries.")
        return data
