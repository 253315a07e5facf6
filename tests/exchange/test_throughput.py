"""Issue 13, item 6: the exchange's fast paths read, load and write what the exact ones do.

- A file written one record a line (as ``export_kb`` writes it) is parsed a line at a time by
  the standard library; any line that is not like that hands the rest of the file to ijson's
  events: the records, the errors and the record they name are the same as ijson's alone.
- A big load into an empty table drops its plain indexes and makes them again afterwards,
  inside the import's transaction: the same indexes after it, none lost if it fails.
- An export reads times from PostgreSQL as UTC text and writes them as from datetimes.
"""

import datetime
import io
import json
from zoneinfo import ZoneInfo

import ijson
import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection
from django.db.models import DateTimeField, Value

from exchange.export import UtcText
from exchange.load import stream, write
from exchange.selection import Selection
from exchange.spec import BY_MODEL
from relations.models import Country, Event
from tests.exchange.conftest import SEED, export

pytestmark = pytest.mark.django_db

RECORD = '{"model": "a.b", "fields": {"x": "y", "n": 1.5, "m": [["a"], ["b"]]}}'
DEEP = '{"model": "a", "fields": {"x": [[[[[[[1]]]]]]]}}'


def outcome(read, data: bytes):
    try:
        return "read", list(read(io.BytesIO(data)))
    except stream.TooDeep as error:
        return "too deep", error.record
    except (ijson.JSONError, UnicodeDecodeError):
        return "broken", None


def by_events(raw):
    return stream._built(raw, 0)


R = RECORD
LAYOUTS = {
    "export_kb's": f"[\n{R},\n{R}\n]\n",
    "no newline at the end": f"[\n{R},\n{R}\n]",
    "spaces and blank lines": f"[\n{R},\n  {R}  ,\n\n{R}\n  ]  \n\n",
    "dumpdata's one line": f"[{R}, {R}]",
    "two records on a line": f"[\n{R}, {R},\n{R}\n]\n",
    "a record over two lines": f'[\n{R},\n{{"model": "a",\n "fields": {{}}}},\n{R}\n]\n',
    "an escape": f'[\n{R},\n{{"model": "a", "fields": {{"x": "\\u00e9"}}}},\n{R}\n]\n',
    "a line longer than the limit": (
        f'[\n{R},\n{{"model": "a", "fields": {{"x": "{"z" * stream.LINE_LIMIT}"}}}},\n{R}\n]\n'
    ),
    "not records": f'[\n{R},\n1,\n"s",\n[1],\nnull\n]\n',
    "empty": "[\n]\n",
    "nested too deep": f"[\n{R},\n{DEEP},\n{R}\n]\n",
    "nested as deep as allowed": f'[\n{R},\n{{"x": [[[[[[1]]]]]]}},\n{R}\n]\n',
    "a comma before the end": f"[\n{R},\n{R},\n]\n",
    "something after the end": f"[\n{R},\n{R}\n]\nx",
    "truncated after a record": f"[\n{R},\n",
    "truncated in a record": f"[\n{R},\n{R[:20]}",
    "a missing comma": f"[\n{R}\n{R}\n]\n",
    "NaN": f'[\n{R},\n{{"x": NaN}},\n{R}\n]\n',
    "a control character": f'[\n{R},\n{{"x": "\x01"}},\n{R}\n]\n',
    "a byte order mark": f"\ufeff[\n{R}\n]\n",
}


@pytest.mark.parametrize("layout", LAYOUTS, ids=list(LAYOUTS))
def test_a_file_reads_as_by_ijson_alone_whatever_its_layout(layout):
    data = LAYOUTS[layout].encode()
    assert outcome(stream.records, data) == outcome(by_events, data)


def test_bad_utf8_on_a_line_is_refused_as_by_ijson():
    data = b'[\n{"x": "\xff"},\n{"x": 1}\n]\n'
    assert outcome(stream.records, data) == outcome(by_events, data) == ("broken", None)


def test_an_export_is_read_a_line_at_a_time(monkeypatch):
    """The fast path is taken (ijson is not): an export is one record a line."""
    text = SEED.read_text("utf-8")
    data = (
        "[\n" + ",\n".join(json.dumps(r, ensure_ascii=False) for r in json.loads(text)) + "\n]\n"
    ).encode()
    expected = list(by_events(io.BytesIO(data)))
    monkeypatch.setattr(stream, "_built", lambda raw, rec: pytest.fail("ijson was used"))
    assert list(stream.records(io.BytesIO(data))) == expected


