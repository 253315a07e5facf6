"""Memberships: a country's or an organisation's membership of an organisation over time."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from core.fields import FuzzyDateField
from relations.models.claims import Claim, ClaimQuerySet, Position, tenure_constraints
from relations.models.reference import Country, Organisation


class Membership(Claim):
    """A country's or an organisation's membership of an organisation over time (Popolo's
    sense): "Belarus, as a member of the Non-Aligned Movement"."""

    # PROTECT throughout: a membership is a cited fact about both ends.
    member_country = models.ForeignKey(
        Country,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
        help_text="The member state (or give a member organisation).",
    )
    member_organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships_held",
        help_text="The member organisation (or give a member state).",
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="members",
        help_text="The organisation it is a member of.",
    )
    role = models.CharField(
        max_length=100,
        default="member",
        help_text="'member', 'observer', 'founding member', 'chair'…",
    )
    start = FuzzyDateField("from", blank=True, help_text="When it joined, if known.")
    start_lower, start_upper, start_precision = FuzzyDateField.companions("start")
    end = FuzzyDateField("to", blank=True, help_text="When it left; blank while a member.")
    end_lower, end_upper, end_precision = FuzzyDateField.companions("end")

    objects = ClaimQuerySet.as_manager()
    history = HistoricalRecords()
    date_field = "start"

    class Meta:
        ordering = ["organisation__name", "start_lower", "id"]
        permissions = [("publish_membership", "Can publish memberships")]
        constraints = [
            *tenure_constraints("membership", "membership"),
            models.CheckConstraint(
                condition=Q(member_country__isnull=False, member_organisation__isnull=True)
                | Q(member_country__isnull=True, member_organisation__isnull=False),
                name="membership_one_member",
                violation_error_message="A membership has one member: a state or an organisation.",
            ),
            models.CheckConstraint(
                condition=~Q(member_organisation=models.F("organisation")),
                name="membership_not_of_itself",
                violation_error_message="An organisation cannot be a member of itself.",
            ),
        ]

    @property
    def member(self) -> Country | Organisation | None:
        return self.member_country or self.member_organisation

    def __str__(self) -> str:
        return f"{self.member}, {self.role} of {self.organisation}"

    held = Position.held  # the period in words, as a post's
