"""The changes feed lists changes in the order they became visible (commit order), so a reader
that polls from where it stopped never misses one: not one made by a transaction that started
earlier and commits later, not one dated before the reader's position.

The change log (exchange/changelog.py) catches every history row however it is written, and
numbers rows only once their transaction has committed. Transactions here are real: each runs
on a connection of its own, in a thread.
"""

import datetime
import random
import threading
import time
from urllib.parse import urlencode

import pytest
from django.db import connection, transaction
from django.utils import timezone

from exchange import changelog
from exchange.models import Change
from relations.models import Country, Organisation
from tests.api.conftest import path
from tests.factories import (
    AgreementFactory,
    DomainFactory,
    EventFactory,
    MembershipFactory,
    OrganisationFactory,
    PositionFactory,
    StatementFactory,
    relationship,
)


def feed_url(since: datetime.datetime) -> str:
    return "/api/changes/?" + urlencode({"since": since.isoformat()})


def keys(body: dict) -> list[str]:
    return [e["key"] for e in body["results"]]


def read_all(client, url: str) -> tuple[list[str], str]:
    """Every key from ``url`` on (following ``next``), and where to resume."""
    found = []
    while url:
        body = client.get(path(url)).json()
        found += keys(body)
        url, resume = body["next"], body["resume"]
    return found, resume


class Transaction(threading.Thread):
    """A transaction on a connection of its own: it writes, then commits when told to."""

    def __init__(self, write) -> None:
        super().__init__(daemon=True)
        self.write = write
        self.written = threading.Event()
        self.commit = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with transaction.atomic():
                self.write()
                self.written.set()
                assert self.commit.wait(30), "never told to commit"
        except BaseException as error:  # reported by finish()
            self.error = error
        finally:
            self.written.set()
            connection.close()

    def finish(self) -> None:
        self.commit.set()
        self.join(30)
        if self.error:
            raise self.error


@pytest.mark.django_db(transaction=True)
def test_two_overlapping_transactions_are_read_in_commit_order(client):
    start = timezone.now()
    first = Transaction(lambda: OrganisationFactory(slug="started-first"))
    first.start()
    assert first.written.wait(30)
    second = Transaction(lambda: OrganisationFactory(slug="started-second"))
    second.start()
    assert second.written.wait(30)
    second.finish()

    between, resume = read_all(client, feed_url(start))  # the first is still open
    assert between == ["started-second"]
    first.finish()
    after, _ = read_all(client, resume)
    assert after == ["started-first"]

    # By date, the first came first: a feed in date order would have left it behind `resume`.
    dated = Organisation.history.order_by("history_date").values_list("slug", flat=True)
    assert list(dated) == ["started-first", "started-second"]


@pytest.mark.django_db(transaction=True)
def test_busy_writers_and_pollers_lose_nothing_and_repeat_nothing(client):
    """Writers commit in random order after random delays while readers poll from `resume`
    all along: at the end each reader has read every change exactly once."""
    start = timezone.now()
    done = threading.Event()
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        rng = random.Random(n)
        try:
            assert all(started.wait(30) for started in polling)
            for i in range(8):
                with transaction.atomic():
                    OrganisationFactory(slug=f"w{n}-{i}")
                    time.sleep(rng.uniform(0, 0.06))  # committing after others that began later
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    read: dict[int, list[str]] = {0: [], 1: []}
    polling = [threading.Event() for _ in read]  # writers start once both readers poll

    def reader(n: int) -> None:
        from django.test import Client

        reader_client, url = Client(), feed_url(start)
        try:
            while True:
                finished = done.is_set()  # read once more after the writers are done
                found, url = read_all(reader_client, url)
                read[n] += found
                polling[n].set()
                if finished:
                    return
                time.sleep(0.001)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    writers = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    readers = [threading.Thread(target=reader, args=(n,)) for n in read]
    for thread in [*readers, *writers]:
        thread.start()
    for thread in writers:
        thread.join(60)
    done.set()
    for thread in readers:
        thread.join(60)
    assert not errors, errors
    written = {f"w{n}-{i}" for n in range(4) for i in range(8)}
    for found in read.values():
        assert sorted(found) == sorted(written)  # all of them, none twice
    # Both saw them in one order: the feed's.
    assert read[0] == read[1]


