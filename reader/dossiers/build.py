"""A relationship dossier, built: the seed page (fixtures/belarus-iran-2010.txt) from data.

``/relations/by-ir/`` tells the relations between two countries as the seed page does: a section
per domain, one paragraph per fact in date order, each closed by numbered footnotes, "More on …"
links after each section, and the notes at the end. What belongs to the pair is
``reader.dossiers.pairs``'s to say, what each section shows (and which facts are told inside
another's item) ``reader.dossiers.newest``'s, which footnote marks what ``reader.dossiers.notes``';
this module puts the page together: items, the people they name, notes, sections. The markup is
the templates' (``templates/jinja2/reader/dossier/``); the API renders the same objects.

A pair's ``Relationship`` record, if any, sets this dossier's own section order and titles and
its introduction (background, which no footnote backs); other dossiers keep the domains' order.

The whole page takes a constant number of queries (at most 11, plus one per short section,
which the counts make rare): countries and domains (the reference data), the dossier's domains
(with the relationship's settings), counts, one or two per kind, participants, citations, the
posts and memberships their footnotes state. All but the last three are cached public answers
under the knowledge base's version (``core.cache``): the items chosen too
(``newest.chosen``), since choosing them costs a pair of middling size more than the busiest.
So a dossier whose answers are warm takes three queries.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

from django.db import models
from django.db.models import Subquery
from django.urls import reverse
from django.utils.text import capfirst

from core import cache
from reader.dossiers import counts, newest, notes, people
from reader.dossiers.counts import Summary
from reader.dossiers.newest import Told
from reader.dossiers.notes import NoteView
from reader.dossiers.pairs import KINDS, PairClaims
from reader.dossiers.people import Mention, Named
from relations import presentation, visibility
from relations.footnotes import Note
from relations.models import Country, Domain, Event, Relationship, Statement

__all__ = ["Dossier", "Item", "NoteView", "Section", "pair_name"]

# Items shown per section; the rest are on the timeline. Twenty would cost the busiest pair
# about 60% more time (its walk reads K ~ 670 instead of ~400 of its events; see
# bench/dossier.py, BENCH_SECTION_SIZE=20) for a page of 120 paragraphs and 250 notes.
SECTION_SIZE = 10
# "More on …" links after a section, at most.
MORE_ON_LIMIT = 12
# A statement's words, as a note's link back to it names them.
LABEL_QUOTE = 60


def pair_name(first: Country, second: Country) -> str:
    """ "Belarus–Iran": names in alphabetical order, joined by an en dash."""
    return "–".join(sorted((first.name, second.name)))


def dossier_domains(slug: str) -> tuple[list[Domain], dict[int, str], str]:
    """``read_domains`` at this version of the knowledge base (a cached public answer)."""
    return cache.answer("dossier-domains", lambda: read_domains(slug), slug)


def read_domains(slug: str) -> tuple[list[Domain], dict[int, str], str]:
    """This dossier's sections, in order, their titles, and its introduction: the pair's
    relationship (``slug``), if it has a record, lists its own sections first (titled where it
    says so), then every other domain follows in the usual order (``Domain.position``). A
    claim in several domains is told under the first of them in this order.

    One query: the domains, with the relationship's settings alongside (uncorrelated
    subqueries, which the database evaluates once)."""
    relationship = Relationship.objects.filter(slug=slug)
    domains = list(
        Domain.objects.annotate(
            dossier_sections=Subquery(
                relationship.values("sections")[:1], output_field=models.JSONField()
            ),
            dossier_introduction=Subquery(relationship.values("introduction")[:1]),
        )
    )
    settings = (domains[0].dossier_sections or []) if domains else []
    introduction = (domains[0].dossier_introduction or "") if domains else ""
    by_slug = {d.slug: d for d in domains}
    listed = [s for s in settings if isinstance(s, dict) and s.get("domain") in by_slug]
    first = list(dict.fromkeys(by_slug[s["domain"]] for s in listed))
    titles = {by_slug[s["domain"]].pk: s["title"] for s in listed if s.get("title")}
    return first + [d for d in domains if d not in first], titles, introduction


@dataclass
class Item:
    """One fact, told in one paragraph: an event, an agreement or a statement; or a part of
    one, told inside an event's item (an agreement linked to it, a statement made there)."""

    kind: str
    claim: Any
    section: int | None  # the pk of the section it is told in; None for "Other relations"
    parts: list[Item] = field(default_factory=list)
    within: Item | None = None  # for a part: the item it is told in
    people: list[Named] = field(default_factory=list)
    organisations: list[Named] = field(default_factory=list)
    countries: list[Named] = field(default_factory=list)  # an event's: others than the pair
    pair_countries: list[Named] = field(default_factory=list)  # named only with a membership
    speaker: Named | None = None
    speaker_organisation: Named | None = None
    notes: list[Note] = field(default_factory=list)

    @classmethod
    def of(cls, told: Told, section: int | None) -> Item:
        item = cls(told.kind, told.claim, section)
        item.parts = [cls(kind, claim, section, within=item) for kind, claim in told.parts]
        return item

    @property
    def anchor(self) -> str:
        return f"{self.kind}-{self.claim.slug}"

    @cached_property
    def date(self) -> presentation.When | None:
        """The claim's date as readers see it."""
        return presentation.when(self.claim.date)

    @property
    def own_date(self) -> presentation.When | None:
        """A part's date, when it is not its item's (an item's own date, always)."""
        if self.within and self.date and self.within.date:
            return None if self.date.text == self.within.date.text else self.date
        return self.date

    @property
    def url(self) -> str:
        return presentation.url(self.claim) if self.kind != "statement" else ""

    @property
    def agreements(self) -> list[Item]:
        return [part for part in self.parts if part.kind == "agreement"]

    @property
    def statements(self) -> list[Item]:
        return [part for part in self.parts if part.kind == "statement"]

    @property
    def named_only(self) -> bool:
        """An agreement told inside an event's item that was not made or announced there: its
        date does not meet the event's (the NPT, named at a 2008 meeting). The event's words
        name it, no more: its title is shown, not its kind, value, parties, stage or purpose,
        and only the footnotes it shares with the event mark it."""
        if self.kind != "agreement" or self.within is None:
            return False
        agreement, event = self.claim, self.within.claim
        if not (agreement.date_lower and event.date_lower):
            return False
        return agreement.date_upper < event.date_lower or agreement.date_lower > event.date_upper

    @property
    def value(self) -> presentation.Money | None:
        if self.kind != "agreement":
            return None
        return presentation.money(self.claim.value_amount, self.claim.value_currency)

    @property
    def participants(self) -> list[Named]:
        """Who took part (events) or the parties (agreements), people first; the pair's own
        states only where the item states a membership of theirs."""
        stated = [named for named in self.pair_countries if named.role]
        return [*self.people, *self.organisations, *self.countries, *stated]

    @property
    def according_to(self) -> list[Mention]:
        """Who made the claim, as the source attributes it ("according to …"), linked."""
        if self.kind == "statement":
            return []
        who = (self.claim.according_to_official, self.claim.according_to)
        return [Mention.of(entity) for entity in who if entity is not None]

    @property
    def background(self) -> str:
        """Our own words about an agreement (its purpose): shown as background, unmarked."""
        return self.claim.purpose if self.kind == "agreement" and not self.named_only else ""

    @property
    def kind_label(self) -> str:
        """An agreement's kind, unless its title already says it ("… loan of $212m …")."""
        kind = self.claim.get_kind_display()
        return "" if kind.lower() in self.claim.title.lower() else capfirst(kind)

    # -- A statement: who said it, in what context, where; its words -------------------------
    @property
    def fragments(self) -> list[str]:
        """A quote's pieces (each shown in quotation marks, joined by " … ")."""
        return self.claim.fragments or [self.claim.quote]

    @property
    def paraphrase(self) -> bool:
        return self.claim.form == Statement.Form.PARAPHRASE

    @property
    def reported(self) -> str:
        """A paraphrase's words, closed by a full stop: "this desire … for oil and gas."."""
        words = " ".join(self.fragments)
        return words if words.endswith((".", "!", "?", "…")) else f"{words}."

    @property
    def joint(self) -> bool:
        """Words the parties said together: no speaker, no speaking organisation."""
        return self.speaker is None and self.speaker_organisation is None

    @property
    def opening(self) -> str:
        """How joint words are introduced: their context says who and how ("Belarus and Iran
        agreed"); without one, the parties and the reporting verb."""
        return capfirst(self.claim.context) or f"The parties {self.claim.verb}"

    @property
    def event(self) -> Event | None:
        """The event a statement told on its own was made at, when a reader may see it: a
        statement whose event the page shows is told inside that event's item instead."""
        if self.kind != "statement" or self.within is not None:
            return None
        return visibility.event_of(self.claim)

    @property
    def label(self) -> str:
        """How the notes name this item when linking back to it."""
        if self.kind != "statement":
            return self.claim.title
        who = self.speaker.mention.name if self.speaker else ""
        if not who and self.speaker_organisation:
            who = capfirst(self.speaker_organisation.label)
        words = " … ".join(self.fragments)
        if len(words) > LABEL_QUOTE:
            words = words[: LABEL_QUOTE - 1].rstrip() + "…"
        words = words if self.paraphrase else f"“{words}”"  # reported words are no quote
        return f"{who}: {words}" if who else words


