"""Step 4, classify: each record whose key exists, compared with what an export of the stored
record would write: unchanged, retimed, updated or a conflict."""

from __future__ import annotations

import json
from array import array
from typing import Any

from exchange.clean import RecordReader
from exchange.export import RowFetcher, batched
from exchange.load.base import CHUNK, Step
from exchange.report import Action, Conflict, Counts
from exchange.selection import among
from exchange.spec import ModelSpec


class Classifying(Step):
    # Provided by Checking.
    _key_of: Any

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


def _differing(canon: str, now: str) -> tuple[str, ...]:
    file_fields, db_fields = json.loads("{" + canon + "}"), json.loads("{" + now + "}")
    return tuple(k for k in file_fields if file_fields[k] != db_fields.get(k))
