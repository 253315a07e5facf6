"""The memberships list's filter: by member state, member organisation or organisation.

Keys are checked as the timeline checks its own (``relations.filters``): an unknown ISO code or
slug, or a NUL character, is a 400 naming the parameter, never a database error, and a known
key costs no query once the reference data is cached.
"""

from __future__ import annotations

import re

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema_field

from relations.filters import EntityFilter, reference
from relations.models import Country, Membership

ISO_CODE = r"[a-zA-Z]{2}(?:[a-zA-Z]{2})?"


class CountryCodeField(forms.CharField):
    """An ISO 3166 code, any case (``by``, ``BY``; ``suhh`` once withdrawn)."""

    def clean(self, value) -> Country | None:
        code = super().clean(value)  # strips, and refuses NUL characters
        if not code:
            return None
        country = reference().country(code) if re.fullmatch(ISO_CODE, code) else None
        if country is None:
            raise ValidationError(
                "There is no country with the code “%(code)s”.",
                code="unknown",
                params={"code": code},
            )
        return country


@extend_schema_field({"type": "string", "pattern": f"^{ISO_CODE}$"})
class CountryFilter(django_filters.Filter):
    field_class = CountryCodeField


class MembershipFilter(django_filters.FilterSet):
    # (The schema describes them in api.views: MEMBERSHIP_PARAMETERS.)
    country = CountryFilter(method="by_key")
    member_organisation = EntityFilter(method="by_key", kind="organisation")
    organisation = EntityFilter(method="by_key", kind="organisation")

    class Meta:
        model = Membership
        fields: list[str] = []

    # Each parameter and the foreign key it selects by.
    COLUMNS = {
        "country": "member_country_id",
        "member_organisation": "member_organisation_id",
        "organisation": "organisation_id",
    }

    def by_key(self, queryset, name: str, value):
        return queryset.filter(**{self.COLUMNS[name]: value.pk}) if value else queryset
