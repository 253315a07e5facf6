"""Merging an event into its twin: one record of what happened, the other withdrawn.

The duplicate warning (``EventAdmin.warn_of_duplicates``) offers it; the admin's merge page
confirms it. :func:`merge_events` moves everything that rests on the other event to the kept
one, then deletes the other, all in one transaction:

- its citations (a footnote the kept event cites already is not cited twice: the other's
  remark, if any, is added to the kept citation's);
- its participants, domains, concerns and agreements (the union of both);
- the statements made at it (``Statement.event``);
- place, summary and attribution where the kept event has none.

The other is first withdrawn (back to draft), so that recovering it from "Recover deleted"
brings back a draft, never a published claim without its citations. Each record written is one
history entry saying "merged <other> into <kept>" (``core.history.one_entry``), and a published
claim stays cited (``relations.models.cited.checked``).
"""

from __future__ import annotations

from django.db import router
from django.db.models import ProtectedError

from core import history
from relations.models import Event, Statement, Status, cited

# Taken from the other event where the kept one leaves them blank.
FILLED_IN = ("place", "summary", "according_to", "according_to_official")


class MergeRefused(Exception):
    """The merge cannot be done as asked; the message says why."""


def reason(kept: Event, other: Event) -> str:
    return f"merged {other.slug} into {kept.slug}"


def merge_events(*, kept: Event, other: Event, user) -> Event:
    """Merge ``other`` into ``kept`` and delete ``other``; returns the kept event as saved.
    Raises :class:`MergeRefused` (nothing written) if the two are one, or if something else
    still needs the other event (a protected reference)."""
    if kept.pk == other.pk:
        raise MergeRefused("An event cannot be merged into itself.")
    using = router.db_for_write(Event)
    with history.one_entry(reason(kept, other), using=using), cited.checked(using):
        # Locked in id order (two merges of the same pair cannot deadlock), and read afresh.
        locked = Event.objects.using(using).select_for_update().filter(pk__in=[kept.pk, other.pk])
        fresh = {event.pk: event for event in locked.order_by("pk")}
        if len(fresh) < 2:
            raise MergeRefused("One of the two events no longer exists: nothing was merged.")
        kept, other = fresh[kept.pk], fresh[other.pk]
        kept._history_user = other._history_user = user

        if other.status != Status.DRAFT:
            other.status = Status.DRAFT  # withdrawn first: see the module's docstring
            other.save(update_fields=["status"])
        _move_citations(kept, other, user)
        for field in Event._meta.many_to_many:
            getattr(kept, field.name).add(*getattr(other, field.name).all())
        for statement in Statement.objects.using(using).filter(event=other).order_by("pk"):
            statement.event = kept
            statement._history_user = user
            statement.save(update_fields=["event"])
        for name in FILLED_IN:
            if not getattr(kept, name) and getattr(other, name):
                setattr(kept, name, getattr(other, name))
        kept.save()
        try:
            other.delete()
        except ProtectedError as error:
            names = ", ".join(sorted({str(obj) for obj in error.protected_objects})[:5])
            raise MergeRefused(
                f"“{other}” is still needed by: {names}. Nothing was merged."
            ) from error
    return kept


def _move_citations(kept: Event, other: Event, user) -> None:
    cited_by_kept = {c.footnote_id: c for c in kept.citations.all()}
    for citation in other.citations.order_by("pk"):
        citation._history_user = user
        twin = cited_by_kept.get(citation.footnote_id)
        if twin is None:
            citation.event = kept
            citation.save()
            continue
        # The kept event rests on this footnote already: keep one citation, and the remark.
        if citation.note and citation.note not in twin.note:
            twin.note = f"{twin.note}\n{citation.note}".strip()
            twin._history_user = user
            twin.save(update_fields=["note"])
        citation.delete()
