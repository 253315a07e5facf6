"""Bulk CSV import of events: through the resource, and through the admin's two-step flow
(upload and preview, then confirm) as an analyst would use it."""

from html.parser import HTMLParser
from http import HTTPStatus

import pytest
import tablib
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core import cache as kb
from relations.models import Citation, Event, Status
from relations.resources import EventResource
from sources.models import Footnote, Source
from tests.factories import (
    EventFactory,
    FootnoteFactory,
    OfficialFactory,
    OrganisationFactory,
    SourceFactory,
)

pytestmark = pytest.mark.django_db

HEADER = "slug,title,date,summary,place,domains,countries,organisations,officials,citations\n"

GOOD_ROWS = [
    ",Lukashenko and Ahmadinejad discuss gas supplies,late June 2010,After the gas row with "
    "Russia.,Tehran,energy;diplomatic,by; IR,,alexander-lukashenko;mahmoud-ahmadinejad,"
    "irna-2010-06-21|p. 2; belarus-iran-foreign-relations-2010|note 12\n",
    "2010-07-icro-cultural-week,ICRO and the Belarus ministry plan a cultural week,July 2010,,"
    "Minsk,cultural,BY;IR,icro;belarus-ministry-of-culture,pavel-latushka,"
    "belarus-iran-foreign-relations-2010|note 11\n",
    ',Belarusneft starts work on the Jofeir field,c. 2010,"Drilling, at last.",,economic;energy,'
    "BY,belarusneft;central-bank-of-iran,,irna-2010-06-21\n",
]
GOOD = HEADER + "".join(GOOD_ROWS)

# Row 2 has an unknown country code, an unreadable date and an unknown source.
BAD = (
    HEADER
    + GOOD_ROWS[0]
    + ",Iran and Belarus sign something,recent years,,,economic,BY;XX,,,no-such-source|p. 1\n"
    + GOOD_ROWS[2]
)

TITLES = {
    "Lukashenko and Ahmadinejad discuss gas supplies",
    "ICRO and the Belarus ministry plan a cultural week",
    "Belarusneft starts work on the Jofeir field",
}


@pytest.fixture
def sources(db):
    """What the example rows refer to, as in the seed dossier (made here: loading the whole seed
    for every test would triple the file's run time), plus the IRNA article they cite."""
    for slug in ("belarus-iran-foreign-relations-2010", "irna-2010-06-21"):
        SourceFactory(slug=slug)
    for slug in ("icro", "belarus-ministry-of-culture", "belarusneft", "central-bank-of-iran"):
        OrganisationFactory(slug=slug)
    for slug in ("alexander-lukashenko", "mahmoud-ahmadinejad", "pavel-latushka"):
        OfficialFactory(slug=slug)


@pytest.fixture
def seed_sources(seed):
    """The seed dossier itself, plus the IRNA article the example rows cite."""
    SourceFactory(slug="irna-2010-06-21", title="IRNA, 21 June 2010", outlet="IRNA")


def staff_in(group_name, django_user_model, username):
    user = django_user_model.objects.create_user(username, f"{username}@example.org", "pw")
    user.is_staff = True
    user.save()
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def analyst(django_user_model):
    return staff_in("Analyst", django_user_model, "ana")


@pytest.fixture
def editor(django_user_model):
    return staff_in("Editor", django_user_model, "ed")


def dataset(text: str) -> tablib.Dataset:
    return tablib.Dataset().load(text, format="csv")


def run(text: str, *, dry_run=False, user=None):
    return EventResource().import_data(
        dataset(text), dry_run=dry_run, raise_errors=False, use_transactions=True, user=user
    )


def imported() -> list[Event]:
    return list(Event.objects.filter(title__in=TITLES).order_by("title"))


