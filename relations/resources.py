"""Bulk CSV import (and export) of events through django-import-export.

One row is one event. The columns, all text (UTF-8, with or without Excel's BOM):

- ``slug``: the event to update; blank (or no column) for a new event, whose slug the model makes
  from its date and title. A blank slug still matches an existing event with the same title and
  date, so re-importing a spreadsheet does not duplicate its events.
- ``title``, ``date`` (fuzzy text such as "late June 2010"), ``summary``, ``place``.
- ``domains``, ``countries`` (ISO codes, any case), ``organisations``, ``officials``: keys
  separated by ``;``. Every event needs at least one domain.
- ``citations``: ``source-slug|locator`` pairs separated by ``;`` (the locator is optional). Each
  pair is a footnote (one place in a source): the existing one if the source has it, else a new
  one, which other claims citing the same place then share.

The import is all or nothing: any row error or validation error rolls back every row, links and
citations included. Unknown keys are row errors that name the value and the column (the stock
``ManyToManyWidget`` silently drops them). Imported events are drafts: an editor publishes them
after review. Citations are only ever added, never removed; re-importing a file whose rows are
unchanged skips them all.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from import_export import fields, resources, widgets
from import_export.instance_loaders import ModelInstanceLoader

from core.fields import sync_bounds
from relations.models import Citation, Country, Domain, Event, Official, Organisation, Status
from sources.models import Footnote, Source

SEPARATOR = ";"
LOCATOR_SEPARATOR = "|"

COLUMNS = (
    "slug",
    "title",
    "date",
    "summary",
    "place",
    "domains",
    "countries",
    "organisations",
    "officials",
    "citations",
)
REQUIRED_COLUMNS = ("title", "date", "domains")


class ImportFileError(Exception):
    """The file as a whole cannot be imported (its header row is wrong); no row was read."""


def _normalise_space(value: str) -> str:
    return " ".join(value.split())


def _quoted(values: Iterable[str], limit: int = 10) -> str:
    values = list(values)
    shown = ", ".join(f"“{v}”" for v in values[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


def _keys(value: Any) -> list[str]:
    """The distinct non-blank keys of a ``;``-separated cell, in their order."""
    if value is None:
        return []
    keys = (key.strip() for key in str(value).split(SEPARATOR))
    return list(dict.fromkeys(key for key in keys if key))


# --- Widgets ----------------------------------------------------------------------------------
class TextWidget(widgets.CharWidget):
    """Text with the spaces a spreadsheet adds around it removed (as admin forms do)."""

    def clean(self, value, row=None, **kwargs) -> str:
        return super().clean(value, row, **kwargs).strip()


class SlugWidget(TextWidget):
    """A slug, or None when blank: a blank cell never erases the slug of the event matched by
    title and date, and a new event's slug is made from its date and title on save."""

    def clean(self, value, row=None, **kwargs) -> str | None:
        return super().clean(value, row, **kwargs) or None


class FuzzyDateTextWidget(widgets.CharWidget):
    """A fuzzy date's text, whitespace-normalised as the model field stores it; the model field
    validates it (an unreadable date is a row error listing the accepted forms)."""

    def clean(self, value, row=None, **kwargs) -> str:
        return _normalise_space(super().clean(value, row, **kwargs))


class StrictManyToManyWidget(widgets.ManyToManyWidget):
    """``;``-separated keys of related records; an unknown key is an error, never dropped."""

    def __init__(self, model, field: str, noun: str, *, upper: bool = False, **kwargs) -> None:
        super().__init__(model, separator=SEPARATOR, field=field, **kwargs)
        self.noun = noun
        self.upper = upper

    def clean(self, value, row=None, **kwargs) -> list[models.Model]:
        keys = _keys(value)
        if self.upper:
            keys = list(dict.fromkeys(key.upper() for key in keys))
        if not keys:
            return []
        found = {
            getattr(obj, self.field): obj
            for obj in self.model._default_manager.filter(**{f"{self.field}__in": keys})
        }
        unknown = [key for key in keys if key not in found]
        if unknown:
            noun = self.noun if len(unknown) == 1 else f"{self.noun}s"
            raise ValueError(f"Unknown {noun} {_quoted(unknown)}")
        return [found[key] for key in keys]

    def render(self, value, obj=None, **kwargs) -> str:
        if value is None:
            return ""
        return SEPARATOR.join(str(getattr(related, self.field)) for related in value.all())


