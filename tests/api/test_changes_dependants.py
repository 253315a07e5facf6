"""The changes feed's entries for the records that name a claim (an agreement's events, the
statements made at an event) belong to the row that changed that claim, never to another
kind's row that happens to have the same history id: a withdrawn agreement's draft edit says
nothing, even next to an event's row numbered alike."""

import pytest
from django.db import connection

from relations.models import Agreement, Event, Status
from tests.api.test_changes import feed, now
from tests.factories import AgreementFactory, EventFactory, StatementFactory

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def next_history_ids_alike(*models) -> None:
    """Make the next history row of each model take the same history id."""
    tables = [model.history.model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        top = 0
        for table in tables:
            cursor.execute(f"SELECT COALESCE(MAX(history_id), 0) FROM {table}")
            top = max(top, cursor.fetchone()[0])
        for table in tables:
            if connection.vendor == "postgresql":
                sequence = "SELECT setval(pg_get_serial_sequence(%s, 'history_id'), %s)"
                cursor.execute(sequence, [table, top + 100])
            else:
                cursor.execute("DELETE FROM sqlite_sequence WHERE name = %s", [table])
                cursor.execute(
                    "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, top + 100]
                )


def test_a_withdrawn_claims_draft_edit_says_nothing_beside_a_row_numbered_alike(client, seed):
    agreement = AgreementFactory(slug="gas-deal")
    EventFactory(slug="signing").agreements.set([agreement])
    agreement.status = Status.DRAFT  # withdrawn: "deleted", and its event "updated"
    agreement.save()
    summit = EventFactory(slug="summit")
    StatementFactory(slug="minister-said", event=summit)
    since = now()
    next_history_ids_alike(Event, Agreement)
    summit.status = Status.DRAFT  # withdrawn: its statement no longer names it
    summit.save()
    agreement.title = "Renegotiated in secret"  # a draft's edit
    agreement.save()
    assert (
        Event.history.latest("history_id").history_id
        == Agreement.history.latest("history_id").history_id
    )
    assert feed(client, since) == [
        ("event", "summit", "deleted"),
        ("statement", "minister-said", "updated"),
    ]