def snapshot() -> dict[str, int]:
    """How many rows each table the import writes to has."""
    return {
        "events": Event.objects.count(),
        "citations": Citation.objects.count(),
        "footnotes": Footnote.objects.count(),
        "event history": Event.history.count(),
        "citation history": Citation.history.count(),
        "footnote history": Footnote.history.count(),
        **{
            name: getattr(Event, name).through.objects.count()
            for name in ("domains", "countries", "organisations", "officials")
        },
    }


def invalid_rows(result) -> dict[int, dict[str, list[str]]]:
    return {row.number: row.error_dict for row in result.invalid_rows}


# --- Through the resource ---------------------------------------------------------------------
def test_dry_run_previews_three_new_events_and_writes_nothing(sources):
    before = snapshot()
    result = run(GOOD, dry_run=True)
    assert not result.has_errors() and not result.has_validation_errors(), invalid_rows(result)
    assert result.totals["new"] == 3
    assert [row.import_type for row in result.rows] == ["new", "new", "new"]
    assert snapshot() == before


def test_imports_events_with_links_and_citations_as_drafts(sources, analyst):
    result = run(GOOD, user=analyst)
    assert not result.has_errors() and not result.has_validation_errors(), invalid_rows(result)
    jofeir, icro, gas = imported()  # by title

    assert gas.slug == "late-june-2010-lukashenko-and-ahmadinejad-discuss-gas-supplies"
    assert (gas.date, gas.place, gas.summary) == (
        "late June 2010",
        "Tehran",
        "After the gas row with Russia.",
    )
    assert str(gas.date_lower) == "2010-06-21" and str(gas.date_upper) == "2010-06-30"
    assert {d.slug for d in gas.domains.all()} == {"energy", "diplomatic"}
    assert {c.code for c in gas.countries.all()} == {"BY", "IR"}  # "by" and " IR"
    assert {o.slug for o in gas.officials.all()} == {"alexander-lukashenko", "mahmoud-ahmadinejad"}
    assert not gas.organisations.exists()
    assert {(c.source.slug, c.locator) for c in gas.citations.all()} == {
        ("irna-2010-06-21", "p. 2"),
        ("belarus-iran-foreign-relations-2010", "note 12"),
    }

    assert icro.slug == "2010-07-icro-cultural-week"
    assert {o.slug for o in icro.organisations.all()} == {"icro", "belarus-ministry-of-culture"}
    assert jofeir.summary == "Drilling, at last."
    assert [(c.source.slug, c.locator) for c in jofeir.citations.all()] == [("irna-2010-06-21", "")]

    for event in (gas, icro, jofeir):
        assert event.status == Status.DRAFT
        assert event.history.get(history_type="+").history_user == analyst
        assert {c.history_user for c in Citation.history.filter(event_id=event.pk)} == {analyst}
    # Each place in a source is one footnote, made by the analyst's import.
    assert Footnote.objects.count() == 4
    assert {f.history_user for f in Footnote.history.all()} == {analyst}


def test_a_place_already_cited_is_the_same_footnote(sources, analyst):
    """A row citing a source and locator that a footnote has already is linked to it, not
    given a copy: one footnote backs both events."""
    note = FootnoteFactory(source=Source.objects.get(slug="irna-2010-06-21"), locator="p. 2")
    note.excerpt = "The two presidents discussed gas."
    note.save()
    other = HEADER + ",Another meeting,2010,,,energy,BY,,,irna-2010-06-21|p. 2\n"
    assert not run(GOOD, user=analyst).has_validation_errors()
    assert not run(other, user=analyst).has_validation_errors()
    (shared,) = Footnote.objects.filter(locator="p. 2")
    assert shared.pk == note.pk and shared.excerpt == "The two presidents discussed gas."
    assert {c.event.title for c in shared.citations.all()} == {
        "Lukashenko and Ahmadinejad discuss gas supplies",
        "Another meeting",
    }