class CitationsWidget(widgets.Widget):
    """``source-slug|locator`` pairs separated by ``;``; cleans to ``(Source, locator)`` pairs."""

    def clean(self, value, row=None, **kwargs) -> list[tuple[Source, str]]:
        limit = Footnote._meta.get_field("locator").max_length
        pairs: list[tuple[str, str]] = []
        no_source, too_long = [], []
        for item in _keys(value):
            slug, _, locator = item.partition(LOCATOR_SEPARATOR)
            slug, locator = slug.strip(), _normalise_space(locator)
            if not slug:
                no_source.append(item)
            elif len(locator) > limit:
                too_long.append(locator)
            else:
                pairs.append((slug, locator))
        pairs = list(dict.fromkeys(pairs))
        slugs = list(dict.fromkeys(slug for slug, _ in pairs))
        sources = {s.slug: s for s in Source.objects.filter(slug__in=slugs)}
        problems = []
        unknown = [slug for slug in slugs if slug not in sources]
        if unknown:
            noun = "source" if len(unknown) == 1 else "sources"
            problems.append(f"unknown {noun} {_quoted(unknown)}")
        if no_source:
            problems.append(f"no source slug before “{LOCATOR_SEPARATOR}” in {_quoted(no_source)}")
        if too_long:
            problems.append(f"locators are at most {limit} characters: {_quoted(too_long, 3)}")
        if problems:
            message = "; ".join(problems)
            raise ValueError(message[0].upper() + message[1:])
        return [(sources[slug], locator) for slug, locator in pairs]

    def render(self, value, obj=None, **kwargs) -> str:
        if value is None or value.instance.pk is None:  # a new event (the preview's "before")
            return ""
        return f"{SEPARATOR} ".join(
            f"{c.footnote.source.slug}{LOCATOR_SEPARATOR}{c.footnote.locator}"
            if c.footnote.locator
            else c.footnote.source.slug
            for c in value.all()
        )


class CitationsField(fields.Field):
    """The event's citations. Import never assigns them to the instance: ``EventResource``
    creates the missing ones once the event and its links are saved."""

    def save(self, instance, row, is_m2m=False, **kwargs) -> None:
        pass


def footnote_at(source: Source, locator: str, user=None) -> Footnote:
    """The source's footnote at ``locator``, made (with its history's user) if it has none."""
    footnote = Footnote.objects.filter(source=source, locator=locator).first()
    if footnote is None:
        footnote = Footnote(source=source, locator=locator)
        if user is not None:
            footnote._history_user = user
        footnote.save()
    return footnote


# --- Finding the event a row is about ---------------------------------------------------------
class EventInstanceLoader(ModelInstanceLoader):
    """By slug; a row without one is the event with the same title and date, if there is one."""

    def get_instance(self, row):
        queryset = self.get_queryset()
        slug = (row.get("slug") or "").strip()
        if slug:
            return queryset.filter(slug=slug).first()
        title = _normalise_space(str(row.get("title") or ""))
        date = _normalise_space(str(row.get("date") or ""))
        if not title or not date:
            return None
        matches = list(queryset.filter(title__iexact=title, date__iexact=date)[:3])
        if len(matches) > 1:
            raise ValidationError(
                {
                    "slug": f"Several events already have this title and date "
                    f"({_quoted(e.slug for e in matches)}): give the slug of the one to update, "
                    "or a new slug for a new event."
                }
            )
        return matches[0] if matches else None


