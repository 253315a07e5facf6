"""Cursor pagination on a keyset: a page starts after the full ordering tuple of the last row.

DRF's ``CursorPagination`` keeps only the first ordering field in its cursor and steps over
rows that share that value with an OFFSET. Events share dates by the thousand ("2008" is stored
as 2008-01-01), so deep in such a run every page would re-read all the rows before it. Here the
cursor holds every ordering field (views order by something that ends in a unique field), and a
page is one index range scan that stops after ``per_page + 1`` rows, however deep it is.

Events page as the timeline does, by the same code (``EventPagination``,
``relations.paging``): with a "from" date the scan starts a year before it, not at the first
event ever recorded, and the long events that began earlier are merged in.

The cursor stays opaque (base64, as DRF's), and a damaged one answers 404 "Invalid cursor", as
DRF's does: it is checked field by field before it can reach the database.

``per_page`` is a whole number from 1 to 100, or absent (50): anything else is a 400 naming
it, as the timeline's pages and the changes feed answer, never silently the default.
"""

from __future__ import annotations

from base64 import b64decode, b64encode
from urllib import parse

from django.core.exceptions import ValidationError as FieldError
from django.db import models
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination, _reverse_ordering
from rest_framework.utils.urls import replace_query_param

from core.keyset import beyond
from reader.timeline.facets import facet_data
from reader.timeline.query import split_date
from relations.paging import event_rows

DEFAULT_PER_PAGE, MAX_PER_PAGE = 50, 100  # as the timeline's pages
BIGINT = 2**63 - 1


class KeysetPagination(CursorPagination):
    """Pages in the view's ``ordering`` (a tuple ending in a unique field), ``?per_page=``."""

    page_size = DEFAULT_PER_PAGE
    page_size_query_param = "per_page"
    page_size_query_description = f"Results per page (1–{MAX_PER_PAGE}, default {page_size})."
    max_page_size = MAX_PER_PAGE
    cursor_query_description = "Where the page starts: copy it from a `next` or `previous` link."

    def get_page_size(self, request) -> int:
        text = request.query_params.get(self.page_size_query_param, "")
        if text == "":
            return self.page_size
        size = int(text) if text.isascii() and text.isdigit() and len(text) <= 3 else 0
        if not 1 <= size <= self.max_page_size:
            raise ValidationError(
                {self.page_size_query_param: [f"A whole number from 1 to {self.max_page_size}."]}
            )
        return size

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(
                    minimum=1, maximum=self.max_page_size, default=self.page_size
                )
        return parameters

    def get_ordering(self, request, queryset, view) -> tuple[str, ...]:
        return tuple(view.get_ordering())

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        self.ordering = self.get_ordering(request, queryset, view)
        self.model = queryset.model
        self.cursor = self.decode_cursor(request)
        reverse = bool(self.cursor and self.cursor.reverse)
        position = self.cursor.position if self.cursor else None

        order = _reverse_ordering(self.ordering) if reverse else self.ordering
        rows = self.rows(queryset, order, position, view)
        self.page = rows[: self.page_size]
        more = len(rows) > self.page_size
        if reverse:
            self.page.reverse()
        self.has_next = more if not reverse else position is not None
        self.has_previous = position is not None if not reverse else more
        self.display_page_controls = self.has_next or self.has_previous
        return self.page

    def rows(self, queryset, order: tuple[str, ...], position: tuple | None, view) -> list:
        """Up to ``page_size + 1`` rows of ``queryset`` in ``order``, beyond ``position``."""
        queryset = queryset.order_by(*order)
        if position is not None:
            queryset = queryset.filter(beyond(order, position))
        return list(queryset[: self.page_size + 1])

    def get_next_link(self) -> str | None:
        if not self.has_next:
            return None
        position = self._position(self.page[-1]) if self.page else self.cursor.position
        return self.encode_cursor(Cursor(offset=0, reverse=False, position=position))

    def get_previous_link(self) -> str | None:
        if not self.has_previous:
            return None
        position = self._position(self.page[0]) if self.page else self.cursor.position
        return self.encode_cursor(Cursor(offset=0, reverse=True, position=position))

    def _position(self, instance) -> tuple:
        return tuple(getattr(instance, field.lstrip("-")) for field in self.ordering)

    def encode_cursor(self, cursor: Cursor) -> str:
        tokens = {"p": [_text(value) for value in cursor.position]}
        if cursor.reverse:
            tokens["r"] = "1"
        encoded = b64encode(parse.urlencode(tokens, doseq=True).encode()).decode("ascii")
        return replace_query_param(self.base_url, self.cursor_query_param, encoded)

    def decode_cursor(self, request) -> Cursor | None:
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None:
            return None
        try:
            tokens = parse.parse_qs(
                b64decode(encoded.encode("ascii"), validate=True).decode(), strict_parsing=True
            )
            texts = tokens["p"]
            reverse = tokens.get("r", ["0"]) == ["1"]
            if len(texts) != len(self.ordering) or set(tokens) - {"p", "r"}:
                raise ValueError
            position = tuple(
                _value(self.model, field.lstrip("-"), text)
                for field, text in zip(self.ordering, texts, strict=True)
            )
        except (KeyError, ValueError, UnicodeError, FieldError):
            raise NotFound(self.invalid_cursor_message) from None
        return Cursor(offset=0, reverse=reverse, position=position)


class EventPagination(KeysetPagination):
    """Events, paged as the timeline pages them: the same rows by the same code
    (``relations.paging.event_rows``), with the timeline's date window and the long events a
    "from" date needs (cached with the timeline's facets). The view reads its list as a
    timeline request (``view.timeline``) and the page's rows from its own queryset, which
    carries the joins and prefetches the serializer reads."""

    def rows(self, queryset, order: tuple[str, ...], position: tuple | None, view) -> list:
        timeline = view.timeline
        split = split_date(timeline)
        # The facets only when the page needs their early events anyway: computing them for a
        # list would cost more than the list.
        data = facet_data(timeline) if split else None
        return event_rows(
            timeline.rows_queryset(data.events) if data else queryset,
            descending=order[0].startswith("-"),
            position=position,
            size=self.page_size,
            split=split,
            early=data.early if data else [],
            read=view.get_queryset(),
        )


def _text(value) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _value(model: type[models.Model], name: str, text: str):
    """A cursor's value for one field, as the field reads it; nothing PostgreSQL would refuse."""
    field = model._meta.get_field(name)
    if "\x00" in text:
        raise ValueError("NUL")
    value = field.to_python(text)
    if isinstance(value, int) and not -BIGINT <= value <= BIGINT:
        raise ValueError("out of range")
    return value
