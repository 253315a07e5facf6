"""Which records an export holds: the whole knowledge base, a slice of it, or a selection.

A slice (``--relation by-ir``, ``--country``, ``--domain``, ``--from/--to``, ``--events``;
combined with AND) is a dossier's worth of data:

1. the events that match; the agreements and statements that match directly (not with
   ``--events``, which names events only), and the statements made at the matching events. A
   claim is of a pair (``--relation``) when both states took part in it (or are its parties,
   or what it is about) or when it *concerns* the pair's relationship; of a country
   (``--country``) when the state took part or it concerns one of the state's relationships;
2. the officials who took part, spoke or are quoted as the authority ("according to"), and
   their posts; the memberships of the states and bodies that took part;
3. then everything those records refer to, so the file loads into an empty database: the events
   statements were made at, the agreements events link to, organisations (and their parents),
   countries, domains, the relationships the claims concern (and the pair's own, which holds
   its dossier's settings) with the domains its sections name, the citations of every claim
   included, the footnotes they cite and those footnotes' sources.

A selection (the admin's "export selected") is step 3 alone, from the records picked.

Without ``include_drafts`` an export is public: it holds what a reader may see, as
``relations.visibility`` decides it for every public surface (this module looks at no status):
a reference to a claim a reader may not see is left out (a link from an event to a draft
agreement; the draft event a statement was made at, see :mod:`exchange.export`), and a joint
statement at a draft event is not exported at all, and a footnote only when a claim it holds
cites it (``visibility.footnotes``: a draft's notes are part of the draft). Entities (countries,
organisations, relationships...) are reference records; the whole-KB export holds all of them, a
slice those it refers to. With ``include_drafts`` (a private export, for another install's
editors) everything is exported.

Every set is a lazy queryset (subqueries): nothing is materialised except the organisations'
ancestors, a walk over a small table (and, on SQLite only, the claims a slice is built on: its
parser has a fixed depth, see ``settled``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import Exists, OuterRef, Q
from django.db.models.expressions import RawSQL

from core.dates import parse_fuzzy_date
from exchange.spec import SPECS, ModelSpec
from relations import visibility
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
)
from sources.models import Footnote, Source

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
            Footnote: self.footnotes_visible(),
            Country: self.all(Country),
            Domain: self.all(Domain),
            Relationship: self.all(Relationship),
            Organisation: self.all(Organisation),
            Official: self.all(Official),
            Position: self.visible(Position),
            Membership: self.visible(Membership),
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

    def footnotes_visible(self) -> models.QuerySet:
        """Every footnote the export may hold: those a claim it may hold cites."""
        if self.s.include_drafts:
            return self.all(Footnote)
        return visibility.footnotes().using(self.using)

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

    def _via(self, model: type[models.Model], field_name: str, targets) -> Q:
        """Records of ``model`` whose many-to-many ``field_name`` includes any of ``targets``
        (ids, or a queryset of them): a subquery on the link table alone."""
        m2m = model._meta.get_field(field_name)
        links = m2m.remote_field.through.objects.using(self.using)
        links = links.filter(**{f"{m2m.m2m_reverse_name()}__in": targets})
        return Q(pk__in=links.values(m2m.m2m_column_name()))

    @cached_property
    def pair(self) -> tuple[list[int], int | None]:
        """The ids of the ``--relation`` countries, and of their relationship if it has one."""
        pair = [self.lookup(Country, "code", code) for code in self.s.relation or ()]
        relationship = None
        if pair:
            slug = "-".join(sorted(code.lower() for code in self.s.relation))
            relationship = self.all(Relationship).filter(slug=slug).values_list("pk", flat=True)
            relationship = relationship.first()
        return pair, relationship

    def about(self, model: type[models.Model], pair: list[int], relationship: int | None) -> Q:
        """The claims of ``model`` that belong to the slice's pair and country (see above)."""
        condition = Q()
        if pair:
            both = self._via(model, "countries", [pair[0]]) & self._via(
                model, "countries", [pair[1]]
            )
            if relationship is not None:
                both |= self._via(model, "concerns", [relationship])
            condition &= both
        if self.s.country:
            country = self.lookup(Country, "code", self.s.country)
            its = self.all(Relationship).filter(Q(first=country) | Q(second=country))
            condition &= self._via(model, "countries", [country]) | self._via(
                model, "concerns", its.values("pk")
            )
        return condition

    def seeds(self) -> tuple[models.QuerySet, models.QuerySet, models.QuerySet]:
        """(events, agreements, statements) a slice starts from."""
        s = self.s
        pair, relationship = self.pair
        domain = self.lookup(Domain, "slug", s.domain) if s.domain else None

        def matching(model: type[models.Model]) -> models.QuerySet:
            queryset = self._dated(self.visible(model)).filter(
                self.about(model, pair, relationship)
            )
            return queryset.linked("domains", domain) if domain is not None else queryset

        events = matching(Event)
        if s.events is not None:  # named events, and what hangs on them
            events = events.filter(pk__in=list(s.events))
            agreements, statements = self.all(Agreement).none(), self.all(Statement).none()
        else:
            agreements, statements = matching(Agreement), matching(Statement)
        events = self.settled(events)
        statements = self.statements(
            Q(pk__in=statements.values("pk")) | Q(event__in=events.values("pk"))
        )
        return events, self.settled(agreements), self.settled(statements)

    def closure(self) -> Querysets:
        slicing = not self.s.roots
        if slicing:
            events, agreements, statements = self.seeds()
            positions = self.all(Position).none()
            memberships = self.all(Membership).none()
            officials = self.all(Official).none()
            relationship = self.pair[1]  # the pair's dossier settings come with its data
            chosen = self.all(Relationship).filter(
                pk__in=[] if relationship is None else [relationship]
            )
        else:
            cited = self._roots(Citation)

            def picked(model: type[models.Model], kind: str) -> models.QuerySet:
                return self.visible(model).filter(
                    Q(pk__in=self._roots(model).values("pk")) | Q(pk__in=cited.values(kind))
                )

            events, agreements = picked(Event, "event"), picked(Agreement, "agreement")
            statements = self.statements(
                Q(pk__in=self._roots(Statement).values("pk")) | Q(pk__in=cited.values("statement"))
            )
            positions, memberships = picked(Position, "position"), picked(Membership, "membership")
            officials = self._roots(Official)
            chosen = self._roots(Relationship)

        # What claims refer to: the event a statement was made at, the agreements of events.
        events = self.visible(Event).filter(
            Q(pk__in=events.values("pk")) | Q(pk__in=statements.values("event"))
        )
        event_links = Event.agreements.through.objects.using(self.using)
        agreements = self.visible(Agreement).filter(
            Q(pk__in=agreements.values("pk"))
            | Q(pk__in=event_links.filter(event__in=events.values("pk")).values("agreement"))
        )
        told = {
            "agreement": self.settled(agreements),
            "event": self.settled(events),
            "statement": self.settled(statements),
        }
        agreements, events, statements = told["agreement"], told["event"], told["statement"]
        officials = self.all(Official).filter(
            Q(pk__in=officials.values("pk"))
            | self.linked(told, "officials")
            | Q(pk__in=statements.values("speaker"))
            | Q(pk__in=positions.values("official"))
            | Q(pk__in=events.values("according_to_official"))
            | Q(pk__in=agreements.values("according_to_official"))
        )
        if slicing:  # a dossier shows the posts of everyone in it, and their memberships
            officials = self.settled(officials)
            positions = self.settled(
                self.visible(Position).filter(official__in=officials.values("pk"))
            )
            memberships = self.settled(self.members(told))

        claims = {"position": positions, "membership": memberships, **told}
        relationships = self.all(Relationship).filter(
            Q(pk__in=chosen.values("pk")) | self.linked(told, "concerns")
        )
        organisations = self.organisations(claims, self._roots(Organisation))
        countries = self.all(Country).filter(
            Q(pk__in=self._roots(Country).values("pk"))
            | self.linked(claims, "countries")
            | Q(pk__in=organisations.values("country"))
            | Q(pk__in=organisations.values("location"))
            | Q(pk__in=officials.values("country"))
            | Q(pk__in=positions.values("country"))
            | Q(pk__in=memberships.values("member_country"))
            | Q(pk__in=relationships.values("first"))
            | Q(pk__in=relationships.values("second"))
        )
        domains = self.all(Domain).filter(
            Q(pk__in=self._roots(Domain).values("pk"))
            | self.linked(claims, "domains")
            | Q(slug__in=sectioned(relationships))
        )
        citations = self.citations(claims)
        footnotes = self.all(Footnote).filter(
            Q(pk__in=self.chosen_footnotes().values("pk")) | Q(pk__in=citations.values("footnote"))
        )
        sources = self.all(Source).filter(
            Q(pk__in=self._roots(Source).values("pk")) | Q(pk__in=footnotes.values("source"))
        )
        by_model = {
            Source: sources,
            Footnote: footnotes,
            Country: countries,
            Domain: domains,
            Relationship: relationships,
            Organisation: organisations,
            Official: officials,
            Position: positions,
            Membership: memberships,
            Agreement: agreements,
            Event: events,
            Statement: statements,
            Citation: citations,
        }
        return {spec: by_model[spec.model] for spec in SPECS}

    def settled(self, queryset: models.QuerySet) -> models.QuerySet:
        """Records the rest of a slice is built on (its claims, officials), read once into a list
        of ids. Left as subqueries, every set built on them embedded them again (a pair's
        countries were a plan of 358 subqueries: 22 s at 10^5 events, over ten minutes at
        10^6); SQLite's parser, besides, has a fixed depth the stacked subqueries would pass."""
        ids = list(queryset.values_list("pk", flat=True))
        return self.all(queryset.model).filter(among("pk", ids, self.using))

    def chosen_footnotes(self) -> models.QuerySet:
        """The footnotes picked themselves: in a public export, those a reader may see."""
        chosen = self._roots(Footnote)
        if self.s.include_drafts:
            return chosen
        return chosen.filter(Exists(visibility.citations().filter(footnote=OuterRef("pk"))))

    def members(self, claims: dict[str, models.QuerySet]) -> models.QuerySet:
        """The memberships of the states and bodies that take part in the claims."""
        states = self.all(Country).filter(self.linked(claims, "countries"))
        bodies = self.all(Organisation).filter(
            self.linked(claims, "organisations")
            | Q(pk__in=claims["statement"].values("speaker_organisation"))
        )
        return self.visible(Membership).filter(
            Q(member_country__in=states.values("pk"))
            | Q(member_organisation__in=bodies.values("pk"))
        )

    def linked(self, claims: dict[str, models.QuerySet], field_name: str) -> Q:
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
        """Organisations the claims name (as parties, speakers, authorities, employers, members
        or bodies joined), and every body they are part of."""
        condition = (
            Q(pk__in=chosen.values("pk"))
            | self.linked(claims, "organisations")
            | Q(pk__in=claims["statement"].values("speaker_organisation"))
            | Q(pk__in=claims["position"].values("organisation"))
            | Q(pk__in=claims["event"].values("according_to"))
            | Q(pk__in=claims["agreement"].values("according_to"))
            | Q(pk__in=claims["membership"].values("member_organisation"))
            | Q(pk__in=claims["membership"].values("organisation"))
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


def among(field: str, ids: list[int], using: str) -> Q:
    """``field IN ids`` as one array parameter on PostgreSQL: Django would bind (and psycopg
    parse) one parameter per id, most of the time of fetching 2,000 rows by id."""
    if connections[using].vendor == "postgresql":
        return Q(**{f"{field}__in": RawSQL("SELECT unnest(%s::bigint[])", [ids])})
    return Q(**{f"{field}__in": ids})


def sectioned(relationships: models.QuerySet) -> list[str]:
    """The domains the relationships' dossier sections name (a short JSON list each)."""
    named = {
        section.get("domain")
        for sections in relationships.values_list("sections", flat=True)
        for section in sections or ()
        if isinstance(section, dict)
    }
    return sorted(d for d in named if isinstance(d, str))
