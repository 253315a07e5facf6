"""import_kb: everything is checked first and every problem named by record and field; a bad
file writes nothing; a good one loads in one transaction with history; twice changes nothing."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from exchange import changelog
from exchange.models import Change
from relations.models import Agreement, Citation, Country, Domain, Event, Position, Status
from sources.models import Footnote, Source
from tests.exchange.conftest import export, rolled_back, seed_count, write
from tests.factories import AgreementFactory, MembershipFactory, OrganisationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

SOURCE = {"model": "sources.source", "fields": {"slug": "bad-source", "title": "A report"}}
NOTE = {
    "model": "sources.footnote",
    "fields": {"slug": "bad-source-p-1", "source": ["bad-source"], "locator": "p. 1"},
}


def event(**fields):
    base = {
        "slug": "bad-event",
        "title": "A meeting",
        "date": "May 2007",
        "status": "draft",
        "domains": [["economic"]],
        "countries": [["BY"], ["IR"]],
    }
    return {"model": "relations.event", "fields": base | fields}


def citation(**fields):
    base = {"footnote": ["bad-source-p-1"], "event": ["bad-event"]}
    return {"model": "relations.citation", "fields": base | fields}


def nothing_written() -> bool:
    return not (
        Source.objects.filter(slug="bad-source").exists()
        or Footnote.objects.filter(slug__startswith="bad-source").exists()
        or Event.objects.filter(slug__startswith="bad-event").exists()
    )


def import_command(path, **options) -> str:
    out = StringIO()
    call_command("import_kb", str(path), stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


# --- A good file ------------------------------------------------------------------------------
def test_an_export_loads_into_an_empty_database_with_history_and_again_changes_nothing(
    seed_file, run_import
):
    report = run_import(seed_file)
    assert report.ok and report.loaded, report.lines()
    counts = report.counts
    for label in ("relations.event", "relations.citation", "sources.footnote"):
        assert counts[label].created == seed_count(label), label
    assert counts["relations.country"].unchanged == Country.objects.count()
    # The seed's domains carry 2010 times; this database's were made by its migration.
    assert counts["relations.domain"].retimed == 6
    assert Domain.objects.get(slug="nuclear").created.year == 2010

    event = Event.objects.get(slug="2008-nam-commends-iran-nuclear-compliance")
    (version,) = event.history.all()
    assert version.history_type == "+"
    assert version.history_change_reason == "import_kb seed.json"
    assert version.title == event.title
    assert {d.domain.slug for d in version.domains.all()} == {"nuclear"}  # links kept with it
    imported = Citation.history.filter(history_change_reason="import_kb seed.json")
    assert imported.count() == seed_count("relations.citation")

    again = run_import(seed_file)
    assert again.ok and again.loaded
    total = again.totals()
    assert (total.created, total.updated, total.retimed, total.conflicts) == (0, 0, 0, 0)
    assert total.unchanged == again.records
    assert event.history.count() == 1  # nothing was written the second time
    assert export() == seed_file.read_text()


def test_the_history_it_writes_is_in_the_change_log_retimed_records_too(seed_file, run_import):
    """A retimed record's content is the same but an export writes its times: a mirror
    following the changes feed must hear of it. Every history row the import writes set-based
    is in the change log that orders the feed."""
    report = run_import(seed_file)
    reason = "import_kb seed.json"
    retimed = Domain.history.filter(history_change_reason=reason, history_type="~")
    assert retimed.count() == report.counts["relations.domain"].retimed == 6
    for kind, model in changelog.LOGGED.items():
        written = set(
            model.history.filter(history_change_reason=reason).values_list("history_id", flat=True)
        )
        logged = Change.objects.filter(kind=kind, history_id__in=written)
        assert set(logged.values_list("history_id", flat=True)) == written, kind


def test_a_dry_run_says_what_would_happen_and_writes_nothing(seed_file):
    output = import_command(seed_file, dry_run=True)
    assert re.search(rf"relations\.event +{seed_count('relations.event')} +0 +0 +0 +0", output)
    assert "dry run: nothing was written" in output
    assert not Event.objects.exists()
    assert Domain.objects.get(slug="nuclear").created.year != 2010


def test_a_conflict_is_kept_and_listed_unless_update_takes_the_files_version(seed_file, run_import):
    run_import(seed_file)
    slug = Event.objects.filter(place="").exclude(countries__code="RU").order_by("slug")[0].slug
    Event.objects.filter(slug=slug).update(title="Edited here", place="Minsk")
    Event.objects.get(slug=slug).countries.add(Country.objects.get(code="RU"))

    kept = run_import(seed_file)
    assert kept.loaded and kept.counts["relations.event"].conflicts == 1
    (conflict,) = kept.conflicts
    assert conflict.key == slug and set(conflict.fields) == {"title", "place", "countries"}
    assert f"relations.event '{slug}'): " in str(conflict)
    assert Event.objects.get(slug=slug).title == "Edited here"

    dry = run_import(seed_file, update=True, dry_run=True)
    assert dry.counts["relations.event"].updated == 1
    assert Event.objects.get(slug=slug).title == "Edited here"

    taken = run_import(seed_file, update=True)
    assert taken.loaded and taken.counts["relations.event"].updated == 1
    updated = Event.objects.get(slug=slug)
    assert updated.title != "Edited here" and updated.place == ""
    assert "RU" not in set(updated.countries.values_list("code", flat=True))
    latest = updated.history.order_by("-history_id").first()
    assert latest.history_type == "~" and latest.history_change_reason == "import_kb seed.json"
    assert {c.country.code for c in latest.countries.all()} == set(
        updated.countries.values_list("code", flat=True)
    )
    assert run_import(seed_file, update=True).totals().updated == 0
    assert export() == seed_file.read_text()


def test_references_may_point_forward_in_the_file_or_into_the_database(seed, tmp_path, run_import):
    path = write(
        tmp_path / "forward.json",
        [
            citation(),  # before the event and the footnote it names
            event(status="published", officials=[["alexander-lukashenko"]]),  # in the database
            NOTE,  # before the source it names
            SOURCE,
        ],
    )
    report = run_import(path)
    assert report.ok, report.lines()
    made = Event.objects.get(slug="bad-event")
    assert made.officials.get().slug == "alexander-lukashenko"
    cited = made.citations.get().footnote
    assert (cited.slug, cited.source.slug, cited.locator) == (
        "bad-source-p-1",
        "bad-source",
        "p. 1",
    )
    assert (made.date_lower.isoformat(), made.date_precision) == ("2007-05-01", "month")


def test_a_files_own_date_bounds_are_checked_and_the_text_wins(tmp_path, run_import):
    path = write(
        tmp_path / "bounds.json", [event(date_lower="2007-06-01", date_upper="2007-06-30")]
    )
    report = run_import(path)
    assert report.ok and report.warning_count == 2
    assert "date_lower: the file says datetime.date(2007, 6, 1)" in str(report.warnings[0])
    assert Event.objects.get(slug="bad-event").date_lower.isoformat() == "2007-05-01"


def test_missing_timestamps_keep_an_existing_records_and_stamp_new_ones_now(tmp_path, run_import):
    first = run_import(write(tmp_path / "a.json", [event()]))
    assert first.loaded
    stamped = Event.objects.get(slug="bad-event").created
    Event.objects.filter(slug="bad-event").update(created="2001-01-01T00:00:00Z")
    again = run_import(write(tmp_path / "a.json", [event()]))
    assert again.counts["relations.event"].unchanged == 1
    assert Event.objects.get(slug="bad-event").created.year == 2001 != stamped.year


def test_a_dumpdata_file_imports_too(seed, tmp_path, run_import):
    out = StringIO()
    call_command(
        "dumpdata", "relations.event", "relations.citation", "sources.source",
        natural_foreign=True, natural_primary=True, stdout=out,
    )  # fmt: skip
    report = run_import(write(tmp_path / "dump.json", out.getvalue()))
    assert report.ok and report.loaded, report.lines()
    assert report.totals().created == 0  # every record exists: unchanged (or retimed)


# --- Bad files --------------------------------------------------------------------------------
def truncated(tmp_path, text):
    cut = text.index('"model": "relations.event"') + 40
    return write(tmp_path / "truncated.json", text[:cut])


BAD_FILES = {
    "truncated JSON": (None, r"record \d+: the file stops being valid JSON here"),
    "missing reference": (
        [SOURCE, event(countries=[["BY"], ["XX"]])],
        r"record 2 \(relations\.event 'bad-event'\): countries: no relations\.country 'XX' in "
        r"the file or the database",
    ),
    "missing foreign key": (
        [SOURCE, {**NOTE, "fields": NOTE["fields"] | {"source": ["nowhere"]}}],
        r"record 2 \(sources\.footnote 'bad-source-p-1'\): source: no sources\.source 'nowhere'",
    ),
    "citation of an unknown footnote": (
        [SOURCE, NOTE, event(), citation(footnote=["bad-source-note-9"])],
        r"record 4 \(relations\.citation 'bad-source-note-9 / event bad-event'\): footnote: no "
        r"sources\.footnote 'bad-source-note-9' in the file or the database",
    ),
    "citation in the old shape": (
        [
            SOURCE,
            event(),
            {
                "model": "relations.citation",
                "fields": {"source": ["bad-source"], "locator": "p. 1", "event": ["bad-event"]},
            },
        ],
        r"record 3 \(relations\.citation '\? / event bad-event'\): source: relations\.citation "
        r"has no such field",
    ),
    "one place, two footnotes": (
        [SOURCE, NOTE, {**NOTE, "fields": NOTE["fields"] | {"slug": "bad-source-p-1-again"}}],
        r"record 3 \(sources\.footnote 'bad-source-p-1-again'\): source, locator: must be "
        r"unique; record 2 has the same value",
    ),
    "relationship keyed unlike its pair": (
        [
            SOURCE,
            {
                "model": "relations.relationship",
                "fields": {"slug": "ir-by", "first": ["IR"], "second": ["BY"]},
            },
        ],
        r"record 2 \(relations\.relationship 'ir-by'\): slug: 'ir-by': a pair IR, BY is 'by-ir'",
    ),
    "dossier section of an unknown domain": (
        [
            SOURCE,
            {
                "model": "relations.relationship",
                "fields": {
                    "slug": "by-ir",
                    "first": ["BY"],
                    "second": ["IR"],
                    "sections": [{"domain": "space", "title": "Space"}],
                },
            },
        ],
        r"record 2 \(relations\.relationship 'by-ir'\): sections: no relations\.domain 'space'",
    ),
    "membership with two members": (
        [
            SOURCE,
            {"model": "relations.organisation", "fields": {"slug": "bad-event-nam", "name": "NAM"}},
            {
                "model": "relations.membership",
                "fields": {
                    "slug": "bad-event-member",
                    "member_country": ["BY"],
                    "member_organisation": ["bad-event-nam"],
                    "organisation": ["bad-event-nam"],
                },
            },
        ],
        r"record 3 \(relations\.membership 'bad-event-member'\): member_country, "
        r"member_organisation: A membership has one member",
    ),
    "published membership without a citation": (
        [
            SOURCE,
            {"model": "relations.organisation", "fields": {"slug": "bad-event-nam", "name": "NAM"}},
            {
                "model": "relations.membership",
                "fields": {
                    "slug": "bad-event-member",
                    "status": "published",
                    "member_country": ["BY"],
                    "organisation": ["bad-event-nam"],
                },
            },
        ],
        r"record 3 \(relations\.membership 'bad-event-member'\): status: published, but no "
        r"citation backs it",
    ),
    "duplicate natural key": (
        [SOURCE, event(), SOURCE],
        r"record 3 \(sources\.source 'bad-source'\): duplicate natural key: record 1 has the same",
    ),
    "invalid fuzzy date": (
        [SOURCE, event(date="Jumne 2010")],
        r"record 2 \(relations\.event 'bad-event'\): date: 'Jumne 2010': Could not read "
        r"\"Jumne 2010\" as a date: \"Jumne\" is not a month name",
    ),
    "citation with no claim": (
        [SOURCE, NOTE, event(), citation(event=None)],
        r"record 4 \(relations\.citation 'bad-source-p-1 / \?'\): a citation supports "
        r"exactly one claim: .* this one has none",
    ),
    "citation with two claims": (
        [SOURCE, NOTE, event(), event(slug="bad-event-2"), citation(agreement=["bad-event-2"])],
        r"record 5 .*this one has 2 \(event, agreement\)",
    ),
    "published claim without a citation": (
        [SOURCE, event(status="published")],
        r"record 2 \(relations\.event 'bad-event'\): status: published, but no citation backs it",
    ),
    "check constraint": (
        [
            SOURCE,
            {"model": "relations.official", "fields": {"slug": "bad-event-o", "name": "A. B."}},
            {
                "model": "relations.position",
                "fields": {
                    "slug": "bad-event-post",
                    "official": ["bad-event-o"],
                    "title": "Minister",
                    "country": ["BY"],
                    "start": "2009",
                    "end": "2007",
                },
            },
        ],
        r"record 3 \(relations\.position 'bad-event-post'\): start_lower, end_upper: The post "
        r"ends before it starts\.",
    ),
    "unique field": (
        [SOURCE, {"model": "relations.domain", "fields": {"slug": "power", "name": "Energy"}}],
        r"record 2 \(relations\.domain 'power'\): name: 'Energy' is already used by another "
        r"relations\.domain",
    ),
    "field errors": (
        [SOURCE, event(title="x" * 301, status="secret", colour="red")],
        r"record 2 \(relations\.event 'bad-event'\): colour: relations\.event has no such field",
    ),
    "not a natural key": (
        [SOURCE, event(countries=[1, 2])],
        r"record 2 \(relations\.event 'bad-event'\): countries: expected a list of natural keys",
    ),
    "unknown model": (
        [SOURCE, {"model": "auth.user", "fields": {"username": "x"}}],
        r"record 2: model: 'auth\.user' is not imported",
    ),
    "not an array": ({"model": "sources.source"}, r"not a JSON array of records"),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_a_bad_file_is_refused_whole_naming_the_record(case, seed_export, tmp_path, run_import):
    content, expected = BAD_FILES[case]
    if content is None:
        path = truncated(tmp_path, seed_export)
    else:
        path = write(tmp_path / "bad.json", content)
    report = run_import(path)
    assert not report.ok and not report.loaded
    text = "\n".join(report.lines())
    assert re.search(expected, text), text
    assert nothing_written() and not Event.objects.exists()
    assert not Source.objects.exists() and Domain.objects.count() == 6


def test_the_command_exits_non_zero_with_the_report_on_a_bad_file(tmp_path):
    path = write(tmp_path / "bad.json", [SOURCE, event(date="Jumne 2010")])
    err = StringIO()
    with pytest.raises(CommandError, match="1 problem\\(s\\): nothing was imported"):
        call_command("import_kb", str(path), stdout=StringIO(), stderr=err)
    assert "record 2 (relations.event 'bad-event'): date: 'Jumne 2010'" in err.getvalue()
    assert nothing_written()


def test_every_problem_is_reported_not_just_the_first(tmp_path, run_import):
    path = write(
        tmp_path / "bad.json",
        [SOURCE, event(title="x" * 301, status="secret", date="Jumne 2010"), event(slug="")],
    )
    report = run_import(path)
    fields = [problem.field for problem in report.problems]
    assert {"title", "status", "date", "slug"} <= set(fields), report.lines()
    assert any("at most 300 characters" in p.message for p in report.problems)
    assert any("not a valid choice" in p.message for p in report.problems)


def test_a_published_claim_may_rest_on_a_citation_already_in_the_database(tmp_path, run_import):
    # The file cites neither agreement: the first's citation is in the database; the second
    # has none anywhere. A membership is a claim like the others.
    AgreementFactory(slug="cited-treaty")
    MembershipFactory(slug="cited-member", organisation=OrganisationFactory(slug="nam"))
    path = write(
        tmp_path / "clash.json",
        [
            {"model": "relations.agreement",
             "fields": {"slug": "cited-treaty", "title": "NPT", "status": "published"}},
            {"model": "relations.agreement",
             "fields": {"slug": "bad-event-treaty", "title": "X", "status": "published"}},
            {"model": "relations.membership",
             "fields": {"slug": "cited-member", "status": "published", "member_country": ["BY"],
                        "organisation": ["nam"], "role": "observer"}},
        ],
    )  # fmt: skip
    report = run_import(path, update=True)
    assert [p.key for p in report.problems] == ["bad-event-treaty"]
    assert Agreement.objects.get(slug="cited-treaty").title != "NPT"


def test_a_footnote_at_a_place_that_has_one_under_another_key_is_refused_naming_both(
    seed, tmp_path, run_import
):
    """Two footnotes cannot mark one place of a source: the file's is refused, naming the
    database's, rather than the load failing on the database's unique constraint."""
    taken = Footnote.objects.order_by("slug")[0]
    path = write(
        tmp_path / "twin.json",
        [
            {"model": "sources.footnote",
             "fields": {"slug": "another-key", "source": [taken.source.slug],
                        "locator": taken.locator}},
        ],
    )  # fmt: skip
    report = run_import(path)
    assert not report.loaded
    (problem,) = report.problems
    assert (problem.record, problem.model, problem.key) == (1, "sources.footnote", "another-key")
    assert problem.field == "source, locator"
    assert f"'{taken.source.slug}, {taken.locator}' is already used" in problem.message
    assert repr(taken.slug) in problem.message
    assert not Footnote.objects.filter(slug="another-key").exists()


def test_drafts_and_positions_round_trip_with_their_status(seed_file, tmp_path, run_import):
    with rolled_back():
        run_import(seed_file)
        Position.objects.filter(slug__startswith="mahmoud").update(status=Status.DRAFT)
        text = export(include_drafts=True)
    assert run_import(write(tmp_path / "drafts.json", text)).loaded
    assert Position.objects.get(slug__startswith="mahmoud").status == Status.DRAFT
    assert export(include_drafts=True) == text


def test_the_seed_loads_with_stock_loaddata_and_imports_as_unchanged(seed, tmp_path, run_import):
    path = write(tmp_path / "kb.json", export())
    report = run_import(path)
    assert report.totals().unchanged == report.records
