"""What every content app shares: the content bases, and the knowledge base's version.

``Timestamped`` and ``SlugQuerySet`` are abstract; ``KnowledgeBaseVersion`` is the one row whose
number keys every cached public answer (see ``core.cache``).
"""

from __future__ import annotations

import contextlib

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.fields import FuzzyDateField, sync_bounds


class SlugQuerySet(models.QuerySet):
    """Every fixture-referenced model is found by its slug (its natural key)."""

    def get_by_natural_key(self, slug: str) -> models.Model:
        return self.get(slug=slug)


class Timestamped(models.Model):
    """Created/updated times, set explicitly (not auto_now) so fixtures keep theirs."""

    created = models.DateTimeField(default=timezone.now, editable=False)
    updated = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        self.updated = timezone.now()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            # A fuzzy date's derived bounds are written whenever its text is.
            fuzzy = {
                f"{f.name}_{part}"
                for f in self._meta.concrete_fields
                if isinstance(f, FuzzyDateField) and f.name in update_fields
                for part in ("lower", "upper", "precision")
            }
            kwargs["update_fields"] = {*update_fields, *fuzzy, "updated"}
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        # Derive fuzzy-date bounds before full_clean() checks the constraints that use them;
        # an unreadable date was already reported on its field by clean_fields().
        for field in self._meta.concrete_fields:
            if isinstance(field, FuzzyDateField):
                with contextlib.suppress(ValidationError):
                    sync_bounds(self, field.name)


class KnowledgeBaseVersion(models.Model):
    """A counter bumped, on commit, by every write that changes what readers see.

    A database row rather than a cache key: it survives a cache flush, every process and
    server reads the same one, and a read replica carries it with the data it describes, so
    a replica can tell how current it is. Read through the shared cache (``core.cache``).
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    number = models.BigIntegerField(default=1, help_text="Bumped whenever readers' view changes.")
    changed = models.DateTimeField(default=timezone.now, help_text="When it was last bumped.")

    class Meta:
        verbose_name = "knowledge-base version"
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="kb_version_single_row"),
        ]

    def __str__(self) -> str:
        return f"version {self.number} ({self.changed:%Y-%m-%d %H:%M:%S})"
