"""What an import found and did, for the command's output and the admin's pages."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

# A file with a problem in every record would otherwise fill memory with messages; the count
# stays exact, the list is cut.
MAX_LISTED = 1000


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one record (or with the file: ``record`` None)."""

    record: int | None
    model: str | None
    key: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = []
        if self.record is not None:
            where.append(f"record {self.record}")
        if self.model:
            where.append(f"({self.model} {self.key!r})" if self.key else f"({self.model})")
        head = " ".join(where)
        body = f"{self.field}: {self.message}" if self.field else self.message
        return f"{head}: {body}" if head else body


@dataclass(frozen=True)
class Conflict:
    """A record whose key exists with different content."""

    record: int
    model: str
    key: str
    fields: tuple[str, ...]

    def __str__(self) -> str:
        return f"record {self.record} ({self.model} {self.key!r}): {', '.join(self.fields)} differ"


class Action(StrEnum):
    """What happens to a record: one letter, as stored in the staging tables."""

    CREATE = "c"
    UPDATE = "u"  # existed with other content; --update takes the file's
    RETIME = "t"  # same content, other created/updated: the file's times are taken
    UNCHANGED = "="
    CONFLICT = "!"  # existed with other content; kept as it is (no --update)


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    retimed: int = 0
    unchanged: int = 0
    conflicts: int = 0

    def add(self, action: Action, n: int = 1) -> None:
        name = {
            Action.CREATE: "created",
            Action.UPDATE: "updated",
            Action.RETIME: "retimed",
            Action.UNCHANGED: "unchanged",
            Action.CONFLICT: "conflicts",
        }[action]
        setattr(self, name, getattr(self, name) + n)


@dataclass
class Report:
    name: str
    dry_run: bool = False
    update: bool = False
    records: int = 0
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    warnings: list[Problem] = field(default_factory=list)
    warning_count: int = 0
    conflicts: list[Conflict] = field(default_factory=list)
    counts: dict[str, Counts] = field(default_factory=dict)
    seconds: float = 0.0
    loaded: bool = False  # committed to the database

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    def problem(self, *args: Any) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_LISTED:
            self.problems.append(Problem(*args))

    def warn(self, *args: Any) -> None:
        self.warning_count += 1
        if len(self.warnings) < MAX_LISTED:
            self.warnings.append(Problem(*args))

    def conflict(self, conflict: Conflict) -> None:
        if len(self.conflicts) < MAX_LISTED:
            self.conflicts.append(conflict)

    def totals(self) -> Counts:
        total = Counts()
        for counts in self.counts.values():
            for name, value in asdict(counts).items():
                setattr(total, name, getattr(total, name) + value)
        return total

    def summary(self) -> str:
        if not self.ok:
            return (
                f"{self.name}: {self.problem_count:,} problem(s) in {self.records:,} records; "
                "nothing was imported."
            )
        t = self.totals()
        verb = "would be" if self.dry_run else "were"
        text = (
            f"{self.name}: {self.records:,} records: {t.created:,} {verb} created, "
            f"{t.updated:,} updated, {t.retimed:,} retimed, {t.unchanged:,} unchanged"
        )
        if t.conflicts:
            text += (
                f"; {t.conflicts:,} conflict(s) kept as they are (use --update to take the file's)"
            )
        return text + ("." if not self.dry_run else " (dry run: nothing was written).")

    def lines(self) -> list[str]:
        """The whole report as text lines: counts per model, then conflicts, then problems."""
        out = [self.summary()]
        if self.ok and self.counts:
            width = max(len(label) for label in self.counts)
            out.append(
                f"  {'model':<{width}}  {'created':>9} {'updated':>9} {'retimed':>9} "
                f"{'unchanged':>9} {'conflicts':>9}"
            )
            for label, c in self.counts.items():
                out.append(
                    f"  {label:<{width}}  {c.created:>9,} {c.updated:>9,} {c.retimed:>9,} "
                    f"{c.unchanged:>9,} {c.conflicts:>9,}"
                )
        if self.conflicts:
            out.append("Conflicts (the database's version differs):")
            out += [f"  {c}" for c in self.conflicts]
        if self.warning_count:
            out.append(f"Warnings ({self.warning_count:,}):")
            out += [f"  {w}" for w in self.warnings]
            if self.warning_count > len(self.warnings):
                out.append(f"  … and {self.warning_count - len(self.warnings):,} more")
        if self.problem_count:
            out.append(f"Problems ({self.problem_count:,}):")
            out += [f"  {p}" for p in self.problems]
            if self.problem_count > len(self.problems):
                out.append(f"  … and {self.problem_count - len(self.problems):,} more")
        return out

    def as_dict(self) -> dict[str, Any]:
        """For keeping with an admin import (JSON)."""
        return {
            "name": self.name,
            "dry_run": self.dry_run,
            "update": self.update,
            "records": self.records,
            "problem_count": self.problem_count,
            "problems": [str(p) for p in self.problems],
            "warning_count": self.warning_count,
            "warnings": [str(w) for w in self.warnings],
            "conflicts": [str(c) for c in self.conflicts],
            "counts": {label: asdict(c) for label, c in self.counts.items()},
            "seconds": round(self.seconds, 3),
            "loaded": self.loaded,
        }
