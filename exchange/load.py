"""Import a knowledge-base fixture: check all of it, then load it in one transaction.

:func:`import_kb` is what the command and the admin call. It never holds the file in memory:

1. **Read** (one streaming pass, ijson): each record's fields are cleaned by the model's own
   fields (types, lengths, choices, validators, fuzzy dates, whose ``_lower/_upper/_precision``
   are derived from the text as the model's ``save()`` does; a file's own bounds that disagree
   are a warning, the text wins). Records go into staging tables (:mod:`exchange.stage`).
2. **Resolve** (SQL): which natural keys exist already, ids for the new records (reserved from
   the sequences), and every foreign key and many-to-many link from its natural key, looked up
   first among the file's records (in any order) and then in the database.
3. **Check** (SQL): duplicate natural keys, references that resolve to nothing, the models'
   check and unique constraints, and the citation rules (a citation cites exactly one claim; a
   published claim has a citation, in the file or already in the database). Every problem is
   reported with its record number, model, natural key and field.
4. **Classify**: a record whose key exists is compared with what an export of the existing
   record would write: identical is "unchanged", only ``created``/``updated`` differing is
   "retimed" (the file's times are taken: a fresh install's countries and domains carry the
   time its migration ran), anything else a "conflict", kept as it is unless ``update``.
5. **Load** (not in a dry run, not with any problem): INSERT ... SELECT from the staging tables,
   updates, many-to-many links, and history.

All of it runs in one transaction; a dry run or a file with problems is rolled back, so it
writes nothing. History: every created or updated record gets a django-simple-history row
("+" or "~", with its many-to-many links), dated the moment of the import, with the importing
user and the reason ``import_kb <file>``, written set-based in the same transaction, so the
changes feed and "revert" see imported records like any others. Retimed records get none:
their content did not change.
"""

from __future__ import annotations

import json
import time
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import ijson
from django.apps import apps
from django.core.exceptions import FieldError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, transaction
from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, Min, OuterRef, Q
from django.utils import timezone

from exchange.clean import RecordReader
from exchange.export import RowFetcher, among, batched
from exchange.report import Action, Conflict, Counts, Report
from exchange.signals import kb_imported
from exchange.spec import BY_MODEL, SPECS, TIMESTAMPS, ModelSpec, key_field
from exchange.stage import Copier, Stage, Writer
from relations.models import CLAIM_FIELDS, Citation, Status

CHUNK = 2000


class _Rollback(Exception):
    """Leave the transaction without committing (a dry run, or problems found)."""


def import_kb(
    path: str | Path,
    *,
    name: str | None = None,
    update: bool = False,
    dry_run: bool = False,
    user_id: int | None = None,
    using: str = DEFAULT_DB_ALIAS,
    progress: Callable[[int], Any] | None = None,
    status: Callable[[str], Any] | None = None,
) -> Report:
    """Check the fixture at ``path`` and (unless ``dry_run`` or it has problems) load it.

    ``progress`` is told how many bytes were read, ``status`` what phase runs.
    """
    return Importer(
        Path(path),
        name=name or Path(path).name,
        update=update,
        dry_run=dry_run,
        user_id=user_id,
        using=using,
        progress=progress,
        status=status,
    ).run()


class _Counting:
    """A binary stream that reports how many bytes were read."""

    def __init__(self, raw: BinaryIO, progress: Callable[[int], Any] | None) -> None:
        self.raw = raw
        self.progress = progress

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        if self.progress and data:
            self.progress(len(data))
        return data


def _starts_with_array(raw: BinaryIO) -> bool:
    head = raw.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    raw.seek(0)
    return head.startswith(b"[")


