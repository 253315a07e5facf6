"""The fuzzy-date field: one mechanism for every dated thing.

A fuzzy date is stored as four columns: what the analyst typed (``<name>``), the inclusive
interval it means (``<name>_lower``, ``<name>_upper``, indexed, for filtering and sorting) and its
precision (``<name>_precision``, for display and facets). The text is the truth; the other three
are derived from it on every save, so they can never disagree with it through the ORM. Declare
the companions next to the field::

    date = FuzzyDateField("date")
    date_lower, date_upper, date_precision = FuzzyDateField.companions("date")

They are ordinary columns (no hidden ``contribute_to_class`` magic), so migrations, fixtures and
raw SQL see exactly what is stored. Raw saves (``loaddata``) take the stored bounds as given; the
database's check constraints still refuse a bound that is missing or after its partner.
"""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.db import models

from core.dates import ACCEPTED_FORMS, MAX_LENGTH, FuzzyDate, Precision, parse_fuzzy_date

HELP_SUFFIX = "Accepted forms: " + "; ".join(ACCEPTED_FORMS) + "."


class FuzzyDateField(models.CharField):
    """A date's text at any precision; fills its ``_lower``, ``_upper``, ``_precision``."""

    description = "A date at mixed precision (e.g. 'late June 2010'), with derived bounds"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", MAX_LENGTH)  # what the parser reads at most
        super().__init__(*args, **kwargs)

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = super().check(**kwargs)
        names = {f.name for f in self.model._meta.get_fields()}
        for suffix in ("lower", "upper", "precision"):
            if f"{self.name}_{suffix}" not in names:
                errors.append(
                    checks.Error(
                        f"FuzzyDateField '{self.name}' needs a '{self.name}_{suffix}' field.",
                        hint=f"Add `FuzzyDateField.companions({self.name!r})` to the model.",
                        obj=self,
                        id="relata.E001",
                    )
                )
        return errors

    @staticmethod
    def companions(name: str) -> tuple[models.DateField, models.DateField, models.CharField]:
        """The three derived columns that belong with a FuzzyDateField called ``name``."""
        return (
            models.DateField(
                null=True,
                blank=True,
                editable=False,
                help_text=f"Earliest day the {name} can mean (derived; 0001-01-01 when open).",
            ),
            models.DateField(
                null=True,
                blank=True,
                editable=False,
                help_text=f"Latest day the {name} can mean (derived; 9999-12-31 when open).",
            ),
            models.CharField(
                max_length=16,
                blank=True,
                editable=False,
                choices=Precision.choices,
                help_text=f"How precisely the {name} is known (derived).",
            ),
        )

    def to_python(self, value: Any) -> str:
        value = super().to_python(value)
        return " ".join(value.split()) if isinstance(value, str) else value

    def validate(self, value: Any, model_instance: models.Model | None) -> None:
        super().validate(value, model_instance)
        if value not in self.empty_values:
            parse_fuzzy_date(value)  # raises ValidationError listing the accepted forms

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        text = self.to_python(getattr(model_instance, self.attname)) or ""
        setattr(model_instance, self.attname, text)
        sync_bounds(model_instance, self.name)
        return text

    def formfield(self, **kwargs: Any) -> Any:
        kwargs.setdefault("help_text", self.help_text or HELP_SUFFIX)
        return super().formfield(**kwargs)


def sync_bounds(instance: models.Model, name: str) -> FuzzyDate | None:
    """Set ``<name>_lower/_upper/_precision`` on ``instance`` from its text; None when blank."""
    text = getattr(instance, name)
    fuzzy = parse_fuzzy_date(text) if text else None
    setattr(instance, f"{name}_lower", fuzzy.lower if fuzzy else None)
    setattr(instance, f"{name}_upper", fuzzy.upper if fuzzy else None)
    setattr(instance, f"{name}_precision", fuzzy.precision if fuzzy else "")
    return fuzzy


def fuzzy_date_constraints(model: str, name: str, *, required: bool) -> list[models.BaseConstraint]:
    """Database guarantees for one fuzzy date: bounds present with the text, lower <= upper."""
    text_set = ~models.Q(**{name: ""})
    bounds_set = models.Q(**{f"{name}_lower__isnull": False, f"{name}_upper__isnull": False})
    bounds_unset = models.Q(**{f"{name}_lower__isnull": True, f"{name}_upper__isnull": True})
    constraints: list[models.BaseConstraint] = [
        models.CheckConstraint(
            condition=(text_set & bounds_set) | (models.Q(**{name: ""}) & bounds_unset),
            name=f"{model}_{name}_bounds_with_text",
            violation_error_message=f"The {name}'s bounds must be set exactly when it is.",
        ),
        models.CheckConstraint(
            condition=models.Q(**{f"{name}_lower__lte": models.F(f"{name}_upper")}) | bounds_unset,
            name=f"{model}_{name}_lower_lte_upper",
            violation_error_message=f"The {name} ends before it starts.",
        ),
    ]
    if required:
        constraints.append(
            models.CheckConstraint(
                condition=text_set,
                name=f"{model}_{name}_required",
                violation_error_message=f"A {name} is required.",
            )
        )
    return constraints
