"""Sources: what the knowledge base's claims rest on, and what a citation of one is.

This app knows nothing of the claims themselves (events, agreements...): the concrete citation
table lives in ``relations`` and extends ``CitationBase``. ``sources`` imports nothing from
``relations``: the fuzzy-date field and the content bases are ``core``'s.
"""

from __future__ import annotations

import datetime

from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from core.fields import FuzzyDateField, fuzzy_date_constraints
from core.models import SlugQuerySet, Timestamped
from core.slugs import slug_within


class Source(Timestamped):
    """A document a claim rests on: an article, a report, a press release, a dossier page."""

    slug = models.SlugField(
        max_length=120,
        unique=True,
        help_text="Stable key used in fixtures and URLs, e.g. 'irantracker-belarus-iran-2010'.",
    )
    title = models.CharField(max_length=500)
    outlet = models.CharField(
        max_length=200,
        blank=True,
        help_text="Publisher, newspaper, agency or website, e.g. 'IRNA', 'Reuters'.",
    )
    author = models.CharField(max_length=300, blank=True, help_text="As credited; may be blank.")
    url = models.URLField("URL", max_length=1000, blank=True)
    published = FuzzyDateField(
        "publication date",
        blank=True,
        help_text="When the source was published, at whatever precision is known.",
    )
    published_lower, published_upper, published_precision = FuzzyDateField.companions("published")
    accessed = models.DateField(
        "access date", null=True, blank=True, help_text="When an analyst last read the URL."
    )
    archive_url = models.URLField(
        "archived copy URL",
        max_length=1000,
        blank=True,
        help_text="A permanent copy (e.g. the Wayback Machine), in case the original moves.",
    )
    language = models.CharField(
        max_length=16,
        default="en",
        help_text="BCP 47 language code of the source text, e.g. 'en', 'fa', 'ru'.",
    )
    notes = models.TextField(blank=True, help_text="Anything a reader should know about it.")

    objects = SlugQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["title", "slug"]
        constraints = [
            *fuzzy_date_constraints("source", "published", required=False),
            models.CheckConstraint(
                condition=models.Q(accessed__isnull=True)
                | models.Q(accessed__gte=datetime.date(1900, 1, 1)),
                name="source_accessed_plausible",
                violation_error_message="The access date is implausibly early.",
            ),
        ]
        indexes = [
            # The admin's "source outlet" filter and per-outlet listings.
            models.Index(fields=["outlet"], name="source_outlet_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.outlet})" if self.outlet else self.title

    def get_absolute_url(self) -> str:
        return reverse("source", args=[self.slug])

    def natural_key(self) -> tuple[str]:
        return (self.slug,)


class FootnoteQuerySet(SlugQuerySet):
    def of(self, source: Source | str) -> FootnoteQuerySet:
        """The notes of one source (an object or its slug)."""
        if isinstance(source, str):
            return self.filter(source__slug=source)
        return self.filter(source=source)


class Footnote(Timestamped):
    """One place in a source (a note, a page, a paragraph), stored once however many claims it
    backs: "note 4" of the seed page backs both the May 2007 trade agreement and Lukashenko's
    "strategic partnership". A dossier numbers each footnote once and marks with it only the
    claims linked to it."""

    slug = models.SlugField(
        max_length=160,
        unique=True,
        blank=True,  # save() makes one from the source's slug and the locator
        help_text="Stable key used in fixtures; made from the source and locator if blank.",
    )
    # PROTECT: deleting a source must not silently strip the support from published claims.
    source = models.ForeignKey(
        Source,
        on_delete=models.PROTECT,
        related_name="footnotes",
        help_text="The document.",
    )
    locator = models.CharField(
        max_length=100,
        blank=True,
        help_text="Where in the source: 'note 3', 'p. 12', 'para. 4', a timestamp... Blank for "
        "the source as a whole.",
    )
    excerpt = models.TextField(
        blank=True, help_text="The passage, verbatim (optional): what the claims rest on."
    )

    objects = FootnoteQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["source__title", "locator", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "locator"],
                name="footnote_unique_source_locator",
                violation_error_message="This source already has a footnote at that place: "
                "link the claim to it instead.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} — {self.locator}" if self.locator else str(self.source)

    def natural_key(self) -> tuple[str]:
        return (self.slug,)

    natural_key.dependencies = ["sources.source"]

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = self.make_slug()
        super().save(*args, **kwargs)

    def make_slug(self) -> str:
        base = slug_within(f"{self.source.slug} {self.locator}", 150) or "footnote"
        slug, n = base, 1
        while Footnote.objects.filter(slug=slug).exclude(pk=self.pk).exists():
            n += 1
            slug = f"{base}-{n}"
        return slug


class CitationBase(Timestamped):
    """What a citation is: a claim rests on a footnote (a place in a source).

    The claim side is supplied by the concrete table (``relations.Citation``).
    """

    # PROTECT: a footnote that backs a claim is removed from the claim first, never under it.
    footnote = models.ForeignKey(
        Footnote,
        on_delete=models.PROTECT,
        related_name="citations",
        help_text="The place in a source this claim rests on.",
    )
    note = models.TextField(blank=True, help_text="The analyst's remark on this citation.")

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return str(self.footnote)

    # Read-only conveniences: the footnote's parts, as templates and exports name them.
    @property
    def source(self) -> Source:
        return self.footnote.source

    @property
    def source_id(self) -> int:
        return self.footnote.source_id

    @property
    def locator(self) -> str:
        return self.footnote.locator

    @property
    def excerpt(self) -> str:
        return self.footnote.excerpt