# --- The import -------------------------------------------------------------------------------
@dataclass
class Importer:
    path: Path
    name: str
    update: bool = False
    dry_run: bool = False
    user_id: int | None = None
    using: str = DEFAULT_DB_ALIAS
    progress: Callable[[int], Any] | None = None
    status: Callable[[str], Any] | None = None

    def __post_init__(self) -> None:
        self.report = Report(name=self.name, dry_run=self.dry_run, update=self.update)
        self.now = timezone.now()
        self.reason = f"import_kb {self.name}"[:100]

    def say(self, message: str) -> None:
        if self.status:
            self.status(message)

    def run(self) -> Report:
        started = time.monotonic()
        try:
            with transaction.atomic(using=self.using):
                self._tune()
                self.stage = Stage(SPECS, self.using)
                self.stage.create()
                # Checks run even after problems in single records, to report every problem;
                # not after broken JSON, when the records they would refer to are missing.
                if self.read():
                    self.say("Resolving natural keys…")
                    self.resolve()
                    self.say("Checking…")
                    self.check()
                if self.report.ok:
                    self.say("Comparing with the database…")
                    self.classify()
                if not self.report.ok or self.dry_run:
                    raise _Rollback
                self.say("Loading…")
                try:
                    with transaction.atomic(using=self.using):
                        self.load()
                except DatabaseError as error:
                    # Checked above, so only a concurrent change gets here (another import
                    # took a key meanwhile): report it rather than crash; nothing is written.
                    self.report.problem(None, None, None, None, f"the database refused: {error}")
                    raise _Rollback from error
                self.stage.drop()
                self.report.loaded = True
                report = self.report
                transaction.on_commit(
                    lambda: kb_imported.send(sender=Importer, report=report, using=self.using),
                    using=self.using,
                )
        except _Rollback:
            pass
        self.report.seconds = time.monotonic() - started
        return self.report

    def _tune(self) -> None:
        """PostgreSQL settings for a bulk load, for this transaction only."""
        connection = connections[self.using]
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            # Hash joins over a million keys instead of sorts spilling to disk.
            cursor.execute("SET LOCAL work_mem = '64MB'")
            cursor.execute("SET LOCAL gin_pending_list_limit = '64MB'")
            # Temporary tables live in this session's buffers (8 MB by default), settable only
            # before the session first used one: a fresh connection, as the command's.
            try:
                with transaction.atomic(using=self.using):
                    cursor.execute("SET LOCAL temp_buffers = '256MB'")
            except DatabaseError:
                pass

    # --- 1. Read
    def read(self) -> bool:
        """Stage every record; False if the file is not readable JSON to the end."""
        readers = {spec.label: RecordReader(spec) for spec in SPECS}
        postgresql = self.stage.connection.vendor == "postgresql"
        copier = Copier(self.stage.connection) if postgresql else None
        writers = {
            spec: Writer(self.stage, self.stage.models[spec], readers[spec.label].columns, copier)
            for spec in SPECS
        }
        links = {
            key: Writer(self.stage, model, ["rec", "key"], copier)
            for key, model in self.stage.links.items()
        }
        try:
            complete = self._read_file(readers, writers, links)
        finally:
            if copier is not None:
                copier.close()
        if complete:
            self.say("Indexing the staged records…")
            self._index()
        return complete

    def _read_file(self, readers, writers, links) -> bool:
        complete = True
        rec = 0
        with self.path.open("rb") as raw:
            if not _starts_with_array(raw):
                self.report.problem(
                    None, None, None, None, "the file is not a JSON array of records ([{…}, …])"
                )
                return False
            try:
                for rec, item in enumerate(ijson.items(_Counting(raw, self.progress), "item"), 1):
                    self.record(rec, item, readers, writers, links)
            except (ijson.JSONError, UnicodeDecodeError) as error:
                self.report.problem(
                    rec + 1, None, None, None,
                    f"the file stops being valid JSON here (truncated?): {error}",
                )  # fmt: skip
                complete = False
        self.report.records = rec
        for writer in [*writers.values(), *links.values()]:
            writer.flush()
        return complete

    def record(self, rec, item, readers, writers, links) -> None:
        if not isinstance(item, dict) or not isinstance(item.get("fields"), dict):
            self.report.problem(
                rec, None, None, None, 'a record is an object {"model": …, "fields": {…}}'
            )
            return
        label = item.get("model")
        reader = readers.get(label.lower()) if isinstance(label, str) else None
        if reader is None:
            exchanged = ", ".join(readers)
            self.report.problem(
                rec, None, None, "model", f"{label!r} is not imported (only {exchanged})"
            )
            return
        staged = reader.read(rec, item["fields"], self.report)
        if staged is None:
            return
        row, keys = staged
        spec = reader.spec
        writers[spec].add(row, sum(len(v) for v in row if type(v) is str))  # about its size
        for name, values in keys.items():
            writer = links[spec, name]
            for value in values:
                writer.add((rec, value))

    def _index(self) -> None:
        for spec, model in self.stage.models.items():
            self.stage.index(model, *self.key_columns(spec))
            if spec.model is Citation:  # "is this claim cited in the file?"
                for kind in CLAIM_FIELDS:
                    self.stage.index(model, f"key_{kind}")
        for model in self.stage.links.values():
            self.stage.index(model, "rec")
        self.stage.analyze()

    # --- 2. Resolve
    def key_columns(self, spec: ModelSpec) -> list[str]:
        """The staging columns that hold a record's natural key."""
        if spec.model is Citation:
            return ["key_source", *(f"key_{k}" for k in CLAIM_FIELDS), "locator"]
        return [spec.key[0]]

    def resolve(self) -> None:
        """Ids for every staged record (its existing one, or one reserved for it) and for every
        foreign key, from natural keys: the file's record with that key if there is one (in any
        order), else the database's. Set-based (UPDATE ... FROM, hash joins on PostgreSQL), one
        rewrite of each staging table, in load order so that targets have their ids first."""
        q = self.stage.q
        for spec, staged in self.stage.models.items():
            table, stage_table = q(spec.model._meta.db_table), q(staged._meta.db_table)
            self._existing(spec, table, stage_table)
            new = staged.objects.using(self.using).filter(existing__isnull=True).count()
            first = self._reserve(spec.model, new) if new else 0
            foreign = [
                f for f in spec.fields if f.is_relation and f.related_model is not spec.model
            ]
            joins, sets = [], [f"COALESCE(r.{q('existing')}, %s + r.rn) AS {q('id')}"]
            for i, f in enumerate(foreign):
                key_column = q(key_field(f.related_model))
                here = q(self.stage.models[BY_MODEL[f.related_model]]._meta.db_table)
                there = q(f.related_model._meta.db_table)
                joins.append(
                    f"LEFT JOIN {here} h{i} ON h{i}.{key_column} = r.{q('key_' + f.name)} "
                    f"LEFT JOIN {there} t{i} ON t{i}.{key_column} = r.{q('key_' + f.name)}"
                )
                sets.append(f"COALESCE(h{i}.{q('id')}, t{i}.{q('id')}) AS {q(f.column)}")
            columns = [q("id"), *(q(f.column) for f in foreign)]
            numbered = (
                f"SELECT *, ROW_NUMBER() OVER (PARTITION BY {q('existing')} IS NULL "
                f"ORDER BY {q('rec')}) - 1 AS rn FROM {stage_table}"
            )
            self.stage.execute(
                f"UPDATE {stage_table} SET {', '.join(f'{c} = x.{c}' for c in columns)} "
                f"FROM (SELECT r.{q('rec')}, {', '.join(sets)} FROM ({numbered}) r "
                f"{' '.join(joins)}) AS x WHERE x.{q('rec')} = {stage_table}.{q('rec')}",
                [first],
            )
            self.stage.index(staged, "id")
            for f in spec.fields:
                if f.is_relation and f.related_model is spec.model:  # a parent: ids now known
                    key_column = q(key_field(spec.model))
                    self.stage.execute(
                        f"UPDATE {stage_table} SET {q(f.column)} = COALESCE("
                        f"(SELECT h.{q('id')} FROM {stage_table} h "
                        f"WHERE h.{key_column} = {stage_table}.{q('key_' + f.name)}), "
                        f"(SELECT t.{q('id')} FROM {table} t "
                        f"WHERE t.{key_column} = {stage_table}.{q('key_' + f.name)})) "
                        f"WHERE {q('key_' + f.name)} IS NOT NULL"
                    )
        self.stage.analyze()

    def _existing(self, spec: ModelSpec, table: str, stage_table: str) -> None:
        """Mark the staged records whose natural key the database has already."""
        q = self.stage.q
        if spec.model is not Citation:
            key = q(spec.key[0])
            self.stage.execute(
                f"UPDATE {stage_table} SET {q('existing')} = m.{q('id')} "
                f"FROM {table} m WHERE m.{key} = {stage_table}.{key}"
            )
            return
        for kind in CLAIM_FIELDS:
            claim = q(Citation._meta.get_field(kind).related_model._meta.db_table)
            self.stage.execute(
                f"UPDATE {stage_table} SET {q('existing')} = m.{q('id')} "
                f"FROM {table} m JOIN {q('sources_source')} so "
                f"ON so.{q('id')} = m.{q('source_id')} "
                f"JOIN {claim} c ON c.{q('id')} = m.{q(kind + '_id')} "
                f"WHERE so.{q('slug')} = {stage_table}.{q('key_source')} "
                f"AND c.{q('slug')} = {stage_table}.{q('key_' + kind)} "
                f"AND m.{q('locator')} = {stage_table}.{q('locator')}"
            )

    def link_select(self, spec: ModelSpec, m2m) -> tuple[str, str]:
        """FROM clause resolving a many-to-many list (owner id, target id) by natural key, and
        the target id expression."""
        q = self.stage.q
        key_column = q(key_field(m2m.related_model))
        link_table = q(self.stage.links[spec, m2m.name]._meta.db_table)
        owners = q(self.stage.models[spec]._meta.db_table)
        here = q(self.stage.models[BY_MODEL[m2m.related_model]]._meta.db_table)
        there = q(m2m.related_model._meta.db_table)
        return (
            f"{link_table} l JOIN {owners} s ON s.{q('rec')} = l.{q('rec')} "
            f"LEFT JOIN {here} h ON h.{key_column} = l.{q('key')} "
            f"LEFT JOIN {there} t ON t.{key_column} = l.{q('key')}",
            f"COALESCE(h.{q('id')}, t.{q('id')})",
        )

    def _reserve(self, model: type[models.Model], count: int) -> int:
        """The first of ``count`` ids no one else will use: from the sequence on PostgreSQL
        (a dry run just reads the maximum, leaving the sequence alone)."""
        connection = self.stage.connection
        q = self.stage.q
        table, pk = model._meta.db_table, model._meta.pk.column
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql" and not self.dry_run:
                cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, pk])
                sequence = cursor.fetchone()[0]
                cursor.execute(
                    f"SELECT setval(%s::regclass, GREATEST(nextval(%s::regclass), "
                    f"(SELECT COALESCE(MAX({q(pk)}), 0) + 1 FROM {q(table)})) + %s - 1)",
                    [sequence, sequence, count],
                )
                return cursor.fetchone()[0] - count + 1
            cursor.execute(f"SELECT COALESCE(MAX({q(pk)}), 0) + 1 FROM {q(table)}")
            return cursor.fetchone()[0]

    # --- 3. Check
    def check(self) -> None:
        for spec in SPECS:
            self._duplicates(spec)
            self._missing(spec)
        for spec in SPECS:
            self._constraints(spec)
            self._unique(spec)
            if spec.is_claim:
                self._uncited(spec)

    def _key_of(self, spec: ModelSpec, row: dict[str, Any]) -> str:
        if spec.model is not Citation:
            return row[spec.key[0]]
        kind = next((k for k in CLAIM_FIELDS if row.get(f"key_{k}")), "?")
        return f"{row['key_source']} / {kind} {row.get(f'key_{kind}')} / {row['locator']}"

    def _rows(self, spec: ModelSpec, queryset: models.QuerySet, *extra: str) -> Iterator[dict]:
        return queryset.values("rec", *self.key_columns(spec), *extra).order_by("rec").iterator()

    def _duplicates(self, spec: ModelSpec) -> None:
        staged = self.stage.models[spec].objects.using(self.using)
        columns = self.key_columns(spec)
        groups = staged.values(*columns).annotate(n=Count("rec"), first=Min("rec")).filter(n__gt=1)
        for group in groups.order_by("first"):
            same = staged.filter(**{c: group[c] for c in columns}).exclude(rec=group["first"])
            for row in self._rows(spec, same):
                self.report.problem(
                    row["rec"], spec.label, self._key_of(spec, row), None,
                    f"duplicate natural key: record {group['first']} has the same",
                )  # fmt: skip
                staged.filter(rec=row["rec"]).update(bad=True)

    def _missing(self, spec: ModelSpec) -> None:
        staged = self.stage.models[spec].objects.using(self.using)
        bad: list[int] = []
        for f in spec.fields:
            if not f.is_relation:
                continue
            target = BY_MODEL[f.related_model].label
            unresolved = staged.filter(
                **{f"key_{f.name}__isnull": False, f"{f.name}__isnull": True}
            )
            for row in self._rows(spec, unresolved, f"key_{f.name}"):
                self.report.problem(
                    row["rec"], spec.label, self._key_of(spec, row), f.name,
                    f"no {target} {row[f'key_{f.name}']!r} in the file or the database",
                )  # fmt: skip
                bad.append(row["rec"])
        q = self.stage.q
        for m2m in spec.m2m:
            target = BY_MODEL[m2m.related_model].label
            source, resolved = self.link_select(spec, m2m)
            keys = ", ".join(f"s.{q(c)}" for c in self.key_columns(spec))
            with self.stage.connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT l.{q('rec')}, l.{q('key')}, {keys} FROM {source} "
                    f"WHERE {resolved} IS NULL ORDER BY l.{q('rec')}"
                )
                for rec, key, *natural in cursor.fetchall():
                    row = dict(zip(self.key_columns(spec), natural, strict=True))
                    self.report.problem(
                        rec, spec.label, self._key_of(spec, row), m2m.name,
                        f"no {target} {key!r} in the file or the database",
                    )  # fmt: skip
                    bad.append(rec)
        for chunk in batched(sorted(set(bad)), CHUNK):
            staged.filter(rec__in=chunk).update(bad=True)

    def _constraints(self, spec: ModelSpec) -> None:
        """The model's CHECK constraints, evaluated on the staged rows (NULL passes, as in SQL)."""
        staged = self.stage.models[spec].objects.using(self.using).filter(bad=False)
        for constraint in spec.model._meta.constraints:
            if not isinstance(constraint, models.CheckConstraint):
                continue
            ok = ExpressionWrapper(constraint.condition, output_field=BooleanField())
            try:
                broken = list(self._rows(spec, staged.alias(ok=ok).filter(ok=False)))
            except FieldError:  # a condition across a join: the database will enforce it
                continue
            fields = ", ".join(_fields_of(constraint.condition)) or None
            for row in broken:
                self.report.problem(
                    row["rec"], spec.label, self._key_of(spec, row), fields,
                    constraint.get_violation_error_message(),
                )  # fmt: skip

    def _unique(self, spec: ModelSpec) -> None:
        """Unique fields and constraints other than the natural key, within the file and
        against the database's other records."""
        staged = self.stage.models[spec].objects.using(self.using).filter(bad=False)
        manager = spec.model._default_manager.using(self.using)
        key = set(spec.key)
        rules: list[tuple[tuple[str, ...], Q]] = [
            ((f.name,), Q()) for f in spec.fields if f.unique and f.name not in key
        ]
        for constraint in spec.model._meta.constraints:
            unique = isinstance(constraint, models.UniqueConstraint) and constraint.fields
            if unique and not set(constraint.fields) <= key:
                rules.append((tuple(constraint.fields), constraint.condition or Q()))
        for fields, condition in rules:
            label = ", ".join(fields)
            candidates = staged.filter(condition)
            groups = (
                candidates.values(*fields)
                .annotate(n=Count("rec"), first=Min("rec"))
                .filter(n__gt=1)
            )
            for group in groups.order_by("first"):
                same = candidates.filter(**{f: group[f] for f in fields}).exclude(
                    rec=group["first"]
                )
                for row in self._rows(spec, same):
                    self.report.problem(
                        row["rec"], spec.label, self._key_of(spec, row), label,
                        f"must be unique; record {group['first']} has the same value",
                    )  # fmt: skip
            taken = manager.filter(condition).filter(**{f: OuterRef(f) for f in fields})
            clashing = candidates.filter(Exists(taken.exclude(pk=OuterRef("id"))))
            for row in self._rows(spec, clashing, *fields):
                value = ", ".join(str(row[f]) for f in fields)
                self.report.problem(
                    row["rec"], spec.label, self._key_of(spec, row), label,
                    f"{value!r} is already used by another {spec.label} in the database",
                )  # fmt: skip

    def _uncited(self, spec: ModelSpec) -> None:
        kind = spec.model._meta.model_name
        staged = self.stage.models[spec].objects.using(self.using).filter(bad=False)
        cited_here = self.stage.models[BY_MODEL[Citation]].objects.using(self.using)
        cited_there = Citation.objects.using(self.using)
        uncited = (
            staged.filter(status=Status.PUBLISHED)
            .exclude(Exists(cited_here.filter(**{f"key_{kind}": OuterRef("slug")})))
            .exclude(Exists(cited_there.filter(**{kind: OuterRef("id")})))
        )
        for row in self._rows(spec, uncited):
            self.report.problem(
                row["rec"], spec.label, self._key_of(spec, row), "status",
                "published, but no citation backs it (in the file or the database): add one, "
                "or import it as a draft",
            )  # fmt: skip

    # --- 4. Classify
    def classify(self) -> None:
        """Compare each record whose key exists with what an export of the database's record
        would write; mark the ones the load changes."""
        for spec, staged in self.stage.models.items():
            objects = staged.objects.using(self.using)
            counts = self.report.counts.setdefault(spec.label, Counts())
            counts.add(Action.CREATE, objects.filter(existing__isnull=True).count())
            reader = RecordReader(spec)
            fetcher = RowFetcher(spec, self.using, public=False)
            marks: dict[Action, array] = {Action.UPDATE: array("i"), Action.RETIME: array("i")}
            columns = ["rec", "existing", *reader.stored, *reader.keys]
            rows = (
                objects.filter(existing__isnull=False)
                .order_by("rec")
                .values_list(*columns)
                .iterator(chunk_size=CHUNK * 5)
            )
            for chunk in batched(rows, CHUNK):
                current = fetcher.fetch([row[1] for row in chunk])
                links = self._staged_links(spec, [row[0] for row in chunk])
                for row in chunk:
                    values = dict(zip(columns, row, strict=True))
                    rec = values["rec"]
                    stamps, canon = reader.canonical(values, links.get(rec, {}))
                    now_stamps, now_content = spec.canonical(current[values["existing"]])
                    action = self._compare(canon, stamps, now_content, now_stamps)
                    counts.add(action)
                    if action in marks:
                        marks[action].append(rec)
                    if action in (Action.CONFLICT, Action.UPDATE):
                        key = self._key_of(spec, values)
                        fields = _differing(canon, now_content)
                        self.report.conflict(Conflict(rec, spec.label, key, fields))
            for action, recs in marks.items():
                for part in batched(recs, CHUNK * 5):
                    objects.filter(among("rec", part, self.using)).update(action=action.value)

    def _staged_links(self, spec: ModelSpec, recs: list[int]) -> dict[int, dict[str, list]]:
        """The many-to-many keys the file gave these records: {rec: {field: [key, ...]}}."""
        found: dict[int, dict[str, list]] = {}
        for m2m in spec.m2m:
            link = self.stage.links[spec, m2m.name].objects.using(self.using)
            rows = link.filter(among("rec", recs, self.using)).values_list("rec", "key")
            for rec, key in rows.order_by():
                found.setdefault(rec, {}).setdefault(m2m.name, []).append(key)
        return found

    def _compare(self, canon: str, stamps: str | None, now_content: str, now_stamps: str) -> Action:
        if canon != now_content:
            return Action.UPDATE if self.update else Action.CONFLICT
        if stamps is None or stamps == now_stamps:
            return Action.UNCHANGED
        return Action.RETIME

    # --- 5. Load
    def load(self) -> None:
        connection = self.stage.connection
        now = connection.ops.adapt_datetimefield_value(self.now)
        for spec, staged in self.stage.models.items():
            self._insert(spec, staged, now)
            self._update(spec, staged, now)
            for m2m in spec.m2m:
                self._links(spec, staged, m2m)
            self._history(spec, staged, now)
        if connection.vendor == "postgresql" and self.report.totals().created > 10_000:
            # Fresh statistics for the next queries' plans (autovacuum would take its time).
            for spec in SPECS:
                tables = [spec.model, *(m.remote_field.through for m in spec.m2m)]
                for model in tables:
                    self.stage.execute(f"ANALYZE {self.stage.q(model._meta.db_table)}")

    def _insert(self, spec: ModelSpec, staged: type[models.Model], now: Any) -> None:
        q = self.stage.q
        fields = spec.model._meta.concrete_fields
        columns = ", ".join(q(f.column) for f in fields)
        select, params = [], []
        for f in fields:
            if f.name in TIMESTAMPS:
                select.append(f"COALESCE(s.{q(f.column)}, %s)")
                params.append(now)
            else:
                select.append(f"s.{q(f.column)}")
        self.stage.execute(
            f"INSERT INTO {q(spec.model._meta.db_table)} ({columns}) "
            f"SELECT {', '.join(select)} FROM {q(staged._meta.db_table)} s "
            f"WHERE s.{q('existing')} IS NULL ORDER BY s.{q('rec')}",
            params,
        )

    def _update(self, spec: ModelSpec, staged: type[models.Model], now: Any) -> None:
        q = self.stage.q
        table, stage_table = q(spec.model._meta.db_table), q(staged._meta.db_table)
        for action in (Action.UPDATE, Action.RETIME):
            fields = [
                f
                for f in spec.model._meta.concrete_fields
                if not f.primary_key and (action == Action.UPDATE or f.name in TIMESTAMPS)
            ]
            select, params = [], []
            for f in fields:
                column = q(f.column)
                if f.name == "created" or (f.name == "updated" and action == Action.RETIME):
                    select.append(f"COALESCE(s.{column}, {table}.{column})")
                elif f.name == "updated":  # not given: changed now
                    select.append(f"COALESCE(s.{column}, %s)")
                    params.append(now)
                else:
                    select.append(f"s.{column}")
            columns = ", ".join(q(f.column) for f in fields)
            self.stage.execute(
                f"UPDATE {table} SET ({columns}) = (SELECT {', '.join(select)} "
                f"FROM {stage_table} s WHERE s.{q('id')} = {table}.{q('id')}) "
                f"WHERE {table}.{q('id')} IN "
                f"(SELECT {q('id')} FROM {stage_table} WHERE {q('action')} = %s)",
                [*params, action.value],
            )

    def _links(self, spec: ModelSpec, staged: type[models.Model], m2m) -> None:
        q = self.stage.q
        through = q(m2m.remote_field.through._meta.db_table)
        owner, target = q(m2m.m2m_column_name()), q(m2m.m2m_reverse_name())
        stage_table = q(staged._meta.db_table)
        self.stage.execute(
            f"DELETE FROM {through} WHERE {owner} IN "
            f"(SELECT {q('id')} FROM {stage_table} WHERE {q('action')} = %s)",
            [Action.UPDATE.value],
        )
        source, resolved = self.link_select(spec, m2m)
        # No DISTINCT: a record's keys were made unique when read.
        self.stage.execute(
            f"INSERT INTO {through} ({owner}, {target}) "
            f"SELECT s.{q('id')}, {resolved} FROM {source} "
            f"WHERE s.{q('existing')} IS NULL OR s.{q('action')} = %s",
            [Action.UPDATE.value],
        )

    def _history(self, spec: ModelSpec, staged: type[models.Model], now: Any) -> None:
        """One history row per created ("+") or updated ("~") record, with its links."""
        history = getattr(spec.model, "history", None)
        if history is None:
            return
        q = self.stage.q
        historical = history.model
        table, stage_table = q(spec.model._meta.db_table), q(staged._meta.db_table)
        hist_table = q(historical._meta.db_table)
        with self.stage.connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX({q('history_id')}), 0) FROM {hist_table}")
            before = cursor.fetchone()[0]
        columns = ", ".join(q(f.column) for f in spec.model._meta.concrete_fields)
        extra = "history_date", "history_change_reason", "history_type", "history_user_id"
        for history_type, where in (
            ("+", f"{q('existing')} IS NULL"),
            ("~", f"{q('action')} = '{Action.UPDATE.value}'"),
        ):
            self.stage.execute(
                f"INSERT INTO {hist_table} ({columns}, {', '.join(q(c) for c in extra)}) "
                f"SELECT {columns}, %s, %s, %s, %s FROM {table} WHERE {q('id')} IN "
                f"(SELECT {q('id')} FROM {stage_table} WHERE {where})",
                [now, self.reason, history_type, self.user_id],
            )
        for m2m in getattr(historical, "_history_m2m_fields", ()):
            try:
                link_history = apps.get_model(
                    spec.model._meta.app_label, f"Historical{spec.model.__name__}_{m2m.name}"
                )
            except LookupError:
                continue
            through = q(m2m.remote_field.through._meta.db_table)
            owner, target = q(m2m.m2m_column_name()), q(m2m.m2m_reverse_name())
            self.stage.execute(
                f"INSERT INTO {q(link_history._meta.db_table)} "
                f"({q('id')}, {owner}, {target}, {q('history_id')}) "
                f"SELECT t.{q('id')}, t.{owner}, t.{target}, h.{q('history_id')} "
                f"FROM {through} t JOIN {hist_table} h ON h.{q('id')} = t.{owner} "
                f"WHERE h.{q('history_id')} > %s AND h.{q('history_date')} = %s",
                [before, now],
            )


def _fields_of(condition: Q) -> list[str]:
    """The field names a constraint's condition mentions, for the report."""
    names: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, Q):
            for child in node.children:
                walk(child)
        elif isinstance(node, tuple):
            names.append(node[0].split("__")[0])
            walk(node[1])
        elif isinstance(node, models.F):
            names.append(node.name.split("__")[0])
        elif hasattr(node, "get_source_expressions"):
            for source in node.get_source_expressions():
                walk(source)

    walk(condition)
    return list(dict.fromkeys(names))


def _differing(canon: str, now: str) -> tuple[str, ...]:
    file_fields, db_fields = json.loads("{" + canon + "}"), json.loads("{" + now + "}")
    return tuple(k for k in file_fields if file_fields[k] != db_fields.get(k))
