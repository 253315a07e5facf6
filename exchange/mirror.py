"""Keep a database in step with a Relata site through its public API alone.

    manage.py mirror_kb --from https://relata.example --database mirror

A mirror starts as an import of the site's published export (``export_kb`` there, ``import_kb``
into an empty database here), taken after noting the feed's position (the ``resume`` of
``/api/changes/?since=<now>``), and from then on follows ``/api/changes/``. Each batch of
entries is applied in one transaction of the mirror's database, together with the new
position, so a failure leaves the mirror where it was, to try again:

1. **Renames** (an entry's ``renamed_from``): the local record takes the new key, so that what
   refers to it keeps doing so. (If a copy under the new key was fetched already, because the
   site was renamed between a poll and a fetch, the two are merged.)
2. **Fetch** every record the entries name, as it is now, from ``/api/fixture/``: published
   records in ``export_kb``'s format with what they refer to and their claims' citations, a few
   hundred keys a request. A key the site does not return is gone (deleted or withdrawn).
3. **Apply**: delete what is gone (what something still refers to waits); load the rest with
   ``import_kb --update`` (the file's times and all); drop the citations of each loaded claim
   that the site no longer lists; delete what waited. A record still held by another after
   that is fetched once more with whatever holds it; if it is still held, the batch fails.
   Last, footnotes that no claim here cites any more are dropped: a reader sees a footnote
   only through a claim citing it, so the site's feed never names them once they are not
   (``api/changes.py``).

Entries are applied as a set per batch, not one by one: every record named is fetched as it is
at the end, and the importer resolves references in any order. Applying a batch twice changes
nothing. The result: a published-only ``export_kb`` of the mirror is byte for byte the site's
(tests/exchange/test_mirror.py), except for records the site loaded without history
(``generate_kb``), which the feed never names.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, models, transaction
from django.db.models import Exists, OuterRef, ProtectedError, RestrictedError
from django.utils import timezone

from core.cache import bump
from exchange.changelog import LOGGED
from exchange.load import import_kb
from exchange.models import MirrorState
from exchange.spec import BY_LABEL, BY_MODEL, SPECS, key_field
from relations.models import CLAIM_FIELDS, Citation
from sources.models import Footnote

#: ``fetch(path_and_query) -> (HTTP status, body)``: how the mirror reads the site.
Fetch = Callable[[str], tuple[int, bytes]]
MODELS: dict[str, type[models.Model]] = {k: m for k, m in LOGGED.items() if k != "citation"}
KIND = {model: kind for kind, model in MODELS.items()}
BATCH = 5000  # entries per transaction
PER_PAGE = 1000
MAX_KEYS = 200  # per /api/fixture/ request (its limit)
MAX_URL = 3500  # characters: under the usual request-line limits of proxies and gunicorn
# Deleting what refers to others first: claims, then the records they name.
DELETE_ORDER = [KIND[spec.model] for spec in reversed(SPECS) if spec.model in KIND]

Key = tuple[str, str]  # (feed model, natural key)


class MirrorError(Exception):
    """The batch could not be applied; nothing of it was."""


@dataclass
class Summary:
    batches: int = 0
    entries: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0
    renamed: int = 0
    position: int | None = None


@dataclass
class Mirror:
    fetch: Fetch
    source: str  # names the site in MirrorState (its URL, for the command)
    using: str = DEFAULT_DB_ALIAS
    batch: int = BATCH
    per_page: int = PER_PAGE
    _summary: Summary = field(default_factory=Summary, init=False, repr=False)

    # --- Position
    def state(self) -> MirrorState:
        state, _ = MirrorState.objects.using(self.using).get_or_create(source=self.source)
        return state

    def start(self, *, after: int | None = None, since=None) -> None:
        """Where to start following the feed: a position (``after``) or a moment (``since``)."""
        state = self.state()
        state.after, state.since = after, None if after is not None else since
        state.save(using=self.using)

    def site_position(self) -> int:
        """The site's feed position now: note it before taking the export a mirror starts
        from, and start after it (a moment in the future starts after every change)."""
        page = self._get("/api/changes/?" + urlencode({"since": "9999-01-01T00:00:00Z"}))
        return _position(page["resume"])

    # --- Syncing
    def sync(self) -> Summary:
        """Apply every change the feed lists after the kept position; the summary of it."""
        self._summary = Summary()
        more = True
        while more:
            with transaction.atomic(using=self.using):
                state = (
                    MirrorState.objects.using(self.using)
                    .select_for_update()
                    .get_or_create(source=self.source)[0]
                )
                if state.after is None and state.since is None:
                    raise MirrorError(
                        "No starting point: start(after=…) with the site's position noted "
                        "before the export this mirror was loaded from."
                    )
                entries, after, more = self._read(state)
                if entries:
                    self.apply(entries)
                    bump(self.using)
                state.after, state.since, state.synced = after, None, timezone.now()
                state.save(using=self.using)
            self._summary.batches += 1
            self._summary.entries += len(entries)
            self._summary.position = after
        return self._summary

    def _get(self, path: str) -> Any:
        status, body = self.fetch(path)
        if status != 200:
            raise MirrorError(f"{path} answered {status}: {body[:300]!r}")
        return json.loads(body)

    def _read(self, state: MirrorState) -> tuple[list[dict], int, bool]:
        """Up to a batch of entries from the kept position: (entries, new position, more?)."""
        params = {"per_page": self.per_page}
        if state.after is not None:
            params["after"] = state.after
        else:
            params["since"] = state.since.isoformat()
        path, entries = "/api/changes/?" + urlencode(params), []
        while True:
            page = self._get(path)
            entries += page["results"]
            if not page["next"] or len(entries) >= self.batch:
                return entries, _position(page["resume"]), bool(page["next"])
            path = _path(page["next"])

    # --- Applying a batch
    def apply(self, entries: list[dict]) -> None:
        named: dict[Key, None] = {}
        gone_here: set[Key] = set()  # deleted by an entry of this batch, not created since
        parked: list[Key] = []
        for entry in entries:
            key = (entry["model"], entry["key"])
            if entry.get("renamed_from"):
                parked += self._rename(*key, entry["renamed_from"], stale=key in gone_here)
            if entry["action"] == "deleted":
                gone_here.add(key)
            else:
                gone_here.discard(key)
            named[key] = None
        records, present = self._fetch_records(named)
        gone = [key for key in named if key not in present] + parked
        waiting = self._delete(gone)
        self._load(records)
        waiting = self._delete(waiting)
        if waiting:  # held by records the entries did not name: fetch those too, once
            holders = {h: None for key in waiting for h in self._holders(key) if h not in named}
            self._load(self._fetch_records(holders)[0])
            waiting = self._delete(waiting)
        if waiting:
            raise MirrorError(f"Cannot delete {waiting}: still referred to.")
        self._drop_uncited_footnotes()

    def _drop_uncited_footnotes(self) -> None:
        uncited = Footnote.objects.using(self.using).filter(citations__isnull=True)
        with _history_here(self.using):
            self._summary.deleted += uncited.delete()[1].get(Footnote._meta.label, 0)

    def _manager(self, kind: str) -> models.Manager:
        return MODELS[kind]._default_manager.db_manager(self.using)

    def _rename(self, kind: str, new: str, old: str, *, stale: bool) -> list[Key]:
        """Give the local record ``old`` the key ``new``; the keys parked to free ``new``."""
        model, manager = MODELS[kind], self._manager(kind)
        field_name = key_field(model)
        record = manager.filter(**{field_name: old}).first()
        if record is None:
            return []
        parked = []
        there = manager.filter(**{field_name: new}).first()
        if there is not None and stale:
            # The site deleted the record that had this key before renaming ours to it.
            placeholder = f"~{there.pk}"
            manager.filter(pk=there.pk).update(**{field_name: placeholder})
            parked.append((kind, placeholder))
        elif there is not None:
            # A copy fetched under the new key after the rename: one record on the site.
            _merge(model, keep=record.pk, drop=there.pk, using=self.using)
        manager.filter(pk=record.pk).update(**{field_name: new})
        self._summary.renamed += 1
        return parked

    def _fetch_records(self, keys: Iterable[Key]) -> tuple[dict[tuple, dict], set[Key]]:
        """The records the site shows for these keys, with what they refer to and their
        citations, by natural identity; and which of the keys the site shows."""
        records: dict[tuple, dict] = {}
        for query in _queries(keys):
            for record in self._get("/api/fixture/?" + query):
                records[_identity(record)] = record
        present = {
            (KIND[BY_LABEL[label].model], key[0])
            for label, *key in records
            if BY_LABEL[label].model in KIND
        }
        return records, present

    def _load(self, records: dict[tuple, dict]) -> None:
        if not records:
            return
        order = {spec.label: i for i, spec in enumerate(SPECS)}
        lines = [
            json.dumps(records[k], ensure_ascii=False)
            for k in sorted(records, key=lambda k: order[k[0]])
        ]
        handle, path = tempfile.mkstemp(suffix=".json", prefix="relata-mirror-")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write("[\n" + ",\n".join(lines) + "\n]\n")
            report = import_kb(path, name=f"mirror of {self.source}", update=True, using=self.using)
        finally:
            os.unlink(path)
        if not report.ok:
            raise MirrorError("The site's records did not load:\n" + "\n".join(report.lines()))
        totals = report.totals()
        self._summary.created += totals.created
        self._summary.updated += totals.updated
        self._prune_citations(records)

    def _prune_citations(self, records: dict[tuple, dict]) -> None:
        """Each loaded claim comes with all its citations: drop the local ones not among them."""
        listed = {k for k in records if k[0] == "relations.citation"}
        for kind in CLAIM_FIELDS:
            label = BY_MODEL[MODELS[kind]].label
            slugs = [key[0] for label_, *key in records if label_ == label]
            if not slugs:
                continue
            local = Citation.objects.using(self.using).filter(**{f"{kind}__slug__in": slugs})
            stale = [
                pk
                for pk, footnote, slug in local.values_list("pk", "footnote__slug", f"{kind}__slug")
                if ("relations.citation", footnote, kind, slug) not in listed
            ]
            if stale:
                with _history_here(self.using):
                    Citation.objects.using(self.using).filter(pk__in=stale).delete()

    def _delete(self, keys: list[Key]) -> list[Key]:
        """Delete these records, those that refer to others first; the ones still held."""
        pending = sorted(dict.fromkeys(keys), key=lambda key: DELETE_ORDER.index(key[0]))
        while pending:
            held = []
            for kind, key in pending:
                records = self._manager(kind).filter(**{key_field(MODELS[kind]): key})
                try:
                    with transaction.atomic(using=self.using), _history_here(self.using):
                        self._summary.deleted += records.delete()[1].get(
                            MODELS[kind]._meta.label, 0
                        )
                except (ProtectedError, RestrictedError):
                    held.append((kind, key))
            if len(held) == len(pending):
                return held
            pending = held
        return []

    def _holders(self, key: Key) -> list[Key]:
        """The mirrored records that refer to the local record ``key`` (a citation: its
        claim)."""
        kind, value = key
        model = MODELS[kind]
        record = self._manager(kind).filter(**{key_field(model): value}).first()
        if record is None:
            return []
        found = []
        for rel in model._meta.related_objects:
            owner = rel.related_model
            if owner not in BY_MODEL or rel.many_to_many:
                continue  # many-to-many links never hold a deletion back
            for obj in owner._default_manager.using(self.using).filter(**{rel.field.name: record}):
                if isinstance(obj, Citation):
                    claim = obj.claim
                    found.append((KIND[type(claim)], claim.slug))
                else:
                    found.append((KIND[owner], getattr(obj, key_field(owner))))
        return found


# --- Helpers ----------------------------------------------------------------------------------
def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def _position(url: str) -> int:
    return int(parse_qs(urlsplit(url).query)["after"][0])


def _identity(record: dict) -> tuple:
    """A fixture record's model and natural key."""
    label, fields = record["model"], record["fields"]
    if label != "relations.citation":
        return (label, fields[key_field(BY_LABEL[label].model)])
    kind = next(k for k in CLAIM_FIELDS if fields.get(k))
    return (label, fields["footnote"][0], kind, fields[kind][0])


