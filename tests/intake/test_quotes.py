"""Quotations, their speakers' verbs, and paraphrases."""

from intake.rules import PARAPHRASE, context, quotes, reporting_verb


def test_quotations_are_verbatim_in_curly_straight_or_mixed_marks():
    text = 'He said “ties are growing in all fields.” and “the two enjoy trade." and "fine words."'
    assert [q.words for q in quotes(text)] == [
        "ties are growing in all fields.",
        "the two enjoy trade.",
        "fine words",
    ]


def test_a_quoted_term_leaves_the_sentence_its_full_stop():
    assert quotes("relations as a “strategic partnership.”")[0].words == "strategic partnership"
    long = "agreed “to act jointly to counter attempts to exert pressure.”"
    assert quotes(long)[0].words.endswith("pressure.")


def test_the_reporting_verb_is_the_sources():
    assert reporting_verb(" stated, ") == "stated"
    assert reporting_verb("At their meeting in May 2007, the two agreed ") == "agreed"
    assert reporting_verb(" referred to the relationship as a ") == "said"


def test_a_speaker_who_added_that_is_paraphrased():
    match = PARAPHRASE.search("Lukashenko added that this desire is part of a move.")
    assert match.group(1) == "added"
    assert match.group("words") == "this desire is part of a move."


def test_where_words_were_said():
    assert context("A press release issued by the ICRO stated, ") == "in a press release"
    assert context("In an interview, the minister said ") == "in an interview"
    assert context("According to President Ahmadinejad, ") == ""
