"""Finding 7 of issue 11: admin fixture imports ran inside the request and left files behind.

The dry run and the import are tasks that a real worker process (``manage.py db_worker``, on
the test database) runs; an upload's file is removed once its import is rejected, discarded,
finished or abandoned, and stray files by ``manage.py prune_uploads`` (and each upload); the
CSV import's file is removed when its preview fails."""

import datetime
import os
import subprocess
import sys
import time
from http import HTTPStatus
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from exchange.models import Import
from exchange.uploads import csv_dir
from relations.models import Event
from tests.exchange.conftest import seed_count

ROOT = Path(settings.BASE_DIR)
UPLOAD = reverse("admin:exchange_import_add")


@pytest.fixture(autouse=True)
def uploads(settings, tmp_path):
    settings.EXCHANGE_UPLOAD_DIR = tmp_path / "uploads"
    return settings.EXCHANGE_UPLOAD_DIR


def editor(client, django_user_model):
    user = django_user_model.objects.create_user("editor", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Editor"))
    client.force_login(user)
    return user


def db_worker(uploads: Path) -> subprocess.CompletedProcess:
    """``manage.py db_worker --batch``, a process of its own on the test database: it runs
    what is queued, then exits."""
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "EXCHANGE_UPLOAD_DIR": str(uploads),
    }
    command = [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay"]
    done = subprocess.run(
        [*command, "--no-reload", "-v", "0"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_an_upload_is_checked_and_imported_by_the_worker_process(
    client, django_user_model, seed_export, uploads
):
    editor(client, django_user_model)
    started = time.monotonic()
    response = client.post(UPLOAD, {"file": SimpleUploadedFile("by-ir.json", seed_export.encode())})
    assert response.status_code == HTTPStatus.FOUND
    assert time.monotonic() - started < 5  # the request only keeps the file and queues
    record = Import.objects.get()
    assert record.state == Import.State.QUEUED and record.path.exists()
    page = client.get(response["Location"]).content.decode()
    assert 'http-equiv="refresh"' in page and "will check the file" in page

    db_worker(uploads)
    record.refresh_from_db()
    assert record.state == Import.State.PENDING, record.report
    assert record.records == record.report["records"] and record.progress == record.size
    assert not Event.objects.exists()

    client.post(reverse("admin:exchange_import_confirm", args=[record.token]))
    record.refresh_from_db()
    assert record.state == Import.State.CONFIRMED and not Event.objects.exists()
    db_worker(uploads)
    record.refresh_from_db()
    assert record.state == Import.State.IMPORTED and not record.path.exists()
    assert Event.objects.count() == seed_count("relations.event")
    page = client.get(response["Location"]).content.decode()
    assert 'http-equiv="refresh"' not in page and "Imported" in page


# --- Files left behind -----------------------------------------------------------------------
def kept(uploads: Path, token: str, *, age: datetime.timedelta | None = None) -> Path:
    uploads.mkdir(parents=True, exist_ok=True)
    path = uploads / f"{token}.json"
    path.write_text("[]")
    if age:
        stamp = time.time() - age.total_seconds()
        os.utime(path, (stamp, stamp))
    return path


@pytest.mark.django_db
def test_prune_lets_go_of_every_file_no_import_needs(uploads):
    now = timezone.now()
    old, hours = now - datetime.timedelta(days=2), datetime.timedelta(hours=2)
    waiting = Import.objects.create(token="waiting", state=Import.State.PENDING, name="w.json")
    unconfirmed = Import.objects.create(
        token="unconfirmed", state=Import.State.PENDING, created=old, name="u.json"
    )
    abandoned = Import.objects.create(
        token="abandoned", state=Import.State.IMPORTING, created=old, touched=old, name="a.json"
    )
    working = Import.objects.create(
        token="working", state=Import.State.IMPORTING, created=old, touched=now, name="b.json"
    )
    for record in (waiting, unconfirmed, abandoned, working):
        kept(uploads, record.token)
    Import.objects.create(token="finished", state=Import.State.IMPORTED, name="f.json")
    finished = kept(uploads, "finished", age=hours)  # left by a worker that died after commit
    stray = kept(uploads, "no-import-at-all", age=hours)
    fresh = kept(uploads, "being-uploaded")  # written before its import is saved
    csv_dir().mkdir(parents=True)
    (csv_dir() / "old.csv").write_text("slug\n")
    os.utime(csv_dir() / "old.csv", (old.timestamp(), old.timestamp()))
    (csv_dir() / "new.csv").write_text("slug\n")

    call_command("prune_uploads", verbosity=0)

    states = dict(Import.objects.values_list("token", "state"))
    assert states["waiting"] == Import.State.PENDING and waiting.path.exists()
    assert states["unconfirmed"] == Import.State.DISCARDED and not unconfirmed.path.exists()
    assert states["abandoned"] == Import.State.FAILED and not abandoned.path.exists()
    assert states["working"] == Import.State.IMPORTING and working.path.exists()
    assert not finished.exists() and not stray.exists() and fresh.exists()
    assert sorted(p.name for p in csv_dir().iterdir()) == ["new.csv"]


@pytest.mark.django_db
def test_a_failed_csv_preview_leaves_no_file(client, django_user_model, uploads):
    user = editor(client, django_user_model)
    assert user.has_perm("relations.add_event")
    from django.contrib import admin

    formats = admin.site._registry[Event].get_import_formats()
    csv = str(next(i for i, f in enumerate(formats) if f().get_title() == "csv"))
    header = "slug,title,date,summary,place,domains,countries,organisations,officials,citations\n"
    bad = header + ",A meeting,Jumne 2010,,,economic,XX,,,\n"
    file = SimpleUploadedFile("events.csv", bad.encode(), content_type="text/csv")
    response = client.post(
        "/admin/relations/event/import/", {"resource": "0", "format": csv, "import_file": file}
    )
    assert response.status_code == HTTPStatus.OK and "Nothing was imported" in (
        response.content.decode()
    )
    assert csv_dir().is_dir() and not list(csv_dir().iterdir())

    good = header + ",A meeting,June 2010,,,economic,BY,,,\n"
    file = SimpleUploadedFile("events.csv", good.encode(), content_type="text/csv")
    response = client.post(
        "/admin/relations/event/import/", {"resource": "0", "format": csv, "import_file": file}
    )
    [waiting] = csv_dir().iterdir()  # kept for the confirm step, under a random name
    assert waiting.name != "events.csv" and waiting.suffix == ".csv"
