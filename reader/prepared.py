"""Queries compiled once per process, for the reader's hot pages, and records from their rows.

For the small queries a page makes by a list of ids (a timeline page's links to 50 events' five
kinds of records), building the QuerySet and compiling it to SQL is pure Python that costs more
than the database's answer: a UNION of five link tables takes some 2 ms to build and compile,
well under 1 ms to run. ``rows(build, ids)`` builds ``build(ids)`` once per number of ids, with
stand-ins for the ids (negative numbers, which no row has), keeps its SQL and parameters, and
runs that SQL with the real ids in the stand-ins' places. So a ``build`` must put no negative
integer of its own in its query: it would be taken for a stand-in.

PostgreSQL only, for plain values (numbers, text, booleans, dates: what psycopg returns as the
ORM would); elsewhere (the SQLite demo) the QuerySet is built and run as usual.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache

from django.db import DEFAULT_DB_ALIAS, connections, router
from django.db.models import Model, QuerySet

Build = Callable[..., QuerySet]


def rows(build: Build, *ids: Sequence[int], using: str | None = None) -> list[tuple]:
    """``list(build(*ids))`` for a ``build`` that returns a ``values_list()`` QuerySet filtered
    by lists of ids (ints), without building it again for every page's ids. Read where the
    QuerySet would be (``using``, else the router's choice: a request's replica, core.replica)."""
    if not any(ids):
        return []
    if connections[using or DEFAULT_DB_ALIAS].vendor != "postgresql":
        return list(build(*(list(each) for each in ids)))
    model, sql, params = _compiled(build, tuple(len(each) for each in ids))
    given = [pk for each in ids for pk in each]
    values = [given[-p - 1] if type(p) is int and p < 0 else p for p in params]
    with connections[using or router.db_for_read(model)].cursor() as cursor:
        cursor.execute(sql, values)
        return cursor.fetchall()


@lru_cache(maxsize=256)
def _compiled(build: Build, counts: tuple[int, ...]) -> tuple[type[Model], str, tuple]:
    """``build``'s model, SQL and parameters for lists of these lengths, the ids numbered -1,
    -2… across the lists (the SQL is PostgreSQL's, whichever of its databases runs it)."""
    stand_ins, start = [], 1
    for count in counts:
        stand_ins.append([-n for n in range(start, start + count)])
        start += count
    queryset = build(*stand_ins)
    return (queryset.model, *queryset.query.sql_with_params())


@lru_cache(maxsize=64)
def in_field_order(model: type[Model], names: tuple[str, ...]) -> tuple[str, ...]:
    """Field names (attnames) in ``model``'s order, as ``Model.from_db`` takes values."""
    order = [f.attname for f in model._meta.concrete_fields]
    return tuple(sorted(names, key=order.index))


def record[M: Model](model: type[M], **values) -> M | None:
    """A record of ``model`` from values read with ``rows`` (by attname: ``id``,
    ``event_id``…), the other fields deferred, as the ORM makes one; None for a missing one
    (a left join's: its ``id`` None)."""
    if values["id"] is None:
        return None
    names = in_field_order(model, tuple(values))
    return model.from_db(router.db_for_read(model), names, [values[name] for name in names])
