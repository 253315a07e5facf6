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

from django.db.models import Q

from reader.dossiers.pairs import known_by
from reader.dossiers.people import ORGANISATION_RELATED, Stated, give_roles
from relations import presentation, visibility
from relations.footnotes import ClaimKey, Footnotes, Note
from relations.models import Citation, Membership, Position

if TYPE_CHECKING:
    from reader.dossiers.build import Item

# What the posts and memberships need to be named (select_related).
STATED_RELATED = (
    "position__country",
    *(f"position__organisation__{r}" for r in ORGANISATION_RELATED),
    *(f"membership__organisation__{r}" for r in ORGANISATION_RELATED),
)


def _stated_q(model: type, as_of: datetime.date | None) -> Q:
    """Visible posts (memberships), as known on the "as of" date."""
    name = model._meta.model_name
    condition = visibility.claim_q(model, f"{name}__")
    return condition & known_by(as_of, f"{name}__start") if as_of else condition


def read(claims: Iterable[Any], as_of: datetime.date | None) -> tuple[dict[ClaimKey, list], Stated]:
    """The claims' citations (with their footnotes and sources), by claim; and the visible posts
    and memberships that cite the same footnotes. Two queries, each driven by an index from a
    literal list: a single one (an OR, or a subquery of the footnotes) makes PostgreSQL scan
    the citation table or join a dozen tables whole before filtering."""
    by_kind: dict[str, list[int]] = defaultdict(list)
    for claim in claims:
        by_kind[claim._meta.model_name].append(claim.pk)
    found: dict[ClaimKey, list] = defaultdict(list)
    shown = Stated()
    if not by_kind:
        return found, shown
    own = Q(pk__in=[])
    for kind, pks in by_kind.items():
        own |= Q(**{f"{kind}__in": pks})
    for citation in Citation.objects.filter(own).select_related("footnote__source").order_by("id"):
        kind = citation.claim_kind
        found[kind, getattr(citation, f"{kind}_id")].append(citation)
    footnotes = {c.footnote_id for citations in found.values() for c in citations}
    stated = (
        Citation.objects.filter(footnote_id__in=footnotes)
        .filter(_stated_q(Position, as_of) | _stated_q(Membership, as_of))
        .select_related(*STATED_RELATED)
        .order_by("id")
    )
    for citation in stated if footnotes else ():
        shown.add(citation.claim, citation.footnote_id)
    return found, shown


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
