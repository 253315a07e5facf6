"""export_kb: stock fixture format, natural-key order, slices that load into an empty database,
no drafts unless asked for, the same bytes whatever the insertion order."""

import json
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from exchange.selection import Selection, SelectionError
from exchange.spec import SPECS
from relations.models import Citation, Event, Statement, Status
from tests.exchange.conftest import (
    export,
    keys,
    load_seed,
    records,
    rolled_back,
    settle_times,
    write,
)
from tests.factories import (
    AgreementFactory,
    EventFactory,
    OfficialFactory,
    PositionFactory,
    SourceFactory,
    StatementFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]
ORDER = [spec.label for spec in SPECS]


def test_an_export_is_a_stock_fixture_with_natural_keys_in_load_and_key_order(seed):
    text = export()
    rows = records(text)
    assert all(set(r) == {"model", "fields"} for r in rows)  # no pk: natural keys only
    models = [r["model"] for r in rows]
    assert models[0] == "sources.source"
    assert [ORDER.index(m) for m in models] == sorted(ORDER.index(m) for m in models)
    for label in ("relations.event", "relations.organisation", "relations.country"):
        found = keys(text, label)
        assert found == sorted(found) and found
    event = next(
        r["fields"]
        for r in rows
        if r["fields"].get("slug") == "2008-nam-commends-iran-nuclear-compliance"
    )
    assert event["countries"] == [["BY"], ["IR"]]
    assert event["organisations"] == [["iaea"], ["non-aligned-movement"]]  # sorted by key
    assert event["date_lower"] == "2008-01-01" and event["date_precision"] == "year"
    loan = next(
        r["fields"]
        for r in rows
        if r["model"] == "relations.agreement" and r["fields"]["value_amount"]
    )
    assert loan["value_amount"] == "212000000.00" and loan["value_currency"] == "USD"
    assert event["created"] == "2010-07-06T12:00:00Z"
    # One record per line: diffs of two exports read record by record.
    lines = text.splitlines()
    assert lines[0] == "[" and lines[-1] == "]"
    assert [json.loads(line.rstrip(",")) for line in lines[1:-1]] == rows


def test_stock_loaddata_loads_an_export_and_it_exports_to_the_same_bytes(tmp_path):
    with rolled_back():
        load_seed()
        first = export()
    assert not Event.objects.exists()
    call_command("loaddata", str(write(tmp_path / "kb.json", first)), verbosity=0)
    assert Event.objects.count() == 11 and Citation.objects.count() == 24
    assert export() == first


def test_the_same_data_inserted_in_another_order_exports_to_the_same_bytes():
    def build(reverse: bool) -> str:
        with rolled_back():
            slugs = ["b-event", "a-event", "c-event"]
            for slug in reversed(slugs) if reverse else slugs:
                EventFactory(
                    slug=slug,
                    title=slug,
                    countries=["IR", "BY"],
                    domains=["energy", "economic"],
                    citations__source=SourceFactory(slug=f"src-{slug}", title=slug),
                    citations__locator="p. 1",
                )
            settle_times()
            return export()

    first, second = build(reverse=False), build(reverse=True)
    assert first == second
    assert keys(first, "relations.event") == ["a-event", "b-event", "c-event"]


@pytest.fixture
def drafts():
    """Published and draft claims, tangled: what a public export must leave out. Each is cited
    once, by a source named after it ("s-draft-event")."""

    def cited(factory, slug, **fields):
        source = SourceFactory(slug=f"s-{slug}")
        return factory(slug=slug, citations=1, citations__source=source, **fields)

    draft_event = cited(EventFactory, "draft-event", status=Status.DRAFT, countries=["BY", "IR"])
    review_agreement = cited(AgreementFactory, "review-agreement", status=Status.REVIEW)
    public = cited(EventFactory, "public-event", countries=["BY", "IR"])
    public.agreements.set([review_agreement])
    cited(StatementFactory, "said-at-draft", event=draft_event)
    cited(StatementFactory, "joint-at-draft", event=draft_event, speaker=None, quote="Together.")
    cited(PositionFactory, "draft-post", status=Status.DRAFT)
    return public


