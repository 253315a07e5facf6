"""Finding 1 of issue 11: a small upload exhausted memory. A fixture nested deeper than a
fixture is, or with a record larger than any record, is refused while it streams, naming the
record, before it is built (``import_kb`` and the admin alike); an upload over its view's limit
is refused as it arrives, before anything keeps it, with a 413 and the reason on the form."""

import json
import os
import resource
import subprocess
import sys
from http import HTTPStatus
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.urls import reverse

from exchange.load import stream
from exchange.models import Import
from relations.models import Event
from tests.exchange.conftest import write
from tests.exchange.worker import work

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)
UPLOAD = reverse("admin:exchange_import_add")
CSV_IMPORT = "/admin/relations/event/import/"
CSV_HEADER = "slug,title,date,summary,place,domains,countries,organisations,officials,citations\n"
HANDLERS = [
    "exchange.uploads.UploadLimitHandler",
    "tests.exchange.test_upload_limits.Recording",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]


class Recording(FileUploadHandler):
    """After the limit's handler: counts the bytes that reach the handlers that keep files."""

    received = 0

    def receive_data_chunk(self, raw_data, start):
        Recording.received += len(raw_data)
        return raw_data

    def file_complete(self, file_size):
        return None


@pytest.fixture(autouse=True)
def uploads(settings, tmp_path):
    settings.EXCHANGE_UPLOAD_DIR = tmp_path / "uploads"
    settings.FILE_UPLOAD_HANDLERS = HANDLERS
    Recording.received = 0
    return settings.EXCHANGE_UPLOAD_DIR


@pytest.fixture
def editor(client, django_user_model):
    user = django_user_model.objects.create_user("editor", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Editor"))
    client.force_login(user)
    return user


def event(slug: str, **fields) -> dict:
    base = {"slug": slug, "title": "A meeting", "date": "May 2007", "domains": [["economic"]]}
    return {"model": "relations.event", "fields": base | fields}


# --- While streaming ----------------------------------------------------------------------------
@pytest.mark.slow
def test_import_kb_refuses_brackets_at_once_in_bounded_memory(tmp_path):
    """The finding's file, 20 MB of "[", through the command, in a process allowed 1 GB: it
    grew one to 21.5 GB."""
    path = tmp_path / "brackets.json"
    path.write_bytes(b"[" * 20_000_000)
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
    }
    gigabyte = 1 << 30

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (gigabyte, gigabyte))

    done = subprocess.run(
        [sys.executable, "manage.py", "import_kb", str(path), "--no-progress"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, preexec_fn=cap,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr[-2000:]
    assert "record 1: the values are nested more than 8 levels deep" in done.stderr
    assert "1 problem(s): nothing was imported" in done.stderr


def test_a_record_nested_too_deep_is_named_and_reading_stops(tmp_path, run_import):
    deep = event("too-deep", aliases=[[[[[["x"]]]]]])
    report = run_import(write(tmp_path / "f.json", [event("fine"), deep, event("after")]))
    assert [str(p) for p in report.problems] == [
        "record 2: the values are nested more than 8 levels deep (a fixture is an array of "
        'records, each {"model": …, "fields": {…}}); the file is not read further'
    ]
    assert not Event.objects.exists()


def test_a_record_too_large_is_skipped_unbuilt_and_the_others_still_checked(tmp_path, run_import):
    many = event("many-countries", countries=[["BY"]] * (stream.MAX_RECORD_VALUES + 1))
    wordy = event("wordy", summary="x" * (stream.MAX_RECORD_CHARS + 1))
    records = [event("fine"), many, wordy, event("bad-date", date="Jumne 2010")]
    report = run_import(write(tmp_path / "f.json", records))
    problems = [str(p) for p in report.problems]
    assert problems[:2] == [
        f"record {n}: the record is too large to import (more than 100,000 values or "
        "8,000,000 characters of text); it was skipped"
        for n in (2, 3)
    ]
    assert any(p.startswith("record 4 (relations.event 'bad-date'): date:") for p in problems)
    assert report.records == 4 and not Event.objects.exists()


def test_the_stream_builds_what_ijson_builds():
    """The records as ijson.items gives them (Decimal numbers, nulls, nesting, unicode)."""
    import io

    import ijson

    data = json.dumps(
        [{"model": "m", "fields": {"a": [1, 2.5, None, True], "b": {"c": "é"}, "d": []}}, 7, []]
    ).encode()
    assert list(stream.records(io.BytesIO(data))) == list(ijson.items(io.BytesIO(data), "item"))


# --- At the upload ------------------------------------------------------------------------------
def test_a_fixture_over_the_limit_is_refused_before_it_is_kept(client, editor, settings, uploads):
    settings.EXCHANGE_FIXTURE_MAX_UPLOAD = 100_000
    response = client.post(UPLOAD, {"file": SimpleUploadedFile("big.json", b" " * 300_000)})
    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert "The file is larger than 97.7\xa0KB, the limit for uploads here" in (
        response.content.decode()
    )
    assert Recording.received == 0  # refused from the Content-Length: no byte was kept
    assert not Import.objects.exists() and not list(uploads.glob("*"))

    # Without a Content-Length to go by, it is refused once the bytes pass the limit.
    settings.EXCHANGE_FIXTURE_MAX_UPLOAD = 300_000 - 1
    response = client.post(UPLOAD, {"file": SimpleUploadedFile("big.json", b" " * 300_000)})
    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert 0 < Recording.received < 300_000 and not Import.objects.exists()

    # Under the limit, it is accepted, and the worker checks it.
    response = client.post(UPLOAD, {"file": SimpleUploadedFile("ok.json", b"[]")})
    assert response.status_code == HTTPStatus.FOUND
    work()
    assert Import.objects.get().state == Import.State.PENDING


def test_an_uploaded_pile_of_brackets_is_rejected_by_the_worker(client, editor, uploads):
    client.post(UPLOAD, {"file": SimpleUploadedFile("b.json", b"[" * 20_000_000)})
    work()
    record = Import.objects.get()
    assert record.state == Import.State.REJECTED and not record.path.exists()
    assert record.report["problems"][0].startswith("record 1: the values are nested more than")


def test_a_csv_over_the_limit_is_refused_before_it_is_kept(client, editor, settings, uploads):
    settings.EXCHANGE_CSV_MAX_UPLOAD = 50_000
    formats = admin.site._registry[Event].get_import_formats()
    csv = str(next(i for i, f in enumerate(formats) if f().get_title() == "csv"))
    body = CSV_HEADER + ",A meeting,May 2007,,,economic,BY,,,\n" * 2000
    file = SimpleUploadedFile("events.csv", body.encode(), content_type="text/csv")
    response = client.post(CSV_IMPORT, {"resource": "0", "format": csv, "import_file": file})
    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    page = response.content.decode()
    assert "The file is larger than 48.8\xa0KB, the limit for uploads here" in page
    assert "This field is required" not in page
    assert Recording.received == 0 and not Event.objects.exists()
