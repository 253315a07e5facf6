"""A relationship dossier, built: the seed page (fixtures/belarus-iran-2010.txt) from data.

``/relations/by-ir/`` tells the relations between two countries as the seed page does: a section
per domain, one paragraph per fact in date order, each closed by numbered footnotes, "More on …"
links after each section, and the notes at the end. What belongs to the pair is
``reader.dossiers.pairs``'s to say, what each section shows ``reader.dossiers.newest``'s; this
module puts the page together: items, the people they name, notes, sections. The markup is the
templates' (``templates/jinja2/reader/dossier/``); the API renders the same objects.

The whole page takes a constant number of queries (at most 10, plus one per short section, which
the counts make rare): countries, domains, counts (when not cached), one or two per kind,
participants, posts, citations.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.text import capfirst

from reader.dossiers import counts, people
from reader.dossiers.counts import Summary
from reader.dossiers.newest import Newest
from reader.dossiers.pairs import KINDS, PairClaims
from reader.dossiers.people import Mention, Person
from relations import presentation, visibility
from relations.footnotes import Footnotes, Note
from relations.models import Country, Domain, Event, Position

# Items shown per section; the rest are on the timeline. Twenty would cost the busiest pair
# about 60% more time (its walk reads K ~ 670 instead of ~400 of its events; see
# bench/dossier.py, BENCH_SECTION_SIZE=20) for a page of 120 paragraphs and 250 notes.
SECTION_SIZE = 10
SOURCE_FIELDS = ("slug", "title", "outlet", "published")  # what a note shows of its source
# "More on …" links after a section, at most.
MORE_ON_LIMIT = 12
# A statement's words, as a note's link back to it names them.
LABEL_QUOTE = 60


def pair_name(first: Country, second: Country) -> str:
    """ "Belarus–Iran": names in alphabetical order, joined by an en dash."""
    return "–".join(sorted((first.name, second.name)))


@dataclass
class Item:
    """One fact, told in one paragraph: an event, an agreement or a statement."""

    kind: str
    claim: Any
    section: int | None  # the pk of its first domain; None if it has none
    people: list[Person] = field(default_factory=list)
    organisations: list[Mention] = field(default_factory=list)
    countries: list[Mention] = field(default_factory=list)  # others than the pair
    speaker: Person | None = None
    speaker_organisation: Mention | None = None
    notes: list[Note] = field(default_factory=list)
    event_shown: bool = False  # a statement's event is told on the same page

    @property
    def anchor(self) -> str:
        return f"{self.kind}-{self.claim.slug}"

    @cached_property
    def date(self) -> presentation.When | None:
        """The claim's date as readers see it."""
        return presentation.when(self.claim.date)

    @property
    def url(self) -> str:
        return presentation.url(self.claim) if self.kind != "statement" else ""

    @property
    def value(self) -> presentation.Money | None:
        if self.kind != "agreement":
            return None
        return presentation.money(self.claim.value_amount, self.claim.value_currency)

    @property
    def participants(self) -> list[Person | Mention]:
        """Who took part (events) or the parties (agreements), people first."""
        return [*self.people, *self.organisations, *self.countries]

    @property
    def kind_label(self) -> str:
        """An agreement's kind, unless its title already says it ("… loan of $212m …")."""
        kind = self.claim.get_kind_display()
        return "" if kind.lower() in self.claim.title.lower() else capfirst(kind)

    # -- A statement's attribution: who said it, in what context, where ----------------------
    @property
    def joint(self) -> bool:
        """Words the parties said together: no speaker, no speaking organisation."""
        return self.speaker is None and self.speaker_organisation is None

    @property
    def opening(self) -> str:
        """How joint words are introduced: their context says who ("Jointly" if none)."""
        return capfirst(self.claim.context) or "Jointly"

    @property
    def event(self) -> Event | None:
        """The event a statement was made at, when a reader may see it and the page does not
        tell it already."""
        return None if self.event_shown else visibility.event_of(self.claim)

    @property
    def label(self) -> str:
        """How the notes name this item when linking back to it."""
        if self.kind != "statement":
            return self.claim.title
        who = self.speaker.mention.name if self.speaker else ""
        if not who and self.speaker_organisation:
            who = self.speaker_organisation.name
        quote = self.claim.quote
        if len(quote) > LABEL_QUOTE:
            quote = quote[: LABEL_QUOTE - 1].rstrip() + "…"
        return f"{who}: “{quote}”" if who else f"“{quote}”"


