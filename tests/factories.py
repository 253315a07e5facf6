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


class ClaimFactory(DjangoModelFactory):
    status = Status.PUBLISHED

    class Meta:
        abstract = True


class EventFactory(ClaimFactory):
    class Meta:
        model = Event
        skip_postgeneration_save = True

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


class CitationFactory(DjangoModelFactory):
    class Meta:
        model = Citation

    source = factory.SubFactory(SourceFactory)
    locator = factory.Sequence(lambda n: f"p. {n}")
