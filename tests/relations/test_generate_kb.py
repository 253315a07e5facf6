"""``manage.py generate_kb``: the synthetic knowledge base is well-formed, skewed, repeatable.

Plain ``django_db``: COPY runs inside the test's transaction like any other statement, and
rolling back is far faster than flushing (which would also drop the migration's countries).
"""

import datetime
import hashlib
import statistics
from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, Max, Min, Q

from core import cache as kb
from core.dates import parse_fuzzy_date
from relations.generator import (
    AGREEMENT,
    EVENT,
    LAST_DAY,
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
    Official,
    Organisation,
    Position,
    Statement,
)
from sources.models import Source

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


def generated(model, seed: int = SEED):
    kind = {Event: "ev", Agreement: "agr", Statement: "st", Source: "src", Position: "pos"}
    return model.objects.filter(slug__startswith=f"g{seed}-{kind[model]}-")


def links_per_event(through, seed: int = SEED) -> dict[str, int]:
    """Fewest and most links of a generated event, and how many events have any."""
    per_event = (
        through.objects.filter(event__slug__startswith=f"g{seed}-ev-")
        .values("event")
        .annotate(n=Count("id"))
    )
    return {**per_event.aggregate(low=Min("n"), high=Max("n")), "events": per_event.count()}


def digest(seed: int) -> tuple[str, str]:
    """A fingerprint of a seed's events (slugs, dates, titles, countries) without their ids."""
    rows = generated(Event, seed).order_by("slug").values_list("slug", "date", "title", "status")
    codes = (
        Event.countries.through.objects.filter(event__slug__startswith=f"g{seed}-ev-")
        .order_by("event__slug", "country__code")
        .values_list("event__slug", "country__code")
    )
    titles = hashlib.sha256(repr([row[1:] for row in rows]).encode()).hexdigest()
    return hashlib.sha256(repr([list(rows), list(codes)]).encode()).hexdigest(), titles


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
    for model in (Event, Agreement, Statement, Position):
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
    ]
    for queryset, name in samples:
        for text, lower, upper, precision in queryset.order_by("slug").values_list(
            name, f"{name}_lower", f"{name}_upper", f"{name}_precision"
        )[:400]:
            parsed = parse_fuzzy_date(text)
            assert (parsed.lower, parsed.upper, parsed.precision) == (lower, upper, precision)
            checked[precision] += 1
    # Mixed precision, every form the brief asks for.
    assert {"day", "month", "year", "part-of-month", "part-of-year", "interval", "open"} <= set(
        checked
    )
    assert checked["day"] > checked["month"] > checked["part-of-month"]
    dates = generated(Event).aggregate(first=Min("date_lower"), last=Max("date_lower"))
    assert datetime.date(1990, 1, 1) <= dates["first"] < datetime.date(1992, 1, 1)
    assert datetime.date(2025, 1, 1) < dates["last"] <= LAST_DAY  # fixed, not today
    assert generated(Event).filter(date__startswith="c. ").exists()
    assert generated(Event).filter(date__startswith="since ").exists()


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
    claims = ("event", "agreement", "statement", "position")
    counts = Citation.objects.aggregate(
        total=Count("id"), **{c: Count("id", filter=Q(**{f"{c}__isnull": False})) for c in claims}
    )
    assert counts["total"] == sum(counts[c] for c in claims)
    assert all(counts[c] for c in claims)
    assert counts["position"] == generated(Position).count()
    # Every claim is cited.
    for model in (Agreement, Statement, Position):
        assert not generated(model).filter(citations__isnull=True).exists()
    assert not Statement.objects.filter(
        speaker__isnull=True, speaker_organisation__isnull=True, event__isnull=True
    ).exists()


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

    # A hand-made post in a generated organisation is protected: nothing is deleted.
    official = Official.objects.filter(slug__startswith=f"g{SEED}-off-").order_by("slug").first()
    belarus = Country.objects.get(code="BY")
    Position.objects.create(slug="post", official=official, title="Envoy", country=belarus)
    with pytest.raises(CommandError, match="Hand-made positions"):
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
    assert {slug_prefix(1, t) for t in (AGREEMENT, STATEMENT)} == {"g1-agr-", "g1-st-"}


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
    mine_cites = Citation.objects.create(event=mine, source=source)
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
    assert not generated(Event, 3).exists()
    assert kb.version() > before


# --- Any database: the bulk_create path on SQLite -------------------------------------------
@pytest.mark.sqlite
def test_smoke_on_any_database():
    generate(events=200, seed=2)
    assert generated(Event, 2).count() == 200
    assert links_per_event(Event.countries.through, seed=2)["events"] == 200
    assert generated(Statement, 2).count() == 20
    first = digest(2)
    generate(events=200, seed=2, replace=True)
    assert digest(2) == first
    for text, lower, upper in generated(Event, 2).values_list("date", "date_lower", "date_upper"):
        parsed = parse_fuzzy_date(text)
        assert (parsed.lower, parsed.upper) == (lower, upper)
