"""Keyset pages: the rows after a position in an order, for every paged list (the timeline's
pages and the API's cursors alike)."""

from __future__ import annotations

import operator
from functools import reduce

from django.db.models import Q


def beyond(order: tuple[str, ...], position: tuple) -> Q:
    """Rows strictly after ``position`` in ``order`` ("-field" descending): (a, b) > (x, y)
    spelled out, with a plain bound on the first field so that the index range starts there."""
    first, desc = order[0].lstrip("-"), order[0].startswith("-")
    alternatives, equal = [], Q()
    for field, value in zip(order, position, strict=True):
        name = field.lstrip("-")
        alternatives.append(equal & Q(**{f"{name}__{'lt' if field[0] == '-' else 'gt'}": value}))
        equal &= Q(**{name: value})
    bound = Q(**{f"{first}__{'lte' if desc else 'gte'}": position[0]})
    return bound & reduce(operator.or_, alternatives)
