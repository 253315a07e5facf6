"""Claims: positions, agreements, events, statements, each with an editorial status."""

from __future__ import annotations

import datetime

import pycountry
from django.core.exceptions import ValidationError
from django.db import models, router
from django.db.models import Q
from django.db.models.functions import Length, Upper
from django.db.models.lookups import Exact
from django.urls import reverse
from simple_history.models import HistoricalRecords

from core.dates import OPEN_LOWER, OPEN_UPPER, FuzzyDate, parse_fuzzy_date
from core.fields import FuzzyDateField, fuzzy_date_constraints
from core.models import SlugQuerySet, Timestamped
from core.slugs import slug_within
from relations.models import cited
from relations.models.reference import Country, Domain, Official, Organisation, Relationship


# --- Claims: positions, agreements, events, statements ---------------------------------------
class Status(models.TextChoices):
    """The editorial workflow: analysts draft and submit, editors publish."""

    DRAFT = "draft", "draft"
    REVIEW = "review", "ready for review"
    PUBLISHED = "published", "published"


def _dates(value: datetime.date | str | FuzzyDate | None) -> FuzzyDate | datetime.date | None:
    return parse_fuzzy_date(value) if isinstance(value, str) else value


class ClaimQuerySet(SlugQuerySet):
    def published(self) -> ClaimQuerySet:
        return self.filter(status=Status.PUBLISHED)

    def drafts(self) -> ClaimQuerySet:
        """Everything the public must not see: drafts and claims awaiting review."""
        return self.exclude(status=Status.PUBLISHED)

    def uncited(self) -> ClaimQuerySet:
        return self.filter(citations__isnull=True)

    def update(self, **kwargs) -> int:
        if kwargs.get("status") == Status.PUBLISHED:  # a published claim is cited
            cited.before_publish(self.exclude(status=Status.PUBLISHED))
        return super().update(**kwargs)

    def between(
        self,
        lower: datetime.date | str | FuzzyDate | None,
        upper: datetime.date | str | FuzzyDate | None,
    ) -> ClaimQuerySet:
        """Claims whose date interval overlaps [lower, upper] (either side may be open).

        Fuzzy text is read at its own precision: ``between("2007", "May 2008")`` means
        2007-01-01 to 2008-05-31. An event dated "2008" matches a filter for June 2008.
        """
        field = self.model.date_field
        lower, upper = _dates(lower), _dates(upper)
        if isinstance(lower, FuzzyDate):
            lower = lower.lower
        if isinstance(upper, FuzzyDate):
            upper = upper.upper
        queryset = self
        if upper is not None:
            queryset = queryset.filter(**{f"{field}_lower__lte": upper})
        if lower is not None:
            queryset = queryset.filter(**{f"{field}_upper__gte": lower})
        return queryset

    def linked(self, field: str, pk: int | None) -> ClaimQuerySet:
        """Claims whose many-to-many ``field`` includes the object ``pk``, as a subquery: no
        join, so no duplicates, and an index on the date keeps its order."""
        m2m = self.model._meta.get_field(field)
        links = m2m.remote_field.through.objects.filter(**{m2m.m2m_reverse_name(): pk})
        return self.filter(pk__in=links.values(m2m.m2m_column_name()))

    def chronological(self) -> ClaimQuerySet:
        """Date order; within the same date the analyst's order, then the natural key: never
        the database id, which an export and import round trip does not keep."""
        field = self.model.date_field
        return self.order_by(f"{field}_lower", f"{field}_upper", "sequence", "slug")