def test_the_record_nested_too_deep_is_named_in_a_file_of_lines(tmp_path, run_import):
    lines = [
        {"model": "relations.event", "fields": {"slug": "fine", "title": "A", "date": "2007"}},
        {"model": "relations.event", "fields": {"slug": "deep", "aliases": [[[[[["x"]]]]]]}},
    ]
    path = tmp_path / "f.json"
    path.write_text("[\n" + ",\n".join(json.dumps(r) for r in lines) + "\n]\n", "utf-8")
    report = run_import(path)
    assert [str(p) for p in report.problems][-1].startswith(
        "record 2: the values are nested more than 8 levels deep"
    )


# --- Indexes made again after a big load ---------------------------------------------------------
def indexes(table: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s", [table])
        return {row[0] for row in cursor.fetchall()}


def test_a_load_into_empty_tables_makes_their_indexes_again(
    seed_file, seed_export, run_import, monkeypatch
):
    monkeypatch.setattr(write, "REBUILD_FROM", 1)  # the seed is small; any load counts as big
    tables = ["relations_event", "relations_historicalevent", "relations_event_countries"]
    tables += ["relations_citation", "sources_footnote"]
    before = {table: indexes(table) for table in tables}
    assert any("USING gin" in d for d in before["relations_event"])
    rebuilt: list[str] = []
    drop = write.Writing._drop_indexes

    def spied(*args):
        found = drop(*args)
        rebuilt.extend(found)
        return found

    monkeypatch.setattr(write.Writing, "_drop_indexes", spied)
    report = run_import(seed_file)
    assert any("relations_event USING gin" in d for d in rebuilt)  # dropped, made again:
    assert report.ok and report.loaded, report.lines()
    assert {table: indexes(table) for table in tables} == before
    assert export() == seed_export
    assert Event.history.count() == Event.objects.count() > 0


def test_a_refused_load_leaves_the_indexes_as_they_were(seed_file, run_import, monkeypatch):
    monkeypatch.setattr(write, "REBUILD_FROM", 1)
    before = indexes("relations_event")

    def refused(*args, **kwargs):
        raise DatabaseError("refused at the end of the load")

    monkeypatch.setattr(write.cited, "finish_bulk_load", refused)
    report = run_import(seed_file)
    assert not report.loaded
    assert "the database refused: refused at the end of the load" in "\n".join(report.lines())
    assert indexes("relations_event") == before
    assert not Event.objects.exists()


# --- Times read as text by the export ------------------------------------------------------------
@pytest.mark.parametrize(
    "moment",
    [
        datetime.datetime(2020, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
        datetime.datetime(2020, 1, 2, 3, 4, 5, 120000, tzinfo=datetime.UTC),
        datetime.datetime(2020, 6, 30, 23, 59, 59, 999999, tzinfo=datetime.UTC),
        datetime.datetime(2020, 6, 30, 23, 59, 59, 1, tzinfo=datetime.UTC),
        datetime.datetime(5, 1, 1, tzinfo=datetime.UTC),
    ],
    ids=str,
)
def test_a_time_is_written_alike_from_postgresql_text_and_from_a_datetime(moment):
    """Whatever the session's time zone and date style (the text is the database's)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL TimeZone = 'Asia/Tokyo'")
        cursor.execute("SET LOCAL DateStyle = 'SQL, DMY'")
    text = (
        Country.objects.annotate(t=UtcText(Value(moment, DateTimeField())))
        .values_list("t", flat=True)
        .first()
    )
    assert isinstance(text, str)
    encode = BY_MODEL[Event].encoders[BY_MODEL[Event].names.index("created")]
    assert encode(text) == encode(moment) == encode(moment.astimezone(ZoneInfo("Asia/Tokyo")))


@pytest.mark.parametrize(
    "options",
    [{"relation": "by-ir"}, {"country": "IR", "domain": "nuclear"}, {"lower": "2008"}],
    ids=["pair", "country-domain", "dates"],
)
def test_a_slice_reads_its_claims_once_and_builds_on_their_ids(options):
    """Every set of a slice (the countries, footnotes, citations... it carries) is built on the
    ids of its claims, read once: left as subqueries, the claims' conditions were embedded
    again in every set built on them (a pair's countries, 333 subqueries: seconds at 10^5
    events, over ten minutes at 10^6). The exported file is the same (tests/exchange)."""
    call_command("loaddata", SEED, verbosity=0)
    querysets = Selection.from_options(**options).querysets()
    selects = {spec.label: str(qs.query).count("SELECT") for spec, qs in querysets.items()}
    assert max(selects.values()) <= 40, selects
    events = querysets[BY_MODEL[Event]]
    assert events.count() == len(set(events.values_list("pk", flat=True))) > 0
