"""The records of a fixture, one at a time, each built only if it is of a fixture's shape.

``ijson.items`` builds whatever it finds: a file of ``[`` repeated grows memory with the square
of its nesting depth (each level keeps its ``item.item.…`` prefix), so 20 MB of brackets took
21 GB. Here the records are built from ijson's prefix-free events (``basic_parse``, in C), with
the depth checked before a container is opened and each record's size counted as it grows:

- deeper than :data:`MAX_DEPTH` (a fixture is an array of records, a record's ``fields`` an
  object whose deepest values, many-to-many keys and dossier sections, are two levels further)
  stops the reading with :class:`TooDeep`, naming the record: a file like that is no fixture;
- a record of more than :data:`MAX_RECORD_VALUES` values or :data:`MAX_RECORD_CHARS`
  characters of text is skipped without being built (:data:`TOO_LARGE` in its place), and the
  reading goes on to report the other records.

Memory is then bounded by one record (and one text value: ijson hands a string whole).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

import ijson

# The file's array is level 1, a record 2, its fields 3, a many-to-many list 4, a natural key
# (or a dossier section) 5: 8 leaves room for JSON fields, refuses anything pathological.
MAX_DEPTH = 8
MAX_RECORD_VALUES = 100_000
MAX_RECORD_CHARS = 8_000_000

TOO_LARGE = object()  # yielded in place of a record that was too large to build


class TooDeep(ValueError):
    def __init__(self, record: int) -> None:
        self.record = record
        super().__init__(
            f"the values are nested more than {MAX_DEPTH} levels deep (a fixture is an array "
            'of records, each {"model": …, "fields": {…}}); the file is not read further'
        )


def too_large_message() -> str:
    return (
        f"the record is too large to import (more than {MAX_RECORD_VALUES:,} values or "
        f"{MAX_RECORD_CHARS:,} characters of text); it was skipped"
    )


_OPEN = {"start_map": dict, "start_array": list}
_CLOSE = frozenset({"end_map", "end_array"})


def records(raw: BinaryIO) -> Iterator[Any]:
    """The items of the file's top-level array, in order (the caller checked it is one)."""
    events = ijson.basic_parse(raw)
    event, _ = next(events)
    if event != "start_array":  # pragma: no cover - the caller looked at the first byte
        raise ValueError("not an array")
    rec = 0
    stack: list[Any] = []  # the containers being built, outermost first
    keys: list[Any] = []  # the pending key of each (None for a list)
    values = chars = 0
    skipping = False
    for event, value in events:
        if event == "map_key":
            keys[-1] = value
            chars += len(value)
            continue
        if event in _CLOSE:
            if not stack:  # the end of the file's array
                break
            done = stack.pop()
            keys.pop()
            if not stack:
                yield TOO_LARGE if skipping else done
                skipping = False
            continue
        if not stack:  # a record starts
            rec += 1
            values = chars = 0
        kind = _OPEN.get(event)
        if kind is not None and len(stack) + 1 >= MAX_DEPTH:  # the array is level 1
            raise TooDeep(rec)
        values += 1
        if event == "string":
            chars += len(value)
        if not skipping and (values > MAX_RECORD_VALUES or chars > MAX_RECORD_CHARS):
            skipping = True
            for container in stack:  # let go of what was built
                container.clear()
        new = kind() if kind is not None else value
        if stack and not skipping:
            top = stack[-1]
            if type(top) is dict:
                top[keys[-1]] = new
            else:
                top.append(new)
        if kind is not None:
            stack.append(new)
            keys.append(None)
        elif not stack:
            yield new  # a record that is not an object: the caller says so
    for _ in events:  # what follows the array: whitespace, or an error
        pass
