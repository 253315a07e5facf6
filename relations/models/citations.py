"""Citations: which place in which source backs which claim."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models, router
from django.db.models import Q
from simple_history.models import HistoricalRecords

from relations.models import cited
from relations.models.claims import Agreement, Claim, Event, Position, Statement
from relations.models.memberships import Membership
from sources.models import CitationBase

# --- Citations --------------------------------------------------------------------------------
CLAIM_FIELDS = ("event", "agreement", "statement", "position", "membership")


class CitationQuerySet(models.QuerySet):
    def get_by_natural_key(self, footnote: str, claim_kind: str, claim_slug: str) -> Citation:
        if claim_kind not in CLAIM_FIELDS:
            raise self.model.DoesNotExist(f"Unknown claim kind {claim_kind!r}.")
        return self.get(footnote__slug=footnote, **{f"{claim_kind}__slug": claim_slug})

    def for_claims(self, claims: Iterable[Claim]) -> CitationQuerySet:
        """Citations of any of the given claims, whatever their kinds, in one query."""
        by_field: dict[str, list[int]] = {}
        for claim in claims:
            by_field.setdefault(claim._meta.model_name, []).append(claim.pk)
        condition = Q(pk__in=[])
        for field, pks in by_field.items():
            condition |= Q(**{f"{field}__in": pks})
        return self.filter(condition)

    # A published claim keeps a citation (relations.models.cited): refuse removing its last.
    def delete(self):
        cited.before_uncite(self)
        return super().delete()

    delete.alters_data = True
    delete.queryset_only = True

    def update(self, **kwargs) -> int:
        if any(name in kwargs or f"{name}_id" in kwargs for name in CLAIM_FIELDS):
            cited.before_uncite(self)  # moved away from their claims
        return super().update(**kwargs)

    update.alters_data = True


def _exactly_one(fields: Iterable[str]) -> Q:
    fields = list(fields)
    options = [
        Q(**{f"{f}__isnull": False}, **{f"{o}__isnull": True for o in fields if o != f})
        for f in fields
    ]
    condition = options[0]
    for option in options[1:]:
        condition |= option
    return condition


class Citation(CitationBase):
    """One claim resting on one footnote: exactly one of the claim fields is set.

    One table with a foreign key per claim kind (not a generic relation) keeps joins cheap,
    lets the database enforce the link, and numbers a dossier's footnotes in one query.
    """

    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, null=True, blank=True, related_name="citations"
    )
    agreement = models.ForeignKey(
        Agreement, on_delete=models.CASCADE, null=True, blank=True, related_name="citations"
    )
    statement = models.ForeignKey(
        Statement, on_delete=models.CASCADE, null=True, blank=True, related_name="citations"
    )
    position = models.ForeignKey(
        Position, on_delete=models.CASCADE, null=True, blank=True, related_name="citations"
    )
    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, null=True, blank=True, related_name="citations"
    )

    objects = CitationQuerySet.as_manager()
    history = HistoricalRecords()
    claim_fields = CLAIM_FIELDS

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=_exactly_one(CLAIM_FIELDS),
                name="citation_exactly_one_claim",
                violation_error_message="A citation supports exactly one claim: an event, "
                "an agreement, a statement, a post or a membership.",
            ),
            *(
                models.UniqueConstraint(
                    fields=["footnote", field],
                    condition=Q(**{f"{field}__isnull": False}),
                    name=f"citation_unique_{field}_footnote",
                    violation_error_message="This claim already cites that footnote.",
                )
                for field in CLAIM_FIELDS
            ),
        ]

    @property
    def claim(self) -> Claim | None:
        return next((getattr(self, f) for f in CLAIM_FIELDS if getattr(self, f"{f}_id")), None)

    @property
    def claim_kind(self) -> str:
        return next((f for f in CLAIM_FIELDS if getattr(self, f"{f}_id")), "")

    # A published claim keeps a citation (relations.models.cited): its last one is neither
    # deleted nor moved to another claim.
    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
            stored = type(self)._base_manager.using(using).filter(pk=self.pk)
            columns = [self._meta.get_field(name).attname for name in CLAIM_FIELDS]
            before = stored.values_list(*columns).first()
            if before is not None and list(before) != [getattr(self, c) for c in columns]:
                cited.before_uncite(stored)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        cited.before_uncite(type(self)._base_manager.using(using).filter(pk=self.pk))
        return super().delete(*args, **kwargs)

    def natural_key(self) -> tuple[str, str, str]:
        claim = self.claim
        return (self.footnote.slug, self.claim_kind, claim.slug if claim else "")

    natural_key.dependencies = [
        "sources.footnote",
        "relations.event",
        "relations.agreement",
        "relations.statement",
        "relations.position",
        "relations.membership",
    ]