@dataclass
class Section:
    domain: Domain | None
    items: list[Item]
    total: int
    timeline_url: str
    more_on: list[Mention]

    @property
    def slug(self) -> str:
        return self.domain.slug if self.domain else "other"

    @property
    def name(self) -> str:
        return self.domain.name if self.domain else "Other relations"

    @property
    def more(self) -> int:
        return max(self.total - len(self.items), 0)


@dataclass
class NoteView:
    """A note as the page lists it, with links back to each claim it backs."""

    note: Note
    backlinks: list[tuple[str, str]]  # (anchor, label) of each claim citing it

    @property
    def source_url(self) -> str:
        return presentation.url(self.note.source)

    @property
    def details(self) -> list[str]:
        """What follows the source's title: outlet, date, the place in the source."""
        source = self.note.source
        details = (source.outlet, presentation.readable_date(source.published), self.note.locator)
        return [detail for detail in details if detail]


class Dossier:
    """Builds what the dossier page shows for a pair, in a constant number of queries."""

    def __init__(
        self,
        first: Country,
        second: Country,
        as_of: datetime.date | None = None,
        section_size: int | None = None,
    ) -> None:
        self.first, self.second, self.as_of = first, second, as_of
        self.section_size = section_size or SECTION_SIZE
        self.pair = PairClaims(first, second, as_of)

    def build(self) -> dict[str, Any]:
        domains = list(Domain.objects.all())
        summary = counts.summary(self.pair, domains)
        chosen = Newest(self.pair, domains, summary, self.section_size).choose()
        order = {d.pk: n for n, d in enumerate(domains)}
        sections = sorted(chosen, key=lambda s: order.get(s, len(order)))
        by_section = {s: [Item(kind, claim, s) for kind, claim in chosen[s]] for s in sections}
        items = [item for s in sections for item in by_section[s]]
        shown = {item.claim.pk for item in items if item.kind == "event"}
        for item in items:
            item.event_shown = item.kind == "statement" and item.claim.event_id in shown
        people.name_participants(items, {self.first.pk, self.second.pk})
        posts = people.name_posts(items, self.as_of)
        notes = self._notes(items, posts)
        domain_of = {d.pk: d for d in domains}
        return {
            "sections": [
                Section(
                    domain=domain_of.get(s),
                    items=by_section[s],
                    total=max(summary.section_total(s), len(by_section[s])),
                    timeline_url=self.timeline_url(domain_of.get(s)),
                    more_on=people.more_on(by_section[s], MORE_ON_LIMIT),
                )
                for s in sections
            ],
            "notes": notes,
            "summary": summary,
            # (counted a moment before the items were read: never fewer than they are)
            "counts": {
                kind: max(summary.total(kind), sum(i.kind == kind for i in items)) for kind in KINDS
            },
            "span": self.span(summary),
            "section_size": self.section_size,
        }

    def _notes(self, items: list[Item], posts: list[Position]) -> list[NoteView]:
        """Footnotes numbered in order of first use down the page: each item's own citations,
        then those of the posts it names; each note with links back to what it backs."""
        notes = Footnotes.reading(
            [i.claim for i in items], posts, only=[f"source__{f}" for f in SOURCE_FIELDS]
        )
        backlinks: dict[tuple[str, int], tuple[str, str]] = {}
        for item in items:
            numbered = {n.number: n for n in notes.cite(item.claim)}
            backlinks.setdefault((item.kind, item.claim.pk), (item.anchor, item.label))
            for person in (*item.people, item.speaker):
                if person and person.post:
                    key = ("position", person.post.pk)
                    if key not in backlinks:
                        person.anchor = f"position-{person.post.slug}"
                        label = f"{person.mention.name}, {person.post_text}"
                        backlinks[key] = (person.anchor, label)
                    numbered.update({n.number: n for n in notes.cite(person.post)})
            item.notes = [numbered[n] for n in sorted(numbered)]
        return [
            NoteView(
                note,
                [
                    backlinks[claim._meta.model_name, claim.pk]
                    for claim in note.claims
                    if (claim._meta.model_name, claim.pk) in backlinks
                ],
            )
            for note in notes
        ]

    def span(self, summary: Summary) -> tuple[int, int] | None:
        """The years the dossier covers, (2007, 2010), not past its "as of" date."""
        first, last = summary.first, summary.last
        if self.as_of and last and last > self.as_of:
            last = self.as_of
        if not first or not last:
            return None
        return tuple(sorted((first.year, last.year)))

    def timeline_url(self, domain: Domain | None = None) -> str:
        """The timeline of the pair (of one domain), with the parameters the timeline reads."""
        query = [("country", self.first.code.lower()), ("country", self.second.code.lower())]
        if domain is not None:
            query.append(("domain", domain.slug))
        return f"{reverse('timeline')}?{urlencode(query)}"
