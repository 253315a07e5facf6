"""What a knowledge-base fixture holds, in what order, and how each value is written.

One :class:`ModelSpec` per exchanged model, in :data:`SPECS` load order: every model comes after
the models it refers to, so stock ``loaddata`` finds each natural key before it is used (the one
exception, an organisation's parent, is a forward reference that ``loaddata`` defers).

The exporter and the importer share the encoders here, so "the file's record equals the
database's record" is a plain string comparison of what an export would write. The format is
stock Django's (``[{"model": ..., "fields": {...}}]``, natural keys as lists, no ``pk``), with
fixed choices that make it identical from SQLite and PostgreSQL:

- one record per line, ``", "`` and ``": "`` separators, UTF-8 (``ensure_ascii=False``);
- fields in the model's declaration order (as ``dumpdata``), many-to-many lists sorted by key;
- datetimes in UTC with ``Z`` and microseconds only when there are some (``dumpdata`` truncates
  to milliseconds, which would make an import "change" every record it touches);
- decimals as strings at the field's scale (``"212000000.00"``), dates as ``YYYY-MM-DD``;
- JSON values with sorted keys (PostgreSQL's ``jsonb`` reorders them, SQLite keeps them).

History tables and auth are not exchanged: history stays with the install that made it, and
an import writes its own (see :mod:`exchange.load`).
"""

from __future__ import annotations

import datetime
import decimal
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from json.encoder import encode_basestring  # the C implementation, ensure_ascii=False
from typing import Any

from django.db import models

from core.fields import FuzzyDateField
from relations.models import (
    CLAIM_FIELDS,
    Agreement,
    Citation,
    Country,
    Domain,
    Event,
    Membership,
    Official,
    Organisation,
    Position,
    Relationship,
    Statement,
)
from sources.models import Footnote, Source

TIMESTAMPS = ("created", "updated")
Encoder = Callable[[Any], str]


# --- Value encoders ---------------------------------------------------------------------------
def _string(value: str | None) -> str:
    return "null" if value is None else encode_basestring(value)


def _date(value: datetime.date | None) -> str:
    return "null" if value is None else f'"{value.isoformat()}"'


def _datetime(value: datetime.datetime | str | None) -> str:
    if value is None:
        return "null"
    if type(value) is str:  # as PostgreSQL writes it (exchange.export reads it so)
        return _datetime_text(value)
    # Stored times come back in UTC: their text is the answer but for the offset (an export
    # writes two a record, millions in all; converting each first took most of an export).
    text = value.isoformat()
    if text.endswith("+00:00"):
        return f'"{text[:-6]}Z"'
    if value.tzinfo is not None:
        value = value.astimezone(datetime.UTC).replace(tzinfo=None)
    return f'"{value.isoformat()}Z"'


def _datetime_text(text: str) -> str:
    """A time as :class:`exchange.export.UtcText` has PostgreSQL write it
    ("2025-02-19T03:39:27.000000"), written as :func:`_datetime` writes the time it stands for
    (microseconds only when there are some): an export reads times as text, since building a
    datetime for each (two a record) took a third of its time."""
    return f'"{text[:-7] if text.endswith(".000000") else text}Z"'


def _integer(value: int | None) -> str:
    return "null" if value is None else str(int(value))


def _boolean(value: bool | None) -> str:
    return "null" if value is None else ("true" if value else "false")


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _decimal(places: int) -> Encoder:
    quantum = decimal.Decimal(1).scaleb(-places)

    def encode(value: decimal.Decimal | None) -> str:
        if value is None:
            return "null"
        return f'"{decimal.Decimal(value).quantize(quantum):f}"'

    return encode


def natural_key(value: str | None) -> str:
    """A foreign key's natural key: ``["IR"]``, or ``null``."""
    return "null" if value is None else f"[{encode_basestring(value)}]"


def natural_keys(values: Sequence[str]) -> str:
    """A many-to-many field's natural keys, sorted (code-point order, as ``COLLATE "C"``)."""
    return "[" + ", ".join(f"[{encode_basestring(v)}]" for v in sorted(values)) + "]"


def encoder_for(f: models.Field) -> Encoder:
    if f.is_relation:
        return natural_key
    if isinstance(f, models.JSONField):
        return _json
    if isinstance(f, models.DateTimeField):
        return _datetime
    if isinstance(f, models.DateField):
        return _date
    if isinstance(f, models.DecimalField):
        return _decimal(f.decimal_places)
    if isinstance(f, models.BooleanField):
        return _boolean
    if isinstance(f, models.IntegerField):
        return _integer
    if isinstance(f, models.CharField | models.TextField):
        return _string
    raise TypeError(f"exchange.spec cannot write a {type(f).__name__} ({f}) yet.")


