"""The two editorial roles, as auth groups with permissions.

- **Analyst**: adds and changes content, sees every version of it; cannot publish, never
  touches users or groups. Deletes drafts, and reference data no published claim uses; not a
  published claim, nor a country, organisation, official, domain, relationship, source or
  footnote that a published claim names or rests on (:func:`may_delete`, asked per record by
  the admin: it offers no Delete there, and refuses a forced request).
- **Editor**: all an analyst can, plus publish, delete anything, revert and recover from history;
  and unlock a login locked out by django-axes (see its failed attempts, delete one to unlock).

Created after every ``migrate`` (permissions only exist once all migrations ran, so a data
migration cannot do it on a fresh database) and by ``manage.py setup_roles``; both idempotent.
Permissions a role should not have are removed, so the groups always match this file.
"""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.contrib.auth.models import Group, Permission
from django.db import models
from django.db.models import Exists, Q

ANALYST = "Analyst"
EDITOR = "Editor"

CONTENT_APPS = ("relations", "sources")
# django-axes' records of failed logins: deleting an access attempt lifts its lockout.
UNLOCK_LOGINS = Q(
    content_type__app_label="axes",
    codename__in=["view_accessattempt", "delete_accessattempt"],
)


def _content(actions: tuple[str, ...], *, history: bool = False) -> Q:
    models_q = Q(content_type__model__startswith="historical")
    if not history:
        models_q = ~models_q
    codes = Q()
    for action in actions:
        codes |= Q(codename__startswith=f"{action}_")
    return Q(content_type__app_label__in=CONTENT_APPS) & models_q & codes


def role_permissions() -> dict[str, Q]:
    analyst = (
        _content(("add", "change", "view"))
        # Deleting drafts and citations is part of editing; published claims, and reference
        # data they use, are refused per record (may_delete, asked by the admin).
        | _content(("delete",))
        | _content(("view",), history=True)
    )
    editor = analyst | _content(("publish",)) | _content(("change",), history=True) | UNLOCK_LOGINS
    return {ANALYST: analyst, EDITOR: editor}


def ensure_roles(**kwargs) -> dict[str, int]:
    """Create or update the groups; returns the number of permissions each ended with."""
    counts = {}
    for name, condition in role_permissions().items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = Permission.objects.filter(condition)
        if name == ANALYST:
            # Reference data is shared by everyone's work: only editors remove it.
            permissions = permissions.exclude(codename__startswith="publish_").exclude(
                codename__in=["add_country", "delete_country", "delete_domain"]
            )
        group.permissions.set(permissions)
        counts[name] = permissions.count()
    return counts


# --- Deleting, per record ---------------------------------------------------------------------
# Editors publish; deleting what readers rely on is theirs too. (The right to publish events
# says who is an editor: a permission of its own would need a migration for no gain.)
EDITORIAL_PERMISSION = "relations.publish_event"


def may_delete(user, obj: models.Model) -> bool:
    """Whether ``user`` (who has the model's delete permission) may delete this record: a
    published claim, or reference data a published claim uses, is an editor's to delete.
    At most one query (for an analyst and reference data: :func:`in_published_use`)."""
    from relations.models import Claim, Status

    if isinstance(obj, Claim):
        publish = f"{obj._meta.app_label}.publish_{obj._meta.model_name}"
        return obj.status != Status.PUBLISHED or user.has_perm(publish)
    if type(obj) not in reference_models() or user.has_perm(EDITORIAL_PERMISSION):
        return True
    return not in_published_use(obj)


def refusal(obj: models.Model) -> str:
    """Why an analyst may not delete ``obj``, in a line."""
    what = f"{obj._meta.verbose_name} “{obj}”"
    if hasattr(obj, "status"):
        return f"{what} is published: deleting it is an editor's act (withdraw it first)."
    return f"{what} is used by published claims: deleting it is an editor's act."


def reference_models() -> tuple[type[models.Model], ...]:
    from relations.models import Country, Domain, Official, Organisation, Relationship
    from sources.models import Footnote, Source

    return (Country, Domain, Organisation, Official, Relationship, Source, Footnote)


def claim_models() -> list[type[models.Model]]:
    from relations.models import CLAIM_FIELDS, Citation

    return [Citation._meta.get_field(name).related_model for name in CLAIM_FIELDS]


def in_published_use(obj: models.Model) -> bool:
    """Whether a published claim names ``obj`` (any foreign key or many-to-many field of a
    claim pointing at its model) or rests on it (a footnote it cites, or that footnote's
    source): one query, an EXISTS per way of using it, each answered from an index."""
    from relations.models import Status
    from sources.models import Footnote, Source

    uses = []
    for claim in claim_models():
        published = claim._default_manager.filter(status=Status.PUBLISHED)
        for field in claim._meta.get_fields():
            named = isinstance(field, models.ForeignKey | models.ManyToManyField)
            if named and field.related_model is type(obj):
                uses.append(Exists(published.filter(**{field.name: obj.pk})))
        if isinstance(obj, Footnote):
            uses.append(Exists(published.filter(citations__footnote=obj.pk)))
        elif isinstance(obj, Source):
            uses.append(Exists(published.filter(citations__footnote__source=obj.pk)))
    if not uses:
        return False
    return type(obj)._base_manager.filter(pk=obj.pk).filter(reduce(or_, uses)).exists()
