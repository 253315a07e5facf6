"""Who a dossier names: the countries, organisations and officials of its items, and the post
each official held at the item's date ("Reza Raei (Vice Governor of the Central Bank of …)").

Reference records are public (``relations.visibility``); the posts are visible positions.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Value

from core.dates import OPEN_LOWER, OPEN_UPPER
from reader.dossiers.pairs import KINDS, MODELS, known_by
from relations import presentation, visibility
from relations.models import Country, Organisation, Position

if TYPE_CHECKING:
    from reader.dossiers.build import Item


@dataclass(frozen=True)
class Mention:
    """A country, organisation or official named on the page, linked to its own page."""

    kind: str  # "country", "organisation" or "official"
    key: str  # ISO code or slug
    name: str
    organisation_kind: str = ""
    # Named like a Person in the templates: no post, no anchor for the notes to link back to.
    anchor = ""
    post_text = ""

    @property
    def url(self) -> str:
        return presentation.url_for(self.kind, self.key)

    @property
    def label(self) -> str:
        """The name as used mid-sentence."""
        if self.kind == "organisation":
            return presentation.organisation_name(self.name, self.organisation_kind)
        return self.name

    @classmethod
    def of(cls, entity: Country | Organisation | Any) -> Mention:
        if isinstance(entity, Country):
            return cls("country", entity.code, entity.name)
        if isinstance(entity, Organisation):
            return cls("organisation", entity.slug, entity.name, entity.kind)
        return cls("official", entity.slug, entity.name)


@dataclass
class Person:
    """An official as named in an item: with the post held then, if we have it on record."""

    mention: Mention
    official_id: int
    post: Position | None = None
    post_text: str = ""
    anchor: str = ""  # set on the first mention of a post, for the notes to link back to

    @property
    def url(self) -> str:
        return self.mention.url

    @property
    def label(self) -> str:
        return self.mention.name


# (owner kind, relation, target kind, target's key, target's organisation kind)
LINKS = [
    ("event", "countries", "country", "code", None),
    ("event", "organisations", "organisation", "slug", "kind"),
    ("event", "officials", "official", "slug", None),
    ("agreement", "countries", "country", "code", None),
    ("agreement", "organisations", "organisation", "slug", "kind"),
]


def name_participants(items: list[Item], pair: set[int]) -> None:
    """Countries (other than the ``pair``'s, for events), organisations and officials of the
    events and agreements shown, and the speakers of the statements: one query, a UNION ALL
    over the five link tables."""
    ids = {kind: [i.claim.pk for i in items if i.kind == kind] for kind in KINDS}
    parts = []
    for owner, relation, target, key, kind in LINKS:
        if ids[owner]:
            through = getattr(MODELS[owner], relation).through
            parts.append(
                through.objects.filter(**{f"{owner}_id__in": ids[owner]}).values_list(
                    Value(owner),
                    f"{owner}_id",
                    Value(target),
                    f"{target}_id",
                    f"{target}__{key}",
                    f"{target}__name",
                    f"{target}__{kind}" if kind else Value(""),
                )
            )
    by_claim: dict[tuple[str, int], list[tuple]] = defaultdict(list)
    if parts:
        for owner, owner_id, *participant in parts[0].union(*parts[1:], all=True):
            by_claim[owner, owner_id].append(participant)
    for item in items:
        if item.kind == "statement":
            statement = item.claim
            if statement.speaker:
                item.speaker = Person(Mention.of(statement.speaker), statement.speaker.pk)
            if statement.speaker_organisation:
                item.speaker_organisation = Mention.of(statement.speaker_organisation)
            continue
        for target, target_id, key, name, org_kind in sorted(
            by_claim[item.kind, item.claim.pk], key=lambda r: r[3]
        ):
            mention = Mention(target, key, name, org_kind)
            if target == "official":
                item.people.append(Person(mention, target_id))
            elif target == "organisation":
                item.organisations.append(mention)
            elif target_id not in pair or item.kind == "agreement":
                item.countries.append(mention)


def name_posts(items: list[Item], as_of: datetime.date | None) -> list[Position]:
    """Attach to each official named the post held at the item's date (one query); the posts
    read, for their footnotes."""
    people = [p for item in items for p in (*item.people, item.speaker) if p]
    if not people:
        return []
    posts = visibility.positions().filter(official_id__in={p.official_id for p in people})
    if as_of:
        posts = posts.filter(known_by(as_of, "start"))
    by_official: dict[int, list[Position]] = defaultdict(list)
    # (no ordering: Position's default sorts by official name, a join for nothing here)
    for post in posts.select_related("country", "organisation").order_by():
        by_official[post.official_id].append(post)
    for item in items:
        for person in (*item.people, item.speaker):
            if person:
                person.post = post_at(by_official[person.official_id], item.claim)
                person.post_text = post_text(person.post) if person.post else ""
    return [post for posts in by_official.values() for post in posts]


def post_at(posts: list[Position], claim: Any) -> Position | None:
    """The post held at the claim's date: the latest-starting one that overlaps it."""
    lower = claim.date_lower or OPEN_LOWER
    upper = claim.date_upper or OPEN_UPPER
    held = [
        p
        for p in posts
        if (p.start_lower or OPEN_LOWER) <= upper and (p.end_upper or OPEN_UPPER) >= lower
    ]
    return max(held, key=lambda p: (p.start_lower or OPEN_LOWER, p.pk), default=None)


def post_text(post: Position) -> str:
    """ "President of Iran", "Vice Governor of the Central Bank of …", "Minister of Culture of
    Belarus" (a ministry's post is named after its country, not the ministry)."""
    organisation = post.organisation
    if organisation and not (organisation.kind == Organisation.Kind.GOVERNMENT and post.country):
        name = presentation.organisation_name(organisation.name, organisation.kind)
        return f"{post.title} of {name}"
    if post.country:
        return f"{post.title} of {post.country.name}"
    return post.title


def more_on(items: Iterable[Item], limit: int) -> list[Mention]:
    """The organisations and officials a section names, in order of first mention."""
    seen: dict[Mention, None] = {}
    for item in items:
        for person in (*item.people, item.speaker):
            if person:
                seen.setdefault(person.mention)
        for mention in (*item.organisations, item.speaker_organisation):
            if mention:
                seen.setdefault(mention)
    return list(seen)[:limit]
