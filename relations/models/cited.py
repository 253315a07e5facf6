"""One rule on every write path: a published claim has at least one citation.

Where it is kept:

- **PostgreSQL**: constraint triggers named ``published_claim_cited`` (migration 0012),
  ``DEFERRABLE INITIALLY DEFERRED``, on a citation's deletion or move to another claim and on a
  claim's insertion or publication. They check at commit, so a claim may be published before
  its citations are written in the same transaction, and they lock the claim's row, so two
  transactions that each remove one of its two citations cannot both pass. Nothing bypasses
  them but a bulk load that says so (:func:`bulk_load`) and checks set-based instead.
- **Every database** (SQLite, the demo's, has no deferred triggers): the models check the same
  rule when they write (``Citation.delete``/``save``, ``CitationQuerySet.delete``/``update``,
  ``Claim.save``, ``ClaimQuerySet.update``). A published claim being inserted is not checked
  there (its citations can only follow it): PostgreSQL's trigger does, on SQLite the callers
  do (inside :func:`checked`, the admin's inline formset, the loaders' set-based check).
- Inside :func:`checked` the models' checks wait for the end of the block (the admin saves a
  claim, then its inline rows), where PostgreSQL's triggers are fired too: a refusal is one
  exception, :class:`UncitedClaim`, which the admin turns into a message.

This module imports no model (the models call it): it reaches them through the querysets.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import IntegrityError, connections, models
from django.db.models import Exists, OuterRef

CONSTRAINT = "published_claim_cited"
#: "on" for a bulk load's transaction (SET LOCAL): read by the citation triggers' WHEN clause
#: (migration 0012) and by the search words' triggers, which wait for its end (0015).
BULK_LOAD_SETTING = "relata.bulk_load"

# Per database alias: the claims to check at the end of the outermost ``checked`` block.
_pending: ContextVar[dict[str, dict[type[models.Model], set[int]]] | None] = ContextVar(
    "relata_cited_pending", default=None
)


class UncitedClaim(IntegrityError):
    """A write would leave a published claim without a citation (or publish one without)."""

    def __init__(self, message: str, claim: models.Model | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.claim = claim


MESSAGES = {
    "leaving": "The published {name} “{claim}” would be left without a citation: withdraw it "
    "first (back to draft), or add another citation to it.",
    "publishing": "The {name} “{claim}” cannot be published without a citation: cite it "
    "first, or keep it as a draft.",
    "uncited": "The {name} “{claim}” is published without a citation: cite it, or keep it as "
    "a draft.",
    "loaded": "The published {name} “{claim.slug}” has no citation: nothing was loaded. Cite "
    "it, or load it as a draft.",
}


def refusal(claim: models.Model, why: str = "leaving") -> UncitedClaim:
    return UncitedClaim(MESSAGES[why].format(name=claim._meta.verbose_name, claim=claim), claim)


# --- The models' checks -------------------------------------------------------------------------
def _claim_fields(citations: models.QuerySet) -> list[models.ForeignKey]:
    model = citations.model
    return [model._meta.get_field(name) for name in model.claim_fields]


def leaving(citations: models.QuerySet) -> models.Model | None:
    """The first published claim that every one of its citations is among ``citations``:
    the one that deleting (or moving) them would leave uncited."""
    rows = list(citations.values_list("pk", *(f.attname for f in _claim_fields(citations))))
    if not rows:
        return None
    ids = [row[0] for row in rows]
    others = citations.model._base_manager.using(citations.db).exclude(pk__in=ids)
    for i, field in enumerate(_claim_fields(citations), start=1):
        claim_ids = {row[i] for row in rows if row[i] is not None}
        if not claim_ids:
            continue
        found = (
            field.related_model._default_manager.using(citations.db)
            .filter(pk__in=claim_ids)
            .published()
            .exclude(Exists(others.filter(**{field.name: OuterRef("pk")})))
            .first()
        )
        if found is not None:
            return found
    return None


def before_uncite(citations: models.QuerySet) -> None:
    """Before ``citations`` are deleted or moved: refuse if that leaves a published claim
    uncited (inside ``checked``: note their claims, to check at the block's end)."""
    pending = _pending.get()
    if pending is not None and citations.db in pending:
        fields = _claim_fields(citations)
        for row in citations.values_list(*(f.attname for f in fields)):
            for field, claim_id in zip(fields, row, strict=True):
                if claim_id is not None:
                    pending[citations.db].setdefault(field.related_model, set()).add(claim_id)
        return
    claim = leaving(citations)
    if claim is not None:
        raise refusal(claim)


def before_publish(claims: models.QuerySet) -> None:
    """Before ``claims`` (stored, not yet published) become published: refuse if one has no
    citation (inside ``checked``: note them, to check at the block's end)."""
    pending = _pending.get()
    if pending is not None and claims.db in pending:
        noted = pending[claims.db].setdefault(claims.model, set())
        noted.update(claims.values_list("pk", flat=True))
        return
    claim = claims.uncited().first()
    if claim is not None:
        raise refusal(claim, "publishing")


def after_insert(claim: models.Model, using: str) -> None:
    """A claim inserted as published: its citations can only follow it, so it is checked at
    the end of the ``checked`` block if there is one; otherwise PostgreSQL checks it at
    commit, and on SQLite the caller answers for it (see the module's docstring)."""
    pending = _pending.get()
    if pending is not None and using in pending:
        pending[using].setdefault(type(claim), set()).add(claim.pk)


def first_uncited(claims: Iterable[models.QuerySet]) -> models.Model | None:
    """The first published claim without a citation among ``claims`` (one query each)."""
    for queryset in claims:
        found = queryset.published().uncited().order_by("pk").first()
        if found is not None:
            return found
    return None


# --- Blocks -----------------------------------------------------------------------------------
@contextmanager
def checked(using: str) -> Iterator[None]:
    """Check the rule once, at the end of this block (inside the caller's transaction): the
    models' noted checks, then PostgreSQL's deferred triggers, so that a refusal is raised
    here as :class:`UncitedClaim` rather than at commit."""
    outer = _pending.get()
    if outer is not None and using in outer:
        yield  # the enclosing block checks
        return
    token = _pending.set({**(outer or {}), using: {}})
    try:
        yield
        noted = _pending.get()[using]
    finally:
        _pending.reset(token)
    claim = first_uncited(
        model._default_manager.using(using).filter(pk__in=sorted(ids))
        for model, ids in noted.items()
        if ids
    )
    if claim is not None:
        raise refusal(claim, "uncited")
    check_deferred(using)


def check_deferred(using: str) -> None:
    """Fire PostgreSQL's pending ``published_claim_cited`` checks now, raising UncitedClaim
    (inside the caller's atomic block, which the exception then rolls back)."""
    connection = connections[using]
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"SET CONSTRAINTS {CONSTRAINT} IMMEDIATE")
            cursor.execute(f"SET CONSTRAINTS {CONSTRAINT} DEFERRED")
    except IntegrityError as error:
        if is_refusal(error):
            raise UncitedClaim(database_message(error)) from error
        raise


