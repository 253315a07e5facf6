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
from collections.abc import Iterable

from django.db import models
from django.db.models import F, Prefetch, QuerySet
from django.db.models.functions import Coalesce

from relations import presentation, visibility
from relations.footnotes import Footnotes
from relations.models import Agreement, Domain, Organisation

#: Newest events shown on a country, organisation or official page.
EVENT_LIMIT = 20
#: Other lists (agreements, statements, posts...) are capped too: some bodies have thousands.
LIST_LIMIT = 20

DOMAINS_IN_ORDER = Prefetch("domains", queryset=Domain.objects.order_by("position", "name"))

#: An organisation with its owner and location, which an unnamed one's description names.
DESCRIBED = ("country", "location")


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
        if organisation.unnamed:
            organisation.label = presentation.organisation_name(
                organisation.name,
                organisation.kind,
                unnamed=True,
                owner=organisation.country.name if organisation.country_id else "",
                location=organisation.location.name if organisation.location_id else "",
            )
        else:
            organisation.label = str(organisation)


def number_notes(*groups: Iterable[models.Model]) -> Footnotes:
    """The page's footnotes: each claim's markers (``claim.notes``), numbered in the order
    given, its citations read in one query for all kinds."""
    notes = Footnotes.reading(*groups)
    for claim in itertools.chain(*groups):
        claim.notes = notes.cite(claim)
    for note in notes:
        note.published = presentation.when(note.source.published)
    return notes
