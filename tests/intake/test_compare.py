"""The correction counter agrees with itself: the fixture loaded is the fixture read."""

from dataclasses import replace

from sources.models import Source
from tests.intake.compare import corrections, facts_from_db, facts_from_fixture
from tests.intake.kb import FIXTURE


def test_the_loaded_seed_needs_no_correction_and_a_changed_one_is_counted(seed):
    expected = facts_from_fixture(FIXTURE)
    saved = facts_from_db(Source.objects.get(slug="belarus-iran-foreign-relations-2010"))
    assert len(expected) == len(saved) == 25
    assert corrections(expected, saved) == []

    statement = next(f for f in saved if f.kind == "statement" and f.detail == "paraphrase")
    changed = replace(
        statement,
        values=tuple((k, "" if k == "speaker" else v) for k, v in statement.values),
    )
    got = [f for f in saved if f is not statement and f.kind != "membership"] + [changed]
    found = corrections(expected, got)
    assert len(found) == 2
    assert "speaker: - -> official:alexander-lukashenko" in found[0]
    assert found[1].startswith("add membership")
