"""Staging tables: an import's records in the database before they become the knowledge base.

For each exchanged model the importer creates a TEMPORARY table shaped like the model's own
(same column names and types, nothing unique, everything nullable), plus bookkeeping columns:
the record's number in the file, the id it has or will have, whether it has a problem, and, per
foreign key, the natural key the file gave. Many-to-many lists get a table each.

Checks and the load are then set-based SQL over these tables: resolving a million natural keys
is one UPDATE with a subquery, not a million lookups, and Python's memory stays flat however
big the file. Because the staging table has the model's columns under the model's field names,
a Django model over it (built here, in a private app registry) lets the model's own
CheckConstraints and UniqueConstraints be evaluated on the staged rows by the ORM, on
PostgreSQL and SQLite alike, naming the records that break them.

Temporary tables belong to the connection (no clash between concurrent imports) and to the
transaction: a failed or dry run rolls them back; a successful one drops them.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Sequence
from typing import Any

from django.apps.registry import Apps
from django.db import connections, models

from exchange.spec import ModelSpec

BATCH = 5000  # rows per COPY / executemany
BATCH_BYTES = 8 << 20  # or fewer, when records are large: memory stays bounded either way


def _clone(f: models.Field) -> models.Field:
    """The field's column as a staging column: same name and type, nullable, not unique."""
    if f.is_relation:  # the target's id, resolved from its natural key after staging
        return models.BigIntegerField(null=True, db_column=f.column)
    _, _, args, kwargs = f.deconstruct()
    kwargs.update(null=True, unique=False, db_index=False, primary_key=False)
    kwargs.pop("default", None)
    kwargs.pop("validators", None)
    return type(f)(*args, **kwargs)


class Stage:
    """The staging tables of one import, over one connection."""

    def __init__(self, specs: Sequence[ModelSpec], using: str) -> None:
        self.using = using
        self.connection = connections[using]
        self.apps = Apps()  # private: these models never reach the project's registry
        self.models: dict[ModelSpec, type[models.Model]] = {}
        self.links: dict[tuple[ModelSpec, str], type[models.Model]] = {}
        for spec in specs:
            self.models[spec] = self._record_model(spec)
            for m2m in spec.m2m:
                self.links[spec, m2m.name] = self._link_model(spec, m2m.name)

    # --- Models
    def _make(self, name: str, table: str, attrs: dict[str, Any]) -> type[models.Model]:
        meta = type(
            "Meta", (), {"app_label": "exchange_stage", "db_table": table, "apps": self.apps}
        )
        return type(name, (models.Model,), {"__module__": __name__, "Meta": meta, **attrs})

    def _record_model(self, spec: ModelSpec) -> type[models.Model]:
        name = spec.model._meta.model_name
        attrs: dict[str, Any] = {
            "rec": models.IntegerField(primary_key=True),  # the record's number in the file
            "id": models.BigIntegerField(null=True),  # its id: existing, or reserved for it
            "existing": models.BigIntegerField(null=True),  # set when the key is already used
            "action": models.CharField(max_length=1, null=True),  # see load.Action
            "bad": models.BooleanField(default=False),  # has a problem reported already
        }
        for f in spec.fields:
            attrs[f.name] = _clone(f)
            if f.is_relation:
                attrs[f"key_{f.name}"] = models.TextField(null=True)
        return self._make(f"Stage{spec.model.__name__}", f"exchange_stage_{name}", attrs)

    def _link_model(self, spec: ModelSpec, field: str) -> type[models.Model]:
        name = spec.model._meta.model_name
        attrs = {
            "n": models.BigAutoField(primary_key=True),
            "rec": models.IntegerField(),  # the owner's record
            "key": models.TextField(),  # the target's natural key
            "owner": models.BigIntegerField(null=True),
            "target": models.BigIntegerField(null=True),
        }
        return self._make(
            f"Stage{spec.model.__name__}_{field}", f"exchange_stage_{name}_{field}", attrs
        )

    def all_models(self) -> list[type[models.Model]]:
        return [*self.models.values(), *self.links.values()]

    # --- Tables
    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount

    def q(self, name: str) -> str:
        return self.connection.ops.quote_name(name)

    def create(self) -> None:
        editor = self.connection.schema_editor(atomic=False)  # only for its SQL; never entered
        for model in self.all_models():
            self.execute(f"DROP TABLE IF EXISTS {self.q(model._meta.db_table)}")
            sql, params = editor.table_sql(model)
            self.execute(sql.replace("CREATE TABLE", "CREATE TEMPORARY TABLE", 1), params)

    def index(self, model: type[models.Model], *columns: str) -> None:
        table = model._meta.db_table
        name = f"{table}_{'_'.join(columns)}_ix"[:60]
        cols = ", ".join(self.q(c) for c in columns)
        self.execute(f"CREATE INDEX {self.q(name)} ON {self.q(table)} ({cols})")

    def analyze(self) -> None:
        """PostgreSQL never analyzes temporary tables by itself; its plans need the counts."""
        if self.connection.vendor == "postgresql":
            for model in self.all_models():
                self.execute(f"ANALYZE {self.q(model._meta.db_table)}")

    def drop(self) -> None:
        for model in self.all_models():
            self.execute(f"DROP TABLE IF EXISTS {self.q(model._meta.db_table)}")


