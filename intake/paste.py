"""Step 1 of "Bring in a page": the page, its notes, and its source, chosen once."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError

from core.dates import parse_fuzzy_date
from sources.models import Footnote, Source

#: A page, not a book: longer pastes are refused with a message (the engine's work and the
#: confirm screen grow with the page).
MAX_PAGE_CHARS = 200_000


class PasteForm(forms.Form):
    """The page, its notes, and the source it all comes from, chosen once."""

    text = forms.CharField(
        label="The page",
        widget=forms.Textarea(attrs={"rows": 16, "class": "vLargeTextField intake-text"}),
        help_text="Paste the page's text with its footnote markers: [1], ¹, (1) or "
        "<sup>1</sup>. Headings on their own line (“Nuclear:”) become domains.",
    )
    notes = forms.CharField(
        label="Its notes",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "class": "vLargeTextField"}),
        help_text="Optional: the page's list of notes, one per line, each starting with its "
        "number (“1. IRNA, 3 May 2007”). Without it, each footnote quotes the page's "
        "own sentence.",
    )
    source = forms.ModelChoiceField(
        queryset=Source.objects.all(),
        required=False,
        label="An existing source",
        help_text="The document the page is: type to search every source (without "
        "JavaScript, the latest are listed). Leave empty to create it.",
    )
    source_title = forms.CharField(label="New source: title", required=False, max_length=500)
    source_outlet = forms.CharField(label="Outlet", required=False, max_length=200)
    source_author = forms.CharField(label="Author", required=False, max_length=300)
    source_published = forms.CharField(
        label="Date", required=False, max_length=100, help_text="As written: “July 06, 2010”."
    )
    source_url = forms.URLField(label="URL", required=False, max_length=1000, assume_scheme="https")

    NEW_SOURCE = ("title", "outlet", "author", "published", "url")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        source = self.fields["source"]
        source.widget = SourceWidget(
            Footnote._meta.get_field("source"), admin.site, attrs={"data-width": "36rem"}
        )
        source.widget.choices = source.choices

    def clean_text(self) -> str:
        text = self.cleaned_data["text"]
        if len(text) > MAX_PAGE_CHARS:
            raise ValidationError(
                f"The page is {len(text):,} characters long; bring in at most "
                f"{MAX_PAGE_CHARS:,} at a time: split it at a heading."
            )
        return text

    def clean_notes(self) -> str:
        notes = self.cleaned_data["notes"]
        if len(notes) > MAX_PAGE_CHARS:
            raise ValidationError(f"The notes are longer than {MAX_PAGE_CHARS:,} characters.")
        return notes

    def clean_source_published(self) -> str:
        return clean_date(self.cleaned_data["source_published"])

    def clean(self):
        data = super().clean()
        if data.get("source") and any(data.get(f"source_{f}") for f in self.NEW_SOURCE):
            raise ValidationError(
                "Choose an existing source or describe a new one, not both.", code="two_sources"
            )
        return data

    def new_source(self) -> dict[str, str]:
        return {f: self.cleaned_data.get(f"source_{f}") or "" for f in self.NEW_SOURCE}


class SourceWidget(AutocompleteSelect):
    """The admin's search-as-you-type over every source (select2, as on the footnote form);
    without JavaScript a plain select of the latest sources, so the page stays small however
    many sources there are."""

    latest = 30

    def optgroups(self, name, value, attr=None):
        groups = super().optgroups(name, value, attr)  # the empty choice and the chosen one
        chosen = {str(v) for v in value if v}
        index = len(groups)
        for source in Source.objects.order_by("-created", "-pk")[: self.latest]:
            if str(source.pk) not in chosen:
                option = self.create_option(name, source.pk, str(source), False, index)
                groups.append((None, [option], index))
                index += 1
        return groups


def clean_date(text: str) -> str:
    text = text.strip()
    if text:
        parse_fuzzy_date(text)  # raises ValidationError with the reason and accepted forms
    return text


class SourceForm(forms.ModelForm):
    """A new source, on the confirm screen: prefilled from the paste or the page's title and
    date, created on save."""

    class Meta:
        model = Source
        fields = ["title", "outlet", "author", "published", "url"]
