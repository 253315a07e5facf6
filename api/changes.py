"""The changes feed: what changed in the public data, in the order it became visible, so that a
mirror can stay in step without downloading everything again.

    GET /api/changes/?since=2026-01-01T00:00:00Z        (a first poll)
    GET /api/changes/?after=5121                        (every later one: copy next/resume)
    {"next": ".../api/changes/?after=5221", "resume": ".../api/changes/?after=5221",
     "results": [{"model": "event", "key": "2010-06-…", "action": "created", "at": "…",
                  "url": ".../api/events/2010-06-…/", "renamed_from": null}, …]}

Order. Entries come in the order of the change log (``exchange.changelog``): every history row
is numbered once its transaction has committed, so a change that commits after a reader's
position is always numbered after it, however long its transaction ran or whenever its history
is dated. ``after`` is such a number; ``since`` starts at the first row numbered at or after a
moment. ``at`` is when the change was made (its history date), which is not the feed's order.

Meaning. Each history row reads as the public saw it, asking ``relations.visibility`` about
the stored state (this module looks at no editorial status itself):

- reference data (countries, domains, organisations, officials, sources, relationships) is
  always public: a row is "created", "updated" or "deleted" as it says;
- a claim exists for the public only while visible: becoming visible is "created", an edit
  while visible "updated", ceasing to be (unpublished, deleted) "deleted", and anything done
  to a draft or a claim in review nothing at all: a draft never appears, not even its key;
- a change of key is "deleted" under the old key, then "created" under the new one, which
  carries ``renamed_from``: the old key, so that a mirror can rename rather than re-create;
- a citation added, changed, moved or removed is "updated" for its claim (both, if moved) when
  that claim is visible now;
- a footnote (one place in a source, which several claims may cite) is public while a visible
  claim cites it (``visibility.footnotes``): it is "created", "updated" or renamed as reference
  data is, but only then, and an edit of it is also "updated" for every visible claim that
  cites it (their citations show it). A footnote no visible claim cites says nothing, not even
  its key; one is deleted only once no claim cites it, so its deletion says nothing either (a
  mirror drops the footnotes its claims no longer cite);
- a claim that becomes visible or stops being so (or is renamed) is also "updated" for the
  visible records that name it: an event for its agreements; a statement for the event it was
  made at, and a joint statement (said by the event's parties together) is "created" or
  "deleted" with its event, since it is visible only with it.

What other records a row touches is read as they are now (a citation's claim, a statement's
event): a mirror fetches each record as it is now anyway, and a later row says what changed
since. A page costs the same few queries at any depth: the log rows, then two per history
table on the page, and one per kind of record named.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.db import models
from django.db.models import OuterRef, Subquery
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.schema import BAD_REQUEST
from api.serializers import api_url
from exchange import changelog
from exchange.models import Change
from relations import visibility
from relations.models import Citation, Event, Statement

TABLES: dict[str, type[models.Model]] = changelog.LOGGED
CLAIMS = {kind: TABLES[kind] for kind in Citation.claim_fields}
REFERENCE = {
    kind: TABLES[kind]
    for kind in ("country", "domain", "organisation", "official", "source", "relationship")
}
#: Read apart, as parts of the claims that cite them (``cited_changes``, ``footnote_changes``).
PARTS = ("citation", "footnote")
DEFAULT_PER_PAGE, MAX_PER_PAGE = 100, 1000

Row = dict[str, Any]


def _state_fields(model: type[models.Model]) -> list[str]:
    """A record's stored state as visibility may need it: every column but long texts."""
    long = (models.TextField, models.JSONField)
    return [f.attname for f in model._meta.concrete_fields if not isinstance(f, long)]


STATE = {kind: _state_fields(model) for kind, model in TABLES.items()}
KEY = {kind: "code" if kind == "country" else "slug" for kind in TABLES}
HISTORY = ["history_id", "history_type", "history_date"]


# --- Reading the log and the history tables -----------------------------------------------------
def read_page(after: int, size: int) -> tuple[list[Row], bool, int]:
    """The history rows numbered after ``after`` (up to ``size``, in log order), whether more
    are waiting, and the position of the last one read. Each row has ``kind`` and ``before``
    (its record's previous history row, or None)."""
    log = Change.objects.filter(seq__gt=after).order_by("seq")
    entries = list(log.values_list("seq", "kind", "history_id")[: size + 1])
    more = len(entries) > size
    entries = entries[:size]
    wanted: dict[str, list[int]] = {}
    for _, kind, history_id in entries:
        wanted.setdefault(kind, []).append(history_id)
    found = {kind: history_rows(kind, ids) for kind, ids in wanted.items()}
    # A log row whose history row was purged since (history clean-up) reads as nothing.
    rows = [found[kind][hid] for _, kind, hid in entries if hid in found[kind]]
    return rows, more, entries[-1][0] if entries else after


