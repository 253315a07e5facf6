"""A source's page: what it is, and every visible claim that cites it, with the places cited."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import models
from django.shortcuts import get_object_or_404
from django.views.generic import TemplateView

from reader.pages.common import capped, dated
from relations import presentation, visibility
from relations.models import Agreement, Citation, Event, Position
from sources.models import Source


@dataclass
class CitingClaim:
    """A visible claim that cites the source, with the places in the source it cites."""

    kind: str
    claim: models.Model
    url: str
    citations: Sequence[Citation]


def claim_url(claim: models.Model) -> str:
    """Where a reader can see the claim: its own page, or its official's (or speaker's)."""
    if isinstance(claim, Event | Agreement):
        return presentation.url(claim)
    if isinstance(claim, Position):
        return presentation.url(claim.official)
    if claim.speaker_id:
        return presentation.url(claim.speaker)
    if claim.speaker_organisation_id:
        return presentation.url(claim.speaker_organisation)
    event = visibility.event_of(claim)
    return presentation.url(event) if event else ""


# Each kind of citing claim: heading, visible claims, and what to read with them.
KINDS = [
    ("event", "Events", visibility.events, ()),
    ("agreement", "Agreements", visibility.agreements, ()),
    (
        "statement",
        "Statements",
        visibility.statements,
        ("speaker", "speaker_organisation", "event"),
    ),
    ("position", "Posts held", visibility.positions, ("official", "country", "organisation")),
]


class SourceView(TemplateView):
    template_name = "reader/pages/source.html"

    #: Citing claims listed per kind; a source is rarely cited more than a few dozen times.
    claim_limit = 200

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        source = get_object_or_404(Source, slug=self.kwargs["slug"])
        cites = Citation.objects.filter(source=source)
        kinds = []
        for kind, heading, visible, related in KINDS:
            queryset = visible().filter(pk__in=cites.values(f"{kind}_id")).chronological()
            claims, more = capped(
                queryset.select_related(*related) if related else queryset, self.claim_limit
            )
            kinds.append((kind, heading, claims, more))
        all_claims = [claim for _, _, claims, _ in kinds for claim in claims]
        # The citations of visible claims are visible (relations.visibility.citations).
        found: dict[tuple[str, int], list[Citation]] = defaultdict(list)
        for citation in cites.for_claims(all_claims).order_by("id"):
            kind = citation.claim_kind
            found[(kind, getattr(citation, f"{kind}_id"))].append(citation)
        dated(all_claims)
        sections = [
            {
                "kind": kind,
                "heading": heading,
                "more": more,
                "claims": [
                    CitingClaim(kind, claim, claim_url(claim), found[(kind, claim.pk)])
                    for claim in claims
                ],
            }
            for kind, heading, claims, more in kinds
        ]
        context.update(
            source=source,
            published=presentation.when(source.published),
            sections=sections,
            count=sum(len(section["claims"]) for section in sections),
            citation_count=sum(len(c) for c in found.values()),
            claim_limit=self.claim_limit,
        )
        return context
