"""What text we store and write: no control characters, one rule for every field and feed.

A text may hold tab, newline and carriage return; no other control character (C0, DEL, C1),
no lone surrogate (UTF-8 cannot encode one, so PostgreSQL would refuse the row), and neither
U+FFFE nor U+FFFF (not characters; XML refuses them). A U+0008 in one summary once made the
Atom feed fail for every reader: XML 1.0 cannot hold it.

- :func:`validate_printable` refuses such text; ``core.apps`` attaches it to every text field
  (CharField, TextField, JSONField strings) of our own apps, so admin forms, ``full_clean`` and
  the import (``exchange.clean``) all say the same thing.
- :func:`printable` drops them, for writers (feeds) that must not fail on what is already
  stored, or on a query string they echo.

Importable without Django settings, like ``core.dates``.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError

CODE = "control_character"

# C0 but tab (09), newline (0A) and carriage return (0D); DEL and C1; surrogates; FFFE, FFFF.
UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def unprintable(text: str) -> str | None:
    """The first character ``text`` may not hold, or None."""
    match = UNPRINTABLE.search(text)
    return match.group() if match else None


def printable(text: str) -> str:
    """``text`` without the characters it may not hold."""
    return UNPRINTABLE.sub("", text) if text else text


def strings(value: Any):
    """Every string in a JSON-like value (a str, or lists and dicts of them), keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings(key)
            yield from strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings(item)


def validate_printable(value: Any) -> None:
    """Refuse text (or JSON holding text) with a control character; say which and where."""
    for text in strings(value):
        found = unprintable(text)
        if found is not None:
            where = text.index(found)
            raise ValidationError(
                "This contains the control character U+%(code)04X at position %(position)d, "
                "which cannot be stored or shown; remove it (tab and new lines are fine).",
                code=CODE,
                params={"code": ord(found), "position": where + 1},
            )