# --- Models -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ModelSpec:
    """One exchanged model: its fields as a fixture lists them, and its natural key."""

    model: type[models.Model]
    key: tuple[str, ...]  # the natural key's fields, by name (a foreign key gives its own key)
    # References to claims that an export without drafts leaves out when a reader may not see
    # the claim (a link to a draft agreement; the draft event a published statement was made at).
    claim_refs: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return self.model._meta.label_lower

    @cached_property
    def fields(self) -> tuple[models.Field, ...]:
        """Concrete fields as ``dumpdata`` writes them: declaration order, no primary key."""
        return tuple(f for f in self.model._meta.local_fields if f.serialize)

    @cached_property
    def m2m(self) -> tuple[models.ManyToManyField, ...]:
        return tuple(
            f
            for f in self.model._meta.local_many_to_many
            if f.serialize and f.remote_field.through._meta.auto_created
        )

    @cached_property
    def columns(self) -> tuple[models.Field, ...]:
        """Everything a record holds, in the order it is written: fields, then many-to-many."""
        return (*self.fields, *self.m2m)

    @cached_property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.columns)

    @cached_property
    def encoders(self) -> tuple[Encoder, ...]:
        return tuple(natural_keys if f.many_to_many else encoder_for(f) for f in self.columns)

    @cached_property
    def prefixes(self) -> tuple[str, ...]:
        return tuple(f"{encode_basestring(name)}: " for name in self.names)

    @cached_property
    def stamp_positions(self) -> tuple[int, ...]:
        return tuple(i for i, name in enumerate(self.names) if name in TIMESTAMPS)

    @cached_property
    def content_positions(self) -> tuple[int, ...]:
        return tuple(i for i, name in enumerate(self.names) if name not in TIMESTAMPS)

    @cached_property
    def fuzzy(self) -> tuple[str, ...]:
        """Fuzzy-date fields; their ``_lower/_upper/_precision`` companions are derived."""
        return tuple(f.name for f in self.fields if isinstance(f, FuzzyDateField))

    @cached_property
    def companions(self) -> frozenset[str]:
        return frozenset(
            f"{n}_{part}" for n in self.fuzzy for part in ("lower", "upper", "precision")
        )

    @cached_property
    def is_claim(self) -> bool:
        return self.model._meta.model_name in CLAIM_FIELDS

    def line(self, values: Sequence[Any]) -> str:
        """One record as the file holds it, from values in :attr:`columns` order (a foreign key
        or many-to-many value is the target's natural key string, or a list of them)."""
        parts = [p + e(v) for p, e, v in zip(self.prefixes, self.encoders, values, strict=True)]
        return f"{self.opening}{', '.join(parts)}}}}}"

    @cached_property
    def opening(self) -> str:
        """What every line of the model starts with, up to its first field."""
        return f'{{"model": "{self.label}", "fields": {{'

    def canonical(self, values: Sequence[Any]) -> tuple[str, str]:
        """(timestamps, content) as an export writes them, to compare a file's record with the
        database's: records are "unchanged" when both agree, and "retimed" when only the
        timestamps differ."""
        p, e = self.prefixes, self.encoders
        stamps = ", ".join(p[i] + e[i](values[i]) for i in self.stamp_positions)
        content = ", ".join(p[i] + e[i](values[i]) for i in self.content_positions)
        return stamps, content


SPECS: tuple[ModelSpec, ...] = (
    # Sources refer to nothing; first, as the seed fixture and the admin's export have them.
    ModelSpec(Source, key=("slug",)),
    # A place in a source (source + locator), stored once however many claims it backs.
    ModelSpec(Footnote, key=("slug",)),
    ModelSpec(Country, key=("code",)),
    ModelSpec(Domain, key=("slug",)),
    # A pair of countries ("by-ir"): what claims concern, and its dossier's settings.
    ModelSpec(Relationship, key=("slug",)),
    ModelSpec(Organisation, key=("slug",)),
    ModelSpec(Official, key=("slug",)),
    ModelSpec(Position, key=("slug",)),
    ModelSpec(Membership, key=("slug",)),
    ModelSpec(Agreement, key=("slug",)),
    ModelSpec(Event, key=("slug",), claim_refs=("agreements",)),
    ModelSpec(Statement, key=("slug",), claim_refs=("event",)),
    # Citation's natural key is (footnote slug, claim kind, claim slug): one field per kind.
    ModelSpec(Citation, key=("footnote", *CLAIM_FIELDS)),
)
BY_LABEL: dict[str, ModelSpec] = {spec.label: spec for spec in SPECS}
BY_MODEL: dict[type[models.Model], ModelSpec] = {spec.model: spec for spec in SPECS}


def key_field(model: type[models.Model]) -> str:
    """The field holding a referenced model's one-part natural key ("code" or "slug")."""
    return BY_MODEL[model].key[0]