@dataclass
class Section:
    domain: Domain | None
    items: list[Item]
    total: int
    timeline_url: str
    more_on: list[Mention]
    title: str = ""  # the dossier's own title for it (its Relationship's), if any

    @property
    def slug(self) -> str:
        return self.domain.slug if self.domain else "other"

    @property
    def name(self) -> str:
        if self.title:
            return self.title
        return self.domain.name if self.domain else "Other relations"

    @property
    def told(self) -> int:
        """The facts shown: items and the parts told inside them."""
        return sum(1 + len(item.parts) for item in self.items)

    @property
    def more(self) -> int:
        return max(self.total - self.told, 0)


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
        domains, titles, introduction = dossier_domains(self.pair.slug)
        summary = counts.summary(self.pair, domains)
        chosen = newest.chosen(self.pair, domains, summary, self.section_size)
        order = {d.pk: n for n, d in enumerate(domains)}
        sections = sorted(chosen, key=lambda s: order.get(s, len(order)))
        by_section = {s: [Item.of(told, s) for told in chosen[s]] for s in sections}
        items = [item for s in sections for item in by_section[s]]
        told = [each for item in items for each in (item, *item.parts)]
        people.name_participants(told, {self.first.pk, self.second.pk})
        cited, stated = notes.read([each.claim for each in told], self.as_of)
        note_views = notes.number(items, cited, stated)
        domain_of = {d.pk: d for d in domains}
        return {
            "sections": [
                Section(
                    domain=domain_of.get(s),
                    items=by_section[s],
                    total=max(summary.section_total(s), len(by_section[s])),
                    timeline_url=self.timeline_url(domain_of.get(s)),
                    more_on=people.more_on(by_section[s], MORE_ON_LIMIT),
                    title=titles.get(s, ""),
                )
                for s in sections
            ],
            "notes": note_views,
            "summary": summary,
            "introduction": introduction,
            # (counted a moment before the items were read: never fewer than they are)
            "counts": {
                kind: max(summary.total(kind), sum(t.kind == kind for t in told)) for kind in KINDS
            },
            "span": self.span(summary),
            "section_size": self.section_size,
        }

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
