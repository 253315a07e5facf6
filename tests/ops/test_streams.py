"""An export cut short by a fault ends in a way clients can detect (finding 10): the CSV's
last line is the ``#incomplete`` marker, the JSON never closes its array, and the error is
raised on to the server, which then aborts the response (see test_faults.py for gunicorn).

The fault is real: the backend serving the export's cursor is terminated mid-stream.
"""

from __future__ import annotations

import csv
import io
import json

import psycopg
import pytest
from django.db import DatabaseError, connection

from reader.timeline import exports
from tests.factories import DomainFactory, EventFactory


def terminate_own_backend() -> None:
    pid = connection.connection.info.backend_pid
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


def read_until_cut(response, before: int) -> tuple[str, BaseException | None]:
    """The body as a client gets it, the fault made after ``before`` chunks."""
    chunks, error = [], None
    stream = iter(response.streaming_content)
    try:
        for number, chunk in enumerate(stream):
            chunks.append(chunk.decode())
            if number + 1 == before:
                terminate_own_backend()
    except DatabaseError as exc:
        error = exc
    return "".join(chunks), error


@pytest.fixture
def events(db, monkeypatch):
    """Six published events, read one per database round trip: a stream with a middle."""
    EventFactory.create_batch(6, countries=["BY", "IR"], domains=[DomainFactory()])
    monkeypatch.setattr(exports, "EXPORT_CHUNK", 1)


def test_a_cut_csv_ends_with_the_marker_and_raises(client, events):
    response = client.get("/timeline.csv")
    assert response.status_code == 200
    body, error = read_until_cut(response, before=3)
    assert error is not None, "the stream ended as if complete"
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][0] == "slug"
    assert 2 <= len(rows) - 2 < 6  # the header, some events, the marker
    assert rows[-1] == [exports.INCOMPLETE]


def test_a_cut_json_is_not_json(client, events):
    response = client.get("/timeline.json")
    assert response.status_code == 200
    body, error = read_until_cut(response, before=3)
    assert error is not None, "the stream ended as if complete"
    assert body.rstrip().endswith(exports.INCOMPLETE)
    with pytest.raises(json.JSONDecodeError):
        json.loads(body)


def test_a_whole_export_has_no_marker(client, events):
    csv_body = b"".join(client.get("/timeline.csv").streaming_content).decode()
    json_body = b"".join(client.get("/timeline.json").streaming_content).decode()
    assert exports.INCOMPLETE not in csv_body
    assert len(list(csv.reader(io.StringIO(csv_body)))) == 1 + 6
    assert len(json.loads(json_body)["events"]) == 6