# --- The resource -----------------------------------------------------------------------------
class EventResource(resources.ModelResource):
    slug = fields.Field(
        attribute="slug", column_name="slug", widget=SlugWidget(), saves_null_values=False
    )
    title = fields.Field(attribute="title", column_name="title", widget=TextWidget())
    date = fields.Field(attribute="date", column_name="date", widget=FuzzyDateTextWidget())
    summary = fields.Field(attribute="summary", column_name="summary", widget=TextWidget())
    place = fields.Field(attribute="place", column_name="place", widget=TextWidget())
    domains = fields.Field(
        attribute="domains",
        column_name="domains",
        widget=StrictManyToManyWidget(Domain, field="slug", noun="domain"),
    )
    countries = fields.Field(
        attribute="countries",
        column_name="countries",
        widget=StrictManyToManyWidget(Country, field="code", noun="country code", upper=True),
    )
    organisations = fields.Field(
        attribute="organisations",
        column_name="organisations",
        widget=StrictManyToManyWidget(Organisation, field="slug", noun="organisation"),
    )
    officials = fields.Field(
        attribute="officials",
        column_name="officials",
        widget=StrictManyToManyWidget(Official, field="slug", noun="official"),
    )
    citations = CitationsField(
        attribute="citations", column_name="citations", widget=CitationsWidget()
    )

    class Meta:
        model = Event
        fields = list(COLUMNS)
        import_id_fields = ["slug"]
        instance_loader_class = EventInstanceLoader
        # All or nothing: see import_data().
        use_transactions = True
        # Field errors plus the model's own validation (the fuzzy date, lengths, slug format).
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    # --- The whole import
    def import_data(self, dataset, dry_run=False, raise_errors=False, **kwargs):
        """Import in one transaction that is rolled back if any row has an error or fails
        validation (the stock behaviour keeps the valid rows), whatever the caller asked."""
        kwargs["use_transactions"] = True
        kwargs["rollback_on_validation_errors"] = True
        return super().import_data(dataset, dry_run=dry_run, raise_errors=raise_errors, **kwargs)

    def import_data_inner(
        self, dataset, dry_run, raise_errors, using_transactions, collect_failed_rows, **kwargs
    ):
        try:
            self.check_headers(dataset)
        except ImportFileError as error:
            # A wrong header row: say so once, rather than an error for every row.
            result = self.get_result_class()()
            result.diff_headers = self.get_diff_headers()
            result.total_rows = len(dataset)
            self.handle_import_error(result, error, raise_errors)
            return result
        return super().import_data_inner(
            dataset, dry_run, raise_errors, using_transactions, collect_failed_rows, **kwargs
        )

    def check_headers(self, dataset) -> None:
        """Normalise the header row (BOM, spaces, case) and refuse unknown or missing columns:
        a column the import would silently ignore is a column the analyst thinks was loaded."""
        headers = [
            str(header or "").replace("\ufeff", "").strip().lower()
            for header in dataset.headers or []
        ]
        if not any(headers):
            raise ImportFileError(
                "The file has no header row. Its first row must name the columns: "
                + ", ".join(COLUMNS)
                + "."
            )
        dataset.headers = headers
        named = [h for h in headers if h]
        problems = []
        unknown = [h for h in dict.fromkeys(named) if h not in COLUMNS]
        if unknown:
            problems.append(f"Unknown columns: {_quoted(unknown)}.")
        missing = [c for c in REQUIRED_COLUMNS if c not in named]
        if missing:
            problems.append(f"Missing columns: {_quoted(missing)}.")
        repeated = [h for h in dict.fromkeys(named) if named.count(h) > 1]
        if repeated:
            problems.append(f"Columns named twice: {_quoted(repeated)}.")
        if problems:
            raise ImportFileError(
                " ".join(problems)
                + " The columns are "
                + ", ".join(COLUMNS)
                + f" ({', '.join(REQUIRED_COLUMNS)} required)."
            )

    def _check_import_id_fields(self, headers) -> None:
        # The slug column is optional (check_headers checks the header row).
        pass

    def after_import(self, dataset, result, **kwargs) -> None:
        # ModelResource resets the id sequence here, for imports that supply ids. This one never
        # does, and a reset to max(id) can move the sequence back under a concurrent insert.
        pass

    # --- One row
    def get_instance(self, instance_loader, row):
        # The stock method gives up when the slug column is absent; the loader matches on title
        # and date then.
        return instance_loader.get_instance(row)

    def relation_fields(self) -> list[fields.Field]:
        return [
            field
            for field in self.get_import_fields()
            if isinstance(field.widget, StrictManyToManyWidget | CitationsWidget)
        ]

    def import_instance(self, instance, row, **kwargs) -> None:
        """Set the event's own fields, and check the keys in the link and citation columns now,
        so that an unknown one is a validation error of this row (with the others)."""
        errors: dict[str, list[ValidationError]] = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        for field in self.relation_fields():
            if field.column_name not in row:
                continue
            try:
                value = field.clean(row)
            except ValueError as error:
                message = f"{error} in column “{field.column_name}”."
                errors.setdefault(field.attribute, []).append(
                    ValidationError(message, code="unknown")
                )
                continue
            if field.attribute == "domains" and not value:
                errors.setdefault("domains", []).append(
                    ValidationError(
                        "Every event needs at least one domain: give domain slugs separated "
                        f"by “{SEPARATOR}” (column “domains”).",
                        code="required",
                    )
                )
        if errors:
            raise ValidationError(errors)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """The model's full_clean, as a form would run it: a blank slug is made on save, and the
        date's bounds (derived on save) are derived first so its constraints can be checked."""
        errors = dict(import_validation_errors or {})
        exclude = set(errors)
        if not instance.slug:
            exclude.add("slug")
        # An unreadable date is reported by clean_fields, with the accepted forms.
        with contextlib.suppress(ValidationError):
            sync_bounds(instance, "date")
        try:
            instance.full_clean(exclude=exclude, validate_unique=validate_unique)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def skip_row(self, instance, original, row, import_validation_errors=None) -> bool:
        if not super().skip_row(instance, original, row, import_validation_errors):
            return False
        return not self.missing_citations(instance, row)

    def before_save_instance(self, instance, row, **kwargs) -> None:
        user = kwargs.get("user")
        if (
            instance.pk
            and instance.status == Status.PUBLISHED
            and not (user and user.has_perm("relations.publish_event"))
        ):
            # An import makes the event a draft again; only editors take a published event
            # off the site (as in the admin, where an analyst cannot unpublish).
            raise ValidationError(
                {
                    "slug": f"“{instance.slug}” is published and this row changes it: only an "
                    "editor may import changes to a published event (it becomes a draft "
                    "again). Edit it in the admin, or leave the row out."
                }
            )
        instance.status = Status.DRAFT
        if user is not None and user.is_authenticated:
            instance._history_user = user

    def save_m2m(self, instance, row, **kwargs) -> None:
        super().save_m2m(instance, row, **kwargs)
        if self._is_dry_run(kwargs) and not self._is_using_transactions(kwargs):
            return
        user = kwargs.get("user")
        by = user if user is not None and user.is_authenticated else None
        for source, locator in self.missing_citations(instance, row):
            citation = Citation(event=instance, footnote=footnote_at(source, locator, by))
            if by is not None:
                citation._history_user = by
            citation.save()

    def missing_citations(self, instance, row) -> list[tuple[Source, str]]:
        """The row's citations the event does not have yet (source, event and locator)."""
        if "citations" not in row:
            return []
        wanted = self.fields["citations"].clean(row)
        if not wanted:
            return []
        existing = (
            set(instance.citations.values_list("footnote__source_id", "footnote__locator"))
            if instance.pk
            else set()
        )
        return [(s, locator) for s, locator in wanted if (s.pk, locator) not in existing]

    # --- Export
    def filter_export(self, queryset, **kwargs):
        return queryset.prefetch_related(
            "domains", "countries", "organisations", "officials", "citations__footnote__source"
        )