@pytest.mark.parametrize(
    "bad_row",
    [
        ",Unknown country,May 2010,,,economic,BY;XX,,,\n",
        ",Unreadable date,recent years,,,economic,BY,,,\n",
        ",Unknown source,May 2010,,,economic,BY,,,no-such-source|p. 1\n",
        ",No domain,May 2010,,,,BY,,,\n",
        ",Unknown organisation and official,May 2010,,,economic,,nobody-inc,john-doe,\n",
    ],
    ids=["country", "date", "source", "no-domain", "organisation-official"],
)
def test_one_bad_row_writes_nothing_not_even_the_good_rows(sources, analyst, bad_row):
    before = snapshot()
    result = run(HEADER + GOOD_ROWS[0] + GOOD_ROWS[1] + bad_row, user=analyst)
    assert result.has_validation_errors()
    assert list(invalid_rows(result)) == [3]
    assert snapshot() == before  # no event, link, citation or history of rows 1 and 2
    assert not imported()


def test_bad_row_errors_name_the_row_the_column_and_the_value(sources):
    before = snapshot()
    result = run(BAD)
    assert not result.has_errors()
    errors = invalid_rows(result)
    assert list(errors) == [2]
    row = errors[2]
    assert set(row) == {"date", "countries", "citations"}
    assert row["countries"] == ["Unknown country code “XX” in column “countries”."]
    assert row["citations"] == ["Unknown source “no-such-source” in column “citations”."]
    (date_error,) = row["date"]
    assert date_error.startswith('Could not read "recent years" as a date')
    assert "Accepted forms: 2008; 2007-05 or May 2007" in date_error
    assert snapshot() == before


def test_several_unknown_keys_are_all_named(sources):
    result = run(HEADER + ",Two unknowns,May 2010,,,economic;spying;gossip,,,,\n")
    assert invalid_rows(result)[1]["domains"] == [
        "Unknown domains “spying”, “gossip” in column “domains”."
    ]


def test_citation_cells_are_checked_whole(sources):
    cell = f"irna-2010-06-21|p. 2; |p. 3; nowhere|p. 4; irna-2010-06-21|{'x' * 101}"
    result = run(HEADER + f",Citations,May 2010,,,economic,,,,{cell}\n")
    (message,) = invalid_rows(result)[1]["citations"]
    assert message == (
        "Unknown source “nowhere”; no source slug before “|” in “|p. 3”; "
        f"locators are at most 100 characters: “{'x' * 101}” in column “citations”."
    )


def test_reimporting_the_same_file_changes_nothing(sources, analyst):
    run(GOOD, user=analyst)
    before = snapshot()
    slugs = sorted(e.slug for e in imported())

    result = run(GOOD, user=analyst)
    assert not result.has_errors() and not result.has_validation_errors(), invalid_rows(result)
    assert result.totals["skip"] == 3
    assert snapshot() == before  # no new event, citation, link or history record
    assert sorted(e.slug for e in imported()) == slugs


def test_reimport_adds_new_citations_and_keeps_existing_ones(sources, analyst):
    run(GOOD, user=analyst)
    changed = GOOD.replace("irna-2010-06-21\n", "irna-2010-06-21; irna-2010-06-21|p. 5\n")
    before = Citation.objects.count()
    result = run(changed, user=analyst)
    assert [row.import_type for row in result.rows] == ["skip", "skip", "update"]
    assert Citation.objects.count() == before + 1
    jofeir = Event.objects.get(title="Belarusneft starts work on the Jofeir field")
    assert sorted(jofeir.citations.values_list("footnote__locator", flat=True)) == ["", "p. 5"]


def test_an_existing_event_is_updated_by_slug_and_becomes_a_draft(sources, editor):
    event = EventFactory(
        slug="2010-07-icro-cultural-week", title="Old title", countries=["RU"], status="review"
    )
    result = run(GOOD, user=editor)
    assert [row.import_type for row in result.rows] == ["new", "update", "new"]
    event.refresh_from_db()
    assert event.title == "ICRO and the Belarus ministry plan a cultural week"
    assert event.status == Status.DRAFT
    assert {c.code for c in event.countries.all()} == {"BY", "IR"}
    assert event.history.latest("history_date").history_user == editor