class Copier:
    """PostgreSQL: ``COPY ... FROM STDIN`` on a background thread, so the server ingests one
    batch while Python reads the next (as ``relations.generator.CopySink``). A bounded queue
    holds at most ``depth`` batches. Nothing else may use the connection until :meth:`close`.
    """

    def __init__(self, connection, depth: int = 4) -> None:
        connection.ensure_connection()
        self.raw = connection.connection
        self.queue: queue.Queue = queue.Queue(maxsize=depth)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="import_kb-copy", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (item := self.queue.get()) is not None:
            if self.error is None:
                try:
                    sql, rows = item
                    with self.raw.cursor() as cursor, cursor.copy(sql) as copy:
                        for row in rows:
                            copy.write_row(row)
                except BaseException as error:  # handed to the main thread
                    self.error = error

    def put(self, sql: str, rows: list) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put((sql, rows))

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error


class Writer:
    """Buffered inserts into one staging table: COPY on PostgreSQL (through a :class:`Copier`),
    executemany elsewhere."""

    def __init__(
        self,
        stage: Stage,
        model: type[models.Model],
        names: Sequence[str],
        copier: Copier | None = None,
    ) -> None:
        self.stage = stage
        self.model = model
        self.fields = [model._meta.get_field(name) for name in names]
        self.rows: list[Sequence[Any]] = []
        self.copier = copier
        self.json_at = [i for i, f in enumerate(self.fields) if isinstance(f, models.JSONField)]
        self.count = 0
        self.size = 0

    def add(self, row: Sequence[Any], size: int = 0) -> None:
        """Buffer a row; ``size`` is about how many bytes it holds."""
        self.rows.append(row)
        self.size += size
        if len(self.rows) >= BATCH or self.size >= BATCH_BYTES:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        rows, self.rows = self.rows, []
        self.count += len(rows)
        self.size = 0
        table = self.stage.q(self.model._meta.db_table)
        columns = ", ".join(self.stage.q(f.column) for f in self.fields)
        if self.copier is not None:
            if self.json_at:  # psycopg would send a list as an array
                rows = [list(row) for row in rows]
                for row in rows:
                    for i in self.json_at:
                        if row[i] is not None:
                            row[i] = json.dumps(row[i])
            self.copier.put(f"COPY {table} ({columns}) FROM STDIN", rows)
            return
        connection = self.stage.connection
        prep = [f.get_db_prep_save for f in self.fields]
        adapted = [[p(v, connection) for p, v in zip(prep, row, strict=True)] for row in rows]
        marks = ", ".join(["%s"] * len(self.fields))
        with connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", adapted)
