"""Officials' posts as a page states them: "Belarussian Deputy PM Vladimir Semashko", "Vice
Governor of the Central Bank of Iran, Reza Raei", "President Ahmadinejad" (a rule of
``intake.propose``, as those of ``intake.rules``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from intake.gazetteer import Gazetteer, Match
from intake.proposals import Ref

HEAD_TITLES = (
    "President",
    "Vice President",
    "Prime Minister",
    "PM",
    "FM",
    "Minister",
    "Governor",
    "Chairman",
    "Chairwoman",
    "Chair",
    "Secretary",
    "Secretary-General",
    "Ambassador",
    "Speaker",
    "Director",
    "Commander",
    "Chief",
    "Premier",
    "Chancellor",
    "King",
    "Queen",
    "Emir",
    "Mayor",
    "Envoy",
    "Head",
    "Spokesman",
    "Spokeswoman",
    "Spokesperson",
    "Leader",
    "Deputy",
)
TITLE_HEADS = {t.split()[-1] for t in HEAD_TITLES}
ABBREVIATIONS = {"PM": "Prime Minister", "FM": "Foreign Minister"}
MINISTRY_TOPICS = {"Foreign": "Foreign Affairs", "Interior": "Internal Affairs"}
_TITLE_RUN = re.compile(r"((?:[A-Z][\w\-]*\.?\s+)*?[A-Z][\w\-]*)\s*$")
#: Words a title is made of besides its head ("Deputy PM", "Vice Governor"); a word before
#: "Minister" is its topic ("Culture Minister").
TITLE_WORDS = TITLE_HEADS | {
    "Deputy",
    "Vice",
    "First",
    "Acting",
    "Prime",
    "General",
    "Executive",
    "Senior",
    "Special",
    "Under-Secretary",
    "Assistant",
}


def normalise_title(words: str) -> str:
    """ "Deputy PM" -> "Deputy Prime Minister"; "Culture Minister" -> "Minister of Culture"."""
    tokens = [ABBREVIATIONS.get(w, w) for w in words.split()]
    title = " ".join(tokens)
    match = re.fullmatch(
        r"(?P<pre>(?:Deputy |Vice |First |Acting )*)(?P<topic>[A-Z]\w+) Minister", title
    )
    if match and match.group("topic") not in ("Prime", "Deputy", "Vice", "First", "Acting"):
        topic = MINISTRY_TOPICS.get(match.group("topic"), match.group("topic"))
        return f"{match.group('pre')}Minister of {topic}"
    return title


@dataclass(frozen=True)
class Post:
    official: Ref
    title: str
    country: Ref | None
    organisation: Ref | None


def title_before(text: str) -> str:
    """The run of capitalised words that ends ``text`` when it ends in a title word."""
    match = _TITLE_RUN.search(text[-120:])  # a title is a few words: bound the search
    if not match:
        return ""
    words = match.group(1).split()
    if words[-1] not in TITLE_HEADS:
        return ""
    start = len(words) - 1  # back from the head, while the words are a title's
    while start > 0 and (
        words[start - 1] in TITLE_WORDS or words[start] in ("Minister", "Ministry")
    ):
        start -= 1
    return " ".join(words[start:])


def posts(text: str, matches: list[Match], gazetteer: Gazetteer) -> list[Post]:
    """ "Belarussian Deputy PM Vladimir Semashko", "Vice Governor of the Central Bank of Iran,
    Reza Raei", "President Ahmadinejad": an official's post, as the page states it."""
    found = []
    matches = [m for m in matches if m.kind != "domain"]  # "Culture" in "Culture Minister"
    for i, m in enumerate(matches):
        if m.kind != "official":
            continue
        prefix = text[: m.start]
        before = matches[i - 1] if i else None
        country = organisation = None
        # "Vice Governor of the <organisation>, <official>"
        comma = re.search(r",\s*$", prefix)
        if comma and before and before.kind in ("organisation", "country"):
            head = text[: before.start]
            of = re.search(r"\s+of\s+(?:the\s+)?$", head)
            title = title_before(head[: of.start()]) if of else ""
            if title:
                if before.kind == "organisation":
                    organisation = before.ref
                else:
                    country = gazetteer.country_ref(before.ref.key, before.text)
                found.append(_post(m.ref, title, country, organisation, gazetteer))
            continue
        title = title_before(prefix)
        if not title:
            continue
        # the title may open with a state's name or demonym: "Belarussian Deputy PM", "Belarus’"
        title_start = len(prefix.rstrip()) - len(title)
        if before and before.kind == "country" and before.end > title_start - 3:
            between = prefix[before.end :]
            if not re.fullmatch(
                r"(?:['’]s?)?\s+" + re.escape(between.strip(" ’'")) + r"\s*", between
            ):
                continue
            country = gazetteer.country_ref(before.ref.key, before.text)
            title = between.strip(" ’'").removeprefix("s ").strip()
            if not title or title.split()[-1] not in TITLE_HEADS:
                continue
        words = title.split()
        found.append(_post(m.ref, " ".join(words), country, organisation, gazetteer))
    return found


def _post(official, words, country, organisation, gazetteer) -> Post:
    title = normalise_title(words)
    if country is None and organisation is not None:
        code = gazetteer.country_of_ref(organisation)
        if not code:  # a new body's state, from its name: "Central Bank of … Iran"
            named = gazetteer.find(organisation.name, ("country",))
            code = named[-1].ref.key if named else ""
        country = gazetteer.country_ref(code) if code else None
    if country is None:
        code = gazetteer.country_of_ref(official)
        country = gazetteer.country_ref(code) if code else None
    if organisation is None and country is not None and title.startswith("Minister of "):
        ministry = "ministry of " + title[len("Minister of ") :].lower()
        for slug, name, code in gazetteer.organisations:
            if code == country.key and ministry in name.lower():
                organisation = Ref("organisation", name, slug)
                break
    return Post(official, title, country, organisation)
