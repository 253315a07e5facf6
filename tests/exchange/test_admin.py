"""The admin's exchange pages over HTTP: export the selection from a list; import by upload,
dry-run report, then confirm: editors only, and only the file that was checked. The dry run
and the import are tasks (exchange.tasks): :func:`work` runs them as the worker does."""

import json
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from exchange.models import Import
from relations.models import Citation, Event, Organisation, Status
from sources.models import Source
from tests.exchange.conftest import records, seed_count
from tests.exchange.worker import work
from tests.factories import MembershipFactory, relationship

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:relations_event_changelist")
UPLOAD = reverse("admin:exchange_import_add")


@pytest.fixture(autouse=True)
def uploads(settings, tmp_path):
    settings.EXCHANGE_UPLOAD_DIR = tmp_path / "uploads"
    return settings.EXCHANGE_UPLOAD_DIR


@pytest.fixture
def login(client, django_user_model):
    def as_role(role: str, name: str | None = None):
        user = django_user_model.objects.create_user(
            name or role.lower(), password="pw", is_staff=True
        )
        user.groups.add(Group.objects.get(name=role))
        client.force_login(user)
        return user

    return as_role


def upload(client, content: str | bytes, name="by-ir.json", update=False, checked=True):
    """Upload a file; then (``checked``) let the worker run its dry run."""
    data = content.encode() if isinstance(content, str) else content
    response = client.post(
        UPLOAD, {"file": SimpleUploadedFile(name, data), **({"update": "on"} if update else {})}
    )
    if checked:
        work()
    return response


def test_export_selected_leaves_drafts_out_unless_that_action_is_chosen(client, login, seed):
    login("Editor")
    draft = Event.objects.get(slug="2007-05-belarus-iran-agree-to-counter-pressure")
    draft.status = Status.DRAFT
    draft.save()
    picked = [e.pk for e in Event.objects.filter(date="May 2007")]

    public = client.post(CHANGELIST, {"action": "export_fixture", "_selected_action": picked})
    assert public["Content-Disposition"].startswith('attachment; filename="relata-event-')
    slugs = {r["fields"].get("slug") for r in records(public.content.decode())}
    assert "2007-05-belarus-iran-agree-deeper-bilateral-trade" in slugs
    assert draft.slug not in slugs
    assert {"BY", "IR", "economic", "alexander-lukashenko"} <= slugs | {
        r["fields"].get("code") for r in records(public.content.decode())
    }  # what the events refer to comes along

    internal = client.post(
        CHANGELIST, {"action": "export_fixture_with_drafts", "_selected_action": picked}
    )
    assert "with-drafts" in internal["Content-Disposition"]
    assert draft.slug in {r["fields"].get("slug") for r in records(internal.content.decode())}


def test_analysts_cannot_import(client, login):
    login("Analyst")
    assert client.get(UPLOAD).status_code == HTTPStatus.FORBIDDEN
    assert "Import fixture" not in client.get(CHANGELIST).content.decode()
    assert upload(client, "[]").status_code == HTTPStatus.FORBIDDEN
    assert not Import.objects.exists()


def test_an_editor_uploads_sees_the_dry_run_then_confirms(client, login, seed_export, uploads):
    editor = login("Editor")
    assert "Import fixture" in client.get(CHANGELIST).content.decode()
    assert client.get(UPLOAD).status_code == HTTPStatus.OK

    response = upload(client, seed_export, checked=False)
    record = Import.objects.get()
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("admin:exchange_import_change", args=[record.token])
    assert record.state == Import.State.QUEUED and record.task_id  # not checked in the request
    page = client.get(response["Location"]).content.decode()
    assert '<meta http-equiv="refresh" content="2">' in page and "will check" in page
    assert "<script" not in page.split('id="content-main"')[1]  # the CSP: no inline script
    work()
    record.refresh_from_db()
    assert record.state == Import.State.PENDING and record.path.exists()
    assert record.records == len(records(seed_export))
    assert record.path.parent == uploads
    assert not Event.objects.exists()  # checked, not written
    page = client.get(response["Location"]).content.decode()
    assert "would be imported" in page and "Confirm the import" in page
    assert f"<td>relations.event</td><td>{seed_count('relations.event')}</td>" in page

    assert 'http-equiv="refresh"' not in page

    confirm = reverse("admin:exchange_import_confirm", args=[record.token])
    assert client.post(confirm).status_code == HTTPStatus.FOUND
    record.refresh_from_db()
    assert record.state == Import.State.CONFIRMED and not Event.objects.exists()
    assert client.post(confirm).status_code == HTTPStatus.NOT_FOUND  # a double click: once
    assert "will import" in client.get(response["Location"]).content.decode()
    assert work() == 1
    record.refresh_from_db()
    assert record.state == Import.State.IMPORTED and not record.path.exists()
    assert Event.objects.count() == seed_count("relations.event")
    version = Event.objects.first().history.get()
    assert version.history_user == editor
    assert version.history_change_reason == "import_kb by-ir.json"
    assert client.post(confirm).status_code == HTTPStatus.NOT_FOUND  # once only