class Claim(Timestamped):
    """A statement of fact that needs a citation and passes through editorial review."""

    slug = models.SlugField(
        max_length=120,
        unique=True,
        blank=True,  # save() makes one from the date and title
        help_text="Stable key used in fixtures and URLs; made from the date and title if blank.",
    )
    status = models.CharField(
        max_length=10,
        choices=Status.choices,
        default=Status.DRAFT,
        help_text="Only published claims are shown to the public.",
    )
    sequence = models.PositiveIntegerField(
        "order within its date",
        default=0,
        help_text="Orders claims that have the same date (lowest first), e.g. the order of the "
        "source's sentences. Kept by exports and imports.",
    )
    # Editorial, not content: never exported (serialize=False keeps it out of fixtures and
    # exchange.spec), never shown to readers; its history is the claim's. The database default
    # fills it for bulk writers that do not name it (generate_kb's COPY).
    review_comment = models.TextField(
        "editor's comment",
        blank=True,
        default="",
        db_default="",
        serialize=False,
        help_text="Why an editor returned this to draft, for the analyst who fixes it. "
        "Internal: never exported or published.",
    )

    date_field = "date"

    class Meta:
        abstract = True

    def natural_key(self) -> tuple[str]:
        return (self.slug,)

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = self.make_slug()
        # A published claim is cited (relations.models.cited): checked as it is published; a
        # new one as its citations follow it (at commit, or at the end of a checked block).
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        inserting = self._state.adding
        if self.status == Status.PUBLISHED and not inserting:
            stored = type(self)._default_manager.using(using).filter(pk=self.pk)
            cited.before_publish(stored.exclude(status=Status.PUBLISHED))
        super().save(*args, **kwargs)
        if inserting and self.status == Status.PUBLISHED:
            cited.after_insert(self, using)

    def slug_text(self) -> str:
        """The words a new slug is made from."""
        return str(self)

    def make_slug(self) -> str:
        """A readable unique key from ``slug_text()`` (whole words), with a number if taken."""
        base = slug_within(self.slug_text(), 100) or self._meta.model_name
        slug, n = base, 1
        while type(self)._default_manager.filter(slug=slug).exclude(pk=self.pk).exists():
            n += 1
            slug = f"{base}-{n}"
        return slug


def concerns_field() -> models.ManyToManyField:
    """The relationships a claim bears on, whether or not both states took part: the censure
    of Iran by the UN, the EU and the US concerns Belarus–Iran relations."""
    return models.ManyToManyField(
        Relationship,
        blank=True,
        related_name="+",
        help_text="Relationships this bears on beyond its participants' (it then appears in "
        "their dossiers), e.g. a third party's act that shapes Belarus–Iran relations.",
    )


def according_to_fields() -> tuple[models.ForeignKey, models.ForeignKey]:
    """Who made the claim ("according to …"): distinct from the citation, which says where we
    read it. PROTECT: the attribution is part of what the claim says."""
    return (
        models.ForeignKey(
            Organisation,
            on_delete=models.PROTECT,
            null=True,
            blank=True,
            related_name="+",
            verbose_name="according to (organisation)",
            help_text="The body or outlet that made this claim, when the source attributes it: "
            "shown as 'according to …'.",
        ),
        models.ForeignKey(
            Official,
            on_delete=models.PROTECT,
            null=True,
            blank=True,
            related_name="+",
            verbose_name="according to (official)",
            help_text="The person who made this claim, when the source attributes it.",
        ),
    )


def tenure_constraints(model: str, what: str) -> list[models.BaseConstraint]:
    """A held thing's optional from/to dates (a post, a membership): each a valid fuzzy date,
    and the end not before the start."""
    return [
        *fuzzy_date_constraints(model, "start", required=False),
        *fuzzy_date_constraints(model, "end", required=False),
        models.CheckConstraint(
            condition=Q(start_lower__isnull=True)
            | Q(end_upper__isnull=True)
            | Q(end_upper__gte=models.F("start_lower")),
            name=f"{model}_end_not_before_start",
            violation_error_message=f"The {what} ends before it starts.",
        ),
    ]


