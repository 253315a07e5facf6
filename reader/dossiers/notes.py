"""A dossier's notes: each item's own footnotes, numbered by first use down the page.

A footnote marks only the claims that cite it (citation scope): an item's markers are its own
claim's citations (an event told with its agreement: both claims' citations, one group after
the words they back); a statement told inside an event's item has its own markers after its
words; a post or membership is shown, with the markers of the footnotes it shares with the
item, only where the item cites one of its footnotes (``reader.dossiers.people``). So a post
never lends its notes to other items, and no other dossier's source reaches this one.

The citations of every claim shown are read in one query, the visible posts and memberships that
cite the same footnotes in another.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet

from reader import prepared
from reader.dossiers.pairs import known_by
from reader.dossiers.people import Stated, give_roles
from reader.pages.common import read_cited
from relations import presentation, visibility
from relations.footnotes import ClaimKey, Footnotes, Note
from relations.models import Citation, Country, Membership, Organisation, Position

if TYPE_CHECKING:
    from reader.dossiers.build import Item


def _stated_q(model: type, as_of: datetime.date | None) -> Q:
    """Visible posts (memberships), as known on the "as of" date."""
    name = model._meta.model_name
    condition = visibility.claim_q(model, f"{name}__")
    return condition & known_by(as_of, f"{name}__start") if as_of else condition


def read(claims: Iterable[Any], as_of: datetime.date | None) -> tuple[dict[ClaimKey, list], Stated]:
    """The claims' citations (with their footnotes and sources), by claim; and the visible posts
    and memberships that cite the same footnotes. Two queries, each driven by an index from a
    literal list: a single one (an OR, or a subquery of the footnotes) makes PostgreSQL scan
    the citation table or join a dozen tables whole before filtering. Both read values, not
    records (``reader.prepared``): a busy dossier has some 250 citations."""
    found = read_cited(claims)
    shown = Stated()
    footnotes = sorted({c.footnote_id for citations in found.values() for c in citations})
    if as_of is None:
        rows = prepared.rows(stated_rows, footnotes)
    else:  # (rarer: built each time, with its date)
        rows = stated_rows(footnotes, as_of) if footnotes else []
    for footnote_id, position_id, membership_id, *columns in rows:
        shown.add(_stated(position_id, membership_id, columns), footnote_id)
    return found, shown


#: What naming a post or a membership reads of an organisation (``people.Mention.of``).
ORGANISATION_COLUMNS = (
    "slug",
    "name",
    "kind",
    "unnamed",
    "country_id",
    "country__name",
    "location_id",
    "location__name",
)
POSITION_COLUMNS = (
    "slug",
    "official_id",
    "title",
    "start_lower",
    "end_upper",
    "country_id",
    "country__name",
    "organisation_id",
    *(f"organisation__{c}" for c in ORGANISATION_COLUMNS),
)
MEMBERSHIP_COLUMNS = (
    "slug",
    "member_country_id",
    "member_organisation_id",
    "role",
    "start_lower",
    "end_upper",
    "organisation_id",
    *(f"organisation__{c}" for c in ORGANISATION_COLUMNS),
)


def stated_rows(footnotes: list[int], as_of: datetime.date | None = None) -> QuerySet:
    """The visible posts and memberships citing these footnotes, a row per citation."""
    return (
        Citation.objects.filter(footnote_id__in=footnotes)
        .filter(_stated_q(Position, as_of) | _stated_q(Membership, as_of))
        .order_by("id")
        .values_list(
            "footnote_id",
            "position_id",
            "membership_id",
            *(f"position__{c}" for c in POSITION_COLUMNS),
            *(f"membership__{c}" for c in MEMBERSHIP_COLUMNS),
        )
    )


def _stated(position_id: int | None, membership_id: int | None, columns: list) -> Any:
    """A post or membership record from a ``stated_rows`` row, with what naming it reads."""
    width = len(POSITION_COLUMNS)
    if position_id is not None:
        slug, official_id, title, lower, upper, country_id, country, org_id, *org = columns[:width]
        post = prepared.record(
            Position, id=position_id, slug=slug, official_id=official_id, title=title,
            start_lower=lower, end_upper=upper,
        )  # fmt: skip
        post.country = prepared.record(Country, id=country_id, name=country)
        post.organisation = _organisation(org_id, org)
        return post
    slug, member_country_id, member_organisation_id, role, lower, upper, org_id, *org = columns[
        width:
    ]
    membership = prepared.record(
        Membership, id=membership_id, slug=slug, member_country_id=member_country_id,
        member_organisation_id=member_organisation_id, role=role, start_lower=lower,
        end_upper=upper,
    )  # fmt: skip
    membership.organisation = _organisation(org_id, org)
    return membership


def _organisation(pk: int | None, columns: list) -> Organisation | None:
    slug, name, kind, unnamed, country_id, country, location_id, location = columns
    organisation = prepared.record(
        Organisation, id=pk, slug=slug, name=name, kind=kind, unnamed=unnamed
    )
    if organisation is not None:
        organisation.country = prepared.record(Country, id=country_id, name=country)
        organisation.location = prepared.record(Country, id=location_id, name=location)
    return organisation


@dataclass
class NoteView:
    """A note as the page lists it, with links back to each item (or part) it marks."""

    note: Note
    backlinks: list[tuple[str, str]]  # (anchor, label)

    @property
    def source_url(self) -> str:
        return presentation.url(self.note.source)

    @property
    def details(self) -> list[str]:
        """What follows the source's title: outlet, date, the place in the source."""
        source = self.note.source
        details = (source.outlet, presentation.readable_date(source.published), self.note.locator)
        return [detail for detail in details if detail]


def number(items: list[Item], cited: dict[ClaimKey, list], stated: Stated) -> list[NoteView]:
    """Give each item and part its notes, numbered in order of first use down the page (an
    item's own group, then its statements'), and name the posts and memberships its notes
    state. Returns the notes list, each with links back to what it marks.

    An event and the agreement made or announced there share one group of markers, after the
    words that tell both; an agreement the event only names keeps just the notes it shares
    with the event (``Item.named_only``)."""
    notes = Footnotes(cited)
    backlinks: dict[int, dict[str, str]] = defaultdict(dict)

    def mark(told: Item, claims: list[Any]) -> None:
        numbered = {n.number: n for claim in claims for n in notes.cite(claim)}
        told.notes = [numbered[n] for n in sorted(numbered)]
        for note in told.notes:
            backlinks[note.number].setdefault(told.anchor, told.label)

    for item in items:
        told = [part for part in item.agreements if not part.named_only]
        mark(item, [item.claim, *(part.claim for part in told)])
        shared = {note.footnote_id for note in item.notes}
        for part in item.agreements:
            if part.named_only:  # marked only by the notes it shares with the event
                key = (part.kind, part.claim.pk)
                cited[key] = [c for c in cited.get(key, ()) if c.footnote_id in shared]
            part.notes = notes.cite(part.claim)  # (numbered already, in the item's group)
        names = [*item.participants, *item.pair_countries, item.speaker, item.speaker_organisation]
        for part in told:
            names += part.participants
        given: set[tuple[str, int]] = set()  # roles stated in this item: each said once
        give_roles(names, item.claim, item.notes, stated, given)
        for part in item.statements:
            mark(part, [part.claim])
            speakers = [part.speaker, part.speaker_organisation]
            give_roles(speakers, part.claim, part.notes, stated, given)
    return [NoteView(note, list(backlinks[note.number].items())) for note in notes]