def test_a_published_event_is_changed_only_by_an_editor(sources, analyst, editor):
    event = EventFactory(slug="2010-07-icro-cultural-week", title="Old title")
    assert event.status == Status.PUBLISHED

    result = run(GOOD, user=analyst)
    (message,) = invalid_rows(result)[2]["slug"]
    assert "is published" in message
    assert not imported()

    result = run(GOOD, user=editor)
    assert not result.has_validation_errors()
    event.refresh_from_db()
    assert (event.title, event.status) == (
        "ICRO and the Belarus ministry plan a cultural week",
        Status.DRAFT,
    )


def test_an_unchanged_published_event_is_skipped_and_stays_published(sources, analyst, editor):
    run(GOOD, user=editor)
    Event.objects.filter(title__in=TITLES).update(status=Status.PUBLISHED)
    result = run(GOOD, user=analyst)
    assert result.totals["skip"] == 3 and not result.has_validation_errors()
    assert {e.status for e in imported()} == {Status.PUBLISHED}


def test_a_slugless_row_matching_several_events_asks_for_the_slug(sources):
    for _ in range(2):
        EventFactory(title="Belarusneft starts work on the Jofeir field", date="c. 2010")
    result = run(HEADER + GOOD_ROWS[2])
    (message,) = invalid_rows(result)[1]["slug"]
    assert "Several events already have this title and date" in message


def test_a_file_with_a_bom_imports(sources, analyst):
    result = run("\ufeff" + GOOD, user=analyst)
    assert not result.has_errors() and not result.has_validation_errors(), invalid_rows(result)
    assert len(imported()) == 3


def test_headers_are_read_whatever_their_case_and_spaces(sources):
    header = (
        " Slug , TITLE,Date,summary,place,Domains,countries,organisations,officials,citations\n"
    )
    result = run(header + "".join(GOOD_ROWS))
    assert not result.has_errors() and not result.has_validation_errors()
    assert len(imported()) == 3


def test_the_slug_column_is_optional(sources):
    text = "title,date,domains\nA meeting,May 2010,economic\n"
    result = run(text)
    assert not result.has_errors() and not result.has_validation_errors(), invalid_rows(result)
    assert Event.objects.get(title="A meeting").slug == "may-2010-a-meeting"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "name,when,notes,"
            + ",".join(f"col{i}" for i in range(40))
            + "\n"
            + "x,2010,y,"
            + ",".join("z" * 40)
            + "\n",
            [
                "Unknown columns: “name”, “when”, “notes”",
                "and 33 more",
                "Missing columns: “title”, “date”, “domains”",
            ],
        ),
        (HEADER.replace("domains", "domain") + GOOD_ROWS[0], ["Unknown columns: “domain”"]),
        ("title,date,domains,title\na,2010,economic,b\n", ["Columns named twice: “title”"]),
    ],
    ids=["garbage", "misspelt", "twice"],
)
def test_wrong_headers_are_one_clear_error_and_nothing_is_read(sources, text, expected):
    before = snapshot()
    result = run(text)
    assert result.has_errors()
    assert not result.rows and not result.invalid_rows
    (error,) = result.base_errors
    for words in expected:
        assert words in str(error.error)
    assert "The columns are slug, title, date" in str(error.error)
    assert snapshot() == before


def test_export_writes_the_import_columns_and_reimports_unchanged(sources, analyst):
    run(GOOD, user=analyst)
    exported = EventResource().export(Event.objects.filter(title__in=TITLES).order_by("title"))
    assert exported.headers == [
        "slug",
        "title",
        "date",
        "summary",
        "place",
        "domains",
        "countries",
        "organisations",
        "officials",
        "citations",
    ]
    gas = exported.dict[2]
    assert gas["title"] == "Lukashenko and Ahmadinejad discuss gas supplies"
    assert set(gas["countries"].split(";")) == {"BY", "IR"}
    assert set(gas["domains"].split(";")) == {"energy", "diplomatic"}
    assert gas["citations"] == ("irna-2010-06-21|p. 2; belarus-iran-foreign-relations-2010|note 12")
    assert exported.dict[0]["citations"] == "irna-2010-06-21"

    before = snapshot()
    result = EventResource().import_data(tablib.Dataset().load(exported.csv, format="csv"))
    assert result.totals["skip"] == 3 and not result.has_validation_errors()
    assert snapshot() == before


