"""A footnote entered once, in the row that cites it.

Every citation row (a claim's citations, a post's row on its official's page) offers two ways
to say which footnote backs the claim: pick one already entered (autocomplete), or type a new
one right there — its source, locator ("note 4") and excerpt. A typed footnote is one record
per place in a source: if the source already has a footnote at that locator, the row links
to it instead of adding a second, and says so when the excerpt typed differs from the stored
one. Nothing is written before the whole page validates.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.admin.widgets import AutocompleteSelect, RelatedFieldWidgetWrapper
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.html import format_html

from sources.admin import footnote_at, normal_locator
from sources.models import Footnote, Source

NEW_FIELDS = ("source", "locator", "excerpt")
BOTH = (
    "Pick a footnote or type a new one, not both: clear the footnote picked above to cite the "
    "one typed here, or clear what you typed."
)
NEITHER = "Pick a footnote, or type a new one (its source and locator), or tick “Delete”."
NO_SOURCE = "Which source is this footnote in? Pick its source (or pick an existing footnote)."


class FootnoteAutocomplete(AutocompleteSelect):
    """The footnote picker: footnotes of ``prefer``'s sources (those this claim already cites)
    are listed first (``sources.admin.FootnoteAdmin.get_search_results`` reads the URL)."""

    prefer: tuple[int, ...] = ()

    def get_url(self) -> str:
        url = super().get_url()
        if self.prefer:
            url = f"{url}?prefer={','.join(str(pk) for pk in self.prefer)}"
        return url


def picker(field: forms.Field) -> FootnoteAutocomplete | None:
    widget = getattr(field.widget, "widget", field.widget)  # inside the "+" wrapper, or bare
    return widget if isinstance(widget, FootnoteAutocomplete) else None


def footnote_picker(admin_site, *, can_add: bool) -> forms.Widget:
    """The footnote autocomplete (as the admin's own, with its "+" popup if ``can_add``)."""
    from relations.models import Citation  # (the claims' app loads after this module)

    field = Citation._meta.get_field("footnote")
    widget = FootnoteAutocomplete(field, admin_site)
    return RelatedFieldWidgetWrapper(widget, field.remote_field, admin_site, can_add)


def source_picker(admin_site, *, can_add: bool) -> forms.Widget:
    """The source autocomplete of a typed footnote, with "+" to add a source not there yet."""
    field = Footnote._meta.get_field("source")
    widget = AutocompleteSelect(field, admin_site)
    return RelatedFieldWidgetWrapper(widget, field.remote_field, admin_site, can_add)


class FootnoteChoiceForm(forms.ModelForm):
    """A row that cites a footnote: ``footnote`` (picked) or ``source``/``locator``/``excerpt``
    (typed). After ``clean()``, ``self.footnote_to_cite`` is the footnote the row cites (an
    existing one, or a new one saved with the row), and ``self.notices`` what to tell the
    analyst once the page is saved.

    ``default_source`` (a form keyword) pre-selects the source of a new row's typed footnote:
    the source the claim's other citations are in. A row left as shown is still an empty row.
    """

    source = forms.ModelChoiceField(
        Source.objects.all(),
        required=False,
        label="Source",
        help_text="The new footnote's source (the claim's other citations' source by default).",
    )
    locator = forms.CharField(
        max_length=Footnote._meta.get_field("locator").max_length,
        required=False,
        label="Locator",
        widget=forms.TextInput(attrs={"size": 10, "placeholder": "e.g. note 4"}),
        help_text="Where in the source: “note 4”, “p. 12”; blank for the source as a whole "
        "(then give the excerpt).",
    )
    excerpt = forms.CharField(
        required=False,
        label="Excerpt",
        widget=forms.Textarea(attrs={"rows": 2, "cols": 24}),
        help_text="The passage, verbatim (optional): stored once, with the footnote.",
    )

    #: Whether the user may add footnotes (set per request by the inline).
    may_add_footnote = True
    #: Whether the form must cite a footnote (a claim's citation row) or may cite none (a post).
    footnote_required = True

    def __init__(self, *args: Any, default_source: Source | None = None, **kwargs: Any) -> None:
        self.prefer: tuple[int, ...] = kwargs.pop("prefer", ())
        super().__init__(*args, **kwargs)
        self.footnote_to_cite: Footnote | None = None
        self.fills_excerpt = False
        self.notices: list[str] = []
        self.fields["footnote"].required = False  # a typed one may stand for it
        widget = picker(self.fields["footnote"])
        if widget is not None:
            widget.prefer = self.prefer
        if default_source is not None and not self.instance.pk and "source" not in self.initial:
            self.fields["source"].initial = default_source.pk

    def has_changed(self) -> bool:
        # A new row showing a source (the page's by default, or the row above's) and nothing
        # else is still a blank row: left so, it is not saved, nor refused.
        return bool(set(self.changed_data) - {"source"})

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        picked = cleaned.get("footnote")
        source = cleaned.get("source")
        locator = normal_locator(cleaned.get("locator") or "")
        excerpt = (cleaned.get("excerpt") or "").strip()
        typed = bool(locator or excerpt)
        if picked is None:
            # Not "no footnote": the row's stored one stays on the instance until one is
            # chosen (its name heads the row, also when the page is shown again with errors).
            cleaned.pop("footnote", None)
        if any(name in self.errors for name in ("footnote", *NEW_FIELDS)):
            return cleaned
        if picked is not None:
            if typed:
                raise ValidationError(BOTH, code="both")
            self.footnote_to_cite = picked
            return cleaned
        if not typed:
            # A source alone is not a footnote: it is shown set, by default, on every new row.
            if self.footnote_required:
                raise ValidationError(NEITHER, code="neither")
            return cleaned
        if source is None:
            self.add_error("source", NO_SOURCE)
            return cleaned
        self.footnote_to_cite = self.typed_footnote(source, locator, excerpt)
        # The row now cites it (a new one is saved with the row): as if it had been picked.
        cleaned["footnote"] = self.footnote_to_cite
        return cleaned

    def typed_footnote(self, source: Source, locator: str, excerpt: str) -> Footnote:
        existing = footnote_at(source, locator)
        if existing is None:
            if not self.may_add_footnote:
                raise ValidationError(
                    "You may cite footnotes already entered, not add new ones: pick one above.",
                    code="no_add",
                )
            return Footnote(source=source, locator=locator, excerpt=excerpt)
        stored = " ".join(existing.excerpt.split())
        place = f"“{existing.locator}”" if existing.locator else "the whole source"
        if excerpt and not stored:
            existing.excerpt = excerpt  # filled in once, with the row
            self.fills_excerpt = True
            self.notices.append(f"{existing}: the excerpt you typed was added to the footnote.")
        elif excerpt and stored != " ".join(excerpt.split()):
            url = reverse("admin:sources_footnote_change", args=[existing.pk])
            self.notices.append(
                format_html(
                    "“{}” already has a footnote at {}, so the citation was linked to it; its "
                    "excerpt differs from the one you typed and was kept as it was "
                    '(“{}”). <a href="{}">Edit the footnote</a> if yours is right.',
                    existing.source,
                    place,
                    existing.excerpt,
                    url,
                )
            )
        else:
            self.notices.append(
                f"“{existing.source}” already has a footnote at {place}: the citation was "
                "linked to it (a footnote is stored once)."
            )
        return existing

    def _get_validation_exclusions(self):
        exclude = super()._get_validation_exclusions()
        if self.footnote_to_cite is not None and self.footnote_to_cite.pk is None:
            exclude.add("footnote")  # saved with the row, in save()
        return exclude

    def save_footnote(self) -> Footnote | None:
        """Write the footnote this row cites if it is new (or had its empty excerpt filled)."""
        footnote = self.footnote_to_cite
        if footnote is None:
            return None
        if footnote.pk is not None:
            if self.fills_excerpt:
                footnote.save(update_fields=["excerpt"])
            return footnote
        try:
            with transaction.atomic(using=footnote._state.db):
                footnote.save()
        except IntegrityError:
            # Another analyst added it meanwhile: cite theirs, still one record.
            found = footnote_at(footnote.source, footnote.locator)
            if found is None:
                raise
            footnote = found
        self.footnote_to_cite = footnote
        return footnote


class FootnoteChoiceFormSet(forms.BaseInlineFormSet):
    """Rows that choose footnotes: new rows default to the source the page already cites,
    and the picker lists that source's footnotes first. ``request`` (set by the inline) is
    where the rows' notices go once saved."""

    request = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sources_cited = self.cited_sources()

    def cited_sources(self) -> list[Source]:
        """The sources this page's rows already cite, first cited first."""
        raise NotImplementedError

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        sources = self.sources_cited
        return {
            **kwargs,
            "default_source": sources[0] if sources else None,
            "prefer": tuple(s.pk for s in sources),
        }

    def clean(self) -> None:
        super().clean()
        seen: dict[tuple[int, str], Footnote] = {}
        for form in self.forms:
            footnote = getattr(form, "footnote_to_cite", None)
            if footnote is None or footnote.pk is not None or not form.is_valid():
                continue
            if self.can_delete and self._should_delete_form(form):
                continue
            key = (footnote.source_id, footnote.locator.casefold())
            if key in seen:
                raise ValidationError(
                    f"“{footnote}” is typed in two rows: type it once (the other row can pick "
                    "it after saving, or be removed).",
                    code="typed_twice",
                )
            seen[key] = footnote

    def save(self, commit: bool = True):
        saved = super().save(commit)
        if self.request is not None:
            for form in self.forms:
                if not form.has_changed() or (self.can_delete and self._should_delete_form(form)):
                    continue
                for notice in getattr(form, "notices", ()):
                    messages.info(self.request, notice)
        return saved
