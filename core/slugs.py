"""Slugs made from words: never cut mid-word.

A slug is a stable key shown in URLs; "lukashenko-visits-teh" reads as a typo and stays one
forever. Every slug maker of our apps cuts here, at the last hyphen within its limit.
"""

from __future__ import annotations

from django.utils.text import slugify


def slug_within(text: str, limit: int) -> str:
    """``slugify(text)`` at most ``limit`` characters long, cut at a word (hyphen) boundary.

    A single word longer than the limit is cut where it must be; '' when nothing is left.
    """
    slug = slugify(text)
    if len(slug) <= limit:
        return slug.strip("-")
    # The character just past the limit tells whether the last word fits whole.
    head, hyphen, _ = slug[: limit + 1].rpartition("-")
    return (head if hyphen and head.strip("-") else slug[:limit]).strip("-")