def is_refusal(error: BaseException) -> bool:
    """Whether a database error is this rule's trigger refusing."""
    if isinstance(error, UncitedClaim):
        return True
    diag = getattr(error.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None) == CONSTRAINT


def database_message(error: BaseException) -> str:
    diag = getattr(error.__cause__, "diag", None)
    return getattr(diag, "message_primary", None) or str(error)


def start_bulk_load(using: str) -> bool:
    """Switch PostgreSQL's per-row checks off for the rest of this transaction (``SET LOCAL``
    of the setting their WHEN clause reads: a million-row load queues nothing). True if this
    call switched them off, so the caller finishes with :func:`finish_bulk_load`; False if an
    enclosing load did (it checks)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s, true)", [BULK_LOAD_SETTING])
        if cursor.fetchone()[0] == "on":
            return False
        cursor.execute("SELECT set_config(%s, 'on', true)", [BULK_LOAD_SETTING])
    return True


def finish_bulk_load(using: str, claims: Iterable[models.QuerySet]) -> None:
    """Switch the per-row checks back on, store the loaded events' search words and check what
    was loaded set-based, before the caller commits: ``claims`` are querysets of the loaded
    claims, one per claim model. Raises :class:`UncitedClaim` naming the first published one
    without a citation."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, 'off', true)", [BULK_LOAD_SETTING])
            # The search words of the events the load wrote, once each (migration 0015).
            cursor.execute("SELECT relata_store_pending_words()")
    claim = first_uncited(claims)
    if claim is not None:
        raise refusal(claim, "loaded")


@contextmanager
def bulk_load(using: str, claims: Iterable[models.QuerySet]) -> Iterator[None]:
    """:func:`start_bulk_load`, then :func:`finish_bulk_load` at the end of the block."""
    outermost = start_bulk_load(using)
    yield
    if outermost:
        finish_bulk_load(using, claims)