def test_the_confirm_step_loads_the_checked_file_not_another(client, login, seed_export):
    login("Editor")
    upload(client, seed_export)
    record = Import.objects.get()
    other = json.dumps([{"model": "sources.source", "fields": {"slug": "swapped", "title": "X"}}])
    confirm = reverse("admin:exchange_import_confirm", args=[record.token])
    client.post(confirm, {"file": SimpleUploadedFile("other.json", other.encode())})
    work()
    assert Event.objects.count() == seed_count("relations.event")
    assert not Source.objects.filter(slug="swapped").exists()


def test_a_kept_file_changed_on_the_server_is_refused(client, login, seed_export):
    login("Editor")
    upload(client, seed_export)
    record = Import.objects.get()
    record.path.write_text(seed_export.replace("Belarus", "Belorussia"))
    client.post(reverse("admin:exchange_import_confirm", args=[record.token]))
    work()
    record.refresh_from_db()
    assert record.state == Import.State.REJECTED and not Event.objects.exists()
    assert not record.path.exists()


def test_a_bad_upload_shows_every_problem_and_keeps_nothing(client, login):
    login("Editor")
    bad = [
        {"model": "relations.event", "fields": {"slug": "x", "title": "X", "date": "Jumne 2010"}},
        {"model": "relations.event", "fields": {"slug": "x", "title": "Y", "date": "2010"}},
    ]
    response = upload(client, json.dumps(bad))
    record = Import.objects.get()
    assert record.state == Import.State.REJECTED and not record.path.exists()
    page = client.get(response["Location"]).content.decode()
    assert "nothing was imported" in page and "Confirm the import" not in page
    assert "record 1 (relations.event &#x27;x&#x27;): date:" in page
    assert "record 2 (relations.event &#x27;x&#x27;): duplicate natural key" in page
    assert record.report["problem_count"] >= 2


def test_only_the_uploader_confirms_and_discarding_keeps_nothing(client, login, seed_export):
    login("Editor")
    upload(client, seed_export)
    record = Import.objects.get()
    login("Editor", name="another-editor")
    confirm = reverse("admin:exchange_import_confirm", args=[record.token])
    assert client.post(confirm).status_code == HTTPStatus.FORBIDDEN
    client.force_login(record.user)
    assert client.get(confirm).status_code == HTTPStatus.FORBIDDEN  # a POST, or nothing
    client.post(reverse("admin:exchange_import_discard", args=[record.token]))
    record.refresh_from_db()
    assert record.state == Import.State.DISCARDED and not record.path.exists()
    assert not Event.objects.exists()
    listing = client.get(reverse("admin:exchange_import_changelist")).content.decode()
    assert "by-ir.json" in listing


def test_export_selected_works_on_every_content_list(client, login, seed):
    login("Editor")
    council = Organisation.objects.get(slug="un-security-council")
    response = client.post(
        reverse("admin:relations_organisation_changelist"),
        {"action": "export_fixture", "_selected_action": [council.pk]},
    )
    text = response.content.decode()
    assert {r["fields"].get("slug") for r in records(text)} >= {
        "un-security-council",
        "united-nations",
    }
    assert '"model": "relations.event"' not in text  # what it refers to, not what refers to it

    cited = Citation.objects.filter(statement__isnull=False).first()
    response = client.post(
        reverse("admin:relations_citation_changelist"),
        {"action": "export_fixture", "_selected_action": [cited.pk]},
    )
    rows = records(response.content.decode())
    assert [r["fields"]["slug"] for r in rows if r["model"] == "relations.statement"] == [
        cited.statement.slug
    ]

    # Footnotes, memberships and relationships have lists too: each comes with what it needs.
    member = MembershipFactory(slug="by-in-nam")
    pair = relationship("AR", "NZ")
    note = member.citations.get().footnote
    for picked, model_name, app, needs in (
        (note, "footnote", "sources", note.source.slug),
        (member, "membership", "relations", member.organisation.slug),
        (pair, "relationship", "relations", "NZ"),
    ):
        response = client.post(
            reverse(f"admin:{app}_{model_name}_changelist"),
            {"action": "export_fixture", "_selected_action": [picked.pk]},
        )
        rows = records(response.content.decode())
        found = {r["fields"].get("slug") or r["fields"].get("code") for r in rows}
        assert {picked.slug, needs} <= found, model_name
