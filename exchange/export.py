"""Write a knowledge-base fixture as a stream: model by model, rows in natural-key order.

Memory stays flat whatever the size: for each model the ids come from one server-side cursor
in natural-key order (only ``(key, id)`` is sorted, not whole rows), and each chunk of ids is
fetched whole in one query, plus one query per many-to-many field, never one per row (which is
what makes ``dumpdata --natural-foreign`` slow). Lines are written by :mod:`exchange.spec`.

Order is by natural key in code-point order (``COLLATE "C"`` on PostgreSQL, SQLite's binary
order, Python's ``sorted``), so the same data gives the same bytes on any install. An export
reads one snapshot (REPEATABLE READ on PostgreSQL): edits made while it runs are not half in it.

A public export (no ``include_drafts``) leaves out every reference to a claim a reader may not
see, as ``relations.visibility`` decides it (``claim_q``): it looks at no status itself.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TextIO

from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.models import BooleanField, Case, F, Func, TextField, Value, When
from django.db.models.functions import Coalesce, Collate

from exchange.selection import Selection, among
from exchange.spec import SPECS, ModelSpec, key_field
from relations import visibility
from relations.models import CLAIM_FIELDS, Citation

CHUNK_SIZE = 2000


def byte_order(expression: Any, using: str) -> Any:
    """Sort text by code point whatever the database's collation (PostgreSQL's may be a
    locale's, which ignores hyphens at first); SQLite compares bytes already."""
    if isinstance(expression, str):
        expression = F(expression)
    if connections[using].vendor == "postgresql":
        return Collate(expression, "C")
    return expression


def natural_order(spec: ModelSpec, using: str, prefix: str = "") -> list[Any]:
    """ORDER BY for a model's natural key (``prefix``: reached through a relation)."""
    if spec.model is not Citation:
        return [byte_order(prefix + spec.key[0], using)]
    kind = Case(
        *(When(**{f"{name}__isnull": False}, then=Value(name)) for name in sorted(CLAIM_FIELDS)),
        output_field=models.CharField(),
    )
    claim = Coalesce(*(f"{name}__slug" for name in CLAIM_FIELDS), output_field=models.CharField())
    return [
        byte_order("footnote__slug", using),
        byte_order(kind, using),
        byte_order(claim, using),
    ]


class UtcText(Func):
    """A PostgreSQL time as UTC text with microseconds, whatever the session's time zone and
    DateStyle ("2025-02-19T03:39:27.000000"), for ``exchange.spec._datetime_text``."""

    template = "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US')"
    output_field = TextField()


