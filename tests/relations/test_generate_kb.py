"""``manage.py generate_kb``: the synthetic knowledge base is well-formed, skewed, repeatable,
and has the model's shapes: shared footnotes, memberships, concerns, paraphrases, bounded dates.

Plain ``django_db``: COPY runs inside the test's transaction like any other statement, and
rolling back is far faster than flushing (which would also drop the migration's countries).
"""

import datetime
import hashlib
import statistics
from collections import Counter, defaultdict
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, F, Max, Min, Q
from django.utils.text import slugify

from core import cache as kb
from core.dates import parse_fuzzy_date
from relations import generator
from relations.generator import (
    AGREEMENT,
    EVENT,
    LAST_DAY,
    MEMBERSHIP,
    REPORTING_VERBS,
    STATEMENT,
    GenerationError,
    delete_generated,
    slug_prefix,
    unfilled_columns,
)
from relations.models import (
    Agreement,
    Citation,
    Country,
    Domain,
    Event,
    Membership,
    Official,
    Organisation,
    Position,
    Relationship,
    Statement,
)
from sources.models import Footnote, Source
from tests.factories import relationship

pytestmark = pytest.mark.django_db

SEED = 7
EVENTS = 1000
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="1,000 events is a PostgreSQL-sized run"
)


def generate(events: int = EVENTS, seed: int = SEED, **options) -> str:
    out = StringIO()
    call_command("generate_kb", events=events, seed=seed, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


KINDS = {
    Event: "ev", Agreement: "agr", Statement: "st", Source: "src", Position: "pos",
    Membership: "mem", Footnote: "src",  # a footnote's slug is its source's and its locator's
}  # fmt: skip
NEW_PRECISIONS = {"not-after", "not-before", "window", "recent"}


def generated(model, seed: int = SEED):
    return model.objects.filter(slug__startswith=f"g{seed}-{KINDS[model]}-")


def links_per_event(through, seed: int = SEED) -> dict[str, int]:
    """Fewest and most links of a generated event, and how many events have any."""
    per_event = (
        through.objects.filter(event__slug__startswith=f"g{seed}-ev-")
        .values("event")
        .annotate(n=Count("id"))
    )
    return {**per_event.aggregate(low=Min("n"), high=Max("n")), "events": per_event.count()}


def digest(seed: int) -> tuple[str, str]:
    """A fingerprint of a seed's content without ids: events (slugs, dates, titles, order,
    countries, concerns), statements, memberships, footnotes and which claims cite them."""
    rows = (
        generated(Event, seed)
        .order_by("slug")
        .values_list("slug", "date", "title", "status", "sequence")
    )
    codes = (
        Event.countries.through.objects.filter(event__slug__startswith=f"g{seed}-ev-")
        .order_by("event__slug", "country__code")
        .values_list("event__slug", "country__code")
    )
    concerns = (
        Event.concerns.through.objects.filter(event__slug__startswith=f"g{seed}-ev-")
        .order_by("event__slug", "relationship__slug")
        .values_list("event__slug", "relationship__slug")
    )
    words = generated(Statement, seed).order_by("slug").values_list("slug", "form", "quote", "verb")
    members = (
        generated(Membership, seed)
        .order_by("slug")
        .values_list("slug", "member_country__code", "organisation__slug", "role", "start", "end")
    )
    notes = generated(Footnote, seed).order_by("slug").values_list("slug", "locator", "excerpt")
    cites = sorted(
        (c.footnote.slug, c.claim_kind, c.claim.slug)
        for c in Citation.objects.filter(footnote__slug__startswith=f"g{seed}-src-").select_related(
            "footnote", "event", "agreement", "statement", "position", "membership"
        )
    )
    titles = hashlib.sha256(repr([row[1:] for row in rows]).encode()).hexdigest()
    everything = [list(q) for q in (rows, codes, concerns, words, members, notes)] + [cites]
    return hashlib.sha256(repr(everything).encode()).hexdigest(), titles


# --- PostgreSQL: the real loading path (COPY) ------------------------------------------------
@on_postgresql
def test_counts_and_the_shape_of_every_event():
    before = Event.objects.count()
    summary = generate()
    assert generated(Event).count() == EVENTS
    assert Event.objects.count() == before + EVENTS  # nothing outside the prefix
    assert links_per_event(Event.domains.through) == {"low": 1, "high": 3, "events": EVENTS}
    assert links_per_event(Event.countries.through) == {"low": 2, "high": 4, "events": EVENTS}
    cited = Citation.objects.filter(event__isnull=False).values("event").annotate(n=Count("id"))
    assert cited.aggregate(low=Min("n"), high=Max("n")) == {"low": 1, "high": 3}
    assert cited.count() == EVENTS
    # Everything else in proportion.
    assert generated(Agreement).count() == EVENTS // 20
    assert generated(Statement).count() == EVENTS // 10
    assert generated(Source).count() == EVENTS // 20
    assert Organisation.objects.filter(slug__startswith=f"g{SEED}-org-").count() == 200
    assert Official.objects.filter(slug__startswith=f"g{SEED}-off-").count() == 300
    assert 300 <= generated(Position).count() <= 900
    assert Organisation.objects.filter(kind="intergovernmental", country__isnull=True).exists()
    assert Organisation.objects.filter(parent__isnull=False).exists()
    # Bodies the sources describe without naming them: owner and location differ.
    unnamed = Organisation.objects.filter(slug__startswith=f"g{SEED}-org-", unnamed=True)
    assert unnamed.exists()
    assert not unnamed.filter(Q(location__isnull=True) | Q(location=F("country"))).exists()
    # Some events are told "according to" a body or an official.
    attributed = generated(Event).filter(
        Q(according_to__isnull=False) | Q(according_to_official__isnull=False)
    )
    assert 0.02 * EVENTS <= attributed.count() <= 0.08 * EVENTS
    assert Event.organisations.through.objects.exists()
    assert Event.officials.through.objects.exists()
    assert Agreement.objects.filter(value_amount__isnull=False).exclude(value_currency="").exists()
    # Every current country is available, and events use many of them.
    used = Event.countries.through.objects.values("country").distinct().count()
    assert used > 60
    assert "relations.Event" in summary and "Database size" in summary


@on_postgresql
def test_about_nine_claims_in_ten_are_published():
    generate()
    for model in (Event, Agreement, Statement, Position, Membership):
        counts = generated(model).aggregate(
            total=Count("id"), published=Count("id", filter=Q(status="published"))
        )
        share = counts["published"] / counts["total"]
        assert 0.85 <= share <= 0.95 if model is Event else 0.75 <= share <= 1, model
    assert set(generated(Event).values_list("status", flat=True).distinct()) == {
        "published",
        "draft",
    }


@on_postgresql
def test_stored_fuzzy_dates_are_what_the_parser_reads_from_their_text():
    generate()
    checked = Counter()
    samples = [
        (generated(Event), "date"),
        (generated(Agreement), "date"),
        (generated(Statement), "date"),
        (generated(Source), "published"),
        (generated(Position), "start"),
        (generated(Position).exclude(end=""), "end"),
        (generated(Membership), "start"),
        (generated(Membership).exclude(end=""), "end"),
    ]
    for queryset, name in samples:
        for text, lower, upper, precision in queryset.order_by("slug").values_list(
            name, f"{name}_lower", f"{name}_upper", f"{name}_precision"
        )[:EVENTS]:
            parsed = parse_fuzzy_date(text)
            assert (parsed.lower, parsed.upper, parsed.precision) == (lower, upper, precision)
            checked[precision] += 1
    # Mixed precision, every form the brief asks for, times bounded on one side included.
    assert {
        "day", "month", "year", "part-of-month", "part-of-year", "interval", "open",
        *NEW_PRECISIONS,
    } <= set(checked)  # fmt: skip
    assert checked["day"] > checked["month"] > checked["part-of-month"]
    # Open starts ("by 2005": 0001-01-01) and ends aside, dates run from 1990 to LAST_DAY.
    dated = generated(Event).exclude(date_precision__in=["not-after", "recent"])
    dates = dated.aggregate(first=Min("date_lower"), last=Max("date_lower"))
    assert datetime.date(1990, 1, 1) <= dates["first"] < datetime.date(1992, 1, 1)
    assert datetime.date(2025, 1, 1) < dates["last"] <= LAST_DAY  # fixed, not today
    for prefix in ("c. ", "since ", "by ", "as early as ", "after ", "in recent years, as of "):
        assert generated(Event).filter(date__startswith=prefix).exists(), prefix
    assert generated(Event).filter(date__startswith="after ", date__contains=", by ").exists()
    bounded = generated(Event).filter(date_precision__in=NEW_PRECISIONS).count()
    assert 0.02 * EVENTS <= bounded <= 0.07 * EVENTS  # a share, not the norm


@on_postgresql
def test_the_same_seed_gives_the_same_content_and_another_seed_does_not():
    generate()
    first = digest(SEED)
    generate(replace=True)
    assert digest(SEED) == first
    assert generated(Event).count() == EVENTS  # replaced, not added
    generate(seed=SEED + 1)
    assert digest(SEED + 1)[1] != first[1]  # different titles and dates, not just slugs
    assert generated(Event, SEED + 1).count() == EVENTS  # seeds coexist
    assert generated(Event).count() == EVENTS


def all_indexes() -> set[tuple[str, str, str]]:
    """Every index and constraint of the schema, by table, name and definition."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, indexname, indexdef FROM pg_indexes "
            "WHERE schemaname = current_schema() UNION ALL "
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE connamespace = current_schema()::regnamespace"
        )
        return set(cursor.fetchall())


@on_postgresql
def test_a_run_into_empty_tables_ends_with_the_indexes_it_found(monkeypatch):
    monkeypatch.setattr(generator, "REBUILD_INDEXES_FROM", 1)  # any run counts as big
    dropped: list[str] = []
    drop = generator.drop_plain_indexes

    def spy(connection, db_tables):
        dropped.extend(definitions := drop(connection, db_tables))
        return definitions

    monkeypatch.setattr(generator, "drop_plain_indexes", spy)
    before = all_indexes()
    out = generate(verbosity=2)
    assert any("gin_trgm_ops" in d for d in dropped)  # the events' title index among them
    assert any("relations_event_search" in d for d in dropped)
    assert "made again" in out
    assert all_indexes() == before
    first = digest(SEED)
    # Now the tables have rows: nothing is dropped, and the rows are the same as before.
    dropped.clear()
    generate(replace=True)
    assert not dropped
    assert all_indexes() == before
    assert digest(SEED) == first


@on_postgresql
def test_a_seed_already_present_is_refused_without_replace():
    generate(events=50)
    before = Event.objects.count()
    with pytest.raises(CommandError, match="--replace"):
        generate(events=50)
    assert Event.objects.count() == before


@on_postgresql
def test_a_few_pairs_are_far_busier_than_the_rest():
    generate()
    per_event: dict[int, list[str]] = {}
    for event, code in Event.countries.through.objects.filter(
        event__slug__startswith=f"g{SEED}-ev-"
    ).values_list("event", "country__code"):
        per_event.setdefault(event, []).append(code)
    pairs = Counter(
        tuple(sorted((a, b)))
        for codes in per_event.values()
        for i, a in enumerate(codes)
        for b in codes[i + 1 :]
    )
    (busiest, top), *_ = pairs.most_common(1)
    assert busiest == ("BY", "IR")  # the documented busiest pair
    assert top >= 30  # ~5 % of 1,000
    assert top >= 10 * statistics.median(pairs.values())


@on_postgresql
def test_every_citation_supports_exactly_one_claim():
    generate()
    claims = ("event", "agreement", "statement", "position", "membership")
    counts = Citation.objects.aggregate(
        total=Count("id"), **{c: Count("id", filter=Q(**{f"{c}__isnull": False})) for c in claims}
    )
    assert counts["total"] == sum(counts[c] for c in claims)
    assert all(counts[c] for c in claims)
    # Each post has a note of its own; some are also stated in the note of an event.
    assert counts["position"] > generated(Position).count()
    # Every claim is cited, and every footnote backs a claim.
    for model in (Agreement, Statement, Position, Membership):
        assert not generated(model).filter(citations__isnull=True).exists()
    assert not generated(Footnote).filter(citations__isnull=True).exists()
    assert not Statement.objects.filter(
        speaker__isnull=True, speaker_organisation__isnull=True, event__isnull=True
    ).exists()


@on_postgresql
def test_sources_have_numbered_footnotes_and_a_share_of_them_back_several_claims():
    generate()
    notes = generated(Footnote).select_related("source")
    by_source = defaultdict(list)
    for note in notes:
        # The slug Footnote.make_slug would give: source slug and locator.
        assert note.slug == slugify(f"{note.source.slug} {note.locator}")
        style, number = note.locator.rsplit(" ", 1)
        by_source[note.source_id].append((style, int(number)))
    for numbered in by_source.values():
        assert len({style for style, _ in numbered}) == 1  # one style a source
        assert sorted(n for _, n in numbered) == list(range(1, len(numbered) + 1))
    assert {style for numbered in by_source.values() for style, _ in numbered} == {
        "note", "para.", "p.", "section",
    }  # fmt: skip
    assert notes.exclude(excerpt="").exists()

    cited = notes.annotate(n=Count("citations"))
    # About a quarter of notes back several claims. Counted among events' notes: a small run
    # has posts and memberships out of proportion (300 officials at least), each with a note.
    of_events = cited.filter(pk__in=Citation.objects.filter(event__isnull=False).values("footnote"))
    shared = of_events.filter(n__gt=1).count() / of_events.count()
    assert 0.2 <= shared <= 0.35, shared
    # The ways a note backs several claims: each is there, and each pair is coherent.
    at_event = Citation.objects.filter(
        statement__isnull=False,
        footnote__citations__event=F("statement__event"),
        statement__slug__startswith=f"g{SEED}-st-",
    )
    signed = Citation.objects.filter(
        agreement__isnull=False, footnote__citations__event__agreements=F("agreement")
    )
    stated_post = Citation.objects.filter(
        position__isnull=False,
        footnote__citations__event__officials=F("position__official"),
        footnote__citations__event__date_upper__gte=F("position__start_lower"),
    )
    two_events = cited.annotate(
        events=Count("citations", filter=Q(citations__event__isnull=False))
    ).filter(events__gt=1)
    founders = cited.annotate(
        members=Count("citations", filter=Q(citations__membership__role="founding member"))
    ).filter(members__gt=1)
    for kind in (at_event, signed, stated_post, two_events, founders):
        assert kind.exists()


@on_postgresql
def test_memberships_of_intergovernmental_organisations():
    generate()
    memberships = generated(Membership)
    igos = Organisation.objects.filter(
        slug__startswith=f"g{SEED}-org-", kind="intergovernmental"
    ).annotate(n=Count("members"))
    assert igos.count() == 10 and igos.aggregate(low=Min("n"))["low"] >= 3
    assert memberships.filter(member_organisation__isnull=False).exists()
    assert memberships.filter(member_country__isnull=False).count() > 0.9 * memberships.count()
    assert {"founding member", "member"} <= set(memberships.values_list("role", flat=True))
    assert memberships.exclude(end="").exists() and memberships.filter(end="").exists()
    assert memberships.filter(start_precision="not-after").exists()  # "as early as 1998"
    # An organisation's founders joined on one date, listed in one note, in the note's order.
    for igo in igos:
        founders = memberships.filter(organisation=igo, role="founding member")
        assert founders.values("start").distinct().count() == 1
        notes = Citation.objects.filter(membership__in=founders).values("footnote")
        assert notes.distinct().count() == 1
        sequences = list(founders.order_by("sequence").values_list("sequence", flat=True))
        assert len(set(sequences)) == len(sequences) >= 2


@on_postgresql
def test_a_share_of_events_concern_another_relationship():
    by_ir = relationship("BY", "IR")  # made by hand: reused, not duplicated
    generate()
    concerning = Event.concerns.through.objects.filter(event__slug__startswith=f"g{SEED}-ev-")
    assert 0.03 * EVENTS <= concerning.count() <= 0.07 * EVENTS
    participants = defaultdict(set)
    for event, country in Event.countries.through.objects.filter(
        event__in=concerning.values("event")
    ).values_list("event", "country"):
        participants[event].add(country)
    for link in concerning.select_related("relationship"):
        pair = {link.relationship.first_id, link.relationship.second_id}
        assert not pair <= participants[link.event_id]  # not both took part
    assert concerning.filter(relationship=by_ir).exists()  # the busiest pair, concerned too
    for rel in Relationship.objects.select_related("first", "second"):
        assert rel.first.code < rel.second.code and rel.slug == Relationship.slug_for(
            rel.first, rel.second
        )
    # Agreements signed and statements made at such events concern the relationship too.
    assert Agreement.concerns.through.objects.exists()
    assert Statement.concerns.through.objects.exists()
    relationships = Relationship.objects.count()
    generate(replace=True)
    assert Relationship.objects.count() == relationships  # kept, and reused


@on_postgresql
def test_statements_are_quotes_in_one_or_two_fragments_or_paraphrases():
    generate()
    statements = generated(Statement)
    paraphrases = statements.filter(form=Statement.Form.PARAPHRASE)
    assert 0.2 <= paraphrases.count() / statements.count() <= 0.4
    assert set(paraphrases.values_list("verb", flat=True)) <= set(REPORTING_VERBS)
    assert not paraphrases.filter(quote__contains="\n").exists()
    two = [s for s in statements.filter(form=Statement.Form.QUOTE) if len(s.fragments) == 2]
    assert 0.03 * statements.count() <= len(two) <= 0.2 * statements.count()
    assert str(paraphrases.first()).split(" that ", 1)[0].endswith(paraphrases.first().verb)
    # "X has said...": undated, so dated by its source's publication date.
    undated = [
        (s.date, s.citations.get().footnote.source.published)
        for s in statements.filter(event__isnull=True, date__startswith="by ")
    ]
    assert undated and all(date == f"by {published}" for date, published in undated)


@on_postgresql
def test_same_date_claims_of_a_source_are_ordered_as_the_source_tells_them():
    generate()
    claims = defaultdict(list)  # (source, date) -> sequences
    for model in (Event, Agreement, Statement):
        for claim in generated(model).prefetch_related("citations__footnote"):
            first = min(claim.citations.all(), key=lambda c: c.pk)  # cited first
            claims[first.footnote.source_id, claim.date].append(claim.sequence)
    assert all(sequence >= 1 for group in claims.values() for sequence in group)
    together = [group for group in claims.values() if len(group) > 1]
    assert len(together) >= 10
    assert all(len(set(group)) == len(group) for group in together)


@on_postgresql
def test_ids_reserved_for_footnotes_but_not_used_are_given_back():
    generate()
    last = Footnote.objects.aggregate(last=Max("id"))["last"]
    source = generated(Source).order_by("slug").first()
    assert Footnote.objects.create(source=source, locator="p. 999").pk == last + 1


@on_postgresql
def test_replace_leaves_hand_made_rows_as_on_delete_would():
    generate(events=100)
    org = Organisation.objects.filter(slug__startswith=f"g{SEED}-org-").order_by("slug").first()
    event = generated(Event).order_by("slug").first()
    mine = Event.objects.create(slug="hand-made", title="Hand-made", date="2010")
    mine.domains.add(Domain.objects.first())
    mine.organisations.add(org)
    ministry = Organisation.objects.create(slug="mine", name="Mine")
    said = Statement.objects.create(
        slug="said", quote="Words.", speaker_organisation=ministry, event=event
    )

    # Statement.event is PROTECT: the words said at a generated event keep it.
    with pytest.raises(CommandError, match="Hand-made statements"):
        generate(events=100, replace=True)
    said.delete()
    generate(events=100, replace=True)

    mine.refresh_from_db()
    assert not mine.organisations.exists()  # the link to the deleted organisation went
    assert generated(Event).count() == 100

    # A hand-made post or membership in a generated organisation is protected.
    official = Official.objects.filter(slug__startswith=f"g{SEED}-off-").order_by("slug").first()
    belarus = Country.objects.get(code="BY")
    post = Position.objects.create(slug="post", official=official, title="Envoy", country=belarus)
    with pytest.raises(CommandError, match="Hand-made positions"):
        generate(events=100, replace=True)
    post.delete()
    igo = Organisation.objects.filter(slug__startswith=f"g{SEED}-org-", kind="intergovernmental")
    joined = Membership.objects.create(slug="joined", member_country=belarus, organisation=igo[0])
    with pytest.raises(CommandError, match="Hand-made memberships"):
        generate(events=100, replace=True)
    joined.delete()
    # A hand-made claim citing a generated footnote stops it too.
    note = generated(Footnote).order_by("slug").first()
    Citation.objects.create(event=mine, footnote=note)
    with pytest.raises(CommandError, match="Hand-made claims cite sources"):
        generate(events=100, replace=True)


@pytest.mark.sqlite
def test_bad_arguments_and_an_unmigrated_database_are_refused():
    with pytest.raises(CommandError, match="--events must be 0 or more"):
        generate(events=-1)
    with pytest.raises(CommandError, match="--seed must be 0 or more"):
        generate(seed=-3)
    Country.objects.update(withdrawn=datetime.date(2000, 1, 1))
    with pytest.raises(CommandError, match=r"run `manage\.py migrate` first"):
        generate(events=10)


@pytest.mark.sqlite
def test_the_generator_fills_every_column_of_its_tables():
    # A new model field needs a value in relations/generator.py, or COPY would leave it NULL.
    assert unfilled_columns() == []
    assert slug_prefix(3, EVENT) == "g3-ev-"
    assert {slug_prefix(1, t) for t in (AGREEMENT, STATEMENT, MEMBERSHIP)} == {
        "g1-agr-", "g1-st-", "g1-mem-",
    }  # fmt: skip


# --- Readers' caches ------------------------------------------------------------------------
@pytest.mark.sqlite
def test_generating_and_replacing_refresh_readers_caches(django_capture_on_commit_callbacks):
    """COPY, bulk_create and delete_generated's raw SQL send no signals: each run bumps the
    knowledge-base version itself, once its transaction commits."""
    for replace in (False, True):
        before = kb.version()
        with django_capture_on_commit_callbacks() as callbacks:
            generate(events=20, seed=3, replace=replace)
        assert kb.version() == before  # not before the commit
        for callback in callbacks:
            callback()
        assert kb.version() > before


@pytest.mark.sqlite
def test_delete_generated_is_all_or_nothing_and_refreshes_readers_caches(
    django_capture_on_commit_callbacks,
):
    generate(events=20, seed=3)
    cited = Citation.objects.filter(event__slug__startswith="g3-ev-").count()
    source = Source.objects.filter(slug__startswith="g3-src-").first()
    mine = Event.objects.create(slug="hand-made", title="Hand-made", date="2010")
    # A hand-made footnote in a generated source: it goes with its source, once uncited.
    note = Footnote.objects.create(source=source, locator="p. 999")
    mine_cites = Citation.objects.create(event=mine, footnote=note)
    before = kb.version()
    refused = pytest.raises(GenerationError, match="Hand-made claims cite sources")
    with django_capture_on_commit_callbacks(execute=True), refused:
        delete_generated(3)
    # The generated claims' citations were deleted before the refusal: rolled back with it.
    assert Citation.objects.filter(event__slug__startswith="g3-ev-").count() == cited
    assert kb.version() == before

    mine_cites.delete()
    with django_capture_on_commit_callbacks(execute=True):
        delete_generated(3)
    for model in (Event, Membership, Footnote, Source):
        assert not generated(model, 3).exists()
    assert not Footnote.objects.filter(pk=note.pk).exists()
    assert kb.version() > before


# --- Any database: the bulk_create path on SQLite -------------------------------------------
@pytest.mark.sqlite
def test_smoke_on_any_database():
    generate(events=200, seed=2)
    assert generated(Event, 2).count() == 200
    assert links_per_event(Event.countries.through, seed=2)["events"] == 200
    assert generated(Statement, 2).count() == 20
    assert generated(Membership, 2).exists() and Event.concerns.through.objects.exists()
    assert Citation.objects.filter(footnote__slug__startswith="g2-src-").count() > (
        generated(Footnote, 2).count()  # notes shared by several claims
    )
    first = digest(2)
    generate(events=200, seed=2, replace=True)
    assert digest(2) == first
    for text, lower, upper in generated(Event, 2).values_list("date", "date_lower", "date_upper"):
        parsed = parse_fuzzy_date(text)
        assert (parsed.lower, parsed.upper) == (lower, upper)
