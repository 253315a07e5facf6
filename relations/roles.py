"""The two editorial roles, as auth groups with permissions.

- **Analyst**: adds and changes content, sees every version of it; cannot publish, cannot delete
  published records (the admin enforces that per record), never touches users or groups.
- **Editor**: all an analyst can, plus publish, delete anything, revert and recover from history;
  and unlock a login locked out by django-axes (see its failed attempts, delete one to unlock).

Created after every ``migrate`` (permissions only exist once all migrations ran, so a data
migration cannot do it on a fresh database) and by ``manage.py setup_roles``; both idempotent.
Permissions a role should not have are removed, so the groups always match this file.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

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
        # Deleting drafts and citations is part of editing; published records are refused
        # per object in the admin (ContentAdmin.has_delete_permission).
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
