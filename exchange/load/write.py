"""Step 5, write: INSERT ... SELECT from the staging tables, updates, many-to-many links and
history, set-based."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import models

from core.bulk import create_indexes, drop_plain_indexes
from exchange.load.base import Step
from exchange.report import Action
from exchange.spec import SPECS, TIMESTAMPS, ModelSpec
from relations.models import cited

#: New records of a model from which its empty tables' indexes are made after the load.
REBUILD_FROM = 20_000


class Writing(Step):
    # Provided by Resolving.
    link_select: Any

    def load(self) -> None:
        connection = self.stage.connection
        now = connection.ops.adapt_datetimefield_value(self.now)
        # "A published claim is cited": one set-based check of the loaded claims below, not
        # a deferred trigger per row (relations.models.cited).
        cited.start_bulk_load(self.using)
        for spec, staged in self.stage.models.items():
            rebuilt = self._drop_indexes(spec, staged)
            self._insert(spec, staged, now)
            self._update(spec, staged, now)
            for m2m in spec.m2m:
                self._links(spec, staged, m2m)
            self._history(spec, staged, now)
            if rebuilt:
                # PostgreSQL makes no index on a table with pending trigger events: the deferred
                # foreign-key checks of the rows just written run now (every target is loaded:
                # models come in load order), and the rest of the load defers them again.
                self.stage.execute("SET CONSTRAINTS ALL IMMEDIATE")
                self.stage.execute("SET CONSTRAINTS ALL DEFERRED")
                create_indexes(connection, rebuilt)
        cited.finish_bulk_load(self.using, self._loaded_claims())
        if connection.vendor == "postgresql" and self.report.totals().created > 10_000:
            # Fresh statistics for the next queries' plans (autovacuum would take its time).
            for spec in SPECS:
                tables = [spec.model, *(m.remote_field.through for m in spec.m2m)]
                for model in tables:
                    self.stage.execute(f"ANALYZE {self.stage.q(model._meta.db_table)}")

    def _drop_indexes(self, spec: ModelSpec, staged: type[models.Model]) -> list[str]:
        """Into an empty table (a new install's first load), a big load goes faster without
        the table's plain indexes (full-text and trigram search above all), made again
        afterwards in one sorted pass each: PostgreSQL only, at least :data:`REBUILD_FROM`
        new records; the model's table, its many-to-many tables and their history tables.
        Which tables and indexes: :func:`core.bulk.drop_plain_indexes` (empty tables only).
        Returns the definitions to run."""
        connection = self.stage.connection
        if connection.vendor != "postgresql":
            return []
        new = staged.objects.using(self.using).filter(existing__isnull=True).count()
        if new < REBUILD_FROM:
            return []
        tables = [spec.model, *(m.remote_field.through for m in spec.m2m)]
        history = getattr(spec.model, "history", None)
        if history is not None:
            tables.append(history.model)
            for m2m in getattr(history.model, "_history_m2m_fields", ()):
                try:
                    tables.append(
                        apps.get_model(
                            spec.model._meta.app_label,
                            f"Historical{spec.model.__name__}_{m2m.name}",
                        )
                    )
                except LookupError:
                    continue
        return drop_plain_indexes(connection, [model._meta.db_table for model in tables])

    def _loaded_claims(self) -> list[models.QuerySet]:
        return [
            spec.model._default_manager.using(self.using).filter(
                pk__in=staged.objects.using(self.using).values("id")
            )
            for spec, staged in self.stage.models.items()
            if spec.is_claim
        ]

    def _insert(self, spec: ModelSpec, staged: type[models.Model], now: Any) -> None:
        q = self.stage.q
        fields = spec.model._meta.concrete_fields
        columns = ", ".join(q(f.column) for f in fields)
        select, params = [], []
        for f in fields:
            if f.name in TIMESTAMPS:
                select.append(f"COALESCE(s.{q(f.column)}, %s)")
                params.append(now)
            elif not (f.primary_key or f.serialize):  # not exchanged (a review comment)
                select.append("%s")
                params.append(f.get_db_prep_save(f.get_default(), self.stage.connection))
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
                # Fields a fixture does not hold (serialize=False: a claim's review comment,
                # internal editorial data) keep the install's own value.
                if not f.primary_key
                and f.serialize
                and (action == Action.UPDATE or f.name in TIMESTAMPS)
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
        """One history row per created ("+"), updated or retimed ("~") record, with its links.
        A retimed record's content is the same, but its times are not, and an export (hence a
        mirror following the changes feed) writes them."""
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
            ("~", f"{q('action')} IN ('{Action.UPDATE.value}', '{Action.RETIME.value}')"),
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