def test_the_example_file_imports_against_the_seed(seed_sources):
    example = settings.BASE_DIR / "fixtures" / "events-import-example.csv"
    result = run(example.read_text(encoding="utf-8"), dry_run=True)
    assert not result.has_errors() and not result.has_validation_errors(), invalid_rows(result)
    assert result.totals["new"] == 3


# --- Through the admin, as an analyst ----------------------------------------------------------
IMPORT_URL = "/admin/relations/event/import/"
PROCESS_URL = "/admin/relations/event/process_import/"


@pytest.fixture
def analyst_client(client, analyst):
    client.force_login(analyst)
    return client


def csv_format() -> str:
    formats = admin.site._registry[Event].get_import_formats()
    return str(next(i for i, f in enumerate(formats) if f().get_title() == "csv"))


def upload(client, text: str, name="events.csv", encoding="utf-8"):
    file = SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")
    return client.post(IMPORT_URL, {"resource": "0", "format": csv_format(), "import_file": file})


class FormInputs(HTMLParser):
    """The inputs of the form that posts to ``action``."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action, self.inside, self.inputs = action, False, {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("action") == self.action
        elif tag == "input" and self.inside and attrs.get("name"):
            self.inputs[attrs["name"]] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


def confirm_form_inputs(response) -> dict[str, str]:
    parser = FormInputs(PROCESS_URL)
    parser.feed(response.content.decode())
    return parser.inputs


def test_analyst_previews_then_confirms_an_import(seed_sources, analyst, analyst_client):
    changelist = analyst_client.get(reverse("admin:relations_event_changelist"))
    assert IMPORT_URL.encode() in changelist.content  # the Import button

    assert analyst_client.get(IMPORT_URL).status_code == HTTPStatus.OK
    before = snapshot()
    preview = upload(analyst_client, GOOD)
    assert preview.status_code == HTTPStatus.OK
    page = preview.content.decode()
    assert "Preview" in page
    assert page.count('<tr class="new">') == 3
    for title in TITLES:
        assert title in page
    assert "<ins" in page  # the row diffs
    assert "irna-2010-06-21|p. 2" in page
    assert snapshot() == before  # nothing written yet

    inputs = confirm_form_inputs(preview)
    assert {"import_file_name", "original_file_name", "format", "csrfmiddlewaretoken"} <= set(
        inputs
    )
    done = analyst_client.post(PROCESS_URL, inputs)
    assert done.status_code == HTTPStatus.FOUND
    assert done.url == reverse("admin:relations_event_changelist")

    events = imported()
    assert len(events) == 3
    gas = Event.objects.get(title="Lukashenko and Ahmadinejad discuss gas supplies")
    assert {d.slug for d in gas.domains.all()} == {"energy", "diplomatic"}
    assert {c.code for c in gas.countries.all()} == {"BY", "IR"}
    assert gas.citations.count() == 2
    assert {e.status for e in events} == {Status.DRAFT}
    for event in events:
        assert event.history.get(history_type="+").history_user == analyst
    assert Citation.history.get(event_id=gas.pk, footnote__locator="p. 2").history_user == analyst

    messages = [str(m) for m in done.wsgi_request._messages]
    assert messages == ["Import finished: 3 new, 0 updated, 0 deleted and 0 skipped events."]


def test_admin_lists_row_errors_and_writes_nothing(sources, analyst_client):
    before = snapshot()
    response = upload(analyst_client, BAD)
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    assert "Some rows failed to validate" in page
    assert 'action="/admin/relations/event/process_import/"' not in page  # no confirm form
    assert '<td class="row-number">2</td>' in page
    assert "<strong>countries</strong>: Unknown country code “XX” in column “countries”." in page
    assert (
        "<strong>citations</strong>: Unknown source “no-such-source” in column “citations”." in page
    )
    assert "<strong>date</strong>: Could not read &quot;recent years&quot; as a date." in page
    assert "Accepted forms:" in page
    assert snapshot() == before


def test_admin_imports_a_file_with_a_bom(sources, analyst_client):
    preview = upload(analyst_client, "\ufeff" + GOOD)
    assert preview.content.decode().count('<tr class="new">') == 3
    analyst_client.post(PROCESS_URL, confirm_form_inputs(preview))
    assert len(imported()) == 3


def test_admin_reimport_previews_skips_and_writes_nothing(sources, analyst_client):
    analyst_client.post(PROCESS_URL, confirm_form_inputs(upload(analyst_client, GOOD)))
    before = snapshot()
    preview = upload(analyst_client, GOOD)
    assert preview.content.decode().count('<tr class="skip">') == 3
    analyst_client.post(PROCESS_URL, confirm_form_inputs(preview))
    assert snapshot() == before


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "name,when,notes," + ",".join(f"col{i}" for i in range(60)) + "\n" + "x," * 62 + "x\n",
            "Unknown columns: “name”, “when”, “notes”, “col0”",
        ),
        (HEADER, "No valid data to import."),
        ("\x00\x01\x02 not a csv \xff", "No valid data to import."),
        ("title,date,domains\na,2010\nb,2010,economic,extra\n", "encountered while trying to read"),
    ],
    ids=["wide-wrong-headers", "header-only", "binary", "ragged"],
)
def test_admin_garbage_file_is_a_clear_error(sources, analyst_client, text, expected):
    before = snapshot()
    response = upload(analyst_client, text)
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    assert expected in page
    assert "Traceback" not in page
    assert 'action="/admin/relations/event/process_import/"' not in page
    assert snapshot() == before


def test_confirm_writes_nothing_if_the_data_changed_since_the_preview(sources, analyst_client):
    """The confirm step imports again: a row that became invalid since the preview (its source
    was deleted) rolls back every row."""
    preview = upload(analyst_client, GOOD)
    Source.objects.filter(slug="irna-2010-06-21").delete()
    before = snapshot()
    analyst_client.post(PROCESS_URL, confirm_form_inputs(preview))
    assert snapshot() == before
    assert not imported()


# --- Readers' caches ----------------------------------------------------------------------------
@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``committed(write)``: the write's result, and whether the knowledge-base version (the
    key of every cached public answer) moved once the write committed."""

    def run(write):
        before = kb.version()
        with django_capture_on_commit_callbacks(execute=True):
            result = write()
        return result, kb.version() != before

    return run


def test_importing_new_drafts_leaves_readers_caches_warm(sources, analyst_client, committed):
    preview, changed = committed(lambda: upload(analyst_client, GOOD))
    assert not changed
    _, changed = committed(lambda: analyst_client.post(PROCESS_URL, confirm_form_inputs(preview)))
    assert not changed  # drafts: readers see nothing new
    assert len(imported()) == 3


def test_an_import_that_changes_a_published_event_refreshes_readers_caches(
    sources, client, editor, committed
):
    client.force_login(editor)
    event = EventFactory(slug="2010-07-icro-cultural-week", title="Old title")
    preview, changed = committed(lambda: upload(client, GOOD))
    assert not changed  # the preview's writes are rolled back, and its bump with them
    _, changed = committed(lambda: client.post(PROCESS_URL, confirm_form_inputs(preview)))
    assert changed
    event.refresh_from_db()
    assert (event.title, event.status) == (
        "ICRO and the Belarus ministry plan a cultural week",
        Status.DRAFT,
    )
