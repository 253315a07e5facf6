"""factory_boy factories that keep related objects consistent (valid by default)."""

import factory
from factory.django import DjangoModelFactory

from relations.models import (
    Agreement,
    Citation,
    Country,
    Domain,
    Event,
    Official,
    Organisation,
    Position,
    Statement,
    Status,
)
from sources.models import Source


def country(code: str) -> Country:
    """Countries come from the data migration; tests look them up, never create them."""
    return Country.objects.get(code=code)


def domain(slug: str) -> Domain:
    return Domain.objects.get(slug=slug)


class SourceFactory(DjangoModelFactory):
    class Meta:
        model = Source

    slug = factory.Sequence(lambda n: f"source-{n}")
    title = factory.Sequence(lambda n: f"Report number {n}")
    outlet = "Example Wire"
    published = "2010"


class DomainFactory(DjangoModelFactory):
    class Meta:
        model = Domain

    slug = factory.Sequence(lambda n: f"domain-{n}")
    name = factory.Sequence(lambda n: f"Domain {n}")


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = Organisation

    slug = factory.Sequence(lambda n: f"organisation-{n}")
    name = factory.Sequence(lambda n: f"Organisation {n}")
    kind = Organisation.Kind.GOVERNMENT


class OfficialFactory(DjangoModelFactory):
    class Meta:
        model = Official

    slug = factory.Sequence(lambda n: f"official-{n}")
    name = factory.Sequence(lambda n: f"Official {n}")


class CitationFactory(DjangoModelFactory):
    class Meta:
        model = Citation

    source = factory.SubFactory(SourceFactory)
    locator = factory.Sequence(lambda n: f"p. {n}")


class ClaimFactory(DjangoModelFactory):
    """Claims are published by default, and a published claim is cited (the product refuses
    one without a citation): ``citations=2`` gives two, ``citations__locator="note 7"`` sets
    the citation's fields, and ``citations=0`` leaves a claim uncited (a draft's normal state;
    for a published one, only to test the refusal)."""

    status = Status.PUBLISHED

    class Meta:
        abstract = True
        skip_postgeneration_save = True

    @factory.post_generation
    def citations(self, create, extracted, **kwargs):
        if not create:
            return
        count = extracted if extracted is not None else int(self.status == Status.PUBLISHED)
        for _ in range(count):
            CitationFactory(**{self._meta.model_name: self}, **kwargs)


class EventFactory(ClaimFactory):
    class Meta:
        model = Event

    title = factory.Sequence(lambda n: f"Event {n}")
    date = "May 2007"

    @factory.post_generation
    def countries(self, create, extracted, **kwargs):
        if create and extracted:
            self.countries.set([country(c) if isinstance(c, str) else c for c in extracted])

    @factory.post_generation
    def domains(self, create, extracted, **kwargs):
        if create:
            self.domains.set(
                [domain(d) if isinstance(d, str) else d for d in extracted or ["economic"]]
            )


class AgreementFactory(ClaimFactory):
    class Meta:
        model = Agreement

    title = factory.Sequence(lambda n: f"Agreement {n}")
    kind = Agreement.Kind.MOU


class StatementFactory(ClaimFactory):
    class Meta:
        model = Statement

    quote = "Relations are excellent."
    speaker = factory.SubFactory(OfficialFactory)


class PositionFactory(ClaimFactory):
    class Meta:
        model = Position

    official = factory.SubFactory(OfficialFactory)
    title = "Foreign Minister"
    country = factory.LazyFunction(lambda: country("BY"))
