"""Step 3, check: duplicate keys, unresolved references, the models' constraints and the
citation rules, each problem named by record, model, key and field."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.core.exceptions import FieldError
from django.db import models
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    Min,
    OuterRef,
    Q,
    Subquery,
)

from exchange.export import batched
from exchange.load.base import CHUNK, Step
from exchange.spec import BY_MODEL, SPECS, ModelSpec
from relations.models import CLAIM_FIELDS, Citation, Domain, Relationship, Status


class Checking(Step):
    # Provided by Resolving.
    key_columns: Any
    link_select: Any

    def check(self) -> None:
        for spec in SPECS:
            self._duplicates(spec)
            self._missing(spec)
        for spec in SPECS:
            self._constraints(spec)
            self._unique(spec)
            if spec.is_claim:
                self._uncited(spec)
        self._sections()

    def _key_of(self, spec: ModelSpec, row: dict[str, Any]) -> str:
        if spec.model is not Citation:
            return row[spec.key[0]]
        kind = next((k for k in CLAIM_FIELDS if row.get(f"key_{k}")), "?")
        return f"{row['key_footnote']} / {kind} {row.get(f'key_{kind}')}"

    def _rows(self, spec: ModelSpec, queryset: models.QuerySet, *extra: str) -> Iterator[dict]:
        return queryset.values("rec", *self.key_columns(spec), *extra).order_by("rec").iterator()

    def _duplicates(self, spec: ModelSpec) -> None:
        staged = self.stage.models[spec].objects.using(self.using)
        columns = self.key_columns(spec)
        groups = (
            staged.values(*columns).annotate(n=Count("rec"), earliest=Min("rec")).filter(n__gt=1)
        )
        for group in groups.order_by("earliest"):
            same = staged.filter(**{c: group[c] for c in columns}).exclude(rec=group["earliest"])
            for row in self._rows(spec, same):
                self.report.problem(
                    row["rec"], spec.label, self._key_of(spec, row), None,
                    f"duplicate natural key: record {group['earliest']} has the same",
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
                .annotate(n=Count("rec"), earliest=Min("rec"))
                .filter(n__gt=1)
            )
            for group in groups.order_by("earliest"):
                same = candidates.filter(**{f: group[f] for f in fields}).exclude(
                    rec=group["earliest"]
                )
                for row in self._rows(spec, same):
                    self.report.problem(
                        row["rec"], spec.label, self._key_of(spec, row), label,
                        f"must be unique; record {group['earliest']} has the same value",
                    )  # fmt: skip
            taken = manager.filter(condition).filter(**{f: OuterRef(f) for f in fields})
            taken = taken.exclude(pk=OuterRef("id"))
            clashing = candidates.filter(Exists(taken)).annotate(
                other=Subquery(taken.values(spec.key[0])[:1])
            )
            # References as the file names them (a footnote's source by its slug, not its id).
            shown = [f"key_{f}" if spec.model._meta.get_field(f).is_relation else f for f in fields]
            for row in self._rows(spec, clashing, *shown, "other"):
                value = ", ".join(str(row[f]) for f in shown)
                self.report.problem(
                    row["rec"], spec.label, self._key_of(spec, row), label,
                    f"{value!r} is already used by another {spec.label} in the database, "
                    f"{row['other']!r}: the same record under another key? Use that key, or "
                    "change one of the two",
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

    def _sections(self) -> None:
        """A relationship's dossier sections name domains that exist (in the file or the
        database), as ``Relationship.clean`` requires."""
        spec = BY_MODEL[Relationship]
        staged = self.stage.models[spec].objects.using(self.using).filter(bad=False)
        known: set[str] | None = None
        for row in self._rows(spec, staged.exclude(sections=[]), "sections"):
            if known is None:  # only when a relationship has sections at all
                domains = self.stage.models[BY_MODEL[Domain]].objects.using(self.using)
                known = set(domains.values_list("slug", flat=True))
                known |= set(Domain.objects.using(self.using).values_list("slug", flat=True))
            unknown = [s["domain"] for s in row["sections"] or () if s["domain"] not in known]
            if unknown:
                self.report.problem(
                    row["rec"], spec.label, row["slug"], "sections",
                    f"no relations.domain {', '.join(map(repr, unknown))} in the file or the "
                    "database",
                )  # fmt: skip


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
