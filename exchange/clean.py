"""Reading one record of a fixture: its fields cleaned as the model's own fields clean them.

``Field.clean()`` is the rule: every value that it refuses is refused here with its message.
But running the whole validator machinery on a million plain strings is most of an import's
time, so each field gets a cleaner with a fast path for the values that are plainly valid (a
string within its length, a choice among the choices, an ISO date) that falls back to
``Field.clean()`` for anything else, which then accepts it or says why not.

Fuzzy dates are read once (cached: a million events have far fewer distinct dates) and their
``_lower/_upper/_precision`` derived as ``FuzzyDateField.pre_save`` does.
"""

from __future__ import annotations

import contextlib
import datetime
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from django.core import validators
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from core.dates import FuzzyDate, parse_fuzzy_date
from core.fields import FuzzyDateField
from core.text import UNPRINTABLE, validate_printable
from exchange.report import Report
from exchange.spec import TIMESTAMPS, ModelSpec
from relations.models import CLAIM_FIELDS, Citation, Relationship

MISSING = object()
Cleaner = Callable[[Any], Any]

# Validators a plain string is checked against by the fast path itself (control characters:
# ``core.text``, which every text field of ours has).
_SIMPLE = (validators.MaxLengthValidator, validators.ProhibitNullCharactersValidator)
_FAST = (validate_printable,)
_SLUG = re.compile(r"[-a-zA-Z0-9_]+")


def messages(error: ValidationError) -> str:
    # The fuzzy-date parser lists every accepted form; the report says them once instead.
    return "; ".join(m.split(" Accepted forms:")[0] for m in error.messages)


def short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:59] + "…"


@lru_cache(maxsize=1 << 16)
def read_date(text: str) -> tuple[tuple, tuple] | ValidationError:
    """((lower, upper, precision), the same as a file writes them), or why it is no date."""
    try:
        fuzzy: FuzzyDate = parse_fuzzy_date(text)
    except ValidationError as error:
        return error
    derived = (fuzzy.lower, fuzzy.upper, str(fuzzy.precision))
    return derived, (fuzzy.lower.isoformat(), fuzzy.upper.isoformat(), derived[2])


def _slow(f: models.Field) -> Cleaner:
    return lambda raw: f.clean(raw, None)


def _text(f: models.Field) -> Cleaner:
    """CharField, TextField, SlugField... (anything else slow)."""
    slow = _slow(f)
    extra = [v for v in f.validators if not isinstance(v, _SIMPLE) and v not in _FAST]
    slug = isinstance(f, models.SlugField) and not f.allow_unicode
    if slug:
        extra = [v for v in extra if v is not validators.validate_slug]
    if extra:
        return slow
    limit = f.max_length or 0
    choices = frozenset(str(value) for value, _ in f.flatchoices) if f.choices else None
    blank_ok = f.blank or not f.editable

    def clean(raw: Any) -> Any:
        if type(raw) is not str:
            return slow(raw)
        if not raw:
            return raw if blank_ok else slow(raw)
        if (
            (limit and len(raw) > limit)
            or UNPRINTABLE.search(raw)  # NUL included
            or (choices is not None and raw not in choices)
            or (slug and not _SLUG.fullmatch(raw))
        ):
            return slow(raw)
        return raw

    return clean


def _datetime(f: models.Field) -> Cleaner:
    slow = _slow(f)

    def clean(raw: Any) -> Any:
        try:
            value = datetime.datetime.fromisoformat(raw) if type(raw) is str else slow(raw)
        except ValueError:
            value = slow(raw)  # Django's reading, or its message
        if isinstance(value, datetime.datetime) and timezone.is_naive(value):
            value = timezone.make_aware(value, datetime.UTC)
        return value

    return clean


def _date(f: models.Field) -> Cleaner:
    slow = _slow(f)

    def clean(raw: Any) -> Any:
        if type(raw) is str and len(raw) == 10 and raw[4] == "-" and raw[7] == "-":
            try:
                return datetime.date.fromisoformat(raw)
            except ValueError:
                pass
        return slow(raw)

    return clean