class Position(Claim):
    """A post an official held, in a state's government or in an organisation."""

    # PROTECT: positions are cited facts; delete them explicitly, not as a side effect.
    official = models.ForeignKey(Official, on_delete=models.PROTECT, related_name="positions")
    title = models.CharField(
        max_length=200, help_text="As used at the time: 'Deputy Prime Minister', 'Vice Governor'."
    )
    country = models.ForeignKey(
        Country,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="positions",
        help_text="The state whose government the post belongs to.",
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="positions",
        help_text="The organisation the post belongs to (a ministry, a central bank...).",
    )
    start = FuzzyDateField("from", blank=True, help_text="When the post was taken up, if known.")
    start_lower, start_upper, start_precision = FuzzyDateField.companions("start")
    end = FuzzyDateField("to", blank=True, help_text="When it ended; blank while still held.")
    end_lower, end_upper, end_precision = FuzzyDateField.companions("end")

    objects = ClaimQuerySet.as_manager()
    history = HistoricalRecords()
    date_field = "start"

    class Meta:
        ordering = ["official__name", "start_lower", "id"]
        permissions = [("publish_position", "Can publish positions")]
        constraints = [
            *tenure_constraints("position", "post"),
            models.CheckConstraint(
                condition=Q(country__isnull=False) | Q(organisation__isnull=False),
                name="position_held_somewhere",
                violation_error_message="A post is held in a country's government or an "
                "organisation: give at least one.",
            ),
        ]

    def __str__(self) -> str:
        where = self.organisation or self.country
        return (
            f"{self.official}, {self.title} ({where})"
            if where
            else f"{self.official}, {self.title}"
        )

    @property
    def held(self) -> str:
        """The period in words: 'May 2007 – 2010', 'since 2007', 'until 2009', ''."""
        start = parse_fuzzy_date(self.start) if self.start else None
        end = parse_fuzzy_date(self.end) if self.end else None
        if start and end:
            return f"{start} – {end}"
        if start:
            return f"since {start}"
        return f"until {end}" if end else ""


def validate_currency(code: str) -> None:
    """An ISO 4217 code that exists (pycountry keeps the list)."""
    if code and pycountry.currencies.get(alpha_3=code) is None:
        raise ValidationError(f"“{code}” is not an ISO 4217 currency code (e.g. USD, EUR, IRR).")


