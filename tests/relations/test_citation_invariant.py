"""A published claim has at least one citation, on every write path: the models (every
database, SQLite included), PostgreSQL's deferred triggers (raw SQL, commit time), the admin
(the Citation admin's delete, bulk delete and re-point, history revert, recover), and bulk
loads, which switch the per-row trigger off and check set-based instead."""

from http import HTTPStatus

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.urls import reverse

from relations import generator
from relations.models import Agreement, Citation, Event, Status, UncitedClaim, cited
from tests.exchange.conftest import write
from tests.factories import (
    AgreementFactory,
    CitationFactory,
    EventFactory,
    FootnoteFactory,
    MembershipFactory,
    PositionFactory,
    StatementFactory,
)

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's triggers"
)
KINDS = [EventFactory, AgreementFactory, StatementFactory, PositionFactory, MembershipFactory]


def commit_checks() -> None:
    """What COMMIT does to the deferred checks, without ending the test's transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS published_claim_cited IMMEDIATE")
        cursor.execute("SET CONSTRAINTS published_claim_cited DEFERRED")


# --- The models, on every database ------------------------------------------------------------
@pytest.mark.sqlite
@pytest.mark.parametrize("factory", KINDS, ids=lambda f: f._meta.model.__name__)
def test_the_last_citation_of_a_published_claim_is_not_deleted(factory):
    claim = factory()
    [last] = claim.citations.all()
    with pytest.raises(UncitedClaim, match="withdraw it first"):
        last.delete()
    with pytest.raises(UncitedClaim):
        claim.citations.all().delete()
    assert claim.citations.count() == 1
    second = CitationFactory(**{claim._meta.model_name: claim})
    second.delete()  # not the last
    claim.status = Status.DRAFT
    claim.save()
    last.delete()  # a draft's
    assert not claim.citations.exists()


@pytest.mark.sqlite
def test_the_last_citation_is_not_moved_to_another_claim():
    claim, other = EventFactory(), EventFactory()
    [last] = claim.citations.all()
    last.event = other
    with pytest.raises(UncitedClaim):
        last.save()
    with pytest.raises(UncitedClaim):
        Citation.objects.filter(pk=last.pk).update(event=other)
    assert Citation.objects.get(pk=last.pk).event == claim
    CitationFactory(event=claim)
    last.save()  # now it has another
    assert Citation.objects.get(pk=last.pk).event == other


@pytest.mark.sqlite
def test_an_uncited_claim_is_not_published():
    draft = EventFactory(status=Status.DRAFT)
    draft.status = Status.PUBLISHED
    with pytest.raises(UncitedClaim, match="cannot be published without a citation"):
        draft.save()
    with pytest.raises(UncitedClaim):
        Event.objects.filter(pk=draft.pk).update(status=Status.PUBLISHED)
    assert Event.objects.get(pk=draft.pk).status == Status.DRAFT
    CitationFactory(event=draft)
    Event.objects.filter(pk=draft.pk).update(status=Status.PUBLISHED)


@pytest.mark.sqlite
def test_a_cited_footnote_is_not_deleted_and_a_claim_goes_with_its_citations():
    claim = EventFactory()
    with pytest.raises(ProtectedError):
        claim.citations.get().footnote.delete()
    claim.delete()
    assert not Citation.objects.filter(event_id=claim.pk).exists()


@pytest.mark.sqlite
def test_in_a_checked_block_a_claim_may_be_published_before_its_citations():
    """As the admin saves a claim, then its inline rows: checked at the block's end."""
    footnote = FootnoteFactory()
    with transaction.atomic(), cited.checked("default"):
        claim = EventFactory(citations=0)  # inserted as published
        Citation.objects.create(event=claim, footnote=footnote)
    with (
        pytest.raises(UncitedClaim, match="is published without a citation"),
        transaction.atomic(),
        cited.checked("default"),
    ):
        EventFactory(slug="nothing-cites-it", citations=0)
    assert not Event.objects.filter(slug="nothing-cites-it").exists()


