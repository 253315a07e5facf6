"""Reference data: countries, domains, organisations, officials."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length, Upper
from django.db.models.lookups import In
from django.urls import reverse
from simple_history.models import HistoricalRecords

from core.models import SlugQuerySet, Timestamped


# --- Reference data: countries, domains, organisations, officials -----------------------------
class CountryQuerySet(models.QuerySet):
    def get_by_natural_key(self, code: str) -> Country:
        return self.get(code=code)

    def current(self) -> CountryQuerySet:
        return self.filter(withdrawn__isnull=True)


class Country(Timestamped):
    """A state, keyed by its ISO 3166-1 alpha-2 code (ISO 3166-3 alpha-4 once withdrawn)."""

    code = models.CharField(
        max_length=4,
        unique=True,
        help_text="ISO 3166-1 alpha-2 code (e.g. 'BY'); the 4-letter ISO 3166-3 code for "
        "states that no longer exist (e.g. 'SUHH' for the Soviet Union).",
    )
    alpha_3 = models.CharField("alpha-3", max_length=3, help_text="ISO 3166-1 alpha-3 code.")
    numeric = models.CharField(max_length=3, blank=True, help_text="ISO 3166-1 numeric code.")
    name = models.CharField(max_length=100, help_text="Short English name, e.g. 'Iran'.")
    official_name = models.CharField(max_length=200, blank=True)
    aliases = models.JSONField(
        default=list,
        blank=True,
        help_text="Other names and spellings found in sources, e.g. 'Belarussian', "
        "'Byelorussia'. Used when matching text to countries.",
    )
    withdrawn = models.DateField(
        null=True, blank=True, help_text="When the code was withdrawn from ISO 3166-1, if it was."
    )

    objects = CountryQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "countries"
        constraints = [
            models.CheckConstraint(
                condition=Q(In(Length("code"), [2, 4]), code=Upper("code")),
                name="country_code_format",
                violation_error_message="A country code is 2 (or, withdrawn, 4) capital letters.",
            ),
            # Withdrawn codes may repeat a current alpha-3 (ISO reassigned ATF), current ones not.
            models.UniqueConstraint(
                fields=["alpha_3"],
                condition=Q(withdrawn__isnull=True),
                name="country_current_alpha_3_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("country", args=[self.code.lower()])

    def natural_key(self) -> tuple[str]:
        return (self.code,)


class Domain(Timestamped):
    """A field of relations (nuclear, economic, energy...): the sections of a dossier."""

    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(
        default=100, help_text="Order of the domain's section in dossiers (lowest first)."
    )

    objects = SlugQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str]:
        return (self.slug,)


class Organisation(Timestamped):
    """A body that acts in foreign relations: an intergovernmental organisation, a ministry,
    a central bank, a state company, a party, an NGO..."""

    class Kind(models.TextChoices):
        INTERGOVERNMENTAL = "intergovernmental", "intergovernmental organisation"
        GOVERNMENT = "government", "government body"
        LEGISLATURE = "legislature", "legislature"
        CENTRAL_BANK = "central-bank", "central bank"
        STATE_COMPANY = "state-company", "state-owned company"
        COMPANY = "company", "private company"
        MILITARY = "military", "armed forces"
        PARTY = "party", "political party"
        NGO = "ngo", "non-governmental organisation"
        MEDIA = "media", "media outlet"
        OTHER = "other", "other"

    slug = models.SlugField(max_length=120, unique=True)
    name = models.CharField(max_length=300)
    short_name = models.CharField(
        max_length=50, blank=True, help_text="Acronym or short form: 'NAM', 'IAEA', 'ICRO'."
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER)
    # PROTECT: a country's organisations are facts about it; remove them before the country.
    country = models.ForeignKey(
        Country,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="organisations",
        help_text="The state that owns it or that it belongs to; blank for intergovernmental "
        "bodies.",
    )
    # PROTECT: where a body is based is part of what the sources say of it.
    location = models.ForeignKey(
        Country,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="based_organisations",
        help_text="Where it is based, when that is not its owner's country (a state bank abroad).",
    )
    unnamed = models.BooleanField(
        default=False,
        help_text="The sources do not name it: the name above describes it ('a state-owned bank "
        "abroad') and is shown as a description, not as a name.",
    )
    # PROTECT: deleting a parent must not silently detach its ministries or subsidiaries.
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        help_text="The body it is part of, e.g. a ministry's government.",
    )
    aliases = models.JSONField(default=list, blank=True, help_text="Other names and spellings.")
    description = models.TextField(blank=True)
    website = models.URLField(max_length=500, blank=True)

    objects = SlugQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(parent=models.F("id")),
                name="organisation_not_own_parent",
                violation_error_message="An organisation cannot be its own parent.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.short_name})" if self.short_name else self.name

    def get_absolute_url(self) -> str:
        return reverse("organisation", args=[self.slug])

    def natural_key(self) -> tuple[str]:
        return (self.slug,)


class Official(Timestamped):
    """A person who acts for a state or an organisation."""

    slug = models.SlugField(max_length=120, unique=True)
    name = models.CharField(max_length=200, help_text="Full name as usually written in English.")
    aliases = models.JSONField(
        default=list, blank=True, help_text="Other spellings and transliterations."
    )
    # PROTECT: an official's nationality is part of the record of what they did.
    country = models.ForeignKey(
        Country,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="officials",
        help_text="The state the person serves or belongs to.",
    )
    description = models.TextField(blank=True)

    objects = SlugQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["name"], name="official_name_idx")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("official", args=[self.slug])

    def natural_key(self) -> tuple[str]:
        return (self.slug,)


class RelationshipQuerySet(SlugQuerySet):
    def of_pair(self, first: Country, second: Country) -> RelationshipQuerySet:
        return self.filter(slug=Relationship.slug_for(first, second))


class Relationship(Timestamped):
    """The relations between two states: an unordered pair, keyed as its dossier's URL
    (``by-ir``). Claims name it among what they *concern*; its dossier's settings live here.

    A pair needs no record to have a dossier: one is made when a claim concerns the pair or an
    analyst sets its dossier up.
    """

    slug = models.SlugField(
        max_length=9,
        unique=True,
        editable=False,
        help_text="The two ISO codes in alphabetical order, as in the dossier's URL: 'by-ir'.",
    )
    # PROTECT: a relationship is what claims concern; a country goes only once they are gone.
    first = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="+")
    second = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="+")
    introduction = models.TextField(
        blank=True,
        help_text="Shown at the head of this pair's dossier only, as background (no footnote "
        "backs it, so write nothing a reader would take for a sourced fact).",
    )
    sections = models.JSONField(
        default=list,
        blank=True,
        help_text="This dossier's section order and titles, first section first: a list of "
        '{"domain": "<slug>", "title": "<optional title>"}. Domains not listed follow in the '
        "usual order. Other dossiers are not affected.",
    )

    objects = RelationshipQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["slug"]
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="relationship_unique_pair"),
            models.CheckConstraint(
                condition=~Q(first=models.F("second")),
                name="relationship_two_states",
                violation_error_message="A relationship is between two different states.",
            ),
        ]

    def __str__(self) -> str:
        return "–".join(sorted((self.first.name, self.second.name)))

    def natural_key(self) -> tuple[str]:
        return (self.slug,)

    natural_key.dependencies = ["relations.country"]

    @staticmethod
    def slug_for(first: Country, second: Country) -> str:
        return "-".join(sorted((first.code.lower(), second.code.lower())))

    def clean(self) -> None:
        if self.first_id and self.second_id and self.first_id == self.second_id:
            raise ValidationError("A relationship is between two different states.")
        if not isinstance(self.sections, list) or not all(
            isinstance(s, dict) and isinstance(s.get("domain"), str) for s in self.sections
        ):
            raise ValidationError(
                {"sections": 'Write a list of {"domain": "<slug>", "title": "..."} objects.'}
            )
        known = set(Domain.objects.values_list("slug", flat=True))
        unknown = [s["domain"] for s in self.sections if s["domain"] not in known]
        if unknown:
            raise ValidationError({"sections": f"No such domain: {', '.join(unknown)}."})

    def save(self, *args, **kwargs) -> None:
        # One record per unordered pair: store the pair in code order, keyed as the URL.
        if self.first.code > self.second.code:
            self.first, self.second = self.second, self.first
        self.slug = self.slug_for(self.first, self.second)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("dossier", args=[self.first.code.lower(), self.second.code.lower()])
