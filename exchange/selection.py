"""Which records an export holds: the whole knowledge base, a slice of it, or a selection.

A slice (``--relation by-ir``, ``--country``, ``--domain``, ``--from/--to``, ``--events``;
combined with AND) is a dossier's worth of data:

1. the events that match; the agreements and statements that match directly (not with
   ``--events``, which names events only), and the statements made at the matching events;
2. the officials who took part or spoke, and their positions;
3. then everything those records refer to, so the file loads into an empty database: the events
   statements were made at, the agreements events link to, organisations (and their parents),
   countries, domains, the citations of every claim included, and the sources they cite.

A selection (the admin's "export selected") is step 3 alone, from the records picked.

Without ``include_drafts`` an export is public: it holds what a reader may see, as
``relations.visibility`` decides it for every public surface (this module looks at no status):
a reference to a claim a reader may not see is left out (a link from an event to a draft
agreement; the draft event a statement was made at, see :mod:`exchange.export`), and a joint
statement at a draft event is not exported at all. Entities (countries, organisations...) are
reference records; the whole-KB export holds all of them, a slice those it refers to. With
``include_drafts`` (a private export, for another install's editors) everything is exported.

Every set is a lazy queryset (subqueries): nothing is materialised except the organisations'
ancestors, a walk over a small table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, models
from django.db.models import Q

from core.dates import parse_fuzzy_date
from exchange.spec import SPECS, ModelSpec
from relations import visibility
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
)
from sources.models import Source

Querysets = dict[ModelSpec, models.QuerySet]


class SelectionError(ValueError):
    """An option names something that does not exist or cannot be read."""


@dataclass
class Selection:
    relation: tuple[str, str] | None = None  # two ISO codes
    country: str | None = None
    domain: str | None = None
    lower: str | None = None  # fuzzy date text, read at its precision ("2007" = all of 2007)
    upper: str | None = None
    events: Sequence[int] | None = None
    include_drafts: bool = False
    # The admin's selection: records picked per model; when set, the filters above are unused.
    roots: dict[type[models.Model], models.QuerySet] = field(default_factory=dict)

    @classmethod
    def from_options(
        cls,
        *,
        relation: str | None = None,
        country: str | None = None,
        domain: str | None = None,
        lower: str | None = None,
        upper: str | None = None,
        events: str | None = None,
        include_drafts: bool = False,
    ) -> Selection:
        """Read the command line's text options ("by-ir", "2007", "1,2,3")."""
        pair = None
        if relation:
            codes = relation.upper().split("-")
            if len(codes) != 2 or not all(codes) or codes[0] == codes[1]:
                raise SelectionError(
                    f"--relation takes two different country codes joined by '-', e.g. 'by-ir', "
                    f"not {relation!r}."
                )
            pair = (codes[0], codes[1])
        ids = None
        if events is not None:
            try:
                ids = sorted({int(part) for part in events.split(",") if part.strip()})
            except ValueError:
                raise SelectionError(
                    f"--events takes event ids separated by commas, e.g. '1,2,3', not {events!r}."
                ) from None
        for name, text in (("--from", lower), ("--to", upper)):
            if text:
                try:
                    parse_fuzzy_date(text)
                except ValidationError as error:
                    raise SelectionError(f"{name}: {error.messages[0]}") from None
        return cls(
            relation=pair,
            country=country.upper() if country else None,
            domain=domain,
            lower=lower or None,
            upper=upper or None,
            events=ids,
            include_drafts=include_drafts,
        )

    @property
    def is_whole(self) -> bool:
        return (
            not self.roots
            and not any((self.relation, self.country, self.domain, self.lower, self.upper))
            and self.events is None
        )

    def describe(self) -> str:
        if self.roots:
            return "selection"
        parts = []
        if self.relation:
            parts.append(f"relation {'-'.join(self.relation).lower()}")
        if self.country:
            parts.append(f"country {self.country}")
        if self.domain:
            parts.append(f"domain {self.domain}")
        if self.lower or self.upper:
            parts.append(f"dates {self.lower or '…'} to {self.upper or '…'}")
        if self.events is not None:
            parts.append(f"{len(self.events)} event id(s)")
        scope = ", ".join(parts) or "whole knowledge base"
        return scope + (", drafts included" if self.include_drafts else ", published only")

    # --- Building the querysets
    def querysets(self, using: str = DEFAULT_DB_ALIAS) -> Querysets:
        """Every exchanged model's records to export (unordered)."""
        builder = _Builder(self, using)
        return builder.whole() if self.is_whole else builder.closure()


