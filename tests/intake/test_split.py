"""Cutting a paste into footnoted passages, and refusing what cannot be read."""

import pytest

from intake.propose import read_page
from intake.split import MAX_BYTES, clean, parse_notes, split
from tests.intake.kb import SEED_PAGE


def test_the_seed_page_gives_its_head_sections_and_thirteen_passages():
    cut = split(clean(SEED_PAGE.read_text())[0])
    assert (cut.title, cut.date) == ("Belarus-Iran Foreign Relations", "July 06, 2010")
    assert cut.headings == ["Nuclear", "Economic Relationship", "Diplomatic/Military Relationship"]
    assert [n.number for n in cut.notes] == list(range(1, 14))
    assert cut.notes[5].section == "Economic Relationship"
    assert cut.notes[5].passage.startswith("Subsequently, the Central Bank of Iran agreed")
    # the page lists no notes: the passage is the excerpt, the link line is chrome
    assert cut.notes[1].excerpt.endswith("in Tehran in June 2008.")
    assert all("Click here" not in n.passage for n in cut.notes)
    assert all("{{" not in n.passage for n in cut.notes) and "{{" not in cut.title


@pytest.mark.parametrize(
    "text",
    [
        "Kenya and Uganda met.[1] They signed a treaty.[2]",
        "Kenya and Uganda met.¹ They signed a treaty.²",
        "Kenya and Uganda met.(1) They signed a treaty. (2)",
        "<p>Kenya and Uganda met.<sup>1</sup> They signed a treaty.<sup>2</sup></p>",
    ],
)
def test_every_marker_form_closes_its_passage(text):
    cut = split(clean(text)[0])
    assert [(n.number, n.passage) for n in cut.notes] == [
        (1, "Kenya and Uganda met."),
        (2, "They signed a treaty."),
    ]


def test_a_run_of_sentences_belongs_to_the_marker_that_closes_it():
    cut = split("Heading:\nThey met. They talked at length.[4] Later they left.[5]")
    assert cut.notes[0].passage == "They met. They talked at length."
    assert cut.notes[0].section == "Heading"
    assert cut.notes[1].passage == "Later they left."


def test_a_parenthesised_number_in_a_list_is_not_a_marker():
    cut = split("They agreed on (1) trade and (2) visas.[1]")
    assert [n.number for n in cut.notes] == [1]


def test_the_list_of_notes_gives_each_note_its_text_pasted_with_the_page_or_apart():
    page = (
        "Kenya and Uganda met.[1] They signed.[2]\n"
        "Notes\n1. The Standard, 12 March 2012.\n[2] Daily\nMonitor."
    )
    cut = split(page)
    assert [n.text for n in cut.notes] == ["The Standard, 12 March 2012.", "Daily Monitor."]
    assert split("Sources say they met.[1]").notes[0].passage == "Sources say they met."
    assert len(split("They met.[1]\n200 men marched.[2]").notes) == 2  # a number is no note
    assert cut.notes[0].excerpt == "The Standard, 12 March 2012."
    apart = split("Kenya and Uganda met.[1]", "¹ Reuters, 2 May 2012")
    assert apart.notes[0].text == "Reuters, 2 May 2012"
    assert parse_notes("(none)") == {}


def test_a_page_without_markers_is_refused_with_a_reason():
    page = read_page("Kenya and Uganda met. They signed a treaty.")
    assert page.proposals == [] and "no footnote markers" in page.problems[0]


def test_notes_without_markers_are_refused_with_a_reason():
    page = read_page("Kenya and Uganda met.", "1. The Standard, 12 March 2012.")
    assert page.proposals == [] and "lists 1 notes but its text has no" in page.problems[0]


def test_a_paste_over_the_limit_is_refused_before_it_is_read(monkeypatch):
    def never(*args):
        raise AssertionError("read")

    monkeypatch.setattr("intake.propose.split", never)
    monkeypatch.setattr("intake.propose.clean", never)
    page = read_page("x" * MAX_BYTES)
    assert "5.0 MB" in page.problems[0] and page.proposals == []
    # bytes count, not characters: a page of 2-byte letters is refused at half the length
    assert read_page("й" * (MAX_BYTES // 2)).problems


def test_markup_is_stripped_to_text_and_said():
    text, said, refused = clean("<p>Kenya &amp; Uganda <b>met</b>.<sup>1</sup></p>")
    assert "Kenya & Uganda met.[1]" in text
    assert said and "markup" in said[0] and not refused


@pytest.mark.parametrize(
    "paste",
    [
        "<p>They met.<sup>1</sup></p><script>document.title='x'</script>",
        '<p onclick="steal()">They met.[1]</p>',
        '<a href="javascript:steal()">They met.</a>[1]',
        '<img src=x onerror="steal()"/>They met.[1]',
    ],
)
def test_scripts_are_dropped_unread_and_the_paste_refused(paste):
    text, _, refused = clean(paste)
    assert "steal" not in text and "document" not in text
    assert refused and "never run" in refused[0]
    page = read_page(paste)
    assert page.problems == refused and page.proposals == []


def test_markers_side_by_side_share_a_passage_a_repeated_sentence_does_not():
    cut = split("They met.[1][2]\nThey met.[3]")
    assert [n.passage for n in cut.notes] == ["They met."] * 3
    assert cut.joined == {2: 1}


def test_a_marker_after_a_long_stretch_closes_only_its_last_sentences():
    cut = split("Words go on. " * 400 + "Kenya and Uganda met.[1]")
    passage = cut.notes[0].passage
    assert len(passage) <= 2_000 and passage.startswith("Words go on.")
    assert passage.endswith("Kenya and Uganda met.") and "Note 1 closes" in cut.warnings[0]


@pytest.mark.parametrize(
    "page",
    [
        "Title\nNuclear:\nThey met.[1]\nEnergy Ties:\nThey traded.[2]",
        "Title\n## Nuclear\nThey met.[1]\n## Energy Ties\nThey traded.[2]",
        "<h1>Title</h1><h2>Nuclear</h2><p>They met.[1]</p><h3>Energy Ties</h3><p>They traded.[2]",
        "Title\nNuclear:\nThey met.[1]\nEnergy Ties\nThey traded.[2]",
    ],
)
def test_section_headings_however_written(page):
    cut = split(clean(page)[0])
    assert cut.title == "Title"
    assert [(n.section, n.passage) for n in cut.notes] == [
        ("Nuclear", "They met."),
        ("Energy Ties", "They traded."),
    ]
