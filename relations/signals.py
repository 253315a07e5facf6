"""Writes through the ORM that change what readers see bump the knowledge-base version.

Connected in ``RelationsConfig.ready()``. Saves, deletions and many-to-many changes of every
content model are heard here; bulk writers that send no signals (``import_kb`` and the admin's
fixture import, ``generate_kb``, ``delete_generated``, ``sync_countries``) call
``core.cache.bump`` themselves. Whether a write matters to readers is
``relations.visibility.affects_readers``: a draft's edit does not.
"""

from __future__ import annotations

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save

from core.cache import bump
from relations import visibility
from relations.models import (
    Agreement,
    Citation,
    Claim,
    Country,
    Domain,
    Event,
    Membership,
    Official,
    Organisation,
    Position,
    Relationship,
    Statement,
)
from sources.models import Footnote, Source

CLAIMS = (Event, Agreement, Statement, Position, Membership)
REFERENCE = (Country, Domain, Organisation, Official, Source, Relationship)


def remember_visibility(sender, instance, raw=False, **kwargs) -> None:
    """Before a claim's save or deletion: was the stored version visible?"""
    if not raw:
        instance._stored_visible = visibility.stored_visible(instance)


def claim_written(sender, instance, using=None, raw=False, **kwargs) -> None:
    was = getattr(instance, "_stored_visible", None)
    if raw or visibility.affects_readers(instance, was_visible=was):
        bump(using)


def claim_deleted(sender, instance, using=None, **kwargs) -> None:
    if getattr(instance, "_stored_visible", True):
        bump(using)


def citation_written(sender, instance, using=None, raw=False, **kwargs) -> None:
    if raw or visibility.affects_readers(instance):
        bump(using)


def remember_citation(sender, instance, **kwargs) -> None:
    """Before a citation's deletion, alone or with its claim (CASCADE: every pre_delete is
    sent before any row goes), while its claim is still there to say whether it is visible."""
    instance._stored_visible = visibility.affects_readers(instance)


def citation_deleted(sender, instance, using=None, **kwargs) -> None:
    if getattr(instance, "_stored_visible", True):
        bump(using)


def footnote_written(sender, instance, using=None, raw=False, **kwargs) -> None:
    """A footnote shows only through visible claims that cite it: a new one (no citation yet)
    or one only drafts cite changes nothing readers see. (Deleting one is refused while any
    claim cites it, so a deletion never does either.)"""
    if raw or visibility.affects_readers(instance):
        bump(using)


def reference_changed(sender, using=None, **kwargs) -> None:
    bump(using)


def links_changed(sender, instance, action, reverse, using=None, **kwargs) -> None:
    """A claim's many-to-many links (domains, countries, ...): they matter when the claim is
    visible; from the other side (a domain's events) always."""
    if not action.startswith("post_"):
        return
    if reverse or not isinstance(instance, Claim) or visibility.is_visible(instance):
        bump(using)


def connect() -> None:
    for model in CLAIMS:
        uid = f"relata-kb-{model._meta.label_lower}"
        pre_save.connect(remember_visibility, sender=model, dispatch_uid=f"{uid}-pre-save")
        pre_delete.connect(remember_visibility, sender=model, dispatch_uid=f"{uid}-pre-delete")
        post_save.connect(claim_written, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(claim_deleted, sender=model, dispatch_uid=f"{uid}-delete")
        for field in model._meta.many_to_many:
            through = field.remote_field.through
            m2m_changed.connect(links_changed, sender=through, dispatch_uid=f"{uid}-{field.name}")
    post_save.connect(citation_written, sender=Citation, dispatch_uid="relata-kb-citation-save")
    pre_delete.connect(remember_citation, sender=Citation, dispatch_uid="relata-kb-citation-pre")
    post_delete.connect(citation_deleted, sender=Citation, dispatch_uid="relata-kb-citation-del")
    post_save.connect(footnote_written, sender=Footnote, dispatch_uid="relata-kb-footnote-save")
    for model in REFERENCE:
        uid = f"relata-kb-{model._meta.label_lower}"
        post_save.connect(reference_changed, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(reference_changed, sender=model, dispatch_uid=f"{uid}-delete")