class _Builder:
    def __init__(self, selection: Selection, using: str) -> None:
        self.s = selection
        self.using = using

    def all(self, model: type[models.Model]) -> models.QuerySet:
        return model._default_manager.using(self.using).all()

    def visible(self, model: type[models.Model]) -> models.QuerySet:
        """The claims of ``model`` the export may hold: all of them in a private export, else
        those a reader may see (conditions on joins, not subqueries: an IN over a million ids
        is not hashed in PostgreSQL's default work_mem)."""
        if self.s.include_drafts:
            return self.all(model)
        return visibility.claims(model).using(self.using)

    def statements(self, condition: Q) -> models.QuerySet:
        return self.visible(Statement).filter(condition)

    def citations(self, claims: dict[str, models.QuerySet]) -> models.QuerySet:
        condition = Q(pk__in=[])
        for name, queryset in claims.items():
            condition |= Q(**{f"{name}__in": queryset.values("pk")})
        return self.all(Citation).filter(condition)

    def whole(self) -> Querysets:
        by_model = {
            Source: self.all(Source),
            Country: self.all(Country),
            Domain: self.all(Domain),
            Organisation: self.all(Organisation),
            Official: self.all(Official),
            Position: self.visible(Position),
            Agreement: self.visible(Agreement),
            Event: self.visible(Event),
            Statement: self.statements(Q()),
            Citation: self.citations_visible(),
        }
        return {spec: by_model[spec.model] for spec in SPECS}

    def citations_visible(self) -> models.QuerySet:
        """Every citation the export may hold: those of the claims it may hold."""
        if self.s.include_drafts:
            return self.all(Citation)
        return visibility.citations().using(self.using)

    # --- Slices and selections
    def lookup(self, model: type[models.Model], key: str, value: str) -> int:
        found = self.all(model).filter(**{key: value}).values_list("pk", flat=True).first()
        if found is None:
            raise SelectionError(f"No {model._meta.verbose_name} {value!r} in the database.")
        return found

    def _dated(self, queryset: models.QuerySet) -> models.QuerySet:
        if self.s.lower or self.s.upper:
            return queryset.between(self.s.lower, self.s.upper)
        return queryset

    def _roots(self, model: type[models.Model]) -> models.QuerySet:
        chosen = self.s.roots.get(model)
        return self.all(model).none() if chosen is None else chosen.using(self.using)

    def seeds(self) -> tuple[models.QuerySet, models.QuerySet, models.QuerySet]:
        """(events, agreements, statements) a slice starts from."""
        s = self.s
        countries = [self.lookup(Country, "code", code) for code in s.relation or ()]
        if s.country:
            countries.append(self.lookup(Country, "code", s.country))
        domain = self.lookup(Domain, "slug", s.domain) if s.domain else None

        events = self._dated(self.visible(Event))
        for country in countries:
            events = events.linked("countries", country)
        if domain is not None:
            events = events.linked("domains", domain)
        if s.events is not None:
            events = events.filter(pk__in=list(s.events))

        def direct(model: type[models.Model]) -> models.QuerySet:
            queryset = self._dated(self.visible(model))
            for country in countries:
                queryset = queryset.linked("countries", country)
            return queryset.linked("domains", domain) if domain is not None else queryset

        if s.events is not None:  # named events, and what hangs on them
            agreements, statements = self.all(Agreement).none(), self.all(Statement).none()
        else:
            agreements, statements = direct(Agreement), direct(Statement)
        statements = self.statements(
            Q(pk__in=statements.values("pk")) | Q(event__in=events.values("pk"))
        )
        return events, agreements, statements

    def closure(self) -> Querysets:
        slicing = not self.s.roots
        if slicing:
            events, agreements, statements = self.seeds()
            positions = self.all(Position).none()
            officials = self.all(Official).none()
        else:
            cited = self._roots(Citation)
            events = self.visible(Event).filter(
                Q(pk__in=self._roots(Event).values("pk")) | Q(pk__in=cited.values("event"))
            )
            agreements = self.visible(Agreement).filter(
                Q(pk__in=self._roots(Agreement).values("pk")) | Q(pk__in=cited.values("agreement"))
            )
            statements = self.statements(
                Q(pk__in=self._roots(Statement).values("pk")) | Q(pk__in=cited.values("statement"))
            )
            positions = self.visible(Position).filter(
                Q(pk__in=self._roots(Position).values("pk")) | Q(pk__in=cited.values("position"))
            )
            officials = self._roots(Official)

        # What claims refer to: the event a statement was made at, the agreements of events.
        events = self.visible(Event).filter(
            Q(pk__in=events.values("pk")) | Q(pk__in=statements.values("event"))
        )
        event_links = Event.agreements.through.objects.using(self.using)
        agreements = self.visible(Agreement).filter(
            Q(pk__in=agreements.values("pk"))
            | Q(pk__in=event_links.filter(event__in=events.values("pk")).values("agreement"))
        )
        took_part = Event.officials.through.objects.using(self.using).filter(
            event__in=events.values("pk")
        )
        officials = self.all(Official).filter(
            Q(pk__in=officials.values("pk"))
            | Q(pk__in=took_part.values("official"))
            | Q(pk__in=statements.values("speaker"))
            | Q(pk__in=positions.values("official"))
        )
        if slicing:  # a dossier shows the posts of everyone in it
            positions = self.visible(Position).filter(official__in=officials.values("pk"))

        claims = {
            "position": positions,
            "agreement": agreements,
            "event": events,
            "statement": statements,
        }
        organisations = self.organisations(claims, self._roots(Organisation))
        countries = self.all(Country).filter(
            Q(pk__in=self._roots(Country).values("pk"))
            | self.linked(claims, "countries", "country")
            | Q(pk__in=organisations.values("country"))
            | Q(pk__in=officials.values("country"))
            | Q(pk__in=positions.values("country"))
        )
        domains = self.all(Domain).filter(
            Q(pk__in=self._roots(Domain).values("pk")) | self.linked(claims, "domains", "domain")
        )
        citations = self.citations(claims)
        sources = self.all(Source).filter(
            Q(pk__in=self._roots(Source).values("pk")) | Q(pk__in=citations.values("source"))
        )
        by_model = {
            Source: sources,
            Country: countries,
            Domain: domains,
            Organisation: organisations,
            Official: officials,
            Position: positions,
            Agreement: agreements,
            Event: events,
            Statement: statements,
            Citation: citations,
        }
        return {spec: by_model[spec.model] for spec in SPECS}

    def linked(self, claims: dict[str, models.QuerySet], field_name: str, target: str) -> Q:
        """Targets of the claims' many-to-many ``field_name`` (countries, domains...)."""
        condition = Q(pk__in=[])
        for queryset in claims.values():
            model = queryset.model
            if not any(f.name == field_name for f in model._meta.local_many_to_many):
                continue
            m2m = model._meta.get_field(field_name)
            links = m2m.remote_field.through.objects.using(self.using).filter(
                **{f"{m2m.m2m_field_name()}__in": queryset.values("pk")}
            )
            condition |= Q(pk__in=links.values(m2m.m2m_reverse_field_name()))
        return condition

    def organisations(
        self, claims: dict[str, models.QuerySet], chosen: models.QuerySet
    ) -> models.QuerySet:
        """Organisations the claims name, and every body they are part of."""
        condition = (
            Q(pk__in=chosen.values("pk"))
            | self.linked(claims, "organisations", "organisation")
            | Q(pk__in=claims["statement"].values("speaker_organisation"))
            | Q(pk__in=claims["position"].values("organisation"))
        )
        found = set(self.all(Organisation).filter(condition).values_list("pk", flat=True))
        frontier = found
        while frontier:  # a parent chain is a few levels at most; the table is small
            parents = set(
                self.all(Organisation)
                .filter(pk__in=list(frontier), parent__isnull=False)
                .values_list("parent", flat=True)
            )
            frontier = parents - found
            found |= frontier
        return self.all(Organisation).filter(pk__in=sorted(found))