class Agreement(Claim):
    """A loan, memorandum, treaty or contract between countries and/or organisations."""

    class Kind(models.TextChoices):
        LOAN = "loan", "loan"
        MOU = "mou", "memorandum of understanding"
        TREATY = "treaty", "treaty"
        CONTRACT = "contract", "contract"
        DECLARATION = "declaration", "joint declaration"
        PROGRAMME = "programme", "cooperation programme"
        OTHER = "other", "other"

    class Stage(models.TextChoices):
        PROPOSED = "proposed", "proposed"
        AGREED = "agreed", "agreed in principle"
        SIGNED = "signed", "signed"
        IN_FORCE = "in-force", "in force"
        SUSPENDED = "suspended", "suspended"
        EXPIRED = "expired", "expired"
        CANCELLED = "cancelled", "cancelled"

    title = models.CharField(max_length=300)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER)
    stage = models.CharField(
        max_length=20,
        choices=Stage.choices,
        default=Stage.SIGNED,
        help_text="Where the agreement itself stands (not whether this record is published).",
    )
    purpose = models.TextField(blank=True, help_text="What it is for, in our own words.")
    date = FuzzyDateField("signed", blank=True, help_text="When it was signed or agreed.")
    date_lower, date_upper, date_precision = FuzzyDateField.companions("date")
    value_amount = models.DecimalField(
        "value",
        max_digits=18,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Monetary value, if any, in the currency below (212000000 for $212m).",
    )
    value_currency = models.CharField(
        "currency",
        max_length=3,
        blank=True,
        validators=[validate_currency],
        help_text="ISO 4217 code, e.g. USD, EUR, IRR.",
    )
    countries = models.ManyToManyField(
        Country, blank=True, related_name="agreements", help_text="States that are parties."
    )
    organisations = models.ManyToManyField(
        Organisation,
        blank=True,
        related_name="agreements",
        help_text="Organisations that are parties (a lender, a borrower, a company...).",
    )
    domains = models.ManyToManyField(Domain, blank=True, related_name="agreements")
    concerns = concerns_field()
    according_to, according_to_official = according_to_fields()

    objects = ClaimQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[countries, organisations, domains, concerns])

    class Meta:
        ordering = ["date_lower", "date_upper", "id"]
        permissions = [("publish_agreement", "Can publish agreements")]
        constraints = [
            *fuzzy_date_constraints("agreement", "date", required=False),
            models.CheckConstraint(
                condition=Q(value_amount__isnull=True) | Q(value_amount__gt=0),
                name="agreement_value_positive",
                violation_error_message="An agreement's value must be positive.",
            ),
            models.CheckConstraint(
                condition=(Q(value_amount__isnull=True) & Q(value_currency=""))
                | Q(
                    Exact(Length("value_currency"), 3),
                    value_amount__isnull=False,
                    value_currency=Upper("value_currency"),
                ),
                name="agreement_value_has_currency",
                violation_error_message="A value needs its ISO 4217 currency code, and a "
                "currency needs a value.",
            ),
        ]
        indexes = [
            models.Index(fields=["kind"], name="agreement_kind_idx"),
            models.Index(fields=["status", "date_lower"], name="agreement_status_date_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("agreement", args=[self.slug])


class EventQuerySet(ClaimQuerySet):
    def involving(self, *countries: Country | str) -> EventQuerySet:
        """Events in which every one of the given countries (objects or ISO codes) took part."""
        queryset = self
        for country in countries:
            if isinstance(country, str):
                queryset = queryset.filter(countries__code=country.upper())
            else:
                queryset = queryset.filter(countries=country)
        return queryset

    def in_domains(self, *domains: Domain | str) -> EventQuerySet:
        """Events in any of the given domains (objects or slugs), each event once."""
        slugs = [d if isinstance(d, str) else d.slug for d in domains]
        return self.filter(
            id__in=Event.domains.through.objects.filter(domain__slug__in=slugs).values("event_id")
        )


class Event(Claim):
    """Something that happened between states: a meeting, a visit, a vote, a declaration."""

    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True, help_text="What happened, in our own words.")
    date = FuzzyDateField(help_text="When it happened, at whatever precision the sources give.")
    date_lower, date_upper, date_precision = FuzzyDateField.companions("date")
    place = models.CharField(max_length=200, blank=True, help_text="City or venue, e.g. 'Minsk'.")
    domains = models.ManyToManyField(Domain, related_name="events")
    countries = models.ManyToManyField(
        Country, blank=True, related_name="events", help_text="States that took part."
    )
    organisations = models.ManyToManyField(
        Organisation, blank=True, related_name="events", help_text="Organisations that took part."
    )
    officials = models.ManyToManyField(
        Official, blank=True, related_name="events", help_text="Officials who took part."
    )
    agreements = models.ManyToManyField(
        Agreement,
        blank=True,
        related_name="events",
        help_text="Agreements negotiated, signed, announced or discussed at this event. A "
        "dossier tells an agreement and the event of its signing or announcement as one item.",
    )
    concerns = concerns_field()
    according_to, according_to_official = according_to_fields()

    objects = EventQuerySet.as_manager()
    history = HistoricalRecords(
        m2m_fields=[domains, countries, organisations, officials, agreements, concerns]
    )

    class Meta:
        ordering = ["date_lower", "date_upper", "id"]
        permissions = [("publish_event", "Can publish events")]
        constraints = fuzzy_date_constraints("event", "date", required=True)
        indexes = [
            # Interval overlap (date_lower <= :to AND date_upper >= :from) and the admin's
            # chronological ordering, which ends in id to be total.
            models.Index(fields=["date_lower", "date_upper", "id"], name="event_date_bounds_idx"),
            # The public timeline: published events in date order, keyset on (date_lower, id).
            models.Index(
                fields=["date_lower", "id"],
                condition=Q(status="published"),
                name="event_published_date_idx",
            ),
            models.Index(fields=["status"], name="event_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.date}: {self.title}" if self.date else self.title

    def get_absolute_url(self) -> str:
        return reverse("event", args=[self.slug])

    @property
    def fuzzy_date(self) -> FuzzyDate:
        return parse_fuzzy_date(self.date)

    def possible_duplicates(self, limit: int = 20) -> list[Event]:
        """Other events with the same countries whose dates overlap this one's. Open-sided
        dates match nothing, on either side: "by 2010" or "in recent years" overlaps every
        event before it, a bound or a trend, not a twin."""
        if self.date_lower in (None, OPEN_LOWER) or self.date_upper == OPEN_UPPER:
            return []
        codes = set(self.countries.values_list("code", flat=True))
        if not codes:
            return []
        candidates = (
            Event.objects.exclude(pk=self.pk)
            # Open-sided dates ("until 2010", "by 2005", "after May 2009", "in recent years")
            # overlap nearly everything: they are trends or bounds, not twins.
            .exclude(date_lower=OPEN_LOWER)
            .exclude(date_upper=OPEN_UPPER)
            .between(self.date_lower, self.date_upper)
            .involving(*codes)
            .prefetch_related("countries")
            .order_by("date_lower", "id")[:limit]
        )
        return [e for e in candidates if {c.code for c in e.countries.all()} == codes]


class Statement(Claim):
    """Words someone said or published: quoted verbatim (in one or more fragments) or
    paraphrased as the source reports them."""

    class Form(models.TextChoices):
        QUOTE = "quote", "verbatim quote"
        PARAPHRASE = "paraphrase", "paraphrase"

    form = models.CharField(
        max_length=10,
        choices=Form.choices,
        default=Form.QUOTE,
        help_text="A quote is shown in quotation marks; a paraphrase without ('Lukashenko "
        "added that …').",
    )
    quote = models.TextField(
        "words",
        help_text="A quote verbatim, without the quotation marks, one fragment per line when "
        "the source quotes it in pieces; a paraphrase as the source reports it ('this desire "
        "… is part of a move away from …').",
    )
    verb = models.CharField(
        "reporting verb",
        max_length=40,
        default="said",
        help_text="How the source reports it: 'said', 'added', 'stated', 'announced'. A "
        "paraphrase reads '<speaker> <verb> that <words>'.",
    )
    # PROTECT: a quote without its speaker is worthless; keep the person while they are quoted.
    speaker = models.ForeignKey(
        Official,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="statements",
        help_text="Who said it.",
    )
    speaker_organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="statements",
        help_text="The body that issued it (a press release), or the speaker's organisation.",
    )
    context = models.CharField(
        max_length=300,
        blank=True,
        help_text="Where and how it was said, e.g. 'in a press release', 'at a joint press "
        "conference in Tehran'.",
    )
    date = FuzzyDateField(blank=True, help_text="When it was said, if known.")
    date_lower, date_upper, date_precision = FuzzyDateField.companions("date")
    # PROTECT: deleting an event must not delete the words said there, nor (SET_NULL) leave
    # a joint statement with no one who said it. Move or delete the statements first.
    event = models.ForeignKey(
        "Event",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="statements",
        help_text="The event at which (or, for a press release, about which) it was said, if "
        "any: a dossier shows it inside that event's item.",
    )
    countries = models.ManyToManyField(
        Country, blank=True, related_name="statements", help_text="The states it is about."
    )
    domains = models.ManyToManyField(Domain, blank=True, related_name="statements")
    concerns = concerns_field()
    language = models.CharField(
        max_length=16, default="en", help_text="Language of the quote as given (BCP 47)."
    )

    objects = ClaimQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[countries, domains, concerns])

    class Meta:
        ordering = ["date_lower", "date_upper", "id"]
        permissions = [("publish_statement", "Can publish statements")]
        constraints = [
            *fuzzy_date_constraints("statement", "date", required=False),
            models.CheckConstraint(
                condition=Q(speaker__isnull=False)
                | Q(speaker_organisation__isnull=False)
                | Q(event__isnull=False),
                name="statement_has_speaker",
                violation_error_message="A statement needs a speaker, an issuing organisation, or "
                "the event at which its parties made it jointly.",
            ),
            models.CheckConstraint(
                condition=~Q(quote=""),
                name="statement_quote_not_empty",
                violation_error_message="A statement needs its words.",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "date_lower"], name="statement_status_date_idx"),
        ]

    def __str__(self) -> str:
        who = self.speaker or self.speaker_organisation
        words = " … ".join(self.fragments)
        words = words if len(words) <= 60 else words[:59] + "…"
        if self.form == self.Form.PARAPHRASE:
            return f"{who} {self.verb} that {words}"
        return f"{who}: “{words}”"

    @property
    def fragments(self) -> list[str]:
        """The quoted pieces, in order (one per line of ``quote``)."""
        return [line.strip() for line in self.quote.splitlines() if line.strip()]

    def slug_text(self) -> str:
        return f"{self.date} {self.speaker or self.speaker_organisation} {self.quote[:60]}"
