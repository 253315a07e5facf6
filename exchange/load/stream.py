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

**One record a line.** ``export_kb`` writes ``[``, then one record a line, each but the last
followed by a comma, then ``]``. Such lines are read whole and parsed by the standard library's
C decoder, three times as fast as building records from ijson's events, which was most of an
import's reading: a line shorter than :data:`LINE_LIMIT` bytes cannot hold more values or text
than a record may, and its nesting is checked once parsed. At the first line that is not like
that (a file written with ``--indent``, a record split across lines, an escape ``\\u…``, a line
too long, anything that does not parse), the rest of the file is read with ijson as before,
from that line on, as the array it is: what is read, accepted and refused is the same either
way.
"""

from __future__ import annotations

import decimal
import json
from collections.abc import Iterator
from typing import Any, BinaryIO

import ijson

# The file's array is level 1, a record 2, its fields 3, a many-to-many list 4, a natural key
# (or a dossier section) 5: 8 leaves room for JSON fields, refuses anything pathological.
MAX_DEPTH = 8
MAX_RECORD_VALUES = 100_000
MAX_RECORD_CHARS = 8_000_000
# A line shorter than this holds fewer than MAX_RECORD_VALUES values (each takes a byte and a
# separator) and MAX_RECORD_CHARS characters, so it can be parsed whole.
LINE_LIMIT = 1 << 17
_WHITESPACE = b" \t\r\n"  # JSON's (bytes.strip would also take \x0b and \x0c)

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
    """The items of the file's top-level array, in order (the caller checked it is one): one
    record a line while the file is written so, then from ijson's events."""
    lines = _Lines(raw)
    rec = 0
    first = lines.next()
    if first.strip(_WHITESPACE) != b"[":
        yield from _built(_Rest(first, lines), rec)
        return
    comma = b""  # after a record: the comma that says another follows
    while True:
        line = lines.next()
        body = line.strip(_WHITESPACE)
        if not body:
            if not line:  # the end of the file, without its "]": ijson says what is wrong
                line = comma
                break
            continue  # a blank line
        if body == b"]":
            if comma or lines.rest_if_blank() is None:  # "[…,]", or something after it
                line = comma + line
                break
            return
        terminated = body.endswith(b",")
        item = _parsed(body[:-1] if terminated else body, line)
        if item is _NOT_HERE:
            break
        if not terminated:  # the last record: the array ends next
            after = lines.next()
            if after.strip(_WHITESPACE) == b"]" and lines.rest_if_blank() is not None:
                yield item
                return
            line += after
            break
        rec += 1
        comma = b","
        yield item
    # ijson reads the rest, from this line on (the records before it were whole lines).
    yield from _built(_Rest(b"[" + line, lines), rec)


def _refuse(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


_NOT_HERE = object()  # a line the fast path leaves to ijson
# Numbers as ijson reads them (Decimal unless integers); NaN and Infinity refused, as by ijson.
_decode = json.JSONDecoder(parse_float=decimal.Decimal, parse_constant=_refuse).raw_decode


def _parsed(body: bytes, line: bytes) -> Any:
    """The record a line holds, or :data:`_NOT_HERE`."""
    if len(line) >= LINE_LIMIT or not line.endswith(b"\n") or b"\\u" in body:
        return _NOT_HERE
    try:
        text = body.decode()
        item, end = _decode(text)
    except ValueError:  # UnicodeDecodeError and JSONDecodeError too
        return _NOT_HERE
    if end != len(text):  # two records on a line, or something else after one
        return _NOT_HERE
    if body.count(b"[") + body.count(b"{") >= MAX_DEPTH and _deep(item):
        return _NOT_HERE  # for ijson to stop at, naming the record
    return item


def _deep(value: Any, room: int = MAX_DEPTH - 1) -> bool:
    """Whether containers nest more than ``room`` levels in ``value`` (a record may hold
    ``MAX_DEPTH - 1``: the file's array is the first)."""
    kind = type(value)
    if kind is not dict and kind is not list:
        return False
    if room == 0:
        return True
    for child in value.values() if kind is dict else value:
        if (type(child) is dict or type(child) is list) and _deep(child, room - 1):
            return True
    return False


class _Lines:
    """A binary stream read a line at a time (lines end with b"\n"), with what is left of it
    handed on as a stream."""

    CHUNK = 1 << 20

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.buffer = b""
        self.at = 0

    def next(self) -> bytes:
        """The next line with its b"\n"; at most :data:`LINE_LIMIT` bytes of a longer one;
        what is left at the end of the file; b"" after it."""
        while True:
            end = self.buffer.find(b"\n", self.at, self.at + LINE_LIMIT)
            if end >= 0:
                line = self.buffer[self.at : end + 1]
                self.at = end + 1
                return line
            if len(self.buffer) - self.at >= LINE_LIMIT:
                line = self.buffer[self.at : self.at + LINE_LIMIT]
                self.at += LINE_LIMIT
                return line
            data = self.raw.read(self.CHUNK)
            if not data:
                line = self.buffer[self.at :]
                self.buffer, self.at = b"", 0
                return line
            self.buffer = self.buffer[self.at :] + data
            self.at = 0

    def read(self, size: int = -1) -> bytes:
        """The rest of the stream, for ijson."""
        if size == 0:
            return b""
        if self.at < len(self.buffer):
            data = self.buffer[self.at :]
            self.buffer, self.at = b"", 0
            return data
        return self.raw.read(size)

    def rest_if_blank(self) -> bytes | None:
        """Reads the rest of the stream: b"" if it is only whitespace, else None (and what
        was read stays to be read again)."""
        while True:
            data = self.read(self.CHUNK)
            if not data:
                return b""
            if data.strip(_WHITESPACE):
                self.buffer, self.at = data, 0
                return None


class _Rest:
    """``head``, then the rest of ``lines``: the file from where the fast path stopped, made an
    array again by the caller's "[" (the lines before it were whole records and commas)."""

    def __init__(self, head: bytes, lines: _Lines) -> None:
        self.head = head
        self.lines = lines

    def read(self, size: int = -1) -> bytes:
        if size == 0:  # ijson asks once, to learn whether the stream gives bytes
            return b""
        if self.head:
            head, self.head = self.head, b""
            return head
        return self.lines.read(size)


def _built(raw: Any, rec: int) -> Iterator[Any]:
    """The items of an array read from ijson's events (``rec`` records came before)."""
    events = ijson.basic_parse(raw)
    event, _ = next(events)
    if event != "start_array":  # pragma: no cover - the caller looked at the first byte
        raise ValueError("not an array")
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