def history_rows(kind: str, ids: list[int]) -> dict[int, Row]:
    """These history rows of ``kind``, by history id, each with its record's previous row."""
    history = TABLES[kind].history.model
    fields = [*STATE[kind], *HISTORY]
    earlier = (
        history.objects.filter(id=OuterRef("id"), history_id__lt=OuterRef("history_id"))
        .order_by("-history_id")
        .values("history_id")[:1]
    )
    rows = {
        row["history_id"]: {**row, "kind": kind}
        for row in history.objects.filter(history_id__in=ids)
        .annotate(previous=Subquery(earlier))
        .values(*fields, "previous")
    }
    wanted = [row["previous"] for row in rows.values() if row["previous"]]
    previous = {
        row["history_id"]: row
        for row in history.objects.filter(history_id__in=wanted).values(*fields)
    }
    for row in rows.values():
        row["before"] = previous.get(row.pop("previous"))
    return rows


# --- Visibility of stored states ----------------------------------------------------------------
def visible(kind: str, state: Row | None, events: dict[int, Row]) -> bool:
    """Whether a record in the stored ``state`` is visible, as relations.visibility decides.
    A statement is judged with its event in the state ``events`` gives (none: as if it had no
    event, which is what a missing or deleted event amounts to)."""
    if state is None:
        return False
    instance = TABLES[kind](**{name: state[name] for name in STATE[kind]})
    if kind == "statement" and instance.event_id is not None:
        event = events.get(instance.event_id)
        if event is None:
            instance.event_id = None
        else:
            instance.event = Event(**{name: event[name] for name in STATE["event"]})
    return visibility.is_visible(instance)


def current_events(rows: list[Row]) -> dict[int, Row]:
    """The events that the statements' rows name, as they are now (one query)."""
    ids = {
        state["event_id"]
        for row in rows
        if row["kind"] == "statement"
        for state in (row, row["before"])
        if state is not None and state["event_id"] is not None
    }
    if not ids:
        return {}
    return {e["id"]: e for e in Event.objects.filter(id__in=ids).values(*STATE["event"])}


# --- Rows as the public sees them ---------------------------------------------------------------
def _entry(model: str, key: str, action: str, row: Row, renamed_from: str | None = None) -> Row:
    return {
        "model": model,
        "key": key,
        "action": action,
        "at": row["history_date"],
        "renamed_from": renamed_from,
    }


def transition(row: Row, events: dict[int, Row]) -> tuple[bool, bool, str]:
    """(visible before the row, visible after it, the key before it)."""
    kind, history_type, before_row = row["kind"], row["history_type"], row["before"]
    key = row[KEY[kind]]
    if kind in CLAIMS:
        now = history_type != "-" and visible(kind, row, events)
        if history_type == "-":
            before = visible(kind, row, events)  # the state it was deleted in
        elif history_type == "+":
            before = False
        else:  # a claim loaded without history has no earlier state: never public before
            before = before_row is not None and before_row["history_type"] != "-"
            before = before and visible(kind, before_row, events)
    else:
        now, before = history_type != "-", history_type != "+"
    # Before the row, the record (if visible) had its previous row's key; a deletion's row
    # holds the state it was deleted in.
    earlier = before and history_type != "-" and before_row is not None
    return before, now, before_row[KEY[kind]] if earlier else key


def public_changes(row: Row, events: dict[int, Row]) -> list[Row]:
    """What one history row of a claim or of reference data means to the public (maybe
    nothing). Citations are read apart (``cited_changes``)."""
    kind = row["kind"]
    before, now, old_key = transition(row, events)
    key = row[KEY[kind]]
    if before and now and old_key != key:
        return [_entry(kind, old_key, "deleted", row), _entry(kind, key, "created", row, old_key)]
    if before and now:
        return [_entry(kind, key, "updated", row)]
    if now:
        return [_entry(kind, key, "created", row)]
    if before:
        return [_entry(kind, old_key, "deleted", row)]
    return []


