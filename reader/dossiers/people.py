"""Who a dossier names: the countries, organisations and officials of its items, and, where the
item's own footnotes state it, the post an official held ("Reza Raei, Vice Governor of the
Central Bank of …") or a state's membership ("Belarus, a member of the Non-Aligned Movement").

A post or a membership is shown only in an item that cites one of the post's (membership's)
footnotes: the sentence that states it. Elsewhere the person or state is named alone, so that a
note never spreads to sentences it does not back. Reference records are public
(``relations.visibility``); posts and memberships are visible claims.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Value

from core.dates import OPEN_LOWER, OPEN_UPPER
from reader import prepared
from reader.dossiers.pairs import KINDS, MODELS
from relations import presentation
from relations.models import Country, Membership, Official, Organisation, Position

if TYPE_CHECKING:
    from reader.dossiers.build import Item
    from relations.footnotes import Note


@dataclass(frozen=True)
class Mention:
    """A country, organisation or official named on the page, linked to its own page."""

    kind: str  # "country", "organisation" or "official"
    key: str  # ISO code or slug
    name: str
    organisation_kind: str = ""
    unnamed: bool = False  # an organisation the sources describe but do not name
    owner: str = ""  # an unnamed organisation's country, and where it is based
    location: str = ""

    @property
    def url(self) -> str:
        return presentation.url_for(self.kind, self.key)

    @property
    def label(self) -> str:
        """The name as used mid-sentence."""
        if self.kind == "organisation":
            return presentation.organisation_name(
                self.name,
                self.organisation_kind,
                unnamed=self.unnamed,
                owner=self.owner,
                location=self.location,
            )
        if self.kind == "country":
            return presentation.country_name(self.name)
        return self.name

    @classmethod
    def of(cls, entity: Country | Organisation | Official) -> Mention:
        """A loaded record (an organisation with its ``country`` and ``location``)."""
        if isinstance(entity, Country):
            return cls("country", entity.code, entity.name)
        if isinstance(entity, Organisation):
            owner = entity.country.name if entity.unnamed and entity.country_id else ""
            location = entity.location.name if entity.unnamed and entity.location_id else ""
            details = (entity.kind, entity.unnamed, owner, location)
            return cls("organisation", entity.slug, entity.name, *details)
        return cls("official", entity.slug, entity.name)


# What an organisation's mention reads besides itself (for select_related).
ORGANISATION_RELATED = ("country", "location")


@dataclass
class Named:
    """A country, organisation or official as named in one item: with the post held or the
    membership, when the item's own footnotes state it (``role``, with those notes)."""

    mention: Mention
    entity_id: int
    role: str = ""  # "Vice Governor of the Central Bank of …", "a member of the NAM"
    role_notes: list[Note] = field(default_factory=list)
    role_claim: Position | Membership | None = None

    @property
    def url(self) -> str:
        return self.mention.url

    @property
    def label(self) -> str:
        return self.mention.label

    @property
    def unnamed(self) -> bool:
        return self.mention.unnamed

    @classmethod
    def of(cls, entity: Country | Organisation | Official) -> Named:
        return cls(Mention.of(entity), entity.pk)


# (owner kind, relation, target kind, target's key, whether an organisation)
LINKS = [
    ("event", "countries", "country", "code", False),
    ("event", "organisations", "organisation", "slug", True),
    ("event", "officials", "official", "slug", False),
    ("agreement", "countries", "country", "code", False),
    ("agreement", "organisations", "organisation", "slug", True),
]
NO_TEXT = Value("", output_field=models.CharField())


def _link_rows(owner: str, relation: str, target: str, key: str, organisation: bool, ids):
    through = getattr(MODELS[owner], relation).through
    if organisation:
        extra = (
            f"{target}__kind",
            f"{target}__unnamed",
            f"{target}__country__name",
            f"{target}__location__name",
        )
    else:
        extra = (NO_TEXT, Value(False, output_field=models.BooleanField()), NO_TEXT, NO_TEXT)
    return through.objects.filter(**{f"{owner}_id__in": ids}).values_list(
        Value(owner), f"{owner}_id", Value(target), f"{target}_id", f"{target}__{key}",
        f"{target}__name", *extra,
    )  # fmt: skip


def participant_rows(events: list[int], agreements: list[int]) -> models.QuerySet:
    """The link rows of these events and agreements: a UNION ALL over the five link tables
    (compiled once per number of each: ``reader.prepared``)."""
    ids = {"event": events, "agreement": agreements}
    parts = [_link_rows(*link, ids[link[0]]) for link in LINKS if ids[link[0]]]
    return parts[0].union(*parts[1:], all=True)


