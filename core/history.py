"""History that reads as what was done: one entry per save, its change in words.

django-simple-history writes a row when a record is saved and another for each many-to-many
field changed after it: one admin save of an event with countries and domains was three rows,
two of them "Changed" with nothing a reader could follow. Two pieces fix that:

- :func:`one_entry` wraps one act (an admin save with its inlines, a revert, a recovery, a
  merge): every record written inside it keeps one history row (its last, which holds the
  final fields and links; "Created" if the act created it), and every row of the act gets the
  same time, so that a claim's row and its citations' rows are known to be one save.
- :func:`describe` says what each row changed from the one before: "Title: Old → New",
  "Countries: + Belarus, + Iran, − Russia", "Citations: + Report, note 3", in a few queries
  for a whole page of history.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from contextvars import ContextVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models, transaction
from django.utils import timezone
from django.utils.text import capfirst

# The history rows written inside the innermost ``one_entry`` block (None outside any).
_written: ContextVar[list[tuple[type[models.Model], int, object, str]] | None] = ContextVar(
    "relata_history_written", default=None
)

REASON_LENGTH = 100  # simple-history's history_change_reason column


def heard(sender, history_instance, instance, **kwargs) -> None:
    """simple-history's post_create_historical_record (connected in ``core.signals``)."""
    written = _written.get()
    if written is not None:
        row = history_instance
        written.append((type(row), row.pk, instance.pk, row.history_type))


@contextmanager
def one_entry(reason: str | None = None, *, using: str | None = None) -> Iterator[None]:
    """One history row per record written in this block, all at one time, with ``reason``
    (said on every row of the act: "merged a into b"). Nested blocks belong to the outer one.
    If the block raises, nothing is collapsed (its transaction is rolled back anyway)."""
    if _written.get() is not None:
        yield
        return
    written: list = []
    token = _written.set(written)
    try:
        with transaction.atomic(using=using):
            yield
            _written.set(None)  # collapsing writes no history of its own
            collapse(written, reason)
    finally:
        _written.reset(token)


