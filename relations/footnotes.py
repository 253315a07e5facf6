"""Footnotes as the seed page has them: numbered in order of first use, one number per
footnote record (``sources.Footnote``: a place in a source), with the notes list at the end.

    notes = Footnotes.reading(events, statements)  # their citations, in one query
    numbers = notes.cite(event)      # [1, 2]: the event's citations, numbered
    ...
    for note in notes:               # 1, 2, 3... with source, locator, excerpt, claims

A page shows claims of several kinds (events, agreements, statements, posts): ``reading`` reads
the citations of all of them, with their sources, in one query, where a prefetch per kind
would take four. ``Footnotes()`` alone reads ``claim.citations.all()``, so prefetch
``citations__source`` for it.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import models

from sources.models import Source

ClaimKey = tuple[str, int]  # ("event", 12)


def claim_key(claim: models.Model) -> ClaimKey:
    return (claim._meta.model_name, claim.pk)


def read_citations(claims: Iterable[models.Model], *only: str) -> dict[ClaimKey, list]:
    """The citations (with their sources) of claims of any kinds, in one query, by claim.

    The claims are those a page shows, visible ones: their citations are visible too
    (``relations.visibility.citations``), so none is filtered out here.

    ``only`` limits the columns read (names as for ``QuerySet.only``); the claim columns and
    those :meth:`Footnotes.cite` reads are always included.
    """
    from relations.models import Citation

    claims = [claim for claim in claims if claim is not None]
    found: dict[ClaimKey, list] = defaultdict(list)
    if not claims:
        return found
    citations = (
        Citation.objects.for_claims(claims).select_related("footnote__source").order_by("id")
    )
    if only:
        claim_columns = [f"{name}_id" for name in Citation.claim_fields]
        citations = citations.only(
            "footnote__slug",
            "footnote__source",
            "footnote__locator",
            "footnote__excerpt",
            *claim_columns,
            *only,
        )
    for citation in citations:
        kind = citation.claim_kind
        found[kind, getattr(citation, f"{kind}_id")].append(citation)
    return found


class CitedFootnote(NamedTuple):
    """What ``Footnotes.cite`` reads of a footnote."""

    pk: int
    source: Source
    locator: str
    excerpt: str


class Cited(NamedTuple):
    """A citation read as values, for a page that needs no Citation records (the timeline):
    what ``Footnotes.cite`` reads of one."""

    footnote_id: int
    footnote: CitedFootnote


@dataclass
class Note:
    number: int
    source: Source
    locator: str
    excerpt: str = ""
    claims: list[models.Model] = field(default_factory=list)
    footnote_id: int | None = None

    @property
    def anchor(self) -> str:
        return f"note-{self.number}"


class Footnotes:
    def __init__(self, citations: Mapping[ClaimKey, list] | None = None) -> None:
        self._notes: dict[int, Note] = {}
        self._citations = citations

    @classmethod
    def reading(cls, *groups: Iterable[models.Model], only: Iterable[str] = ()) -> Footnotes:
        """Footnotes for these claims (of any kinds), their citations read in one query."""
        return cls(read_citations(itertools.chain(*groups), *only))

    def citations(self, claim: models.Model) -> Iterable:
        if self._citations is None:
            return claim.citations.all()
        return self._citations.get(claim_key(claim), ())

    def cite(self, claim: models.Model) -> list[Note]:
        """The notes for ``claim``'s citations, numbering the ones not yet used."""
        notes = []
        for citation in self.citations(claim):
            note = self._notes.get(citation.footnote_id)
            if note is None:
                footnote = citation.footnote
                note = Note(
                    len(self._notes) + 1,
                    footnote.source,
                    footnote.locator,
                    footnote.excerpt,
                    footnote_id=footnote.pk,
                )
                self._notes[citation.footnote_id] = note
            if claim not in note.claims:
                note.claims.append(claim)
            if note not in notes:
                notes.append(note)
        return sorted(notes, key=lambda n: n.number)

    def __iter__(self) -> Iterator[Note]:
        return iter(self._notes.values())

    def __len__(self) -> int:
        return len(self._notes)