def test_a_public_export_holds_no_draft_and_no_trace_of_one(drafts):
    text = export()
    for hidden in ("draft-event", "review-agreement", "joint-at-draft", "draft-post"):
        assert hidden not in text.replace(f"s-{hidden}", "")  # only its (entity) source remains
    rows = records(text)
    fields = {r["fields"].get("slug"): r["fields"] for r in rows}
    assert fields["public-event"]["agreements"] == []  # the link to a draft is left out
    assert fields["said-at-draft"]["event"] is None  # said by someone: kept, without the event
    cited = [r["fields"] for r in rows if r["model"] == "relations.citation"]
    assert {c["event"][0] for c in cited if c["event"]} == {"public-event"}
    assert Status.DRAFT not in {f.get("status") for f in fields.values()}
    assert Status.REVIEW not in {f.get("status") for f in fields.values()}


def test_a_public_export_and_the_api_show_the_same_claims_links_and_citations(client, drafts):
    """One rule for both (``relations.visibility``), worked out here by hand from the fixture:
    the joint statement at the draft event goes with the event, the other words stay without
    it, the link to the agreement in review goes."""
    shown = {"event": {"public-event"}, "statement": {"said-at-draft"}}
    text = export()
    api = {}
    for kind in ("event", "agreement", "statement", "position"):
        listed = client.get(f"/api/{kind}s/?per_page=100").json()["results"]
        api.update({r["slug"]: r for r in listed})
        assert set(keys(text, f"relations.{kind}")) == shown.get(kind, set()), kind
        assert {r["slug"] for r in listed} == shown.get(kind, set()), kind
        assert client.get(f"/api/{kind}s/joint-at-draft/").status_code == 404
    fields = {r["fields"].get("slug"): r["fields"] for r in records(text)}
    assert fields["public-event"]["agreements"] == api["public-event"]["agreements"] == []
    assert fields["said-at-draft"]["event"] is api["said-at-draft"]["event"] is None
    cited = {r["fields"]["source"][0] for r in records(text) if r["model"] == "relations.citation"}
    assert cited == {c["source"]["slug"] for r in api.values() for c in r["citations"]}
    assert cited == {"s-public-event", "s-said-at-draft"}


def test_drafts_are_exported_when_asked_for(drafts):
    text = export(include_drafts=True)
    assert set(keys(text, "relations.event")) == {"draft-event", "public-event"}
    assert keys(text, "relations.agreement") == ["review-agreement"]
    assert set(keys(text, "relations.statement")) == {"joint-at-draft", "said-at-draft"}
    fields = {r["fields"].get("slug"): r["fields"] for r in records(text)}
    assert fields["public-event"]["agreements"] == [["review-agreement"]]
    assert len([r for r in records(text) if r["model"] == "relations.citation"]) == 6


def test_a_slice_of_drafts_follows_the_same_rule(drafts):
    text = export(relation="by-ir")
    assert keys(text, "relations.event") == ["public-event"]
    assert "draft-event" not in text and "said-at-draft" not in text


def test_a_relation_slice_carries_what_it_refers_to_and_loads_into_an_empty_database(
    tmp_path, run_import
):
    with rolled_back():
        load_seed()
        EventFactory(
            slug="us-ru-talks",
            countries=["US", "RU"],
            domains=["nuclear"],
            citations__source=SourceFactory(slug="us-ru-source"),
        )
        text = export(relation="by-ir")
        everything = export()
    assert "us-ru" not in text and "us-ru-talks" in everything
    events = keys(text, "relations.event")
    assert len(events) == 10  # every seed event but one (Iran and the United States)
    assert "until-2008-06-censure-of-iran-nuclear-programme" not in events
    assert set(keys(text, "relations.official")) >= {"alexander-lukashenko", "reza-raei"}
    assert len(keys(text, "relations.position")) == 5  # the posts of the officials in it
    assert len(keys(text, "relations.statement")) == 5  # said at its events or about the pair
    assert len(keys(text, "relations.agreement")) == 2  # linked from its events
    assert set(keys(text, "relations.country")) == {"BY", "IR", "RU"}  # referred to, no more
    assert "united-nations" not in text

    report = run_import(write(tmp_path / "by-ir.json", text))
    assert report.ok and report.loaded, report.lines()
    assert Event.objects.count() == 10
    assert export(relation="by-ir") == text


