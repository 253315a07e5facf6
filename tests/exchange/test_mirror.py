"""A mirror kept in step only through the site's API (exchange.mirror, manage.py mirror_kb)
ends with a published-only export_kb byte for byte the site's, whatever the site did: imports,
publishing and withdrawing (a joint statement goes with its event; a statement with a speaker
stays, without it), renames of records others refer to, citations added, moved and removed,
deletions, and an import that runs for a long time while the mirror polls.

The site is the test database, read through Django's test client; the mirror is a second
PostgreSQL database on the same server, with transactions that really commit.
"""

import copy
import io
import json
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections
from django.test import Client

from exchange.export import Exporter
from exchange.load import Importer, import_kb
from exchange.mirror import Mirror
from exchange.selection import Selection
from relations.countries import sync_countries
from relations.models import (
    Agreement,
    Citation,
    Event,
    Membership,
    Organisation,
    Statement,
    Status,
)
from sources.models import Footnote, Source
from tests.exchange.conftest import write
from tests.factories import (
    AgreementFactory,
    CitationFactory,
    DomainFactory,
    EventFactory,
    MembershipFactory,
    OrganisationFactory,
    SourceFactory,
    relationship,
)

MIRROR = "mirror"
SEED = Path(settings.BASE_DIR) / "fixtures" / "belarus-iran-2010.json"  # as the demo loads it
pytestmark = pytest.mark.django_db(transaction=True, databases=["default", MIRROR])


@pytest.fixture(scope="session")
def mirror_database(django_db_setup, django_db_blocker):
    """A second database, migrated, under the alias ``mirror``."""
    if connection.vendor != "postgresql":
        pytest.skip("the mirror's database is a second PostgreSQL database")
    site = connections["default"].settings_dict
    name = f"{site['NAME']}_mirror"
    with django_db_blocker.unblock():
        with connections["default"]._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cursor.execute(f'CREATE DATABASE "{name}"')
        connections.settings[MIRROR] = {**site, "NAME": name}
        call_command("migrate", database=MIRROR, verbosity=0)
        yield MIRROR
        connections[MIRROR].close()
        del connections.settings[MIRROR]
        with connections["default"]._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')


def export_of(using: str) -> str:
    out = io.StringIO()
    Exporter(Selection(), using=using).write(out)
    return out.getvalue()


def fetch_through(client: Client):
    def fetch(path: str) -> tuple[int, bytes]:
        response = client.get(path)
        return response.status_code, response.content

    return fetch


@pytest.fixture
def mirror(mirror_database, tmp_path):
    """A mirror of the site as it is: its export loaded, following the feed from the position
    noted before the export was taken. Small batches, so that a sync spans several."""
    sync_countries()  # the site's, if a flush took them (the mirror's come with the export)
    call_command("flush", database=MIRROR, interactive=False, verbosity=0)  # from nothing
    follower = Mirror(fetch_through(Client()), source="site", using=MIRROR, batch=20, per_page=20)
    position = follower.site_position()
    start = write(tmp_path / "start.json", export_of("default"))
    assert import_kb(start, update=True, using=MIRROR).ok
    follower.start(after=position)
    assert export_of(MIRROR) == export_of("default")
    return follower


def in_step(mirror: Mirror) -> bool:
    mirror.sync()
    return export_of(MIRROR) == export_of("default")


def set_status(model, slug: str, status: str) -> None:
    record = model.objects.get(slug=slug)
    record.status = status
    record.save()


def rename(model, old: str, new: str) -> None:
    record = model.objects.get(slug=old)
    record.slug = new
    record.save()