def name_participants(items: list[Item], pair: set[int]) -> None:
    """Countries, organisations and officials of the events and agreements given (items and
    parts), and the speakers of the statements: one query, a UNION ALL over the five link
    tables. An event's countries of the pair are kept apart (``pair_countries``): the dossier
    is theirs, so they are named only where a membership of theirs is stated."""
    ids = {kind: [i.claim.pk for i in items if i.kind == kind] for kind in KINDS}
    by_claim: dict[tuple[str, int], list[tuple]] = defaultdict(list)
    for owner, owner_id, *participant in prepared.rows(
        participant_rows, ids["event"], ids["agreement"]
    ):
        by_claim[owner, owner_id].append(participant)
    for item in items:
        if item.kind == "statement":
            statement = item.claim
            if statement.speaker:
                item.speaker = Named.of(statement.speaker)
            if statement.speaker_organisation:
                item.speaker_organisation = Named.of(statement.speaker_organisation)
            continue
        for target, target_id, key, name, kind, unnamed, owner, location in sorted(
            by_claim[item.kind, item.claim.pk], key=lambda r: r[3]
        ):
            details = (owner or "", location or "") if unnamed else ("", "")
            named = Named(Mention(target, key, name, kind, unnamed, *details), target_id)
            if target == "official":
                item.people.append(named)
            elif target == "organisation":
                item.organisations.append(named)
            elif target_id not in pair or item.kind == "agreement":
                item.countries.append(named)
            else:
                item.pair_countries.append(named)


# --- Posts and memberships, where the item's footnotes state them ----------------------------
@dataclass
class Stated:
    """The visible posts and memberships that cite a footnote the page's claims cite, each with
    the footnotes (ids) it cites among those."""

    posts: dict[int, list[tuple[Position, set[int]]]] = field(default_factory=dict)
    memberships: dict[tuple[str, int], list[tuple[Membership, set[int]]]] = field(
        default_factory=dict
    )

    def add(self, claim: Position | Membership, footnote_id: int) -> None:
        if isinstance(claim, Position):
            self._add(self.posts.setdefault(claim.official_id, []), claim, footnote_id)
        else:
            member = (
                ("country", claim.member_country_id)
                if claim.member_country_id
                else ("organisation", claim.member_organisation_id)
            )
            self._add(self.memberships.setdefault(member, []), claim, footnote_id)

    @staticmethod
    def _add(found: list, claim: Any, footnote_id: int) -> None:
        for known, footnotes in found:
            if known.pk == claim.pk:
                footnotes.add(footnote_id)
                return
        found.append((claim, {footnote_id}))

    def of(self, named: Named) -> list[tuple[Position | Membership, set[int]]]:
        if named.mention.kind == "official":
            return self.posts.get(named.entity_id, [])
        return self.memberships.get((named.mention.kind, named.entity_id), [])


def give_roles(
    names: Iterable[Named | None],
    claim: Any,
    notes: list[Note],
    stated: Stated,
    given: set[tuple[str, int]] | None = None,
) -> None:
    """Name with each official the post, with each state or organisation the membership, that
    one of ``notes`` (the claim's own) states; with those notes as its markers. ``given`` holds
    the roles an item has already stated: a role is said once per item, at its first mention
    (not again when the person who took part also speaks there)."""
    by_footnote = {note.footnote_id: note for note in notes}
    given = set() if given is None else given
    for named in names:
        if named is None:
            continue
        backed = [held for held, footnotes in stated.of(named) if footnotes & by_footnote.keys()]
        chosen = held_at(backed, claim) or (backed[0] if backed else None)
        if chosen is None or (key := (chosen._meta.model_name, chosen.pk)) in given:
            continue
        given.add(key)
        footnotes = next(f for held, f in stated.of(named) if held.pk == chosen.pk)
        named.role_claim = chosen
        named.role = post_text(chosen) if isinstance(chosen, Position) else membership_text(chosen)
        named.role_notes = sorted(
            (by_footnote[f] for f in footnotes if f in by_footnote), key=lambda n: n.number
        )
        for note in named.role_notes:
            if chosen not in note.claims:
                note.claims.append(chosen)


def held_at(held: list[Any], claim: Any) -> Any:
    """The post (membership) held at the claim's date: the latest-starting one overlapping it."""
    lower = claim.date_lower or OPEN_LOWER
    upper = claim.date_upper or OPEN_UPPER
    overlapping = [
        h
        for h in held
        if (h.start_lower or OPEN_LOWER) <= upper and (h.end_upper or OPEN_UPPER) >= lower
    ]
    return max(overlapping, key=lambda h: (h.start_lower or OPEN_LOWER, h.slug), default=None)


def _organisation(organisation: Organisation) -> str:
    return Mention.of(organisation).label


def post_text(post: Position) -> str:
    """ "President of Iran", "Vice Governor of the Central Bank of …", "Minister of Culture of
    Belarus" (a ministry's post is named after its country, not the ministry)."""
    organisation = post.organisation
    if organisation and not (organisation.kind == Organisation.Kind.GOVERNMENT and post.country):
        return f"{post.title} of {_organisation(organisation)}"
    if post.country:
        return f"{post.title} of {post.country.name}"
    return post.title


def membership_text(membership: Membership) -> str:
    """ "a member of the Non-Aligned Movement", "an observer of the …"."""
    role = membership.role or "member"
    article = "an" if role[:1].lower() in "aeiou" else "a"
    return f"{article} {role} of {_organisation(membership.organisation)}"


def more_on(items: Iterable[Item], limit: int) -> list[Mention]:
    """The organisations and officials a section names, in order of first mention."""
    seen: dict[Mention, None] = {}
    for item in items:
        for told in (item, *(part for part in item.parts if not part.named_only)):
            people, organisations = told.people, told.organisations
            for named in (*people, told.speaker, *organisations, told.speaker_organisation):
                if named:
                    seen.setdefault(named.mention)
    return list(seen)[:limit]