@pytest.mark.django_db(transaction=True)
def test_a_poll_does_not_wait_for_an_open_transaction(client):
    start = timezone.now()
    open_one = Transaction(lambda: OrganisationFactory(slug="still-open"))
    open_one.start()
    assert open_one.written.wait(30)
    began = time.monotonic()
    assert read_all(client, feed_url(start))[0] == []
    assert time.monotonic() - began < 5
    open_one.finish()
    assert read_all(client, feed_url(start))[0] == ["still-open"]


# --- The log itself -----------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.sqlite
def test_every_history_table_is_logged_however_the_row_is_written():
    """ORM saves, and raw SQL that copies history rows (as import_kb's set-based history does):
    every history row of every logged model has its log row, and no other row has one.
    (These tests use no seed: tests/api's is held in a transaction open for the module.)"""
    EventFactory(countries=["BY"])  # and with it a source, a footnote, a citation, m2m links
    AgreementFactory().concerns.add(relationship("AR", "NZ"))
    StatementFactory()  # and an official
    PositionFactory()
    MembershipFactory()
    DomainFactory()
    OrganisationFactory()
    Country.objects.get(code="BY").save()
    assert all(model.history.exists() for model in changelog.LOGGED.values())
    for model in changelog.LOGGED.values():
        table = connection.ops.quote_name(model.history.model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT MAX(history_id) FROM {table}")
            (last,) = cursor.fetchone()
            if last is None:
                continue
            columns = ", ".join(
                connection.ops.quote_name(f.column)
                for f in model.history.model._meta.concrete_fields
                if f.name != "history_id"
            )
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {table} "
                f"WHERE history_id = %s",
                [last],
            )
    for kind, model in changelog.LOGGED.items():
        history = set(model.history.values_list("history_id", flat=True))
        logged = set(Change.objects.filter(kind=kind).values_list("history_id", flat=True))
        assert logged == history, kind


@pytest.mark.django_db
@pytest.mark.sqlite
def test_numbers_grow_with_time_and_since_finds_the_first_at_or_after():
    changelog.sequence()
    before = changelog.latest()
    moment = timezone.now()
    OrganisationFactory()
    OrganisationFactory()
    assert changelog.latest() == before  # not numbered until read
    assert changelog.sequence(limit=1) is True  # one numbered, one waiting
    assert changelog.sequence() is False
    numbered = list(Change.objects.filter(seq__gt=before).order_by("seq"))
    assert [c.seq for c in numbered] == [before + 1, before + 2]
    assert numbered[0].sequenced <= numbered[1].sequenced
    assert moment <= numbered[0].sequenced
    assert changelog.position_at(moment) == before
    assert changelog.position_at(timezone.now()) == before + 2
    assert changelog.position_at(datetime.datetime(1, 1, 2, tzinfo=datetime.UTC)) == 0


@pytest.mark.django_db
@pytest.mark.sqlite
def test_the_triggers_come_back_after_a_migration_drops_them():
    """SQLite rebuilds a table for most column changes, dropping its triggers: migrate puts
    them back (exchange.changelog.install_triggers, after every migrate)."""
    table = changelog.history_tables()["domain"]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f'DROP TRIGGER exchange_change_log ON "{table}"')
        else:
            cursor.execute("DROP TRIGGER exchange_change_domain")
    assert changelog.install_triggers() == ["domain"]
    assert changelog.install_triggers() == []
    before = Change.objects.count()
    OrganisationFactory()
    assert Change.objects.count() == before + 1