def collapse(written: Sequence[tuple[type[models.Model], int, object, str]], reason=None) -> None:
    """Keep each record's last saved row (a deletion's row is kept too), dated now."""
    moment = timezone.now()
    by_model: dict[type[models.Model], dict[object, list[tuple[int, str]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for model, row_id, pk, kind in written:
        by_model[model][pk].append((row_id, kind))
    for model, records in by_model.items():
        kept, dropped, created = [], [], []
        for rows in records.values():
            saves = [row_id for row_id, kind in rows if kind != "-"]
            kept += [row_id for row_id, kind in rows if kind == "-"]
            if saves:
                kept.append(saves[-1])
                dropped += saves[:-1]
                if rows[0][1] == "+" and len(saves) > 1:
                    created.append(saves[-1])
        if dropped:
            for field in model._history_m2m_fields:
                getattr(model, field.name).model.objects.filter(history_id__in=dropped).delete()
            model.objects.filter(history_id__in=dropped).delete()
        if created:
            model.objects.filter(history_id__in=created).update(history_type="+")
        update = {"history_date": moment}
        if reason:
            update["history_change_reason"] = shorten(reason)
        model.objects.filter(history_id__in=kept).update(**update)


def shorten(text: str, length: int = REASON_LENGTH) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


# --- Saying what changed ----------------------------------------------------------------------
@dataclasses.dataclass
class Change:
    """One line of a history entry: a field's old and new value, or a list of links added
    (+) and removed (−)."""

    field: str
    old: str = ""
    new: str = ""
    links: str = ""


@dataclasses.dataclass
class Inline:
    """Rows edited with their parent on its page (a claim's citations): their history rows
    at the parent row's time are part of its entry. ``fk`` is the column naming the parent."""

    model: type[models.Model]
    fk: str


EMPTY = "—"


def describe(
    records: Sequence[models.Model],
    older: models.Model | None = None,
    inlines: Iterable[Inline] = (),
) -> None:
    """Set ``changes`` on each of ``records`` (one record's history rows, newest first): its
    difference from the row after it (or ``older``, the row before the oldest here)."""
    if not records:
        return
    rows = [*records, *([older] if older is not None else [])]
    history_model = type(records[0])
    links = _links(history_model, rows)
    parts = _inline_rows(records, inlines)
    for i, record in enumerate(records):
        before = rows[i + 1] if i + 1 < len(rows) else None
        changes: list[Change] = []
        if record.history_type == "~" and before is not None:
            changes += _field_changes(history_model, before, record)
        if record.history_type != "-":
            for name, label in _m2m_labels(history_model):
                was = links[name].get(before.history_id, {}) if before is not None else {}
                now = links[name].get(record.history_id, {})
                said = _links_said(was, now)
                if said:
                    changes.append(Change(label, links=said))
        changes += parts.get(record.history_id, [])
        record.changes = changes


def _m2m_labels(history_model) -> list[tuple[str, str]]:
    return [(f.name, capfirst(f.verbose_name)) for f in history_model._history_m2m_fields]


def _field_changes(history_model, old, new) -> list[Change]:
    changes = []
    for field in history_model.tracked_fields:
        if not field.editable or field.primary_key:
            continue
        if getattr(old, field.attname) == getattr(new, field.attname):
            continue
        changes.append(Change(capfirst(field.verbose_name), _value(old, field), _value(new, field)))
    return changes


def _value(record, field) -> str:
    if isinstance(field, models.ForeignKey):
        if getattr(record, field.attname) is None:
            return EMPTY
        try:
            return str(getattr(record, field.name))
        except ObjectDoesNotExist:
            return f"(deleted {field.related_model._meta.verbose_name})"
    value = getattr(record, field.attname)
    if field.choices:
        value = dict(field.flatchoices).get(value, value)
    if value in (None, "", [], {}):
        return EMPTY
    return str(value)


def _links(history_model, rows) -> dict[str, dict[int, dict[object, str]]]:
    """Each many-to-many field's links at each row: {field: {history_id: {pk: name}}}, in a
    query per field and one per linked model."""
    ids = [row.history_id for row in rows]
    found: dict[str, dict[int, dict[object, str]]] = {}
    for field in history_model._history_m2m_fields:
        m2m_model = getattr(history_model, field.name).model
        target = field.m2m_reverse_field_name()
        column = m2m_model._meta.get_field(target).attname
        pairs = list(m2m_model.objects.filter(history_id__in=ids).values_list("history", column))
        names = _names(field.related_model, {pk for _, pk in pairs})
        per_row: dict[int, dict[object, str]] = defaultdict(dict)
        for history_id, pk in pairs:
            per_row[history_id][pk] = names.get(pk, f"(deleted #{pk})")
        found[field.name] = per_row
    return found


def _names(model, pks) -> dict[object, str]:
    if not pks:
        return {}
    related = [f.name for f in model._meta.fields if isinstance(f, models.ForeignKey)]
    objects = model._base_manager.filter(pk__in=pks)
    if related:
        objects = objects.select_related(*related)
    return {obj.pk: str(obj) for obj in objects}


def _links_said(was: dict[object, str], now: dict[object, str]) -> str:
    added = sorted(now[pk] for pk in now.keys() - was.keys())
    removed = sorted(was[pk] for pk in was.keys() - now.keys())
    return ", ".join([*(f"+ {name}" for name in added), *(f"− {name}" for name in removed)])


def _inline_rows(records, inlines: Iterable[Inline]) -> dict[int, list[Change]]:
    """The inline rows written with each of ``records`` (at its very time), said as links."""
    pk = records[0].instance_type._meta.pk.attname
    parent = getattr(records[0], pk)
    at = {record.history_date: record.history_id for record in records}
    said: dict[int, list[Change]] = defaultdict(list)
    for inline in inlines:
        history = inline.model.history.model
        rows = history.objects.filter(**{inline.fk: parent, "history_date__in": list(at)})
        if related := _two_levels(history):
            rows = rows.select_related(*related)
        words: dict[int, list[str]] = defaultdict(list)
        for row in rows.order_by("history_id"):
            sign = {"+": "+", "-": "−"}.get(row.history_type, "changed")
            words[at[row.history_date]].append(f"{sign} {_label(row)}")
        label = capfirst(inline.model._meta.verbose_name_plural)
        for history_id, lines in words.items():
            said[history_id].append(Change(label, links=", ".join(lines)))
    return said


def _two_levels(history_model) -> list[str]:
    """select_related() names that make a row's ``str()`` free: its foreign keys and theirs."""
    names = []
    for field in history_model.tracked_fields:
        if isinstance(field, models.ForeignKey):
            names.append(field.name)
            names += [
                f"{field.name}__{inner.name}"
                for inner in field.related_model._meta.fields
                if isinstance(inner, models.ForeignKey)
            ]
    return names


def _label(row) -> str:
    """The row's record as it was, named with the objects fetched with it."""
    instance = row.instance
    for field in row.tracked_fields:
        if isinstance(field, models.ForeignKey) and getattr(row, field.attname) is not None:
            with suppress(ObjectDoesNotExist):
                setattr(instance, field.name, getattr(row, field.name))
    try:
        return str(instance)
    except ObjectDoesNotExist:
        return f"{row.instance_type._meta.verbose_name} #{getattr(row, 'id', '')}"