def _queries(keys: Iterable[Key]) -> list[str]:
    """Query strings for /api/fixture/ asking for ``keys``, each within its limits."""
    queries, current, count = [], {}, 0

    def text(params: dict[str, list[str]]) -> str:
        return urlencode({kind: ",".join(values) for kind, values in params.items()})

    for kind, key in keys:
        trial = {**current, kind: [*current.get(kind, []), key]}
        if current and (count >= MAX_KEYS or len(text(trial)) > MAX_URL):
            queries.append(text(current))
            trial, count = {kind: [key]}, 0
        current, count = trial, count + 1
    if current:
        queries.append(text(current))
    return queries


def _merge(model: type[models.Model], *, keep: int, drop: int, using: str) -> None:
    """Make everything that refers to record ``drop`` refer to ``keep``, then delete ``drop``."""
    for rel in model._meta.related_objects:
        owner = rel.related_model
        if owner not in BY_MODEL:
            continue
        if rel.many_to_many:
            links = rel.field.remote_field.through._default_manager.using(using)
            target, source = rel.field.m2m_reverse_field_name(), rel.field.m2m_field_name()
            both = links.filter(**{target: keep}).values(source)
            links.filter(**{target: drop, f"{source}__in": both}).delete()
            links.filter(**{target: drop}).update(**{target: keep})
            continue
        rows = owner._default_manager.using(using).filter(**{rel.field.name: drop})
        for constraint in owner._meta.constraints:
            fields = getattr(constraint, "fields", ())
            if rel.field.name in fields:  # a row that would repeat a unique key: a stale copy
                others = {f: OuterRef(f) for f in fields if f != rel.field.name}
                twin = owner._default_manager.using(using).filter(
                    **{rel.field.name: keep}, **others
                )
                rows.filter(Exists(twin)).delete()
        rows.update(**{rel.field.name: keep})
    with _history_here(using):
        model._default_manager.using(using).filter(pk=drop).delete()


@contextmanager
def _history_here(using: str) -> Iterator[None]:
    """Deletions on a database other than the default write no history: simple-history would
    write it to the default database (HistoricalRecords without ``use_base_model_db``), into
    another install's history, and so into that install's changes feed. (A mirror that is its
    site's default database keeps the history of its deletions.)"""
    if using == DEFAULT_DB_ALIAS:
        yield
        return
    enabled = getattr(settings, "SIMPLE_HISTORY_ENABLED", True)
    settings.SIMPLE_HISTORY_ENABLED = False
    try:
        yield
    finally:
        settings.SIMPLE_HISTORY_ENABLED = enabled