def cited_changes(rows: list[Row]) -> dict[int, list[Row]]:
    """For each citation row (by history id), "updated" for the claim it cites, and for the
    one it cited before if it moved, when that claim is visible now. One query per kind."""
    cited: dict[int, list[tuple[str, int]]] = {}
    for row in rows:
        claims = [
            (kind, state[f"{kind}_id"])
            for state in (row, row["before"])
            if state is not None
            for kind in Citation.claim_fields
            if state[f"{kind}_id"] is not None
        ]
        cited[row["history_id"]] = list(dict.fromkeys(claims))
    wanted: dict[str, set[int]] = {}
    for claims in cited.values():
        for kind, claim_id in claims:
            wanted.setdefault(kind, set()).add(claim_id)
    slugs = {
        kind: dict(visibility.claims(CLAIMS[kind]).filter(id__in=ids).values_list("id", "slug"))
        for kind, ids in wanted.items()
    }
    by_row = {r["history_id"]: r for r in rows}
    return {
        history_id: [
            _entry(kind, slugs[kind][claim_id], "updated", by_row[history_id])
            for kind, claim_id in claims
            if claim_id in slugs[kind]
        ]
        for history_id, claims in cited.items()
    }


def footnote_changes(rows: list[Row]) -> dict[int, list[Row]]:
    """For each footnote row (by history id), what it means to the public: nothing unless a
    visible claim cites the footnote now; then the footnote "created" (first known), "updated"
    or renamed, and, for an edit, "updated" for each visible claim citing it. One query."""
    claim_slugs = [f"{kind}__slug" for kind in Citation.claim_fields]
    cited: dict[int, set[tuple[str, str]]] = {}
    shown = visibility.citations().filter(footnote_id__in={row["id"] for row in rows})
    for footnote_id, *slugs in shown.values_list("footnote_id", *claim_slugs):
        kind, slug = next((k, s) for k, s in zip(Citation.claim_fields, slugs, strict=True) if s)
        cited.setdefault(footnote_id, set()).add((kind, slug))
    found: dict[int, list[Row]] = {}
    for row in rows:
        claims, previous = sorted(cited.get(row["id"], ())), row["before"]
        if not claims or row["history_type"] == "-":
            found[row["history_id"]] = []
            continue
        known = row["history_type"] == "~" and bool(previous) and previous["history_type"] != "-"
        key, old_key = row["slug"], previous["slug"] if known else row["slug"]
        if not known:
            entries = [_entry("footnote", key, "created", row)]
        elif old_key != key:
            entries = [
                _entry("footnote", old_key, "deleted", row),
                _entry("footnote", key, "created", row, old_key),
            ]
        else:
            entries = [_entry("footnote", key, "updated", row)]
        if row["history_type"] == "~":
            entries += [_entry(kind, slug, "updated", row) for kind, slug in claims]
        found[row["history_id"]] = entries
    return found


def dependent_changes(rows: list[Row], events: dict[int, Row]) -> dict[tuple[str, int], list[Row]]:
    """Entries for the records that name a claim whose visibility or key changed in a row:
    the visible events that link an agreement, the statements made at an event (one query
    per kind). Keyed by (kind, history id): each history table numbers its rows itself, so an
    event's row and an agreement's row may share a history id."""
    changed: dict[str, list[Row]] = {"agreement": [], "event": []}
    for row in rows:
        if row["kind"] in changed:
            before, now, old_key = transition(row, events)
            if before != now or (now and old_key != row[KEY[row["kind"]]]):
                changed[row["kind"]].append(row)
    found: dict[tuple[str, int], list[Row]] = {}
    if changed["agreement"]:
        links = Event.agreements.through.objects.filter(
            agreement_id__in={row["id"] for row in changed["agreement"]}
        ).filter(visibility.claim_q(Event, "event__"))
        naming: dict[int, list[str]] = {}
        for agreement_id, slug in links.values_list("agreement_id", "event__slug"):
            naming.setdefault(agreement_id, []).append(slug)
        for row in changed["agreement"]:
            found[("agreement", row["history_id"])] = [
                _entry("event", slug, "updated", row) for slug in sorted(naming.get(row["id"], []))
            ]
    if changed["event"]:
        statements = Statement.objects.filter(
            event_id__in={row["id"] for row in changed["event"]}
        ).values(*STATE["statement"])
        made_at: dict[int, list[Row]] = {}
        for statement in sorted(statements, key=lambda s: s["slug"]):
            made_at.setdefault(statement["event_id"], []).append(statement)
        for row in changed["event"]:
            found[("event", row["history_id"])] = _statement_changes(
                row, made_at.get(row["id"], []), events
            )
    return found