def cleaner(f: models.Field) -> Cleaner:
    if isinstance(f, models.DateTimeField):
        return _datetime(f)
    if isinstance(f, models.DateField):
        return _date(f)
    if type(f) in (models.CharField, models.TextField, models.SlugField):
        return _text(f)
    return _slow(f)


def single_key(raw: Any) -> str | None:
    """``["by"]`` -> "by"; anything else (a pk, a two-part key, "") -> None."""
    if isinstance(raw, list) and len(raw) == 1 and isinstance(raw[0], str) and raw[0]:
        return raw[0]
    return None


def relationship_problems(values: dict[str, Any]) -> list[tuple[str, str]]:
    """A relationship is keyed as its dossier's URL: the two codes in order ("by-ir"), first
    before second, as ``Relationship.save()`` stores them (the import writes no ``save()``)."""
    problems = []
    first, second = values.get("first"), values.get("second")
    if first and second:
        expected = "-".join(sorted((first.lower(), second.lower())))
        if first > second:
            problems.append(("first", f"the pair is stored in code order: {second}, then {first}"))
        if values["slug"] != expected:
            problems.append(
                ("slug", f"{values['slug']!r}: a pair {first}, {second} is {expected!r}")
            )
    sections = values.get("sections")
    if sections is not None and not (
        isinstance(sections, list)
        and all(
            isinstance(s, dict)
            and isinstance(s.get("domain"), str)
            and isinstance(s.get("title", ""), str)
            and set(s) <= {"domain", "title"}
            for s in sections
        )
    ):
        problems.append(
            ("sections", f'{short(sections)}: a list of {{"domain": "<slug>", "title": "…"}}')
        )
    return problems


