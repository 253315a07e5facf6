"""Footnotes as the seed page has them: numbered in order of first use, one number per place
in a source, with the notes list at the end of the page.

    notes = Footnotes()
    numbers = notes.cite(event)      # [1, 2]: the event's citations, numbered
    ...
    for note in notes:               # 1, 2, 3... with source, locator, excerpt, claims

``cite`` reads ``claim.citations.all()``: prefetch ``citations__source`` first, so numbering a
page of claims costs no query per claim.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import models

from sources.models import Source


@dataclass
class Note:
    number: int
    source: Source
    locator: str
    excerpt: str = ""
    claims: list[models.Model] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"note-{self.number}"


class Footnotes:
    def __init__(self) -> None:
        self._notes: dict[tuple[int, str], Note] = {}

    def cite(self, claim: models.Model) -> list[Note]:
        """The notes for ``claim``'s citations, numbering the ones not yet used."""
        notes = []
        for citation in claim.citations.all():
            key = (citation.source_id, citation.locator)
            note = self._notes.get(key)
            if note is None:
                note = Note(len(self._notes) + 1, citation.source, citation.locator)
                self._notes[key] = note
            if not note.excerpt and citation.excerpt:
                note.excerpt = citation.excerpt
            if claim not in note.claims:
                note.claims.append(claim)
            if note not in notes:
                notes.append(note)
        return sorted(notes, key=lambda n: n.number)

    def __iter__(self) -> Iterator[Note]:
        return iter(self._notes.values())

    def __len__(self) -> int:
        return len(self._notes)
