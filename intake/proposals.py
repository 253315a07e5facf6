"""What "Bring in a page" proposes: plain data, made by ``intake.propose`` from the pasted
text, shown and corrected on the confirm screen (``intake.admin``), written by ``intake.save``.

Field names follow the models' (``relations.models``), so saving is a copy, not a mapping.
Records are named by natural key (country code, organisation/official/domain slug,
relationship slug); a ``Ref`` without a key is a new record the analyst may create.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

#: The claim kinds a passage may become, as ``relations.models`` names them.
KINDS = ("event", "statement", "agreement", "position", "membership")


@dataclass(frozen=True)
class Ref:
    """A record the text names: an existing one (``key`` is its natural key) or a new one to
    create on save (``key`` is ""). ``kind``: country, organisation, official or domain."""

    kind: str
    name: str  # the record's name, or the proposed name of a new one
    key: str = ""  # natural key; "" = new
    as_written: str = ""  # the words of the page that named it ("Belarussian", "Minsk")

    @property
    def is_new(self) -> bool:
        return not self.key


@dataclass
class Note:
    """One footnote marker of the page and what it backs."""

    number: int  # N, as in the locator "note N"
    section: str  # the heading the passage sits under ("Nuclear"), "" before any heading
    passage: str  # the page's sentence(s) the marker closes, markers removed
    text: str = ""  # the note's own text, from the page's list of notes ("" when it has none)

    @property
    def locator(self) -> str:
        return f"note {self.number}"

    @property
    def excerpt(self) -> str:
        """The footnote's excerpt: the note's text, or the page's own sentence when the page
        lists no notes (the seed is such a page)."""
        return self.text or self.passage


@dataclass
class Proposal:
    """One claim to create, as a draft, cited by ``notes``. Only the fields of its ``kind``
    matter; the rest keep their defaults."""

    id: str  # stable within one page ("p1", "p2", …): what other proposals refer to
    kind: str  # one of KINDS
    notes: list[int]  # the notes that cite it (a fact told under two markers is one claim)
    title: str = ""  # event, agreement; a post's title ("Deputy Prime Minister")
    summary: str = ""  # a suggestion only: the analyst writes their own words
    date: str = ""  # fuzzy date text the parser accepts (core.dates), "" when undated
    date_as_read: str = ""  # the words of the page the date was read from ("In late June 2010")
    sequence: int = 0  # order within its date: the order of the page's sentences
    domains: list[Ref] = field(default_factory=list)
    countries: list[Ref] = field(default_factory=list)
    organisations: list[Ref] = field(default_factory=list)
    officials: list[Ref] = field(default_factory=list)
    concerns: list[str] = field(default_factory=list)  # relationship slugs ("by-ir")
    place: str = ""  # event
    according_to: Ref | None = None  # event, agreement: an organisation or an official
    agreements: list[str] = field(default_factory=list)  # event: ids of agreement proposals
    # statement
    form: str = ""  # "quote" (verbatim) or "paraphrase"
    quote: str = ""  # verbatim words; fragments one per line
    verb: str = ""  # "said", "stated", "added", "agreed"
    speaker: Ref | None = None  # an official or an organisation
    context: str = ""
    event: str = ""  # id of the event proposal it was made at
    # agreement
    agreement_kind: str = ""  # relations.models.Agreement.Kind value
    stage: str = ""  # relations.models.Agreement.Stage value
    value_amount: Decimal | None = None
    value_currency: str = ""
    purpose: str = ""
    # position: official holds title in country and/or organisation, from start to end
    official: Ref | None = None
    country: Ref | None = None
    organisation: Ref | None = None  # a post's organisation; a membership's organisation
    start: str = ""
    end: str = ""
    # membership: member (a country or an organisation) of organisation, as role
    member: Ref | None = None
    role: str = ""
    # what the engine is unsure of, said on the confirm screen next to the proposal
    doubts: list[str] = field(default_factory=list)


@dataclass
class Page:
    """A page read: its notes, the proposals, and what it names that the knowledge base does
    not hold yet."""

    title: str  # the page's own title, when it gives one
    date: str  # the page's date as written ("July 06, 2010"), "" when it gives none
    notes: list[Note]
    proposals: list[Proposal]
    new_records: list[Ref] = field(default_factory=list)  # unrecognised names, offered
    new_domains: list[Ref] = field(default_factory=list)  # headings no domain matches
    problems: list[str] = field(default_factory=list)  # refusals: nothing can be proposed
    # said on the confirm screen, not refusals ("markup was stripped to text")
    warnings: list[str] = field(default_factory=list)