def _statement_changes(row: Row, statements: list[Row], events: dict[int, Row]) -> list[Row]:
    """What an event's row means for the statements made at it: each judged with the event
    as it was before the row and after it."""
    before, now, _ = transition(row, events)
    event_id = row["id"]
    then = {event_id: row["before"] if row["history_type"] != "-" else row} if before else {}
    after = {event_id: row} if now else {}
    entries = []
    for statement in statements:
        was, is_ = visible("statement", statement, then), visible("statement", statement, after)
        action = "updated" if was and is_ else "created" if is_ else "deleted" if was else None
        if action:
            entries.append(_entry("statement", statement["slug"], action, row))
    return entries


def page_entries(request: Request | None, rows: list[Row]) -> list[Row]:
    """The rows' public entries, in row order, each with its API URL (none for deletions)."""
    events = current_events(rows)
    entries: dict[tuple[str, int], list[Row]] = {
        (row["kind"], row["history_id"]): public_changes(row, events)
        for row in rows
        if row["kind"] not in PARTS
    }
    for kind, changes in (("citation", cited_changes), ("footnote", footnote_changes)):
        of_kind = [r for r in rows if r["kind"] == kind]
        if of_kind:
            for history_id, found in changes(of_kind).items():
                entries[(kind, history_id)] = found
    dependents = dependent_changes(rows, events)
    result = []
    for row in rows:
        slot = entries[(row["kind"], row["history_id"])]
        slot += dependents.get((row["kind"], row["history_id"]), [])
        for entry in slot:
            deleted = entry["action"] == "deleted"
            entry["url"] = None if deleted else api_url(request, entry["model"], entry["key"])
            result.append(entry)
    return result


# --- The view -----------------------------------------------------------------------------------
class Moment(serializers.DateTimeField):
    def to_internal_value(self, value):
        # Python's ISO parser ignores a trailing NUL; a parameter that holds one is damaged.
        if isinstance(value, str) and "\x00" in value:
            raise serializers.ValidationError("This contains a NUL character; remove it.")
        return super().to_internal_value(value)


class ChangesQuery(serializers.Serializer):
    after = serializers.RegexField(
        r"^[0-9]{1,18}$",
        required=False,
        help_text="Continue after this position: copy it from `next` or `resume`.",
    )
    since = Moment(
        required=False,
        help_text="Where a first poll starts: the first change that became visible at or after "
        "this moment (ISO 8601, UTC unless an offset is given). Ignored with `after`.",
    )
    per_page = serializers.IntegerField(
        min_value=1, max_value=MAX_PER_PAGE, default=DEFAULT_PER_PAGE, help_text="Rows per page."
    )

    def validate(self, data):
        if "after" not in data and "since" not in data:
            raise serializers.ValidationError(
                {"since": ["Give `since` (a moment) or `after` (a position from `resume`)."]}
            )
        return data


class ChangeSerializer(serializers.Serializer):
    model = serializers.ChoiceField(choices=[*CLAIMS, *REFERENCE, "footnote"])
    key = serializers.CharField(help_text="Its natural key: ISO code or slug.")
    action = serializers.ChoiceField(choices=["created", "updated", "deleted"])
    at = serializers.DateTimeField(help_text="When the change was made (not the feed's order).")
    url = serializers.URLField(allow_null=True, help_text="The record now; null if deleted.")
    renamed_from = serializers.CharField(
        allow_null=True, help_text="On the `created` half of a change of key: the old key."
    )


class ChangesPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="More changes are waiting here.")
    resume = serializers.URLField(help_text="Where to continue at the next poll.")
    results = ChangeSerializer(many=True)


class ChangesView(APIView):
    """Changes to the public data in the order they became visible: created, updated, deleted
    (withdrawn)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[ChangesQuery], responses={200: ChangesPageSerializer, 400: BAD_REQUEST}
    )
    def get(self, request: Request) -> Response:
        query = ChangesQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        waiting = changelog.sequence()
        after = int(data["after"]) if "after" in data else changelog.position_at(data["since"])
        size = data["per_page"]
        rows, more, last = read_page(after, size)
        resume = self._link(request, last, size)
        return Response(
            {
                "next": resume if more or waiting else None,
                "resume": resume,
                "results": page_entries(request, rows),
            }
        )

    @staticmethod
    def _link(request: Request, after: int, size: int) -> str:
        params = {"after": str(after)}
        if size != DEFAULT_PER_PAGE:
            params["per_page"] = str(size)
        return request.build_absolute_uri(f"{reverse('api:changes')}?{urlencode(params)}")