def test_a_mirror_kept_by_the_feed_exports_what_the_site_exports(mirror, tmp_path):
    assert import_kb(SEED).ok  # the site imports the seed dossier
    assert in_step(mirror)
    assert Statement.objects.using(MIRROR).count() == Statement.objects.count() > 0
    assert Footnote.objects.using(MIRROR).count() == Footnote.objects.count() > 0

    # Withdrawn: a joint statement goes with its event; one with a speaker stays without it
    # (the mirror must rewrite it before it can delete the event it refers to).
    set_status(Event, "2007-05-belarus-iran-agree-to-counter-pressure", Status.REVIEW)
    set_status(Event, "2007-05-belarus-iran-agree-deeper-bilateral-trade", Status.DRAFT)
    treaty = Agreement.objects.order_by("slug")[0].slug
    set_status(Agreement, treaty, Status.DRAFT)
    assert in_step(mirror)
    assert (
        not Statement.objects.using(MIRROR)
        .filter(slug="2007-05-belarus-iran-act-jointly-against-pressure")
        .exists()
    )
    spoken = Statement.objects.using(MIRROR).get(slug="2007-05-lukashenko-strategic-partnership")
    assert spoken.event_id is None

    # Back again, and renames of records that others refer to.
    set_status(Event, "2007-05-belarus-iran-agree-to-counter-pressure", Status.PUBLISHED)
    set_status(Event, "2007-05-belarus-iran-agree-deeper-bilateral-trade", Status.PUBLISHED)
    set_status(Agreement, treaty, Status.PUBLISHED)
    rename(Event, "2007-05-belarus-iran-agree-deeper-bilateral-trade", "2007-05-trade-talks")
    rename(Organisation, "icro", "icro-tehran")
    rename(Source, Source.objects.get().slug, "irantracker-2010")
    assert in_step(mirror)

    # Citations added, changed, moved and removed; new reference records; links.
    event = Event.objects.get(slug="2009-05-semashko-raei-jofeir-oil-project")
    other = Event.objects.get(slug="2010-06-latushka-icro-iranian-art-exhibition-minsk")
    footnote = event.citations.first().footnote
    footnote.excerpt = "Corrected excerpt."
    footnote.save()
    CitationFactory(event=event, source=SourceFactory(slug="new-wire"), locator="p. 2")
    CitationFactory(event=other, locator="p. 7")  # before its first moves: it stays cited
    moved = other.citations.first()
    moved.event = event
    moved.save()
    energy = DomainFactory(slug="energy-security", name="Energy security")
    event.domains.add(energy)
    event.organisations.add(OrganisationFactory(slug="belarusneft-2"))
    assert in_step(mirror)

    # Footnotes renamed and shared; memberships; relationships, concerns and their settings.
    rename(Footnote, footnote.slug, "page-note-corrected")
    CitationFactory(event=other, footnote=footnote)  # now backing two events
    nam = OrganisationFactory(slug="nam")
    member = MembershipFactory(slug="by-in-nam", organisation=nam, citations__locator="p. 8")
    drafted_member = MembershipFactory(
        slug="draft-member", organisation=nam, status=Status.DRAFT, citations=1
    )
    pair = relationship("BY", "RU")
    pair.sections = [{"domain": "energy-security", "title": "Gas first"}]
    pair.save()
    event.concerns.add(pair)
    assert in_step(mirror)
    assert not Membership.objects.using(MIRROR).filter(slug="draft-member").exists()
    set_status(Membership, "by-in-nam", Status.DRAFT)  # its footnote goes with it
    drafted_member.status = Status.PUBLISHED
    drafted_member.save()
    assert in_step(mirror)
    withdrawn = member.citations.get().footnote.slug  # cited by the withdrawn claim alone
    assert not Footnote.objects.using(MIRROR).filter(slug=withdrawn).exists()
    assert Footnote.objects.using(MIRROR).filter(slug="page-note-corrected").exists()

    # A record deleted and its key taken by another's rename, in one batch; deletions.
    OrganisationFactory(slug="old-body")
    OrganisationFactory(slug="other-body")
    assert in_step(mirror)
    Organisation.objects.get(slug="old-body").delete()
    rename(Organisation, "other-body", "old-body")
    Statement.objects.get(slug="ahmadinejad-tehran-minsk-ties-growing").delete()
    Citation.objects.filter(event=other).exclude(footnote__locator="p. 7").delete()
    drafted = EventFactory(slug="a-draft", status=Status.DRAFT, citations=0)
    drafted.title = "Never shown"
    drafted.save()
    assert in_step(mirror)

    # The site imports a file that changes records (--update), and publishes a new claim.
    records = json.loads(export_of("default"))
    changed = copy.deepcopy(records)
    for record in changed:
        if record["fields"].get("slug") == "2009-05-semashko-raei-jofeir-oil-project":
            record["fields"]["title"] = "Semashko and Raei sign the Jofeir oil deal"
    assert import_kb(write(tmp_path / "changed.json", changed), update=True).ok
    AgreementFactory(slug="new-deal")
    assert in_step(mirror)
    assert mirror.sync().entries == 0  # up to date: nothing more