def test_slices_by_country_domain_dates_and_ids_combine_with_and(seed):
    nuclear = keys(export(domain="nuclear"), "relations.event")
    assert set(nuclear) == set(
        Event.objects.published().in_domains("nuclear").values_list("slug", flat=True)
    )
    in_2008 = keys(export(lower="2008", upper="2008"), "relations.event")
    assert "2008-06-nam-ministerial-tehran-backs-enrichment" in in_2008
    assert "2010-06-late-lukashenko-turns-to-iran-after-russia-gas-row" not in in_2008
    both = keys(export(domain="nuclear", lower="2008", upper="2008"), "relations.event")
    assert set(both) == set(nuclear) & set(in_2008) and both
    russia = keys(export(country="ru"), "relations.event")
    assert russia == ["2010-06-late-lukashenko-turns-to-iran-after-russia-gas-row"]
    america = export(country="us")
    assert keys(america, "relations.event") == ["until-2008-06-censure-of-iran-nuclear-programme"]
    # It names the Security Council, which comes with the body it is part of.
    assert {"un-security-council", "united-nations"} <= set(keys(america, "relations.organisation"))
    picked = Event.objects.filter(date="May 2007").order_by("slug")
    ids = ",".join(str(e.pk) for e in picked)
    text = export(events=ids)
    assert keys(text, "relations.event") == [e.slug for e in picked]
    # A statement made at a picked event comes with it; its speaker's post too.
    assert "2007-05-lukashenko-strategic-partnership" in keys(text, "relations.statement")
    assert "alexander-lukashenko-president-of-belarus" in keys(text, "relations.position")


def test_a_statement_chosen_for_its_pair_brings_its_event_even_outside_the_dates():
    with rolled_back():
        old = EventFactory(slug="old-meeting", date="1999", countries=["BY", "IR"])
        words = StatementFactory(slug="words", date="2009", event=old)
        words.countries.set(Event.objects.get(slug="old-meeting").countries.all())
        text = export(relation="by-ir", lower="2009")
    assert keys(text, "relations.statement") == ["words"]
    assert keys(text, "relations.event") == ["old-meeting"]  # it refers to it


def test_bad_options_are_refused_with_a_reason(seed):
    for options, message in (
        ({"relation": "by"}, "two different country codes"),
        ({"relation": "by-zz"}, "No country 'ZZ'"),
        ({"domain": "space"}, "No domain 'space'"),
        ({"lower": "Jumne 2010"}, "not a month name"),
        ({"events": "1,two"}, "event ids"),
    ):
        with pytest.raises((SelectionError, CommandError), match=message):
            call_command("export_kb", stdout=StringIO(), stderr=StringIO(), **options)


def test_the_command_writes_a_file_and_a_summary_and_no_progress_bar_off_a_terminal(seed, tmp_path):
    out, err = StringIO(), StringIO()
    target = tmp_path / "kb.json"
    call_command("export_kb", output=str(target), relation="by-ir", stdout=out, stderr=err)
    assert json.loads(target.read_text())[0]["model"] == "sources.source"
    summary = out.getvalue()
    assert "relation by-ir, published only" in summary
    assert re.search(r"relations\.event +10\n", summary)
    assert err.getvalue() == ""  # stderr is not a terminal: no bar

    out, err = StringIO(), StringIO()
    call_command("export_kb", domain="cultural", stdout=out, stderr=err)
    assert json.loads(out.getvalue())  # the data on stdout, the summary on stderr
    assert "relations.event" in err.getvalue()


def test_a_published_statement_with_nobody_but_a_draft_event_is_withheld_with_its_citations():
    with rolled_back():
        event = EventFactory(status=Status.REVIEW)
        StatementFactory(
            slug="joint",
            event=event,
            speaker=None,
            citations__source=SourceFactory(slug="joint-source"),
        )
        text = export()
        assert Statement.objects.filter(slug="joint", status=Status.PUBLISHED).exists()
    assert "joint" not in text.replace("joint-source", "")
    assert not [r for r in records(text) if r["model"] == "relations.citation"]


def test_official_without_events_is_in_the_whole_export_not_in_a_slice(seed):
    OfficialFactory(slug="nobody-in-particular")
    assert "nobody-in-particular" in keys(export(), "relations.official")
    assert "nobody-in-particular" not in keys(export(relation="by-ir"), "relations.official")
    assert Selection().is_whole and not Selection.from_options(relation="by-ir").is_whole
