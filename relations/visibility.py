"""What a reader may see: the one rule every public surface asks.

The timeline (HTML, CSV, JSON, Atom), dossiers, entity pages, indexes, rankings and counts, the
API, ``export_kb`` without ``--include-drafts`` and the changes feed read records through this
module and look at no editorial status themselves (``tests/test_one_rule.py`` reads the source
to hold them to it). The admin's workflow and the importers' validation keep their own status
logic: they deal with drafts, readers never do.

The decisions, each made once:

- **Claims** (events, agreements, statements, posts, memberships) are visible when published.
  Drafts and claims awaiting review never are.
- **A statement made at an event** is visible when published; the event is shown with it only
  when the event is visible too (``event_of``). A *joint* statement (no speaker, no speaking
  organisation: its event's parties said it together) is visible only when its event is: without
  the event it would be attributed to no one.
- **Links between claims** (an event's agreements, an agreement's events, the statements made
  at an event) are shown only when both ends are visible: ``claims`` in prefetches,
  ``claim_q`` through a relation.
- **Citations** are visible when their claim is (``citations``): a draft's sources and locators
  are part of the draft. A **footnote** (a place in a source, with its excerpt) is visible when
  at least one visible claim cites it (``footnotes``).
- **Countries, domains, organisations, officials and sources** are reference records: names of
  states, bodies, people and published works, which assert nothing by themselves. They are
  visible as soon as they exist; what they did or said is shown only through visible claims, so
  an official whose only post is a draft has a page with no post on it. (Keeping a name itself
  private would mean keeping it out of the knowledge base until it can be public.)

``affects_readers`` applies the same decisions to a write: it says whether a save or a deletion
changes what readers see, which is when ``core.cache.bump`` must run.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from relations.models import (
    Agreement,
    Citation,
    Claim,
    ClaimQuerySet,
    Event,
    EventQuerySet,
    Membership,
    Position,
    Statement,
    Status,
)
from sources.models import Footnote

CLAIM_MODELS: dict[str, type[Claim]] = {
    "event": Event,
    "agreement": Agreement,
    "statement": Statement,
    "position": Position,
    "membership": Membership,
}


# --- Conditions (for filters through a relation: prefix "agreement__" and so on) ---------------
def claim_q(model: type[models.Model], prefix: str = "") -> Q:
    """The condition for a visible claim of ``model``, reached through ``prefix``."""
    condition = Q(**{f"{prefix}status": Status.PUBLISHED})
    if model is Statement:
        condition &= (
            Q(**{f"{prefix}speaker__isnull": False})
            | Q(**{f"{prefix}speaker_organisation__isnull": False})
            | Q(**{f"{prefix}event__status": Status.PUBLISHED})
        )
    return condition


def citation_q(prefix: str = "") -> Q:
    """The condition for a visible citation: its claim (whichever kind) is visible."""
    condition = Q(pk__in=[])
    for kind, model in CLAIM_MODELS.items():
        condition |= claim_q(model, f"{prefix}{kind}__")
    return condition


# --- Querysets --------------------------------------------------------------------------------
def claims[M: Claim](model: type[M]) -> ClaimQuerySet:
    """The visible claims of ``model``: where every public list of claims starts."""
    return model._default_manager.filter(claim_q(model))


def events() -> EventQuerySet:
    return claims(Event)


def agreements() -> ClaimQuerySet:
    return claims(Agreement)


def statements() -> ClaimQuerySet:
    return claims(Statement)


def positions() -> ClaimQuerySet:
    return claims(Position)


def memberships() -> ClaimQuerySet:
    return claims(Membership)


def citations() -> models.QuerySet[Citation]:
    """Visible citations: those of visible claims."""
    return Citation.objects.filter(citation_q())


def footnotes() -> models.QuerySet[Footnote]:
    """Visible footnotes: those a visible claim cites (a subquery: each footnote once)."""
    return Footnote.objects.filter(pk__in=citations().values("footnote_id"))


# --- One record -------------------------------------------------------------------------------
def is_visible(obj: models.Model) -> bool:
    """Whether a loaded record may be shown (a statement's event should be loaded with it)."""
    if not isinstance(obj, Claim):
        if isinstance(obj, Footnote):
            return citations().filter(footnote=obj).exists()
        if isinstance(obj, Citation):
            claim = obj.claim
            return claim is not None and is_visible(claim)
        return True  # reference records: see the module's docstring
    if obj.status != Status.PUBLISHED:
        return False
    if isinstance(obj, Statement) and obj.speaker_id is None and not obj.speaker_organisation_id:
        return event_of(obj) is not None  # joint: visible with its event only
    return True


def event_of(statement: Statement) -> Event | None:
    """The event a statement was made at, if a reader may see it (it may be a draft)."""
    if statement.event_id is None:
        return None
    event = statement.event
    return event if event.status == Status.PUBLISHED else None


# --- Writes -----------------------------------------------------------------------------------
def affects_readers(instance: models.Model, *, was_visible: bool | None = None) -> bool:
    """Whether saving or deleting ``instance`` changes what readers see.

    Reference records always do. A claim does when it is visible now or was before the write
    (``was_visible``; None means "look it up": the stored row, before the write lands). A
    draft's edit does not, or no cache would stay warm while analysts work. A citation does
    when its claim is visible; a footnote when a visible claim cites it (a new one, cited by
    nothing yet, does not).
    """
    if isinstance(instance, Footnote):
        return is_visible(instance)
    if isinstance(instance, Citation):
        claim = instance.claim
        return claim is not None and _visible_now_or_stored(claim)
    if not isinstance(instance, Claim):
        return True
    if was_visible is None:
        was_visible = stored_visible(instance)
    return was_visible or is_visible(instance)


def stored_visible(instance: Claim) -> bool:
    """Whether the stored version of ``instance`` (before an unsaved change) is visible."""
    if instance.pk is None:
        return False
    return claims(type(instance)).filter(pk=instance.pk).exists()


def _visible_now_or_stored(claim: Claim) -> bool:
    return is_visible(claim) or stored_visible(claim)