# --- PostgreSQL: what no model method sees ------------------------------------------------------
@postgresql_only
def test_raw_sql_cannot_leave_or_make_a_published_claim_uncited():
    claim, other, draft = AgreementFactory(), AgreementFactory(), EventFactory(status="draft")
    commit_checks()  # as if they had been committed
    with (
        pytest.raises(IntegrityError, match="would be left without a citation"),
        transaction.atomic(),
    ):
        Citation.objects.filter(agreement=claim)._raw_delete(connection.alias)
        commit_checks()
    with (
        pytest.raises(IntegrityError, match="would be left without a citation"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE relations_citation SET agreement_id = %s WHERE agreement_id = %s",
            [other.pk, claim.pk],
        )
        commit_checks()
    with (
        pytest.raises(IntegrityError, match="cannot be published without a citation"),
        transaction.atomic(),
    ):
        Event.objects.bulk_create([Event(slug="x", title="X", date="2008", status="published")])
        commit_checks()
    with (
        pytest.raises(IntegrityError, match="cannot be published without a citation"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE relations_event SET status = 'published' WHERE id = %s", [draft.pk])
        commit_checks()
    # Deleting a claim takes its citations with it; a published claim edited stays as it is.
    with transaction.atomic():
        claim.delete()
        other.title = "Edited"
        other.save()
        commit_checks()


def trigger_calls() -> int:
    """How often this transaction ran the rule's trigger functions (track_functions)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(SUM(calls), 0) FROM pg_stat_xact_user_functions "
            "WHERE funcname IN ('relata_claim_published', 'relata_citation_leaves_claim')"
        )
        return cursor.fetchone()[0]


@postgresql_only
def test_bulk_loads_queue_no_check_per_row_and_check_set_based(tmp_path):
    from exchange.load import import_kb

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL track_functions = 'pl'")
    records = [
        {"model": "sources.source", "fields": {"slug": "wire", "title": "Wire"}},
        {"model": "sources.footnote", "fields": {"slug": "wire-1", "source": ["wire"]}},
    ]
    for n in range(20):
        records += [
            {"model": "relations.agreement",
             "fields": {"slug": f"deal-{n}", "title": "Deal", "status": "published"}},
            {"model": "relations.citation",
             "fields": {"footnote": ["wire-1"], "agreement": [f"deal-{n}"]}},
        ]  # fmt: skip
    report = import_kb(write(tmp_path / "deals.json", records))
    assert report.ok and report.loaded
    generator.generate(events=30, seed=41)
    commit_checks()
    assert trigger_calls() == 0
    # The trigger is back on after each load: one claim written through the ORM is checked.
    AgreementFactory()
    commit_checks()
    assert trigger_calls() == 1
    # A bulk load that leaves a published claim uncited is refused whole, naming it.
    loaded = [Agreement.objects.filter(slug__startswith="deal-")]
    with (
        pytest.raises(UncitedClaim, match="deal-7"),
        transaction.atomic(),
        cited.bulk_load("default", loaded),
    ):
        Citation.objects.filter(agreement__slug="deal-7")._raw_delete(connection.alias)
        commit_checks()  # nothing was queued to check
    assert Citation.objects.filter(agreement__slug="deal-7").exists()


# --- The admin --------------------------------------------------------------------------------
@pytest.fixture
def editor(client, django_user_model):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("editor", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Editor"))
    client.force_login(user)
    return client


def messages_of(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def test_the_citation_admin_refuses_to_delete_or_move_a_published_claims_last_citation(editor):
    claim, other = EventFactory(), EventFactory()
    [last] = claim.citations.all()
    delete = reverse("admin:relations_citation_delete", args=[last.pk])
    response = editor.post(delete, {"post": "yes"}, follow=True)
    assert "withdraw it first" in messages_of(response)
    response = editor.post(
        reverse("admin:relations_citation_changelist"),
        {"action": "delete_selected", "_selected_action": [last.pk], "post": "yes"},
        follow=True,
    )
    assert "Nothing was deleted" in messages_of(response)
    change = reverse("admin:relations_citation_change", args=[last.pk])
    response = editor.post(change, editor_data(editor, change) | {"event": other.pk})
    assert response.status_code == HTTPStatus.OK
    assert "withdraw it first" in str(response.context["adminform"].form.non_field_errors())
    assert Citation.objects.get(pk=last.pk).event == claim
    # Moved while its claim has another; then its history cannot move it back once it is
    # the only citation of a published claim.
    CitationFactory(event=claim)
    later = EventFactory(status=Status.DRAFT, citations=0)
    editor.post(change, editor_data(editor, change) | {"event": later.pk})
    later.status = Status.PUBLISHED
    later.save()
    first = last.history.order_by("history_id").first()
    revert = reverse("admin:relations_citation_simple_history", args=[last.pk, first.pk])
    data = editor_data(editor, revert)
    data |= {"_change_history": "1", "loaded_updated": later.citations.get().updated.isoformat()}
    response = editor.post(revert, data)
    assert response.status_code == HTTPStatus.OK  # the form again, saying why
    assert "withdraw it first" in str(response.context["adminform"].form.non_field_errors())
    assert Citation.objects.get(pk=last.pk).event == later


def editor_data(client, url: str) -> dict:
    form = client.get(url).context["adminform"].form
    return {name: form[name].value() or "" for name in form.fields}


def test_recovering_a_published_claim_without_its_citations_is_refused(editor):
    """Its citations' history was purged: recovered alone it would be published uncited."""
    claim = EventFactory(slug="gone")
    pk = claim.pk
    claim.delete()
    Citation.history.filter(event_id=pk).delete()
    record = Event.history.get(id=pk, history_type="-")
    url = reverse("admin:relations_event_recover", args=[record.history_id])
    response = editor.post(url, follow=True)
    assert "Nothing was saved" in messages_of(response)
    assert "is published without a citation" in messages_of(response)
    assert not Event.objects.filter(slug="gone").exists()