class RowFetcher:
    """Records as :meth:`ModelSpec.line` takes them: foreign keys as natural keys (joined in the
    same query), many-to-many fields as lists of natural keys (one query per field)."""

    def __init__(self, spec: ModelSpec, using: str, *, public: bool) -> None:
        self.spec = spec
        self.using = using
        self.public = public  # leave out references to claims a reader may not see
        self.lookups: list[str] = []
        self.hidden: list[int] = []  # positions of claim references a public export may hide
        # Whether each such reference's target is visible: fetched after the fields, in the
        # same query (the join to the target is there already for its key).
        self.shown: dict[str, Case] = {}
        # PostgreSQL: times as text, written by exchange.spec without a datetime in between.
        self.texts: dict[str, UtcText] = {}
        as_text = connections[using].vendor == "postgresql"
        for f in spec.fields:
            if as_text and isinstance(f, models.DateTimeField):
                self.texts[f"_text_{f.name}"] = UtcText(f.attname)
                self.lookups.append(f"_text_{f.name}")
            elif f.is_relation:
                self.lookups.append(f"{f.name}__{key_field(f.related_model)}")
                if public and f.name in spec.claim_refs:
                    self.hidden.append(len(self.lookups) - 1)
                    self.shown[f"_shown_{f.name}"] = Case(
                        When(visibility.claim_q(f.related_model, f"{f.name}__"), then=Value(True)),
                        default=Value(False),
                        output_field=BooleanField(),
                    )
            else:
                self.lookups.append(f.attname)

    def _values(self, row: tuple) -> tuple[int, list[Any]]:
        pk, *values = row
        if self.hidden:
            width = len(self.lookups)
            for at, shown in zip(self.hidden, values[width:], strict=True):
                if not shown:
                    values[at] = None
            del values[width:]
        return pk, values

    def _rows(self, queryset: models.QuerySet) -> models.QuerySet:
        queryset = queryset.annotate(**self.texts, **self.shown)
        return queryset.values_list("pk", *self.lookups, *self.shown)

    def _links(self, m2m: models.ManyToManyField, owners: models.QuerySet) -> models.QuerySet:
        """(owner id, target key) rows of one many-to-many field for the given owners."""
        through = m2m.remote_field.through
        source, target = m2m.m2m_field_name(), m2m.m2m_reverse_field_name()
        links = through._default_manager.using(self.using).filter(**{f"{source}__in": owners})
        if self.public and m2m.name in self.spec.claim_refs:
            links = links.filter(visibility.claim_q(m2m.related_model, f"{target}__"))
        return links.values_list(f"{source}_id", f"{target}__{key_field(m2m.related_model)}")

    def stream(self, queryset: models.QuerySet, chunk_size: int) -> Iterator[list[Any]]:
        """Every row of ``queryset`` in natural-key order, read by one server-side cursor, with
        each many-to-many field read by another in the same order and merged in: no id lists,
        no query per chunk, constant memory."""
        order = natural_order(self.spec, self.using)
        rows = self._rows(queryset.order_by(*order)).iterator(chunk_size=chunk_size)
        owners = queryset.order_by().values("pk")
        streams = []
        for m2m in self.spec.m2m:
            source = m2m.m2m_field_name()
            by_owner = natural_order(self.spec, self.using, prefix=f"{source}__")
            links = self._links(m2m, owners).order_by(*by_owner)
            streams.append(_Peek(links.iterator(chunk_size=chunk_size)))
        for row in rows:
            pk, values = self._values(row)
            for links in streams:
                values.append(links.take(pk))
            yield values

    def fetch(self, ids: list[int]) -> dict[int, list[Any]]:
        """The records with these ids (any order), by id."""
        queryset = self.spec.model._default_manager.using(self.using).filter(
            among("pk", ids, self.using)
        )
        found = dict(self._values(row) for row in self._rows(queryset).order_by())
        for m2m in self.spec.m2m:
            keys: dict[int, list[str]] = {}
            owners = self.spec.model._default_manager.using(self.using).filter(
                among("pk", ids, self.using)
            )
            for pk, key in self._links(m2m, owners.values("pk")).order_by():
                keys.setdefault(pk, []).append(key)
            for pk, values in found.items():
                values.append(keys.get(pk, ()))
        return found


class _Peek:
    """A stream of (owner id, key) rows grouped by owner, in the owners' order."""

    def __init__(self, rows: Iterator[tuple[int, str]]) -> None:
        self.rows = rows
        self.head = next(rows, None)

    def take(self, owner: int) -> list[str]:
        keys = []
        while self.head is not None and self.head[0] == owner:
            keys.append(self.head[1])
            self.head = next(self.rows, None)
        return keys


def batched(iterable: Iterable[int], size: int) -> Iterator[list[int]]:
    iterator = iter(iterable)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


class Exporter:
    """Streams the records a :class:`Selection` picks, in load order."""

    def __init__(
        self,
        selection: Selection,
        using: str = DEFAULT_DB_ALIAS,
        chunk_size: int = CHUNK_SIZE,
    ) -> None:
        self.selection = selection
        self.using = using
        self.chunk_size = chunk_size
        self.querysets = selection.querysets(using)

    def count(self) -> dict[str, int]:
        """Records per model (a COUNT each: for the progress bar's total)."""
        return {spec.label: self.querysets[spec].count() for spec in SPECS}

    def chunks(self, spec: ModelSpec) -> Iterator[list[str]]:
        """The model's records as lines, a chunk at a time, in natural-key order."""
        fetcher = RowFetcher(spec, self.using, public=not self.selection.include_drafts)
        line = spec.line
        rows = fetcher.stream(self.querysets[spec], self.chunk_size)
        while chunk := [line(values) for values in itertools.islice(rows, self.chunk_size)]:
            yield chunk

    def write(self, out: TextIO, progress: Callable[[int], Any] | None = None) -> dict[str, int]:
        """Write the whole fixture to ``out``; returns the records written per model."""
        counts: Counter[str] = Counter()
        connection = connections[self.using]
        outermost = not connection.in_atomic_block
        with transaction.atomic(using=self.using):
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    if outermost:
                        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    # A slice's sets are IN (subquery): hashed only if they fit in work_mem,
                    # else scanned once per row. This is the server's memory, per operation.
                    cursor.execute("SET LOCAL work_mem = '64MB'")
            out.write("[")
            separator = "\n"
            for spec in SPECS:
                for lines in self.chunks(spec):
                    out.write(separator + ",\n".join(lines))
                    separator = ",\n"
                    counts[spec.label] += len(lines)
                    if progress:
                        progress(len(lines))
            out.write("\n]\n")
        return {spec.label: counts[spec.label] for spec in SPECS}
