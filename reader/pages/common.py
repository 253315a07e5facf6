"""What every entity page does alike.

Public and read-only. Every claim (event, agreement, statement, post, membership) shown comes from
``relations.visibility``, directly or through a prefetch of ``visibility.claims(...)``, and a
claim a reader may not see answers 404 on its own URL. Each page costs a small constant number
of queries whatever the size of the knowledge base: lists are capped (newest first), related
rows are prefetched, and the citations of every claim on a page are read in one query and
numbered with :class:`relations.footnotes.Footnotes` in the order the page shows them.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache
from operator import itemgetter

from django.db import models
from django.db.models import (
    CharField,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    StringAgg,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Coalesce

from reader import prepared
from relations import presentation, visibility
from relations.filters import reference
from relations.footnotes import Cited, CitedFootnote, ClaimKey, Footnotes
from relations.models import Agreement, Citation, Domain, Event, Organisation
from sources.models import Source

#: Newest events shown on a country, organisation or official page.
EVENT_LIMIT = 20
#: Other lists (agreements, statements, posts...) are capped too: some bodies have thousands.
LIST_LIMIT = 20

DOMAINS_IN_ORDER = Prefetch("domains", queryset=Domain.objects.order_by("position", "name"))

#: An organisation with its owner and location, which an unnamed one's description names.
DESCRIBED = ("country", "location")


def with_domains(events: QuerySet) -> QuerySet:
    """Events with their domains' ids read alongside (``domain_ids``, "3,1"), for ``domained``:
    where a prefetch would be a query of its own. A subquery per row returned (PostgreSQL
    evaluates it after the LIMIT)."""
    ids = (
        Event.domains.through.objects.filter(event=OuterRef("pk"))
        .order_by()
        .values("event")
        .annotate(ids=StringAgg(Cast("domain_id", CharField()), Value(",")))
        .values("ids")
    )
    return events.annotate(domain_ids=Subquery(ids, output_field=CharField()))


def domained(events: Iterable[Event]) -> None:
    """Give each event read ``with_domains`` its domains (``domain_list``), in their order,
    as the reference data has them (``relations.filters.reference``, cached)."""
    rank = {d.pk: (n, d) for n, d in enumerate(reference().domains)}
    for event in events:
        ids = [int(pk) for pk in (event.domain_ids or "").split(",") if pk]
        found = [rank[pk] for pk in ids if pk in rank]  # (none unknown, unless mid-change)
        event.domain_list = [domain for _, domain in sorted(found, key=itemgetter(0))]


def members_of(organisation: Organisation) -> QuerySet:
    """The visible memberships of ``organisation``: its members by name, then from when."""
    return (
        visibility.memberships()
        .filter(organisation=organisation)
        .select_related("member_country", *(f"member_organisation__{f}" for f in DESCRIBED))
        .order_by(
            Coalesce("member_country__name", "member_organisation__name"),
            "start_lower",
            "sequence",
            "slug",
        )
    )


def memberships_of(**member) -> QuerySet:
    """The visible memberships held by a country or an organisation (``member_country=...`` or
    ``member_organisation=...``): by organisation, then from when."""
    return (
        visibility.memberships()
        .filter(**member)
        .select_related(*(f"organisation__{f}" for f in DESCRIBED))
        .order_by("organisation__name", "start_lower", "sequence", "slug")
    )


def also_written(aliases: Iterable[str], *names: str) -> list[str]:
    """Aliases other than the names already shown, each once, in their given order."""
    seen = {n.casefold() for n in names if n}
    out = []
    for alias in aliases or []:
        if alias and alias.casefold() not in seen:
            seen.add(alias.casefold())
            out.append(alias)
    return out


def capped(queryset: models.QuerySet, limit: int) -> tuple[list, bool]:
    """The first ``limit`` rows and whether there are more, in one query."""
    rows = list(queryset[: limit + 1])
    return rows[:limit], len(rows) > limit


def newest(queryset: models.QuerySet) -> models.QuerySet:
    """Newest first, undated last.

    For the claims of one organisation or official. On PostgreSQL, NULLS LAST is an order the
    published-events index (date_lower, id) cannot give, so the planner collects the actor's
    events through its join table and sorts them (15 ms for the busiest organisation at 10^6
    events) instead of walking the whole index backwards until 20 match (350 ms).
    """
    return queryset.order_by(F("date_lower").desc(nulls_last=True), "-id")


def newest_by_index(queryset: models.QuerySet) -> models.QuerySet:
    """Newest events first, in the order of the published-events index (date_lower, id).

    For a busy country (Belarus is in a tenth of all events) the newest 20 are at the top of
    the index (3 ms), where collecting and sorting all of its events takes 600 ms. For a quiet
    one the walk is the slow way: a country with no events reads the whole index (5 s).
    """
    return queryset.order_by("-date_lower", "-id")


def dated(*groups: Iterable[models.Model]) -> None:
    """Give every claim a ``when`` (its date as readers see it: a post's or a membership's
    start); agreements their ``money``."""
    for claim in itertools.chain(*groups):
        claim.when = presentation.when(getattr(claim, claim.date_field))
        if isinstance(claim, Agreement):
            claim.money = presentation.money(claim.value_amount, claim.value_currency)


def labelled(*organisations: Organisation | None) -> None:
    """Give each organisation a ``label``: how a list names it. A named body by its name (and
    short name); one its sources do not name by its description, as
    ``relations.presentation.organisation_name`` words it (load its ``country`` and
    ``location`` with it)."""
    for organisation in organisations:
        if organisation is None:
            continue
        unnamed = organisation.unnamed
        organisation.label = organisation_label(
            organisation.name,
            organisation.short_name,
            organisation.kind,
            unnamed,
            organisation.country.name if unnamed and organisation.country_id else "",
            organisation.location.name if unnamed and organisation.location_id else "",
        )


@lru_cache(maxsize=4096)
def organisation_label(
    name: str, short_name: str, kind: str, unnamed: bool, owner: str, location: str
) -> str:
    """``labelled``'s label from the columns alone (a page that reads no Organisation rows):
    a named body as ``Organisation.__str__`` names it, an unnamed one described."""
    if unnamed:
        return presentation.organisation_name(
            name, kind, unnamed=True, owner=owner, location=location
        )
    return str(Organisation(name=name, short_name=short_name))


def number_notes(*groups: Iterable[models.Model]) -> Footnotes:
    """The page's footnotes: each claim's markers (``claim.notes``), numbered in the order
    given, its citations read as values in one query for all kinds (``read_cited``)."""
    claims = [claim for claim in itertools.chain(*groups) if claim is not None]
    notes = Footnotes(read_cited(claims, ALL_KINDS))
    for claim in itertools.chain(*groups):
        claim.notes = notes.cite(claim)
    for note in notes:
        note.published = presentation.when(note.source.published)
    return notes


# --- Citations as values: for the pages that show the most notes -----------------------------
#: What a note shows of each citation: its claim, its footnote and the footnote's source.
CITED_COLUMNS = (
    "event_id",
    "agreement_id",
    "statement_id",
    "footnote_id",
    "footnote__locator",
    "footnote__excerpt",
    "footnote__source_id",
    "footnote__source__slug",
    "footnote__source__title",
    "footnote__source__outlet",
    "footnote__source__published",
)
CITED_KINDS = ("event", "agreement", "statement")
#: Every kind of claim a citation backs (``Citation.claim_fields``): an entity page's.
ALL_KINDS = (*CITED_KINDS, "position", "membership")


def _citation_rows(kinds: tuple[str, ...], *ids: list[int]) -> QuerySet:
    claims = Q(pk__in=[])
    for kind, each in zip(kinds, ids, strict=True):
        claims |= Q(**{f"{kind}_id__in": each})
    columns = (*(f"{kind}_id" for kind in kinds), *CITED_COLUMNS[len(CITED_KINDS) :])
    return Citation.objects.filter(claims).order_by("id").values_list(*columns)


def citation_rows(events: list[int], agreements: list[int], statements: list[int]) -> QuerySet:
    """The citations of these events, agreements and statements, in order (by id)."""
    return _citation_rows(CITED_KINDS, events, agreements, statements)


def all_citation_rows(*ids: list[int]) -> QuerySet:
    """``citation_rows`` for every kind of claim (``ALL_KINDS``: posts and memberships too)."""
    return _citation_rows(ALL_KINDS, *ids)


def read_cited(
    claims: Iterable[models.Model], kinds: tuple[str, ...] = CITED_KINDS
) -> dict[ClaimKey, list[Cited]]:
    """``relations.footnotes.read_citations`` for events, agreements and statements (or claims
    of every kind: ``kinds=ALL_KINDS``), read as values (one query, compiled once:
    ``reader.prepared``): no Citation or Footnote records, one Source record per source (its
    title, outlet, date and link)."""
    ids: dict[str, list[int]] = {kind: [] for kind in kinds}
    for claim in claims:
        ids[claim._meta.model_name].append(claim.pk)
    cited: dict[ClaimKey, list[Cited]] = defaultdict(list)
    sources: dict[int, Source] = {}
    width = len(kinds)
    build = {CITED_KINDS: citation_rows, ALL_KINDS: all_citation_rows}[kinds]
    for row in prepared.rows(build, *(ids[kind] for kind in kinds)):
        kind, claim_id = next((k, pk) for k, pk in zip(kinds, row, strict=False) if pk)
        footnote_id, locator, excerpt, source_id, slug, title, outlet, published = row[width:]
        if (found := sources.get(source_id)) is None:
            found = sources[source_id] = prepared.record(
                Source, id=source_id, slug=slug, title=title, outlet=outlet, published=published
            )
        cited[kind, claim_id].append(
            Cited(footnote_id, CitedFootnote(footnote_id, found, locator, excerpt))
        )
    return cited
