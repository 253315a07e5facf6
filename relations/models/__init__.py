"""The relational core: who (countries, organisations, officials and their posts), what
(events, agreements, statements), in which domains, and the citations that back each claim.

Every model a fixture refers to has a natural key (ISO code or slug), so fixtures load into any
fresh install. Claims (events, agreements, statements, positions) carry an editorial status;
everything public starts from ``.published()``.
"""

from relations.models.citations import CLAIM_FIELDS, Citation, CitationQuerySet
from relations.models.cited import UncitedClaim
from relations.models.claims import (
    Agreement,
    Claim,
    ClaimQuerySet,
    Event,
    EventQuerySet,
    Position,
    Statement,
    Status,
    validate_currency,
)
from relations.models.memberships import Membership
from relations.models.reference import (
    Country,
    CountryQuerySet,
    Domain,
    Official,
    Organisation,
    Relationship,
)

__all__ = [
    "CLAIM_FIELDS",
    "Agreement",
    "Citation",
    "CitationQuerySet",
    "Claim",
    "ClaimQuerySet",
    "Country",
    "CountryQuerySet",
    "Domain",
    "Event",
    "EventQuerySet",
    "Membership",
    "Official",
    "Organisation",
    "Position",
    "Relationship",
    "Statement",
    "Status",
    "UncitedClaim",
    "validate_currency",
]
