"""The changes feed: what changed in the public data since a moment, so that a mirror can stay in
step without downloading everything again.

    GET /api/changes/?since=2026-01-01T00:00:00Z
    {"next": ".../api/changes/?since=2026-01-03T09:12:44.123456Z&after=event.5121", "resume": …,
     "results": [{"model": "event", "key": "2010-06-…", "action": "created", "at": "…",
                  "url": ".../api/events/2010-06-…/"}, …]}

It is read from django-simple-history's tables (one per model, a row per save or delete, in
the order they were made), as the public sees them:

- reference data (countries, domains, organisations, officials, sources) is always public:
  a row is "created", "updated" or "deleted" as it says;
- a claim (event, agreement, statement, position) exists for the public only while published:
  publishing it is "created", an edit while published "updated", unpublishing or deleting it
  while published "deleted" (withdrawn), and anything done to a draft or a claim in review
  nothing at all: a draft never appears here, not even its key;
- a change of key (a slug edited) is "deleted" under the old key, then "created" under the new;
- a citation added, changed or removed is "updated" for its claim, if that claim is published
  now; a claim published or withdrawn is also "updated" for the published records that name it
  (an event for its agreements, a statement for the event it was made at).

Rows are read in (history_date, table, history_id) order, one query per table, and merged, so
a page costs the same dozen or so queries at any depth. ``next`` and ``resume`` carry the last
row read (``since`` and ``after``): ``next`` while more rows are waiting, ``resume`` always, for
the next poll. A page may hold fewer entries than ``per_page`` (or none) when the rows it read
were drafts' edits; keep following ``next``. Changes are not collapsed: a record changed three
times appears three times, and applying the entries in order leaves a mirror as the API is.

Loads that bypass the ORM (``generate_kb``, ``loaddata`` with raw saves, SQL) write no history,
so they are not in the feed. A claim whose first history row is an edit (it was loaded that
way) has no earlier state to compare with: it is "created" if the edit leaves it published,
and nothing otherwise, since it cannot be told from a draft that never was public.
"""

from __future__ import annotations

import datetime
import heapq
from dataclasses import dataclass
from itertools import islice
from typing import Any
from urllib.parse import urlencode

from django.db.models import Model, OuterRef, Q, Subquery
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.schema import BAD_REQUEST
from api.serializers import api_url
from relations.models import (
    Agreement,
    Citation,
    Country,
    Domain,
    Event,
    Official,
    Organisation,
    Position,
    Statement,
    Status,
)
from sources.models import Source

PUBLISHED = Status.PUBLISHED
CLAIMS: dict[str, type[Model]] = {
    "event": Event,
    "agreement": Agreement,
    "statement": Statement,
    "position": Position,
}
REFERENCE: dict[str, type[Model]] = {
    "country": Country,
    "domain": Domain,
    "organisation": Organisation,
    "official": Official,
    "source": Source,
}
# Every history table the feed reads, by the name that orders it after history_date.
TABLES: dict[str, type[Model]] = dict(sorted({**CLAIMS, **REFERENCE, "citation": Citation}.items()))
DEFAULT_PER_PAGE, MAX_PER_PAGE = 100, 1000
AFTER = rf"^(?:{'|'.join(TABLES)})\.[0-9]{{1,18}}$"


# --- Reading the history tables -----------------------------------------------------------------
@dataclass(frozen=True, order=True)
class Mark:
    """A place in the feed: a history row's date, table and id (the table's and id's zero
    values mean "from the start of ``at``")."""

    at: datetime.datetime
    table: str = ""
    history_id: int = 0

    def query(self) -> dict[str, str]:
        params = {"since": _iso(self.at)}
        if self.table:
            params["after"] = f"{self.table}.{self.history_id}"
        return params


