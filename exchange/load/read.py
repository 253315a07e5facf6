"""Step 1, read: stream the file (ijson, through :mod:`exchange.load.stream`, which refuses
records nested too deep or too large before building them) into the staging tables, each record
cleaned by its model's own fields (exchange.clean)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, BinaryIO

import ijson

from exchange.clean import RecordReader
from exchange.load.base import Step
from exchange.load.stream import TOO_LARGE, TooDeep, records, too_large_message
from exchange.spec import SPECS
from exchange.stage import Copier, Writer
from relations.models import CLAIM_FIELDS, Citation


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


class Reading(Step):
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
            self._index_parents()
            self.stage.analyze()  # the counts, for resolve's plans
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
                for rec, item in enumerate(records(_Counting(raw, self.progress)), 1):
                    self.report.records = rec  # so far (the admin's progress page shows it)
                    if item is TOO_LARGE:
                        self.report.problem(rec, None, None, None, too_large_message())
                    else:
                        self.record(rec, item, readers, writers, links)
            except TooDeep as error:
                self.report.problem(error.record, None, None, None, str(error))
                rec = error.record
                complete = False
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

    def _index_parents(self) -> None:
        """Resolve looks a parent up by key, record by record, in its own staging table."""
        for spec, model in self.stage.models.items():
            if any(f.is_relation and f.related_model is spec.model for f in spec.fields):
                self.stage.index(model, *self.key_columns(spec))

    def index_staged(self) -> None:
        """Indexes for the checks, the comparison and the load, made once resolve has
        rewritten every staged row (maintaining them through that rewrite took longer than
        making them afterwards)."""
        for spec, model in self.stage.models.items():
            if not any(f.is_relation and f.related_model is spec.model for f in spec.fields):
                self.stage.index(model, *self.key_columns(spec))
            if spec.model is Citation:  # "is this claim cited in the file?"
                for kind in CLAIM_FIELDS:
                    self.stage.index(model, f"key_{kind}")
        for model in self.stage.links.values():
            self.stage.index(model, "rec")
        self.stage.analyze()
