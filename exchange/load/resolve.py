"""Step 2, resolve: ids for every staged record and every reference, from natural keys, in
set-based SQL."""

from __future__ import annotations

from django.db import models

from exchange.load.base import Step
from exchange.spec import BY_MODEL, ModelSpec, key_field
from relations.models import CLAIM_FIELDS, Citation
from sources.models import Footnote


class Resolving(Step):
    def key_columns(self, spec: ModelSpec) -> list[str]:
        """The staging columns that hold a record's natural key."""
        if spec.model is Citation:
            return ["key_footnote", *(f"key_{k}" for k in CLAIM_FIELDS)]
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
            footnotes = q(Footnote._meta.db_table)
            self.stage.execute(
                f"UPDATE {stage_table} SET {q('existing')} = m.{q('id')} "
                f"FROM {table} m JOIN {footnotes} f ON f.{q('id')} = m.{q('footnote_id')} "
                f"JOIN {claim} c ON c.{q('id')} = m.{q(kind + '_id')} "
                f"WHERE f.{q('slug')} = {stage_table}.{q('key_footnote')} "
                f"AND c.{q('slug')} = {stage_table}.{q('key_' + kind)}"
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