class RecordReader:
    """Cleans one model's records and turns them into staging rows."""

    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec
        self.label = spec.label
        self.known = frozenset(spec.names)
        self.plain = [
            (f.name, cleaner(f), f.get_default if f.name not in TIMESTAMPS else None)
            for f in spec.fields
            if not f.is_relation and f.name not in spec.companions and f.name not in spec.fuzzy
        ]
        self.fuzzy = [
            (f.name, _text(f), f.to_python, self._companion_readers(f.name))
            for f in spec.fields
            if isinstance(f, FuzzyDateField)
        ]
        self.foreign = [(f.name, f.null) for f in spec.fields if f.is_relation]
        self.m2m = [f.name for f in spec.m2m]
        self.stored = [f.name for f in spec.fields if not f.is_relation]  # staged as they are
        self.keys = [f"key_{name}" for name, _ in self.foreign]  # the natural keys given
        self.columns = ["rec", "bad", *self.stored, *self.keys]
        # A staged row's columns, as ModelSpec.canonical takes them: see ``canonical``.
        self.order = [f"key_{f.name}" if f.is_relation else f.name for f in spec.fields]

    def _companion_readers(self, name: str) -> list[tuple[str, Cleaner]]:
        model = self.spec.model
        return [
            (f"{name}_{part}", cleaner(model._meta.get_field(f"{name}_{part}")))
            for part in ("lower", "upper", "precision")
        ]

    def key_text(self, values: dict[str, Any]) -> str | None:
        if self.spec.model is not Citation:
            return values.get(self.spec.key[0]) or None
        kinds = [k for k in CLAIM_FIELDS if values.get(k)]
        claim = f"{kinds[0]} {values[kinds[0]]}" if len(kinds) == 1 else "?"
        return f"{values.get('footnote') or '?'} / {claim}"

    def read(self, rec: int, fields: dict[str, Any], report: Report) -> tuple | None:
        """(stage row, {m2m name: keys}) for a record, or None if it cannot be staged."""
        problems: list[tuple[str | None, str]] = []
        values: dict[str, Any] = {}
        for name in fields:
            if name not in self.known:
                problems.append((name, f"{self.label} has no such field"))
        for name, clean, default in self.plain:
            raw = fields.get(name, MISSING)
            if raw is MISSING:  # as loaddata: the default; timestamps: keep or now
                values[name] = default() if default else None
                continue
            try:
                values[name] = clean(raw)
            except ValidationError as error:
                problems.append((name, f"{short(raw)}: {messages(error)}"))
                values[name] = None
        for name, clean, to_python, companions in self.fuzzy:
            self._fuzzy(rec, fields, values, problems, name, clean, to_python, companions, report)
        for name, nullable in self.foreign:
            raw = fields.get(name, MISSING)
            key = None
            if raw is MISSING or raw is None:
                if not nullable:
                    problems.append((name, "this field is required"))
            elif (key := single_key(raw)) is None:
                problems.append((name, f'expected a natural key such as ["…"], not {short(raw)}'))
            values[name] = key
        links: dict[str, list[str]] = {}
        for name in self.m2m:
            raw = fields.get(name, [])
            keys = {single_key(item) for item in raw} if isinstance(raw, list) else {None}
            if None in keys:
                problems.append(
                    (name, f'expected a list of natural keys such as [["…"]], not {short(raw)}')
                )
                keys.discard(None)
            links[name] = sorted(keys)

        key = self.key_text(values)
        staged = True
        if self.spec.model is Citation:
            kinds = [k for k in CLAIM_FIELDS if values.get(k)]
            if len(kinds) != 1:
                has = "none" if not kinds else f"{len(kinds)} ({', '.join(kinds)})"
                problems.append(
                    (None, "a citation supports exactly one claim: an event, an agreement, a "
                     f"statement, a post or a membership; this one has {has}")
                )  # fmt: skip
                staged = False
            staged = staged and bool(values.get("footnote"))
        elif not key:
            problems.append((self.spec.key[0], "a record needs its natural key"))
            staged = False
        elif self.spec.model is Relationship:
            problems += relationship_problems(values)
        for field_name, message in problems:
            report.problem(rec, self.label, key, field_name, message)
        if not staged:
            return None

        row = [rec, bool(problems)]
        row += [values[name] for name in self.stored]
        row += [values[name] for name, _ in self.foreign]
        return row, links

    def canonical(self, staged: dict[str, Any], links: dict[str, list[str]]) -> tuple:
        """(timestamps, content) of a staged record as an export would write them, to compare
        it with the database's. Made only for records whose key exists (not for every record
        read): timestamps None when the file gave none (an existing record keeps its own)."""
        ordered = [staged[name] for name in self.order]
        ordered += [sorted(links.get(name, ())) for name in self.m2m]
        stamps, content = self.spec.canonical(ordered)
        if staged.get("created") is None or staged.get("updated") is None:
            stamps = None
        return stamps, content

    def _fuzzy(self, rec, fields, values, problems, name, clean, to_python, companions, report):
        """The date's text, and its bounds and precision as read (a file's own are checked)."""
        raw = fields.get(name, "")
        reading = None
        try:
            text = clean(to_python(raw)) or ""
            if text:
                reading = read_date(text)
                if isinstance(reading, ValidationError):
                    raise reading
        except ValidationError as error:
            problems.append((name, f"{short(raw)}: {messages(error)}"))
            text, reading = None, None
        values[name] = text
        derived, written = reading or ((None, None, ""), (None, None, ""))
        for (companion, read), value, as_written in zip(companions, derived, written, strict=True):
            given = fields.get(companion, MISSING)
            if given is not MISSING and text is not None and given != as_written:
                with contextlib.suppress(ValidationError):  # then compared as given
                    given = read(given)
                if given != value:
                    report.warn(
                        rec, self.label, self.key_text(values), companion,
                        f"the file says {short(given)}, but {text!r} reads as {value!r}: "
                        "stored as read",
                    )  # fmt: skip
            values[companion] = value