def test_a_rename_between_a_poll_and_a_fetch_is_merged(mirror):
    """The site renames a record after the mirror read the feed and before it fetched: the
    fetched records name the new key, the mirror gets a copy under it; the next batch's
    rename merges the two."""
    assert import_kb(SEED).ok
    assert in_step(mirror)
    statement = Statement.objects.get(
        slug="2010-06-icro-press-release-latushka-artists-association"
    )
    statement.context = "in a press release, corrected"
    statement.save()
    fetch, renamed = mirror.fetch, []

    def fetch_after_a_rename(path: str):
        if path.startswith("/api/fixture/") and not renamed:
            rename(Organisation, "icro", "icro-tehran")
            renamed.append(path)
        return fetch(path)

    mirror.fetch = fetch_after_a_rename
    mirror.sync()
    assert renamed
    assert Organisation.objects.using(MIRROR).filter(slug__in=["icro", "icro-tehran"]).count() == 2
    mirror.fetch = fetch
    assert in_step(mirror)
    assert not Organisation.objects.using(MIRROR).filter(slug="icro").exists()


def test_a_long_import_while_the_mirror_polls(mirror, monkeypatch):
    """import_kb dates its history with the moment it started; the mirror polls, and sees a
    change made meanwhile, before the import commits. A feed read in date order would be past
    the import's rows by then; this one gives them after the commit."""
    loaded, release = threading.Event(), threading.Event()
    load = Importer.load

    def slow_load(self):
        load(self)
        if self.using == MIRROR:  # only the site's import is slow
            return
        loaded.set()
        assert release.wait(60), "never released"

    monkeypatch.setattr(Importer, "load", slow_load)
    reports = []

    def run():
        try:
            reports.append(import_kb(SEED))
        finally:
            loaded.set()
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert loaded.wait(120)
    OrganisationFactory(slug="made-meanwhile")
    mirror.sync()
    assert Organisation.objects.using(MIRROR).filter(slug="made-meanwhile").exists()
    assert not Event.objects.using(MIRROR).exists()  # the import has not committed yet
    release.set()
    thread.join(120)
    assert reports and reports[0].loaded
    assert in_step(mirror)
    assert Event.objects.using(MIRROR).count() == Event.objects.count() > 0
    imported = Event.history.earliest("history_date").history_date
    meanwhile = Organisation.history.get(slug="made-meanwhile").history_date
    assert imported < meanwhile  # dated before it, visible after it


def test_the_command_follows_a_site_over_http(mirror_database, monkeypatch):
    """mirror_kb: the position, then a start, then syncs; the position is kept."""
    client = Client()
    calls = []

    def fetch_factory(base):
        def fetch(path):
            calls.append(base + path)
            response = client.get(path)
            return response.status_code, response.content

        return fetch

    monkeypatch.setattr("exchange.management.commands.mirror_kb.http_fetch", fetch_factory)
    out = io.StringIO()
    call_command("mirror_kb", "--from", "https://site.example/", "--position", stdout=out)
    position = int(out.getvalue())
    OrganisationFactory(slug="after-the-position")
    call_command(
        "mirror_kb", "--from", "https://site.example", f"--after={position}",
        "--database", MIRROR, stdout=out,
    )  # fmt: skip
    assert Organisation.objects.using(MIRROR).filter(slug="after-the-position").exists()
    assert calls[0].startswith("https://site.example/api/changes/")
    OrganisationFactory(slug="later")
    call_command("mirror_kb", "--from", "https://site.example", "--database", MIRROR, stdout=out)
    assert Organisation.objects.using(MIRROR).filter(slug="later").exists()
    assert "1 changes in 1 batch(es): 1 created" in out.getvalue()
