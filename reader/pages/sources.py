"""A source's page: what it is, and its footnotes (the places in it that back claims), each with
the visible claims it backs."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import models
from django.shortcuts import get_object_or_404
from django.views.generic import TemplateView

from reader.pages import jinja
from reader.pages.common import DESCRIBED, capped, dated, labelled
from relations import presentation, visibility
from relations.models import CLAIM_FIELDS, Agreement, Citation, Event, Membership, Position
from sources.models import Footnote, Source


@dataclass
class Backed:
    """A visible claim a footnote backs, and where a reader can see it."""

    kind: str
    claim: models.Model
    url: str

    @property
    def label(self) -> str:
        return LABELS[self.kind]


@dataclass
class Note:
    """One footnote of the source, with the visible claims it backs (in ``KINDS`` order)."""

    footnote: Footnote
    claims: list[Backed] = field(default_factory=list)


def claim_url(claim: models.Model) -> str:
    """Where a reader can see the claim: its own page, or its official's (or speaker's, or
    member's)."""
    if isinstance(claim, Event | Agreement):
        return presentation.url(claim)
    if isinstance(claim, Position):
        return presentation.url(claim.official)
    if isinstance(claim, Membership):
        return presentation.url(claim.organisation)
    if claim.speaker_id:
        return presentation.url(claim.speaker)
    if claim.speaker_organisation_id:
        return presentation.url(claim.speaker_organisation)
    event = visibility.event_of(claim)
    return presentation.url(event) if event else ""


# Each kind of claim a footnote backs: its label, its visible claims, what to read with them.
KINDS = [
    ("event", "Event", visibility.events, ()),
    ("agreement", "Agreement", visibility.agreements, ()),
    (
        "statement",
        "Statement",
        visibility.statements,
        ("speaker", "event", *(f"speaker_organisation__{f}" for f in DESCRIBED)),
    ),
    (
        "position",
        "Post",
        visibility.positions,
        ("official", "country", *(f"organisation__{f}" for f in DESCRIBED)),
    ),
    (
        "membership",
        "Membership",
        visibility.memberships,
        (
            "member_country",
            *(f"member_organisation__{f}" for f in DESCRIBED),
            *(f"organisation__{f}" for f in DESCRIBED),
        ),
    ),
]
LABELS = {kind: label for kind, label, _, _ in KINDS}


def locator_order(footnote: Footnote) -> list:
    """ "note 2" before "note 10": digits compare as numbers."""
    return [
        int(part) if part.isdigit() else part.casefold()
        for part in re.split(r"(\d+)", footnote.locator)
    ]


class SourceView(TemplateView):
    template_name = "reader/pages/source.html"

    #: Footnotes listed, and claims read per kind: a source is rarely cited more than a few
    #: dozen times.
    footnote_limit = 200
    claim_limit = 200

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        source = get_object_or_404(Source, slug=self.kwargs["slug"])
        # A footnote is visible when a visible claim cites it (relations.visibility).
        footnotes, more = capped(
            visibility.footnotes().filter(source=source).order_by("locator", "id"),
            self.footnote_limit,
        )
        footnotes.sort(key=locator_order)
        links = Citation.objects.filter(footnote__in=[f.pk for f in footnotes]).order_by("id")
        pairs = list(links.values_list("footnote_id", *(f"{kind}_id" for kind in CLAIM_FIELDS)))
        claims = self.claims(pairs)
        notes = {footnote.pk: Note(footnote) for footnote in footnotes}
        for kind, _, _, _ in KINDS:  # each footnote's claims grouped by kind, in date order
            column = 1 + CLAIM_FIELDS.index(kind)
            backed_by: dict[int, list[int]] = defaultdict(list)
            for row in pairs:
                if row[column] is not None:
                    backed_by[row[column]].append(row[0])
            for claim in claims[kind]:
                for footnote_id in backed_by[claim.pk]:
                    notes[footnote_id].claims.append(Backed(kind, claim, claim_url(claim)))
        listed = [note for note in notes.values() if note.claims]
        context.update(
            source=source,
            published=presentation.when(source.published),
            notes=listed,
            more_notes=more,
            count=len({(c.kind, c.claim.pk) for note in listed for c in note.claims}),
            footnote_limit=self.footnote_limit,
        )
        context["body"] = jinja.render("reader/pages/source.html", **context)
        return context

    def claims(self, pairs: list[tuple]) -> dict[str, list[models.Model]]:
        """The visible claims of each kind that the footnotes back, in date order, dated and
        with their organisations labelled (one query per kind)."""
        found: dict[str, list[models.Model]] = {}
        for kind, _, visible, related in KINDS:
            column = 1 + CLAIM_FIELDS.index(kind)
            ids = {row[column] for row in pairs if row[column] is not None}
            if not ids:
                found[kind] = []
                continue
            queryset = visible().filter(pk__in=ids).chronological()
            if related:
                queryset = queryset.select_related(*related)
            found[kind], _ = capped(queryset, self.claim_limit)
        dated(*found.values())
        labelled(*(s.speaker_organisation for s in found["statement"]))
        labelled(*(p.organisation for p in found["position"]))
        for membership in found["membership"]:
            labelled(membership.organisation, membership.member_organisation)
        return found
