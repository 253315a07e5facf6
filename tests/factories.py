"""factory_boy factories that keep related objects consistent (valid by default)."""

import factory
from django.db import transaction
from factory.django import DjangoModelFactory

from relations.models import (
    Agreement,
    Citation,
    Country,
    Domain,
    Event,
    Membership,
    Official,
    Organisation,
    Position,
    Relationship,
    Statement,
    Status,
)
from sources.models import Footnote, Source


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


class FootnoteFactory(DjangoModelFactory):
    class Meta:
        model = Footnote

    source = factory.SubFactory(SourceFactory)
    locator = factory.Sequence(lambda n: f"p. {n}")


class CitationFactory(DjangoModelFactory):
    """A claim's citation of a footnote. ``source=``, ``locator=`` and ``excerpt=`` name the
    footnote: the same source and locator give the same footnote record, as in the product
    (one footnote backs every claim linked to it)."""

    class Meta:
        model = Citation

    footnote = None
    # No source is made when a footnote is given.
    source = factory.Maybe("footnote", None, factory.SubFactory(SourceFactory))
    locator = factory.Sequence(lambda n: f"p. {n}")
    excerpt = ""

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        if kwargs.get("footnote") is None:
            source, locator = kwargs.pop("source"), kwargs.pop("locator")
            excerpt = kwargs.pop("excerpt")
            footnote, _ = Footnote.objects.get_or_create(
                source=source, locator=locator, defaults={"excerpt": excerpt}
            )
            if excerpt and not footnote.excerpt:
                footnote.excerpt = excerpt
                footnote.save(update_fields=["excerpt"])
            kwargs["footnote"] = footnote
        else:
            for name in ("source", "locator", "excerpt"):
                kwargs.pop(name, None)
        return super()._create(model_class, *args, **kwargs)


class ClaimFactory(DjangoModelFactory):
    """Claims are published by default, and a published claim is cited (the product refuses
    one without a citation): ``citations=2`` gives two, ``citations__locator="note 7"`` sets
    the citation's fields, and ``citations=0`` leaves a claim uncited (a draft's normal state;
    for a published one, only to test the refusal)."""

    status = Status.PUBLISHED

    class Meta:
        abstract = True
        skip_postgeneration_save = True

    @classmethod
    def _generate(cls, strategy, params):
        # A claim and its citations in one transaction, as the admin saves them: PostgreSQL
        # checks "a published claim is cited" at commit (relations.models.cited), which in
        # autocommit (transactional tests, live servers) would otherwise come between them.
        if strategy != factory.CREATE_STRATEGY:
            return super()._generate(strategy, params)
        with transaction.atomic():
            return super()._generate(strategy, params)

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


class MembershipFactory(ClaimFactory):
    class Meta:
        model = Membership

    member_country = factory.LazyFunction(lambda: country("BY"))
    organisation = factory.SubFactory(OrganisationFactory, kind=Organisation.Kind.INTERGOVERNMENTAL)


def relationship(first: str, second: str) -> Relationship:
    """The relationship of two countries (ISO codes), made if need be."""
    a, b = sorted((country(first), country(second)), key=lambda c: c.code)
    return Relationship.objects.get_or_create(first=a, second=b)[0]