def _iso(moment: datetime.datetime) -> str:
    text = moment.astimezone(datetime.UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"


def _key_field(table: str) -> str:
    return "code" if table == "country" else "slug"


def read_rows(table: str, mark: Mark, limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` history rows of ``table`` after ``mark``, each with what its record was
    just before it (the previous row's type, key and status), in feed order."""
    history = TABLES[table].history.model
    rows = history.objects.filter(history_date__gte=mark.at)
    if mark.table and table < mark.table:
        rows = rows.filter(history_date__gt=mark.at)
    elif mark.table == table:
        rows = rows.filter(
            Q(history_date__gt=mark.at) | Q(history_date=mark.at, history_id__gt=mark.history_id)
        )
    fields = ["history_id", "history_date", "history_type", "id"]
    if table == "citation":
        fields += [f"{kind}_id" for kind in Citation.claim_fields]
    else:
        earlier = (
            history.objects.filter(id=OuterRef("id"))
            .filter(
                Q(history_date__lt=OuterRef("history_date"))
                | Q(history_date=OuterRef("history_date"), history_id__lt=OuterRef("history_id"))
            )
            .order_by("-history_date", "-history_id")
        )
        key = _key_field(table)
        fields += [key, "prev_type", "prev_key"]
        previous = {
            "prev_type": Subquery(earlier.values("history_type")[:1]),
            "prev_key": Subquery(earlier.values(key)[:1]),
        }
        if table in CLAIMS:
            fields += ["status", "prev_status"]
            previous["prev_status"] = Subquery(earlier.values("status")[:1])
        rows = rows.annotate(**previous)
    rows = rows.order_by("history_date", "history_id").values(*fields)[:limit]
    return [{**row, "table": table} for row in rows]


def _mark(row: dict[str, Any]) -> Mark:
    return Mark(row["history_date"], row["table"], row["history_id"])


def read_page(mark: Mark, size: int) -> tuple[list[dict[str, Any]], bool]:
    """The next ``size`` rows of all tables after ``mark``, and whether more are waiting."""
    per_table = [read_rows(table, mark, size + 1) for table in TABLES]
    merged = list(islice(heapq.merge(*per_table, key=_mark), size + 1))
    return merged[:size], len(merged) > size


# --- Rows as the public sees them ---------------------------------------------------------------
def _entry(model: str, key: str, action: str, at: datetime.datetime) -> dict[str, Any]:
    return {"model": model, "key": key, "action": action, "at": at}


def public_changes(row: dict[str, Any]) -> list[dict[str, Any]]:
    """What one history row of a claim or of reference data means to the public (maybe
    nothing). Citations are read apart (``cited_changes``)."""
    table, kind, at = row["table"], row["history_type"], row["history_date"]
    key, old_key = row[_key_field(table)], row["prev_key"]
    if table in CLAIMS:
        now = kind != "-" and row["status"] == PUBLISHED
        if kind == "-":
            before = row["status"] == PUBLISHED
            old_key = key
        elif kind == "+":
            before = False
        else:
            before = row["prev_type"] not in (None, "-") and row["prev_status"] == PUBLISHED
    else:
        now, before = kind != "-", kind != "+"
        old_key = key if kind == "-" or old_key is None else old_key
    if before and now and old_key != key:
        return [_entry(table, old_key, "deleted", at), _entry(table, key, "created", at)]
    if before and now:
        return [_entry(table, key, "updated", at)]
    if now:
        return [_entry(table, key, "created", at)]
    if before:
        return [_entry(table, old_key, "deleted", at)]
    return []


def cited_changes(rows: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    """For each citation row (by history_id), "updated" for its claim if that is published now.
    One query per kind of claim cited."""
    wanted: dict[str, set[int]] = {}
    for row in rows:
        for kind in Citation.claim_fields:
            if row.get(f"{kind}_id"):
                wanted.setdefault(kind, set()).add(row[f"{kind}_id"])
    slugs = {
        kind: dict(CLAIMS[kind].objects.published().filter(id__in=ids).values_list("id", "slug"))
        for kind, ids in wanted.items()
    }
    entries = {}
    for row in rows:
        kind = next((k for k in Citation.claim_fields if row.get(f"{k}_id")), None)
        slug = slugs.get(kind, {}).get(row.get(f"{kind}_id")) if kind else None
        if slug:
            entries[row["history_id"]] = [_entry(kind, slug, "updated", row["history_date"])]
    return entries


# Records whose representation names a claim of another kind, so that its visibility shows in
# theirs: an event lists its published agreements, a statement names its event if published.
DEPENDENTS = {
    "agreement": lambda ids: Event.agreements.through.objects.filter(
        agreement_id__in=ids, event__status=PUBLISHED
    ).values_list("agreement_id", "event__slug"),
    "event": lambda ids: (
        Statement.objects.published().filter(event_id__in=ids).values_list("event_id", "slug")
    ),
}
DEPENDENT_KIND = {"agreement": "event", "event": "statement"}


def dependent_changes(rows: list[dict[str, Any]], entries: dict[int, list[dict[str, Any]]]) -> None:
    """Add "updated" entries for the published records that name a claim whose visibility
    changed in ``rows`` (one query per kind)."""
    changed: dict[str, set[int]] = {}
    for row in rows:
        if row["table"] in DEPENDENTS:
            actions = {e["action"] for e in entries.get((row["table"], row["history_id"]), [])}
            if actions & {"created", "deleted"}:
                changed.setdefault(row["table"], set()).add(row["id"])
    for table, ids in changed.items():
        named: dict[int, list[str]] = {}
        for claim_id, slug in sorted(DEPENDENTS[table](ids), key=lambda pair: pair[1]):
            named.setdefault(claim_id, []).append(slug)
        kind = DEPENDENT_KIND[table]
        for row in rows:
            if row["table"] == table and row["id"] in named:
                slot = entries[(table, row["history_id"])]
                slot += [_entry(kind, s, "updated", row["history_date"]) for s in named[row["id"]]]


def page_entries(request: Request, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows' public entries, in row order, each with its API URL (none for deletions)."""
    entries: dict[tuple[str, int], list[dict[str, Any]]] = {
        (row["table"], row["history_id"]): public_changes(row)
        for row in rows
        if row["table"] != "citation"
    }
    citations = [row for row in rows if row["table"] == "citation"]
    for history_id, cited in cited_changes(citations).items():
        entries[("citation", history_id)] = cited
    dependent_changes(rows, entries)
    result = []
    for row in rows:
        for entry in entries.get((row["table"], row["history_id"]), []):
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
    since = Moment(
        help_text="ISO 8601; entries made at or after it (UTC unless an offset is given)."
    )
    after = serializers.RegexField(
        AFTER,
        required=False,
        help_text="Continue after this row of `since` (`table.id`): copy it from `next`.",
    )
    per_page = serializers.IntegerField(
        min_value=1, max_value=MAX_PER_PAGE, default=DEFAULT_PER_PAGE, help_text="Rows per page."
    )


class ChangeSerializer(serializers.Serializer):
    model = serializers.ChoiceField(choices=[*CLAIMS, *REFERENCE])
    key = serializers.CharField(help_text="Its natural key: ISO code or slug.")
    action = serializers.ChoiceField(choices=["created", "updated", "deleted"])
    at = serializers.DateTimeField()
    url = serializers.URLField(allow_null=True, help_text="The record now; null if deleted.")


class ChangesPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="More changes are waiting here.")
    resume = serializers.URLField(help_text="Where to continue at the next poll.")
    results = ChangeSerializer(many=True)


class ChangesView(APIView):
    """Changes to the public data since a moment: created, updated, deleted (withdrawn)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[ChangesQuery], responses={200: ChangesPageSerializer, 400: BAD_REQUEST}
    )
    def get(self, request: Request) -> Response:
        query = ChangesQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        mark = Mark(data["since"])
        if data.get("after"):
            table, history_id = data["after"].split(".")
            mark = Mark(data["since"], table, int(history_id))
        size = data["per_page"]
        rows, more = read_page(mark, size)
        last = _mark(rows[-1]) if rows else mark
        resume = self._link(request, last, size)
        return Response(
            {
                "next": resume if more else None,
                "resume": resume,
                "results": page_entries(request, rows),
            }
        )

    @staticmethod
    def _link(request: Request, mark: Mark, size: int) -> str:
        params = mark.query()
        if size != DEFAULT_PER_PAGE:
            params["per_page"] = str(size)
        return request.build_absolute_uri(f"{reverse('api:changes')}?{urlencode(params)}")
