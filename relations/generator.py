"""A synthetic knowledge base at any scale, for measuring features at 10^6 events.

``manage.py generate_kb`` is a thin wrapper around :func:`generate`. The content imitates what
analysts enter: every current country, organisations and officials with their posts, the
members of intergovernmental organisations, events between states skewed toward a few busy
relationships (some concerning another pair's relations), agreements, statements (quotes, some
in two fragments, and paraphrases), sources with their numbered footnotes, and the citations
that tie claims to footnotes, with fuzzy dates at mixed precision, "by 2005" and "after May
2009" among them.

Shape: :class:`KnowledgeBaseGenerator` turns ``(events, seed)`` into a stream of
``(table, rows)`` batches, one chunk of events at a time, so memory stays flat however many
events are asked for. A sink writes the batches: :class:`CopySink` with PostgreSQL's
``COPY ... FROM STDIN`` on a background thread (PostgreSQL ingests one chunk while Python
builds the next), :class:`OrmSink` with ``bulk_create`` on any other backend. A big run into
empty tables (a fresh install) drops their plain indexes first and builds each once at the
end (core.bulk, as ``import_kb`` does), rather than updating them row by row.

Rules the content keeps:

* Every slug starts with ``g{seed}-{kind}-`` (``g1-ev-0000001``), so generated rows never
  collide with hand-made ones and one seed's rows can be found and deleted by prefix.
* Same ``events`` and ``seed`` give the same rows: one ``random.Random(seed)`` is consumed in
  a fixed order, reference data is read from the database in an explicit order, timestamps
  come from the generator (never ``now()``), and dates end at :data:`LAST_DAY`, not today.
* Every fuzzy date's text is generated first and then read with ``parse_fuzzy_date``; the
  stored bounds and precision are the parser's, so they agree with the text by construction.
* Ids of rows that other rows refer to are reserved up front (from the sequences on
  PostgreSQL), so M2M and citation rows can name their event without a round trip. Footnotes
  and relationships are made as claims need them: a block as large as they could need is
  reserved, and what is left of it given back at the end (:func:`_release`).
* A source's footnotes are numbered in the order claims first cite them ("note 1", "note 2"...,
  or "para. 1"... as the source's style has it), and a claim's ``sequence`` is its rank among
  the claims of its first source: same-date claims of one source keep the source's order. About
  a quarter of footnotes back several claims: an event and the statement made or the agreement
  signed there, the post of an official the event names, two events one note reports, the
  founding members of an organisation.
* Relationship records (``by-ir``) belong to the pair, not to a seed: existing ones are reused,
  missing ones made, and neither is deleted with a seed's rows (they hold no generated text).

Busiest relationships: country pairs are drawn with a Zipf-like law over a ranking that starts
with :data:`HEADLINE_PAIRS`, so Belarus–Iran is the busiest pair (about 5 % of events, ~50,000
at one million) and the United States–Russia the second; the median pair has a handful.
"""

from __future__ import annotations

import bisect
import datetime
import json
import queue
import threading
import time
from array import array
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from random import Random

from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.migrations.executor import MigrationExecutor

from core.bulk import create_indexes, drop_foreign_keys, drop_plain_indexes
from core.cache import bump
from core.dates import MONTH_NAMES, parse_fuzzy_date
from relations import search
from relations.models import (
    CLAIM_FIELDS,
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
    cited,
)
from sources.models import Footnote, Source

# --- Scale and shape ------------------------------------------------------------------------
FIRST_DAY = datetime.date(1990, 1, 1)
# Fixed rather than today's date, so the same seed gives the same rows next year too.
LAST_DAY = datetime.date(2026, 6, 30)
_FIRST_ORDINAL = FIRST_DAY.toordinal()
_SPAN_DAYS = LAST_DAY.toordinal() - _FIRST_ORDINAL

PUBLISHED_SHARE = 0.9
AGREEMENT_EVERY = 20  # one event in 20 is the signing of an agreement
STATEMENT_EVERY = 10  # one event in 10 comes with a statement (said there or about then)
DEFAULT_BATCH_SIZE = 10_000
# Events from which empty tables' plain indexes are dropped for the run and built once at its
# end (core.bulk): at 10^6 events index upkeep is most of the COPY time.
REBUILD_INDEXES_FROM = 20_000
# Shares of the model's newer shapes.
CONCERNS_SHARE = 0.05  # events that concern a relationship beyond their participants'
CONCERNED_PAIRS = 300  # ...drawn from the busiest pairs, so the Relationship rows stay few
BOUNDED_DATE_SHARE = 0.04  # events dated "by 2005", "after May 2009", "in recent years, as of"
PARAPHRASE_SHARE = 0.3  # statements reported in indirect speech
FRAGMENTS_SHARE = 0.1  # quotes given in two fragments
UNDATED_SHARE = 0.15  # statements on their own, dated "by" their source's date
ACCORDING_TO_SHARE = 0.05  # events the source attributes to a body or an official
# How footnotes come to back several claims.
SHARED_WITH_STATEMENT = 0.7  # a statement made at an event rests on the event's note
SHARED_WITH_AGREEMENT = 0.8  # so does the agreement signed there
POST_STATED = 0.6  # an event naming an official states the post they held
NOTE_REUSED = 0.15  # an event's citation is a note already made for another event


def _every(n: int, every: int, offset: int) -> int:
    """How many i in range(n) have i % every == offset."""
    return max(0, (n - offset + every - 1) // every)


@dataclass(frozen=True)
class Plan:
    """How many rows of each kind ``events`` events come with."""

    events: int

    @property
    def organisations(self) -> int:
        return min(5_000, max(200, self.events // 200))

    @property
    def officials(self) -> int:
        return min(10_000, max(300, self.events // 100))

    @property
    def sources(self) -> int:
        # At least a few, so that even a tiny run has something to cite.
        return max(20, self.events // 20)

    @property
    def agreements(self) -> int:
        return _every(self.events, AGREEMENT_EVERY, AGREEMENT_OFFSET)

    @property
    def statements(self) -> int:
        return _every(self.events, STATEMENT_EVERY, STATEMENT_OFFSET)

    @property
    def intergovernmental(self) -> int:
        return max(10, self.organisations // 20)


AGREEMENT_OFFSET = 7
STATEMENT_OFFSET = 3


# --- Tables ---------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)  # one object per table: hashed by identity, which is cheap
class Table:
    """A table the generator fills: its model and the attnames of a row, in order."""

    model: type[models.Model]
    fields: tuple[str, ...]
    json_fields: frozenset[str] = frozenset()
    slug_kind: str = ""  # the "ev" in "g1-ev-0000001"; empty for tables without slugs

    @property
    def label(self) -> str:
        return self.model._meta.label

    @property
    def db_table(self) -> str:
        return self.model._meta.db_table

    @property
    def columns(self) -> list[str]:
        return [self.model._meta.get_field(name).column for name in self.fields]


_STAMPS = ("id", "created", "updated", "slug")
_FUZZY = ("date", "date_lower", "date_upper", "date_precision")
_SPAN = (
    "start", "start_lower", "start_upper", "start_precision",
    "end", "end_lower", "end_upper", "end_precision",
)  # fmt: skip
_ACCORDING_TO = ("according_to_id", "according_to_official_id")

ORGANISATION = Table(
    Organisation,
    (*_STAMPS, "name", "short_name", "kind", "country_id", "location_id", "unnamed",
     "parent_id", "aliases", "description", "website"),
    frozenset({"aliases"}),
    "org",
)  # fmt: skip
OFFICIAL = Table(
    Official, (*_STAMPS, "name", "aliases", "country_id", "description"), frozenset({"aliases"}),
    "off",
)  # fmt: skip
POSITION = Table(
    Position,
    (*_STAMPS, "status", "sequence", "official_id", "title", "country_id", "organisation_id",
     *_SPAN),
    slug_kind="pos",
)  # fmt: skip
MEMBERSHIP = Table(
    Membership,
    (*_STAMPS, "status", "sequence", "member_country_id", "member_organisation_id",
     "organisation_id", "role", *_SPAN),
    slug_kind="mem",
)  # fmt: skip
SOURCE = Table(
    Source,
    (*_STAMPS, "title", "outlet", "author", "url", "published", "published_lower",
     "published_upper", "published_precision", "accessed", "archive_url", "language", "notes"),
    slug_kind="src",
)  # fmt: skip
# A footnote's slug is its source's and the locator's, as Footnote.make_slug has it, so it
# shares the source's prefix ("g1-src-000042-note-3").
FOOTNOTE = Table(Footnote, (*_STAMPS, "source_id", "locator", "excerpt"), slug_kind="src")
RELATIONSHIP = Table(
    Relationship, (*_STAMPS, "first_id", "second_id", "introduction", "sections"),
    frozenset({"sections"}),
)  # fmt: skip
AGREEMENT = Table(
    Agreement,
    (*_STAMPS, "status", "sequence", "title", "kind", "stage", "purpose", *_FUZZY,
     "value_amount", "value_currency", *_ACCORDING_TO),
    slug_kind="agr",
)  # fmt: skip
EVENT = Table(
    Event,
    (*_STAMPS, "status", "sequence", "title", "summary", *_FUZZY, "place", *_ACCORDING_TO),
    slug_kind="ev",
)  # fmt: skip
STATEMENT = Table(
    Statement,
    (*_STAMPS, "status", "sequence", "form", "quote", "verb", "speaker_id",
     "speaker_organisation_id", "context", *_FUZZY, "event_id", "language"),
    slug_kind="st",
)  # fmt: skip
# Citation ids are left to the database: nothing refers to a citation.
CITATION = Table(
    Citation,
    ("created", "updated", "footnote_id", "note", *(f"{claim}_id" for claim in CLAIM_FIELDS)),
)


def _through(m2m: models.ManyToManyField | object, left: str, right: str) -> Table:
    return Table(m2m.through, (left, right))


EVENT_DOMAINS = _through(Event.domains, "event_id", "domain_id")
EVENT_COUNTRIES = _through(Event.countries, "event_id", "country_id")
EVENT_ORGANISATIONS = _through(Event.organisations, "event_id", "organisation_id")
EVENT_OFFICIALS = _through(Event.officials, "event_id", "official_id")
EVENT_AGREEMENTS = _through(Event.agreements, "event_id", "agreement_id")
AGREEMENT_COUNTRIES = _through(Agreement.countries, "agreement_id", "country_id")
AGREEMENT_ORGANISATIONS = _through(Agreement.organisations, "agreement_id", "organisation_id")
AGREEMENT_DOMAINS = _through(Agreement.domains, "agreement_id", "domain_id")
STATEMENT_COUNTRIES = _through(Statement.countries, "statement_id", "country_id")
STATEMENT_DOMAINS = _through(Statement.domains, "statement_id", "domain_id")
EVENT_CONCERNS = _through(Event.concerns, "event_id", "relationship_id")
AGREEMENT_CONCERNS = _through(Agreement.concerns, "agreement_id", "relationship_id")
STATEMENT_CONCERNS = _through(Statement.concerns, "statement_id", "relationship_id")

# Tables whose ids are reserved before generation, because other rows refer to them.
# Link-table rows that go with a generated row, on either side (hand-made events may link to
# generated organisations...): (table, field, generated table).
LINKS_TO_GENERATED = (
    (EVENT_DOMAINS, "event", EVENT), (EVENT_COUNTRIES, "event", EVENT),
    (EVENT_ORGANISATIONS, "event", EVENT), (EVENT_ORGANISATIONS, "organisation", ORGANISATION),
    (EVENT_OFFICIALS, "event", EVENT), (EVENT_OFFICIALS, "official", OFFICIAL),
    (EVENT_AGREEMENTS, "event", EVENT), (EVENT_AGREEMENTS, "agreement", AGREEMENT),
    (AGREEMENT_COUNTRIES, "agreement", AGREEMENT), (AGREEMENT_DOMAINS, "agreement", AGREEMENT),
    (AGREEMENT_ORGANISATIONS, "agreement", AGREEMENT),
    (AGREEMENT_ORGANISATIONS, "organisation", ORGANISATION),
    (STATEMENT_COUNTRIES, "statement", STATEMENT), (STATEMENT_DOMAINS, "statement", STATEMENT),
    (EVENT_CONCERNS, "event", EVENT), (AGREEMENT_CONCERNS, "agreement", AGREEMENT),
    (STATEMENT_CONCERNS, "statement", STATEMENT),
)  # fmt: skip
SLUGGED_TABLES = (
    ORGANISATION, OFFICIAL, POSITION, MEMBERSHIP, SOURCE, FOOTNOTE, AGREEMENT, EVENT, STATEMENT,
)  # fmt: skip
# In the order a chunk is written, referenced tables first (foreign keys are checked
# immediately on PostgreSQL, see CopySink).
ALL_TABLES = (
    ORGANISATION, OFFICIAL, SOURCE, RELATIONSHIP, POSITION, MEMBERSHIP, AGREEMENT, EVENT,
    STATEMENT, FOOTNOTE,
    EVENT_DOMAINS, EVENT_COUNTRIES, EVENT_ORGANISATIONS, EVENT_OFFICIALS, EVENT_AGREEMENTS,
    AGREEMENT_COUNTRIES, AGREEMENT_ORGANISATIONS, AGREEMENT_DOMAINS,
    STATEMENT_COUNTRIES, STATEMENT_DOMAINS, EVENT_CONCERNS, AGREEMENT_CONCERNS,
    STATEMENT_CONCERNS, CITATION,
)  # fmt: skip


def unfilled_columns() -> list[str]:
    """Columns of the generated tables that the generator does not fill (a model grew a field).

    COPY would leave them NULL (Django defaults live in Python), so generation refuses to start
    rather than fail half-way with a constraint error.
    """
    missing = []
    for table in ALL_TABLES:
        for f in table.model._meta.concrete_fields:
            if f.attname in table.fields or (f.primary_key and "id" not in table.fields):
                continue
            if f.db_default is models.NOT_PROVIDED:  # a database default fills its own column
                missing.append(f"{table.label}.{f.attname}")
    return missing


def slug_prefix(seed: int, table: Table) -> str:
    return f"g{seed}-{table.slug_kind}-"


# --- Vocabulary -----------------------------------------------------------------------------
# The busiest relationships, busiest first; the rest are ranked by the countries' prominence.
HEADLINE_PAIRS = (
    ("BY", "IR"), ("RU", "US"), ("RU", "UA"), ("CN", "US"), ("CN", "RU"), ("IR", "RU"),
    ("BY", "RU"), ("IN", "PK"), ("IL", "US"), ("DE", "FR"), ("IQ", "IR"), ("SY", "TR"),
    ("AM", "AZ"), ("CN", "JP"), ("KP", "KR"), ("IR", "VE"), ("BY", "CN"), ("IR", "SY"),
    ("SA", "US"), ("RU", "TR"), ("DE", "RU"), ("GB", "US"), ("IR", "TR"), ("BY", "VE"),
)  # fmt: skip
# Countries most present in the news, most first; the others follow in a seeded shuffle.
PROMINENT = (
    "US", "RU", "CN", "IR", "BY", "DE", "FR", "GB", "UA", "TR", "IN", "JP", "SA", "IL", "PK",
    "KZ", "AZ", "AM", "GE", "VE", "SY", "IQ", "KR", "KP", "BR", "ZA", "EG", "AE", "QA", "PL",
    "IT", "ES", "CA", "AU", "MX", "ID", "VN", "NG", "ET", "KE", "AF", "LB", "JO", "KW", "OM",
    "TM", "UZ", "KG", "TJ", "MD", "LT", "LV", "EE", "FI", "SE", "NO", "RS", "CU", "NI", "BO",
    "AR", "CL", "CO", "PE", "MY", "TH", "PH", "BD", "LK", "MM", "DZ", "MA", "TN", "LY", "SD",
    "AO", "GH", "SN", "HU", "CZ", "SK", "RO", "BG", "GR", "CY", "AT", "CH",
)  # fmt: skip
# Dependent territories and uninhabited islands: present, as ISO lists them, but rarely actors.
TERRITORIES = frozenset((
    "AI", "AQ", "AS", "AW", "AX", "BL", "BM", "BQ", "BV", "CC", "CK", "CW", "CX", "FK", "FO",
    "GF", "GG", "GI", "GL", "GP", "GS", "GU", "HK", "HM", "IM", "IO", "JE", "KY", "MF", "MO",
    "MP", "MQ", "MS", "NC", "NF", "NU", "PF", "PM", "PN", "PR", "RE", "SH", "SJ", "SX", "TC",
    "TF", "TK", "UM", "VG", "VI", "WF", "YT",
))  # fmt: skip
# Names read with "the" in running text ("talks with the United States").
WITH_ARTICLE = frozenset((
    "AE", "BS", "CD", "CF", "CK", "DO", "FK", "FO", "GB", "GM", "IO", "KM", "KY", "MH", "MP",
    "MV", "NL", "PH", "SB", "SC", "TC", "TF", "UM", "US", "VG", "VI", "AX", "CC",
))  # fmt: skip
CAPITALS = {
    "US": "Washington", "RU": "Moscow", "CN": "Beijing", "IR": "Tehran", "BY": "Minsk",
    "DE": "Berlin", "FR": "Paris", "GB": "London", "UA": "Kyiv", "TR": "Ankara",
    "IN": "New Delhi", "JP": "Tokyo", "SA": "Riyadh", "IL": "Jerusalem", "PK": "Islamabad",
    "KZ": "Astana", "AZ": "Baku", "AM": "Yerevan", "GE": "Tbilisi", "VE": "Caracas",
    "SY": "Damascus", "IQ": "Baghdad", "KR": "Seoul", "KP": "Pyongyang", "BR": "Brasília",
    "ZA": "Pretoria", "EG": "Cairo", "AE": "Abu Dhabi", "QA": "Doha", "PL": "Warsaw",
    "IT": "Rome", "ES": "Madrid", "CA": "Ottawa", "AU": "Canberra", "MX": "Mexico City",
    "ID": "Jakarta", "VN": "Hanoi", "NG": "Abuja", "ET": "Addis Ababa", "KE": "Nairobi",
    "AF": "Kabul", "LB": "Beirut", "JO": "Amman", "KW": "Kuwait City", "OM": "Muscat",
    "TM": "Ashgabat", "UZ": "Tashkent", "KG": "Bishkek", "TJ": "Dushanbe", "MD": "Chișinău",
    "LT": "Vilnius", "LV": "Riga", "EE": "Tallinn", "FI": "Helsinki", "SE": "Stockholm",
    "NO": "Oslo", "RS": "Belgrade", "CU": "Havana", "NI": "Managua", "BO": "La Paz",
    "AR": "Buenos Aires", "CL": "Santiago", "CO": "Bogotá", "PE": "Lima", "MY": "Kuala Lumpur",
    "TH": "Bangkok", "PH": "Manila", "BD": "Dhaka", "LK": "Colombo", "MM": "Naypyidaw",
    "DZ": "Algiers", "MA": "Rabat", "TN": "Tunis", "LY": "Tripoli", "SD": "Khartoum",
    "AO": "Luanda", "GH": "Accra", "SN": "Dakar", "HU": "Budapest", "CZ": "Prague",
    "SK": "Bratislava", "RO": "Bucharest", "BG": "Sofia", "GR": "Athens", "CY": "Nicosia",
    "AT": "Vienna", "CH": "Bern", "BE": "Brussels", "NL": "The Hague", "PT": "Lisbon",
    "IE": "Dublin", "DK": "Copenhagen", "HR": "Zagreb", "SI": "Ljubljana", "MN": "Ulaanbaatar",
    "NP": "Kathmandu", "YE": "Sanaa", "BH": "Manama", "ZW": "Harare", "TZ": "Dodoma",
    "UG": "Kampala", "ML": "Bamako", "NE": "Niamey", "CD": "Kinshasa", "EC": "Quito",
    "AL": "Tirana", "BA": "Sarajevo", "ME": "Podgorica", "MK": "Skopje", "XK": "Pristina",
    "IS": "Reykjavík", "LU": "Luxembourg", "MT": "Valletta", "NZ": "Wellington",
    "SG": "Singapore", "KH": "Phnom Penh", "LA": "Vientiane", "BN": "Bandar Seri Begawan",
    "TW": "Taipei", "PS": "Ramallah", "UY": "Montevideo", "PY": "Asunción", "PA": "Panama City",
    "CR": "San José", "GT": "Guatemala City", "HN": "Tegucigalpa", "SV": "San Salvador",
    "DO": "Santo Domingo", "HT": "Port-au-Prince", "JM": "Kingston", "TT": "Port of Spain",
    "CM": "Yaoundé", "CI": "Yamoussoukro", "BF": "Ouagadougou", "TD": "N'Djamena",
    "SO": "Mogadishu", "SS": "Juba", "ER": "Asmara", "DJ": "Djibouti", "RW": "Kigali",
    "BI": "Gitega", "MZ": "Maputo", "ZM": "Lusaka", "MW": "Lilongwe", "NA": "Windhoek",
    "BW": "Gaborone", "MG": "Antananarivo", "MU": "Port Louis", "GA": "Libreville",
    "CG": "Brazzaville", "GN": "Conakry", "SL": "Freetown", "LR": "Monrovia", "TG": "Lomé",
    "BJ": "Porto-Novo", "MR": "Nouakchott", "BT": "Thimphu", "MV": "Malé", "FJ": "Suva",
    "PG": "Port Moresby", "TL": "Dili",
}  # fmt: skip
NEUTRAL_VENUES = (
    "Geneva", "Vienna", "New York", "Brussels", "Istanbul", "Doha", "Astana", "Davos",
    "Munich", "Sochi", "Shanghai", "Baku", "Ashgabat", "Oslo", "Helsinki", "Muscat",
)  # fmt: skip

TOPICS = {
    "nuclear": (
        "nuclear safety", "uranium enrichment", "IAEA safeguards", "a nuclear power plant",
        "non-proliferation", "nuclear fuel supply", "radioactive waste management",
        "research reactors", "the nuclear programme", "export controls on dual-use goods",
        "the training of nuclear engineers", "spent fuel reprocessing",
    ),
    "economic": (
        "trade", "customs procedures", "investment protection", "a free trade zone",
        "double taxation", "banking ties", "sanctions relief", "agricultural exports",
        "industrial cooperation", "tractor and truck assembly", "a joint investment fund",
        "export credit", "transport corridors", "potash exports", "payments in national "
        "currencies", "pharmaceutical production", "machine-building", "food security",
    ),
    "energy": (
        "oil supplies", "gas transit", "a new pipeline", "refinery modernisation",
        "electricity exports", "hydropower", "oilfield development", "energy efficiency",
        "renewable energy", "the price of gas", "LNG deliveries", "grid interconnection",
        "petrochemicals", "coal mining",
    ),
    "diplomatic": (
        "bilateral relations", "the situation in the region", "UN General Assembly votes",
        "visa-free travel", "opening a consulate", "a strategic partnership",
        "mutual support in international organisations", "the peace process",
        "a roadmap for cooperation", "political consultations", "human rights dialogue",
        "the settlement of the conflict", "consular matters", "election observation",
    ),
    "military": (
        "defence cooperation", "joint exercises", "arms deliveries", "air defence systems",
        "military-technical cooperation", "border security", "counter-terrorism",
        "the training of officers", "drone production", "naval visits", "arms control",
        "the maintenance of aircraft",
    ),
    "cultural": (
        "cultural exchanges", "student exchanges", "a year of culture",
        "university partnerships", "tourism", "film festivals", "language teaching",
        "heritage protection", "sports cooperation", "religious dialogue",
        "media cooperation", "scientific research", "health care",
    ),
}  # fmt: skip
GENERIC_TOPICS = ("bilateral cooperation", "the development of relations", "joint projects")
# Domains named in the migration get these weights as an event's main domain; others get 1.
DOMAIN_WEIGHTS = {
    "diplomatic": 8, "economic": 7, "energy": 4, "military": 3, "nuclear": 2, "cultural": 2,
}  # fmt: skip

PROJECTS = (
    "the construction of a power plant", "the supply of 1,000 tractors",
    "the modernisation of a refinery", "a cement plant", "a car assembly plant",
    "housing construction", "a railway line", "the purchase of passenger aircraft",
    "the development of an oilfield", "a grain terminal", "a potash mine",
    "a hydroelectric dam", "a joint bank", "a wind farm", "a free economic zone",
    "a port terminal", "a motorway", "a fertiliser plant", "a satellite launch",
    "a pharmaceutical factory", "a gas-processing plant", "an industrial park",
)  # fmt: skip
ISSUES = (
    "border incidents", "the detention of a citizen", "a spy scandal",
    "remarks by its foreign minister", "airspace violations", "trade restrictions",
    "the expulsion of diplomats", "a vote at the United Nations", "gas prices",
    "visa restrictions", "the treatment of journalists", "sanctions", "a cyber attack",
)  # fmt: skip
FORUMS = (
    "the UN General Assembly", "a CIS summit", "the Shanghai Cooperation Organisation summit",
    "the Non-Aligned Movement summit", "the G20 summit", "the BRICS summit",
    "the OSCE Ministerial Council", "the World Economic Forum", "the Munich Security "
    "Conference", "an ECO summit", "the Asia Cooperation Dialogue", "the Caspian summit",
    "the Eurasian Economic Forum", "an OIC summit",
)  # fmt: skip
ROLES = (
    "Presidents", "Foreign ministers", "Prime ministers", "Defence ministers",
    "Energy ministers", "Economy ministers", "Deputy foreign ministers",
    "Speakers of parliament",
)  # fmt: skip
OCCASIONS = (
    "an official visit", "a working visit", "a session of the joint commission",
    "a regional summit", "political consultations", "a business forum",
    "the anniversary of diplomatic relations", "an investment conference",
)  # fmt: skip
VERBS = (
    "discussed", "reviewed progress on", "agreed to step up work on", "exchanged views on",
    "examined proposals on", "noted difficulties in", "welcomed progress in",
)  # fmt: skip
BACKDROPS = (
    "the sanctions regime", "the regional situation", "falling oil prices",
    "the global financial crisis", "the upcoming elections", "rising trade volumes",
    "the pandemic", "a new government", "tensions on the border",
)  # fmt: skip
ADJECTIVES = ("constructive", "frank", "productive", "difficult", "friendly", "substantive")
OUTCOMES = (
    "They agreed to set up a working group on {topic}.",
    "A follow-up meeting is planned for next year.",
    "Several documents were signed, including one on {topic}.",
    "No agreement was reached on {topic}.",
    "Both sides described the talks as {adj}.",
    "The visit was the first at this level in several years.",
    "Officials said trade had grown, helped by {topic}.",
    "Opposition politicians criticised the talks on {topic}.",
    "The talks ended with a joint communiqué on {topic}.",
)
TITLES_PAIR = (
    "Foreign ministers of {a} and {b} meet in {place}",
    "{a} and {b} discuss {topic}",
    "{a} and {b} hold talks on {topic} in {place}",
    "President of {b} visits {a}",
    "Prime Minister of {b} visits {a}",
    "{role} of {a} and {b} meet on the sidelines of {forum}",
    "Joint commission of {a} and {b} meets in {place}",
    "{a} and {b} agree to expand cooperation on {topic}",
    "Delegation from {b} visits {a} to discuss {topic}",
    "{a} and {b} hold political consultations in {place}",
    "Experts from {a} and {b} meet on {topic}",
    "{a} and {b} announce plans for {project}",
    "{a} protests to {b} over {issue}",
    "{a} summons the ambassador of {b} over {issue}",
    "{a} offers {b} help with {topic}",
    "Parliamentary delegation from {b} visits {a}",
)
TITLES_GROUP = (
    "Leaders of {all} meet in {place}",
    "{all} hold talks on {topic}",
    "Foreign ministers of {all} meet in {place} to discuss {topic}",
    "{all} issue a joint statement on {topic}",
    "{all} discuss {topic} on the sidelines of {forum}",
)
AGREEMENT_PHRASES = {
    "loan": "a loan agreement for {project}",
    "mou": "a memorandum of understanding on {topic}",
    "treaty": "a treaty on {treaty}",
    "contract": "a contract for {project}",
    "declaration": "a joint declaration on {topic}",
    "programme": "a cooperation programme on {topic}",
    "other": "an agreement on {topic}",
}
AGREEMENT_KINDS = (
    ("mou", 30), ("contract", 18), ("loan", 12), ("programme", 12), ("declaration", 10),
    ("treaty", 8), ("other", 10),
)  # fmt: skip
AGREEMENT_STAGES = (
    ("signed", 50), ("in-force", 20), ("agreed", 8), ("proposed", 7), ("expired", 7),
    ("suspended", 4), ("cancelled", 4),
)  # fmt: skip
TREATIES = (
    "friendship and cooperation", "mutual legal assistance", "extradition",
    "the avoidance of double taxation", "the promotion and protection of investments",
    "the transfer of sentenced persons", "cooperation in the peaceful uses of nuclear energy",
)  # fmt: skip
CURRENCIES = ("USD",) * 10 + ("EUR",) * 4 + ("CNY", "CNY", "RUB", "RUB", "GBP", "JPY", "TRY")
QUOTES = (
    "{b} is a reliable partner of {a}, and we intend to develop our cooperation in {topic}.",
    "We have agreed to step up work on {topic} and {topic2}.",
    "The talks in {place} were {adj}; we expect concrete results on {topic} this year.",
    "{a} will not accept pressure from anyone on {topic}.",
    "Cooperation on {topic} serves the interests of the peoples of {a} and {b}.",
    "Sanctions will not stop the development of relations between {a} and {b}.",
    "We see great potential in {topic}; our governments will support the companies involved.",
    "Our position on {issue} has not changed.",
    "There are problems with {topic}, and we discussed them openly.",
)
# Indirect speech: "<speaker> <verb> that <words>".
PARAPHRASES = (
    "{b} was a reliable partner of {a} and cooperation in {topic} would grow",
    "the two sides had agreed to step up work on {topic} and {topic2}",
    "{a} would not accept pressure from anyone on {topic}",
    "sanctions would not stop the development of relations between {a} and {b}",
    "the talks in {place} had been {adj} and results on {topic} were expected this year",
    "{a} saw great potential in {topic}",
    "the position of {a} on {issue} had not changed",
    "there were problems with {topic}, which had been discussed openly",
)
REPORTING_VERBS = ("said", "added", "stated", "announced", "noted", "stressed", "claimed")
CONTEXTS = (
    "at a joint press conference in {place}", "in a press release", "in an interview with {outlet}",
    "in a speech in {place}", "at a briefing", "after talks with officials from {b}",
    "in parliament", "on state television",
)  # fmt: skip
OUTLETS = (  # (name, language, domain): invented, so no real outlet is misquoted
    ("Eurasia Wire", "en", "eurasiawire.example.org"),
    ("Caspian Herald", "en", "caspianherald.example.org"),
    ("Global Affairs Monitor", "en", "gam.example.net"),
    ("Minsk Evening Courier", "ru", "minsk-courier.example.org"),
    ("Tehran Chronicle", "fa", "tehranchronicle.example.org"),
    ("Le Courrier diplomatique", "fr", "courrier-diplo.example.org"),
    ("Außenpolitische Rundschau", "de", "rundschau.example.net"),
    ("El Observador Internacional", "es", "observador.example.org"),
    ("Al-Mustaqbal Daily", "ar", "almustaqbal.example.org"),
    ("Pacific Policy Review", "en", "pacificpolicy.example.com"),
    ("Danube Post", "en", "danubepost.example.net"),
    ("Central Asia Times", "en", "catimes.example.org"),
    ("Baltic Security Digest", "en", "balticsecurity.example.org"),
    ("Africa Relations Report", "en", "africarelations.example.org"),
    ("Energy Markets Bulletin", "en", "energybulletin.example.com"),
    ("Nuclear Policy Observer", "en", "npobserver.example.org"),
    ("Orient News Agency", "en", "orientnews.example.org"),
    ("Moscow Business Gazette", "ru", "mbgazette.example.org"),
    ("Huanqiu Foreign Affairs Weekly", "zh", "hfaw.example.org"),
    ("Ministry Press Service Digest", "en", "pressdigest.example.com"),
)
# A source's style of locators, and each one's part of the footnote's slug.
LOCATORS = (("note ", "note-"), ("para. ", "para-"), ("p. ", "p-"), ("section ", "section-"))
MEMBERSHIP_ROLES = (("member", 80), ("observer", 10), ("associate member", 6), ("partner", 4))
FIRST_NAMES = (
    "Alexander", "Viktor", "Sergei", "Olga", "Natalia", "Mahmoud", "Ali", "Hassan", "Maryam",
    "Fatemeh", "Reza", "John", "Mary", "Robert", "Linda", "Wei", "Li", "Jing", "Hiroshi",
    "Yuki", "Ahmed", "Fatima", "Omar", "Leila", "Hans", "Greta", "Pierre", "Claire", "Marco",
    "Giulia", "Carlos", "Maria", "José", "Ana", "Raj", "Priya", "Kemal", "Ayşe", "Jan",
    "Katarzyna", "Ivan", "Elena", "Dmitry", "Svetlana", "Nguyen", "Kwame", "Amina", "Tomás",
    "Ingrid", "Lars", "Nurlan", "Aigerim", "Giorgi", "Nino", "Armen", "Anahit", "Rashid",
    "Zainab", "Samuel", "Grace",
)  # fmt: skip
LAST_NAMES = (
    "Ivanov", "Petrov", "Kovalenko", "Lukashevich", "Sidorenko", "Hosseini", "Rezaei",
    "Mohammadi", "Karimi", "Ahmadi", "Smith", "Johnson", "Williams", "Brown", "Miller",
    "Wang", "Zhang", "Liu", "Chen", "Tanaka", "Suzuki", "Hassan", "Mansour", "Haddad",
    "Schmidt", "Müller", "Dubois", "Martin", "Rossi", "Bianchi", "García", "Fernández",
    "Silva", "Santos", "Sharma", "Patel", "Yılmaz", "Demir", "Kowalski", "Nowak", "Horvat",
    "Novák", "Popescu", "Georgiou", "Nielsen", "Johansson", "Virtanen", "Nazarbayev",
    "Aliyev", "Beridze", "Petrosyan", "Okafor", "Mensah", "Kimani", "Tran", "Pham", "Kim",
    "Park", "Rahman", "Khan", "Abdullah", "Suleimenov", "Karimov", "Rakhmonov", "Morales",
    "Herrera", "Costa", "Andersson",
)  # fmt: skip

# (name template, kind, key of the parent's template or None, key of this template)
ORGANISATION_TEMPLATES = (
    ("Government of {the_c}", "government", None, "gov"),
    ("Ministry of Foreign Affairs of {the_c}", "government", "gov", "mfa"),
    ("Central Bank of {the_c}", "central-bank", None, "bank"),
    # A body the sources describe but do not name, based in another country.
    ("a state-owned bank of {the_c} abroad", "state-company", None, "abroad"),
    ("Ministry of Energy of {the_c}", "government", "gov", "energy"),
    ("Ministry of Economy of {the_c}", "government", "gov", "economy"),
    ("Parliament of {the_c}", "legislature", None, "parl"),
    ("Ministry of Defence of {the_c}", "government", "gov", "defence"),
    ("{c} National Oil Company", "state-company", "energy", "oil"),
    ("Armed Forces of {the_c}", "military", "defence", "army"),
    ("{c} Development Bank", "state-company", "economy", "devbank"),
    ("{c} People's Party", "party", None, "party1"),
    ("{c} Institute for Strategic Studies", "ngo", None, "think"),
    ("{c} State News Agency", "media", "gov", "news"),
    ("{c} Gas Transmission Company", "state-company", "energy", "gas"),
    ("{c} Atomic Energy Organisation", "government", "gov", "atom"),
    ("{c} Chamber of Commerce and Industry", "other", None, "chamber"),
    ("{c} Export Credit Agency", "government", "economy", "eca"),
    ("{c} Railways", "state-company", "economy", "rail"),
    ("{c} Democratic Union", "party", None, "party2"),
    ("{c} Machine-Building Holding", "company", None, "machines"),
    ("Ministry of Culture of {the_c}", "government", "gov", "culture"),
    ("{c} Council on Foreign Relations", "ngo", None, "council"),
    ("State Customs Committee of {the_c}", "government", "gov", "customs"),
    ("{c} Aviation Industries", "state-company", "defence", "aviation"),
    ("{c} Telecom", "company", None, "telecom"),
    ("{c} Investment Agency", "government", "economy", "invest"),
    ("Ministry of Education of {the_c}", "government", "gov", "education"),
    ("{c} Humanitarian Relief Society", "ngo", None, "relief"),
)
IGO_PREFIXES = (
    "Eurasian", "Caspian", "Black Sea", "Asian", "African", "Atlantic", "Pacific", "Arab",
    "Danube", "Nordic", "Mediterranean", "Andean", "Central Asian", "Gulf", "Baltic",
    "Indian Ocean", "Islamic", "Transcontinental", "Silk Road", "Southern", "Northern",
    "Adriatic", "Caribbean", "Sahel", "Great Lakes", "Amazon", "Arctic", "Himalayan",
)  # fmt: skip
IGO_BODIES = (
    "Economic Community", "Development Bank", "Energy Council", "Security Organisation",
    "Customs Union", "Cooperation Council", "Investment Fund", "Parliamentary Assembly",
    "Nuclear Safety Forum", "Cultural Foundation",
)  # fmt: skip
POSITION_TITLES = {
    None: (  # in a country's government
        "President", "Prime Minister", "Deputy Prime Minister", "Foreign Minister",
        "Deputy Foreign Minister", "Minister of Energy", "Minister of Economy",
        "Minister of Defence", "Head of the Presidential Administration",
        "Ambassador to {other}", "Ambassador to {other}", "Ambassador to {other}",
        "Permanent Representative to the United Nations", "Special Envoy to {other}",
    ),
    "government": ("Minister", "Deputy Minister", "Head of Department", "Spokesperson"),
    "central-bank": ("Governor", "Deputy Governor"),
    "state-company": ("Chief Executive", "Chairman of the Board", "Deputy Director General"),
    "company": ("Chief Executive", "Chairman"),
    "legislature": ("Speaker", "Chair of the Foreign Affairs Committee", "Member of Parliament"),
    "military": ("Chief of the General Staff", "Commander of the Air Force"),
    "party": ("Party Leader", "General Secretary"),
    "ngo": ("Director", "President"),
    "media": ("Editor-in-Chief", "Director General"),
    "intergovernmental": ("Secretary General", "Deputy Secretary General", "Chair"),
    "other": ("Chairman", "Director"),
}  # fmt: skip

_MONTHS = MONTH_NAMES
_PARTS = ("early", "mid", "late")


def _join(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _initials(name: str) -> str:
    return "".join(w[0] for w in name.replace("-", " ").split() if w[0].isupper())[:12]


def _cumulative(weights: Sequence[float]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


# --- The generator --------------------------------------------------------------------------
Rows = list[tuple]
Batch = tuple[Table, Rows]
Reserve = Callable[[Table, int], int]


@dataclass
class _Org:
    id: int
    country: int | None
    kind: str
    key: str


@dataclass
class _Country:
    id: int
    code: str
    name: str
    text: str  # the name in running text: "the United States"
    place: str
    orgs: list[_Org] = field(default_factory=list)
    by_key: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Told:
    """What an agreement signed or a statement made at an event takes from it."""

    event: int
    base: int  # the index of the source published at the event's date
    date: tuple
    note: int  # the event's first footnote...
    source: int  # ...and the index of its source
    concerns: int | None  # a relationship the event concerns


# A citation row's claim columns around the one set: (columns before, columns after).
_CLAIM_PADDING = {
    name: ((None,) * i, (None,) * (len(CLAIM_FIELDS) - i - 1))
    for i, name in enumerate(CLAIM_FIELDS)
}
_from_timestamp = datetime.datetime.fromtimestamp


class KnowledgeBaseGenerator:
    """Turns (events, seed) into batches of rows, table by table, chunk by chunk.

    Call :meth:`prepare` (which reserves ids and builds the small reference tables in memory)
    and then iterate :meth:`batches`. Everything random comes from one ``Random(seed)``,
    consumed in a fixed order.
    """

    def __init__(
        self,
        *,
        events: int,
        seed: int,
        countries: Sequence[tuple[int, str, str]],
        domains: Sequence[tuple[int, str]],
        relationships: dict[str, int] | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        self.plan = Plan(events)
        # Relationship records by slug ("by-ir"): those in the database, then those made here.
        self.relationships = dict(relationships or {})
        self.seed = seed
        self.batch_size = batch_size
        self.rng = Random(seed)
        self.countries = [
            _Country(cid, code, name, text, CAPITALS.get(code, text))
            for cid, code, name in countries
            for text in [f"the {name}" if code in WITH_ARTICLE else name]
        ]
        self.domains = list(domains)
        self.first_id: dict[Table, int] = {}
        self._dates: dict[str, tuple[str, datetime.date, datetime.date, str]] = {}
        width = max(6, len(str(events)))
        self._slug_formats = {
            t: f"g{seed}-{t.slug_kind}-{{:0{width if t is EVENT else 6}d}}" for t in SLUGGED_TABLES
        }
        # Timestamps: a seeded "import" moment in 2025, then a few seconds per row.
        self._epoch = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(
            seconds=int(self.rng.random() * 365 * 86400)
        )
        self._epoch_seconds = int(self._epoch.timestamp())
        self._clock = 0

    # -- small helpers ------------------------------------------------------------------
    def slug(self, table: Table, number: int) -> str:
        return self._slug_formats[table].format(number)

    def _stamps(self) -> tuple[datetime.datetime, datetime.datetime]:
        """created and updated: rows arrive a few seconds apart; some were edited later."""
        r = self.rng.random
        self._clock += 1 + int(r() * 4)
        # From POSIX seconds: twice as fast as adding timedeltas, at a few rows an event.
        seconds = self._epoch_seconds + self._clock
        created = _from_timestamp(seconds, datetime.UTC)
        if r() < 0.7:
            return created, created
        return created, _from_timestamp(seconds + int(r() * 200 * 86400), datetime.UTC)

    def _fuzzy(self, text: str) -> tuple[str, datetime.date, datetime.date, str]:
        """The text with the bounds and precision the parser reads from it (memoised)."""
        cached = self._dates.get(text)
        if cached is None:
            parsed = parse_fuzzy_date(text)
            cached = (text, parsed.lower, parsed.upper, parsed.precision.value)
            self._dates[text] = cached
        return cached

    def _status(self) -> str:
        return "published" if self.rng.random() < PUBLISHED_SHARE else "draft"

    def _day_text(self, d: datetime.date) -> str:
        r = self.rng.random()
        if r < 0.45:
            return d.isoformat()
        if r < 0.9:
            return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"
        return f"{_MONTHS[d.month - 1]} {d.day}, {d.year}"

    def _month_text(self, d: datetime.date) -> str:
        if self.rng.random() < 0.7:
            return f"{_MONTHS[d.month - 1]} {d.year}"
        return f"{d.year}-{d.month:02d}"

    def _date_text(self, d: datetime.date) -> str:
        """An event's date at mixed precision, as analysts type them."""
        r = self.rng.random()
        if r < BOUNDED_DATE_SHARE:
            return self._bounded_text(d)
        r = self.rng.random()
        if r < 0.55:
            return self._day_text(d)
        if r < 0.72:
            return self._month_text(d)
        if r < 0.80:
            return str(d.year)
        if r < 0.86:
            part = _PARTS[min(2, (d.day - 1) // 10)]
            month = _MONTHS[d.month - 1]
            return f"mid-{month} {d.year}" if part == "mid" else f"{part} {month} {d.year}"
        if r < 0.90:
            part = _PARTS[(d.month - 1) // 4]
            return f"mid-{d.year}" if part == "mid" else f"{part} {d.year}"
        if r < 0.935:
            return f"c. {d.year}"
        if r < 0.985:
            if r < 0.96:  # a multi-day meeting
                end = datetime.date.fromordinal(d.toordinal() + 1 + int(self.rng.random() * 4))
                return f"{d.isoformat()}/{end.isoformat()}"
            months = d.year * 12 + d.month - 1 + 1 + int(self.rng.random() * 3)
            return f"{d.year}-{d.month:02d}/{months // 12}-{months % 12 + 1:02d}"
        if r < 0.993:
            return f"since {d.year}"
        return f"since {_MONTHS[d.month - 1]} {d.year}"

    def _bounded_text(self, d: datetime.date) -> str:
        """A time the source bounds on one side or both, and that includes ``d``: "by 2005",
        "as early as 1998", "after May 2009", "after May 2009, by 6 July 2010", "in recent
        years, as of 6 July 2010" (the forms core.dates reads; the parser gives the bounds)."""
        r = self.rng.random()
        if r < 0.3:
            return f"by {self._day_text(d) if r < 0.15 else self._month_text(d)}"
        if r < 0.45:
            return f"as early as {d.year}"
        month_before = d.replace(day=1) - datetime.timedelta(days=1)
        after = f"after {_MONTHS[month_before.month - 1]} {month_before.year}"
        if r < 0.65:
            return after
        if r < 0.85:  # by a day up to two months later, as a source's date
            by = min(LAST_DAY.toordinal(), d.toordinal() + int(self.rng.random() * 60))
            return f"{after}, by {self._day_text(datetime.date.fromordinal(by))}"
        return f"in recent years, as of {self._day_text(d)}"

    def _joined_text(self, d: datetime.date) -> str:
        """When a member joined: mostly a year, or a latest-possible date ("as early as")."""
        r = self.rng.random()
        if r < 0.35:
            return str(d.year)
        if r < 0.55:
            return self._month_text(d)
        if r < 0.75:
            return self._day_text(d)
        if r < 0.85:
            return f"as early as {d.year}"
        if r < 0.95:
            return f"by {self._month_text(d) if r < 0.9 else d.year}"
        return f"c. {d.year}"

    def _precise_text(self, d: datetime.date) -> str:
        """A signing or publication date: mostly a day, sometimes a month or a year."""
        r = self.rng.random()
        if r < 0.82:
            return self._day_text(d)
        if r < 0.95:
            return self._month_text(d)
        return str(d.year)

    @staticmethod
    def _day_at(u: float) -> datetime.date:
        # More events in recent years, as in real news coverage (density grows like x^0.25).
        return datetime.date.fromordinal(_FIRST_ORDINAL + int(_SPAN_DAYS * u**0.8))

    def _source_near(self, day: int) -> int:
        """The index of the source published about ``day`` (an ordinal): _day_at inverted."""
        u = max(0.0, min(1.0, (day - _FIRST_ORDINAL) / _SPAN_DAYS)) ** 1.25
        return min(self.plan.sources - 1, int(u * self.plan.sources))

    def _pick(self, cumulative: list[float]) -> int:
        return bisect.bisect(cumulative, self.rng.random() * cumulative[-1])

    # -- reference data -----------------------------------------------------------------
    def prepare(self, reserve: Reserve) -> None:
        """Rank countries and pairs, reserve ids, and build organisations, officials and
        positions (at most a few tens of thousands of rows) in memory."""
        plan = self.plan
        self._rank_countries()
        for table, count in (
            (ORGANISATION, plan.organisations),
            (OFFICIAL, plan.officials),
            (SOURCE, plan.sources),
            (AGREEMENT, plan.agreements),
            (EVENT, plan.events),
            (STATEMENT, plan.statements),
        ):
            self.first_id[table] = reserve(table, count) if count else 0
        self._organisation_rows = self._build_organisations()
        self._official_rows, self._positions = self._build_officials()
        self._memberships = self._build_memberships()
        # Blocks for rows made as claims need them: as many as could be needed (see _release).
        self.reserved = {
            POSITION: len(self._positions),
            MEMBERSHIP: len(self._memberships),
            RELATIONSHIP: min(CONCERNED_PAIRS, len(self.pairs)),
            FOOTNOTE: len(self._positions) + len(self._memberships) + 3 * plan.events
            + 2 * plan.agreements + plan.statements,
        }  # fmt: skip
        for table, count in self.reserved.items():
            self.first_id[table] = reserve(table, count) if count else 0
        # The next ids of the rows made as claims need them.
        self._footnote_id = self.first_id[FOOTNOTE]
        self._relationship_id = self.first_id[RELATIONSHIP]
        concerned = self.pairs[: self.reserved[RELATIONSHIP]]
        self._concerned = concerned
        self._concerned_weights = self.pair_weights[: len(concerned)]
        self._domain_weights = _cumulative(
            [DOMAIN_WEIGHTS.get(slug, 1) for _, slug in self.domains]
        )
        # Per source (by index): footnotes made, claims citing it first (the claims' order in
        # it), its latest footnote's id (0: none yet).
        self._notes_in = array("I", bytes(4 * plan.sources))
        self._claims_in = array("I", bytes(4 * plan.sources))
        self._last_note = array("Q", bytes(8 * plan.sources))

    def _rank_countries(self) -> None:
        """Order countries by prominence and country pairs by how busy they are."""
        rng = self.rng
        by_code = {c.code: i for i, c in enumerate(self.countries)}
        ranked = [by_code[code] for code in PROMINENT if code in by_code]
        rest = sorted(set(range(len(self.countries))) - set(ranked))
        rng.shuffle(rest)
        order = ranked + rest
        rank = {index: r for r, index in enumerate(order)}
        self.country_order = order
        weight = [
            (0.03 if self.countries[i].code in TERRITORIES else 1.0) / (rank[i] + 3)
            for i in range(len(self.countries))
        ]
        self.country_weights = _cumulative(weight)
        self._weight = weight.__getitem__

        headline = []
        for a, b in HEADLINE_PAIRS:
            if a in by_code and b in by_code:
                headline.append((by_code[a], by_code[b]))
        seen = set(headline)
        n = len(self.countries)
        others = [
            (weight[i] * weight[j] * (0.5 + rng.random()), (i, j))
            for i in range(n)
            for j in range(i + 1, n)
            if (i, j) not in seen and (j, i) not in seen
        ]
        others.sort(key=lambda item: (-item[0], item[1]))
        self.pairs = headline + [pair for _, pair in others]
        # Zipf-Mandelbrot: the pair ranked k gets weight 1/(k+1).
        self.pair_weights = _cumulative([1.0 / (k + 1) for k in range(1, len(self.pairs) + 1)])

    def made(self, table: Table) -> int:
        """How many footnote or relationship rows were made from their reserved block."""
        next_id = self._footnote_id if table is FOOTNOTE else self._relationship_id
        return next_id - self.first_id[table]

    def busiest_pairs(self, count: int = 5) -> list[tuple[str, str, float]]:
        """The pairs drawn most often, with their expected share of events."""
        total = self.pair_weights[-1]
        return [
            (self.countries[a].code, self.countries[b].code, (1.0 / (k + 2)) / total)
            for k, (a, b) in enumerate(self.pairs[:count])
        ]

    def _build_organisations(self) -> Rows:
        rng, plan = self.rng, self.plan
        first = self.first_id[ORGANISATION]
        rows: Rows = []
        self.igos: list[_Org] = []

        def add(name: str, kind: str, country: _Country | None, parent: int | None, key: str):
            number = len(rows) + 1
            slug = self.slug(ORGANISATION, number)
            org = _Org(first + len(rows), country.id if country else None, kind, key)
            unnamed = key == "abroad"  # described, not named: no acronym, no website
            location = self._abroad(country).id if unnamed else None
            short = "" if unnamed else _initials(name)
            aliases = [short] if short and rng.random() < 0.5 else []
            website = "" if unnamed else f"https://{slug}.example.org/"
            rows.append(
                (org.id, *self._stamps(), slug, name, short, kind, org.country, location,
                 unnamed, parent, aliases, "", website)
            )  # fmt: skip
            return org

        combos = [f"{p} {b}" for p in IGO_PREFIXES for b in IGO_BODIES]
        rng.shuffle(combos)
        for name in combos[: min(plan.intergovernmental, len(combos))]:
            self.igos.append(add(name, "intergovernmental", None, None, "igo"))

        # Share the rest by prominence (square root, so small states still get some).
        budget = plan.organisations - len(rows)
        n_templates = len(ORGANISATION_TEMPLATES)
        shares = [self._weight(i) ** 0.5 for i in self.country_order]
        total = sum(shares)
        allocation = [min(n_templates, int(budget * s / total)) for s in shares]
        position = 0
        while sum(allocation) < budget and any(a < n_templates for a in allocation):
            if allocation[position] < n_templates:
                allocation[position] += 1
            position = (position + 1) % len(allocation)
        for index, take in zip(self.country_order, allocation, strict=True):
            country = self.countries[index]
            for template, kind, parent_key, key in ORGANISATION_TEMPLATES[:take]:
                parent = country.by_key.get(parent_key) if parent_key else None
                name = template.format(c=country.name, the_c=country.text)
                org = add(name, kind, country, parent, key)
                country.orgs.append(org)
                country.by_key[key] = org.id
        return rows

    def _abroad(self, country: _Country) -> _Country:
        """Another country, drawn by prominence."""
        while (other := self.countries[self._pick(self.country_weights)]) is country:
            pass
        return other

    def _build_officials(self) -> tuple[Rows, list]:
        """Officials and their careers: 1-3 consecutive posts, the last maybe still held.

        Also indexes who was active in which country and year, so events can bring in
        officials who held a post at the time, and which post each held when (``_posts_of``),
        so an event's note can state it.
        """
        rng = self.rng
        r = rng.random
        first = self.first_id[OFFICIAL]
        rows: Rows = []
        positions: list = []
        self.active: dict[tuple[int, int], list[int]] = {}
        self._posts_of: dict[int, list[tuple[int, int, int]]] = {}
        for n in range(self.plan.officials):
            country = self.countries[self._pick(self.country_weights)]
            official_id = first + n
            name = self._person()
            aliases = [f"{name[0]}. {name.split()[-1]}"] if r() < 0.3 else []
            description = f"Official of {country.name}." if r() < 0.5 else ""
            rows.append(
                (official_id, *self._stamps(), self.slug(OFFICIAL, n + 1), name, aliases,
                 country.id, description)
            )  # fmt: skip
            day = _FIRST_ORDINAL + int(r() * (_SPAN_DAYS - 365))
            first_year = last_year = datetime.date.fromordinal(day).year
            for _ in range(1 + int(r() * 3)):
                if day > LAST_DAY.toordinal():
                    break
                start = self._fuzzy(self._precise_text(datetime.date.fromordinal(day)))
                end_day = day + 300 + int(r() * 2200)
                if end_day > LAST_DAY.toordinal():
                    end = ("", None, None, "")  # still held
                    last_year = LAST_DAY.year
                else:
                    end = self._fuzzy(self._precise_text(datetime.date.fromordinal(end_day)))
                    last_year = datetime.date.fromordinal(end_day).year
                title, where_country, organisation = self._post(country)
                self._posts_of.setdefault(official_id, []).append((len(positions), day, end_day))
                positions.append(
                    (day, self._stamps(), self._status(), official_id, title, where_country,
                     organisation, *start, *end)
                )  # fmt: skip
                day = end_day + int(r() * 700)
            for year in range(first_year, last_year + 1):
                self.active.setdefault((country.id, year), []).append(official_id)
        return rows, positions

    def _build_memberships(self) -> list[tuple]:
        """The members of each intergovernmental organisation: its founders on its founding
        date (one note lists them all), others joining later, some leaving; now and then a
        member state's central bank, or another such organisation, as a member too."""
        r = self.rng.random
        last = LAST_DAY.toordinal()
        planned: list[tuple] = []
        for igo in self.igos:
            founded = self._day_at(r() * 0.6).toordinal()
            founding = self._fuzzy(self._precise_text(datetime.date.fromordinal(founded)))
            size = 3 + int(r() ** 2 * 30)
            members: list[_Country] = []
            while len(members) < size:
                country = self.countries[self._pick(self.country_weights)]
                if country not in members:
                    members.append(country)
            bodies = [c.by_key["bank"] for c in members[:2] if "bank" in c.by_key and r() < 0.2]
            if len(self.igos) > 1 and r() < 0.1:
                bodies.append(next(o.id for o in self.igos if o is not igo))
            founders = max(2, int(size * (0.3 + r() * 0.4)))
            for k, member in enumerate([*members, *bodies]):
                founder = k < founders
                if founder:
                    day, start, role = founded, founding, "founding member"
                else:
                    day = founded + int(r() * (last - founded))
                    start = self._fuzzy(self._joined_text(datetime.date.fromordinal(day)))
                    role = MEMBERSHIP_ROLES_CUM[bisect.bisect(MEMBERSHIP_ROLES_CUM_W, r() * 100)]
                end = ("", None, None, "")  # still a member
                if r() < 0.1 and (left := day + 365 + int(r() * 3000)) <= last:
                    end = self._fuzzy(self._precise_text(datetime.date.fromordinal(left)))
                country, body = (member.id, None) if k < size else (None, member)
                planned.append(
                    (day, igo.id if founder else None, self._stamps(), self._status(), country,
                     body, igo.id, role, *start, *end)
                )  # fmt: skip
        return planned

    def _post(self, country: _Country) -> tuple[str, int | None, int | None]:
        r = self.rng.random
        if r() < 0.05 and self.igos:
            org = self.igos[int(r() * len(self.igos))]
        elif r() < 0.5 and country.orgs:
            org = country.orgs[int(r() * len(country.orgs))]
        else:
            titles = POSITION_TITLES[None]
            other = self.countries[self._pick(self.country_weights)]
            return titles[int(r() * len(titles))].format(other=other.text), country.id, None
        titles = POSITION_TITLES[org.kind]
        return titles[int(r() * len(titles))], org.country, org.id

    # -- streams ------------------------------------------------------------------------
    def batches(self) -> Iterator[Batch]:
        """Every row, as (table, rows) batches, referenced tables first."""
        yield ORGANISATION, self._organisation_rows
        yield OFFICIAL, self._official_rows
        yield from self._sources()
        out = self._chunk()
        self._position_rows(out)
        self._membership_rows(out)
        for table in (POSITION, MEMBERSHIP, FOOTNOTE, CITATION):
            yield table, out[table]
        self._organisation_rows = self._official_rows = self._positions = []
        self._memberships = []
        for start in range(0, self.plan.events, self.batch_size):
            yield from self._event_chunk(start, min(self.plan.events, start + self.batch_size))

    @staticmethod
    def _chunk() -> dict[Table, Rows]:
        return {table: [] for table in ALL_TABLES}

    def _sources(self) -> Iterator[Batch]:
        """Sources in publication order, spread like events, so an event can cite a source
        published just after it by index arithmetic alone."""
        r = self.rng.random
        count, first = self.plan.sources, self.first_id[SOURCE]
        self._source_first = first
        self._source_slugs: list[str] = []
        self._published: list[str] = []  # the text, for claims dated "by" their source's date
        for start in range(0, count, self.batch_size):
            rows: Rows = []
            for n in range(start, min(count, start + self.batch_size)):
                d = self._day_at((n + r()) / count)
                published = self._fuzzy(self._precise_text(d))
                outlet, language, domain = OUTLETS[int(r() * len(OUTLETS))]
                a, b = self.pairs[self._pick(self.pair_weights)]
                title = self._headline([self.countries[a], self.countries[b]], self._main_domain())
                slug = self.slug(SOURCE, n + 1)
                url = f"https://{domain}/{d.year}/{d.month:02d}/{slug}"
                author = "" if r() < 0.3 else self._person()
                accessed = None
                if r() < 0.5:
                    accessed = min(
                        LAST_DAY, datetime.date.fromordinal(d.toordinal() + int(r() * 3000))
                    )
                archive = f"https://archive.example.org/web/{d:%Y%m%d}/{url}" if r() < 0.2 else ""
                rows.append(
                    (first + n, *self._stamps(), slug, title, outlet, author, url, *published,
                     accessed, archive, language, "")
                )  # fmt: skip
                self._source_slugs.append(slug)
                self._published.append(published[0])
            yield SOURCE, rows

    def _person(self) -> str:
        r = self.rng.random
        first = FIRST_NAMES[int(r() * len(FIRST_NAMES))]
        return f"{first} {LAST_NAMES[int(r() * len(LAST_NAMES))]}"

    # -- footnotes, citations, order -----------------------------------------------------
    def _note(self, out: dict[Table, Rows], source: int, excerpt: str = "") -> int:
        """A new footnote in the source at index ``source``, numbered after its others in the
        source's style ("note 3", "para. 3"...); returns its id."""
        self._notes_in[source] += 1
        number = self._notes_in[source]
        locator, slug_part = LOCATORS[source % len(LOCATORS)]
        footnote_id = self._footnote_id
        self._footnote_id += 1
        out[FOOTNOTE].append(
            (footnote_id, *self._stamps(), f"{self._source_slugs[source]}-{slug_part}{number}",
             self._source_first + source, f"{locator}{number}", excerpt)
        )  # fmt: skip
        self._last_note[source] = footnote_id
        return footnote_id

    def _next_claim(self, source: int) -> int:
        """The ``sequence`` of a claim first cited to this source: its rank among the source's
        claims, so that claims of the same date keep the order of the source's sentences."""
        self._claims_in[source] += 1
        return self._claims_in[source]

    def _cite(self, out: dict[Table, Rows], footnote: int, claim: str, claim_id: int) -> None:
        before, after = _CLAIM_PADDING[claim]
        out[CITATION].append((*self._stamps(), footnote, "", *before, claim_id, *after))

    def _position_rows(self, out: dict[Table, Rows]) -> None:
        """Posts, each cited to a note of a source published about when it was taken up."""
        first = self.first_id[POSITION]
        for i, (day, stamps, status, *rest) in enumerate(self._positions):
            source = self._source_near(day)
            out[POSITION].append(
                (first + i, *stamps, self.slug(POSITION, i + 1), status,
                 self._next_claim(source), *rest)
            )  # fmt: skip
            self._cite(out, self._note(out, source), "position", first + i)

    def _membership_rows(self, out: dict[Table, Rows]) -> None:
        """Memberships, cited like posts; an organisation's founders share one note."""
        first = self.first_id[MEMBERSHIP]
        founders_note: dict[int, tuple[int, int]] = {}  # organisation: (source, footnote)
        for i, (day, founded, stamps, status, *rest) in enumerate(self._memberships):
            if founded in founders_note:
                source, note = founders_note[founded]
            else:
                source = self._source_near(day)
                note = self._note(out, source)
                if founded:
                    founders_note[founded] = source, note
            out[MEMBERSHIP].append(
                (first + i, *stamps, self.slug(MEMBERSHIP, i + 1), status,
                 self._next_claim(source), *rest)
            )  # fmt: skip
            self._cite(out, note, "membership", first + i)

    def _relationship(self, out: dict[Table, Rows], a: _Country, b: _Country) -> int:
        """The id of the pair's Relationship record, made the first time a claim needs it."""
        first, second = (a, b) if a.code < b.code else (b, a)
        slug = f"{first.code.lower()}-{second.code.lower()}"
        found = self.relationships.get(slug)
        if found is None:
            found = self.relationships[slug] = self._relationship_id
            self._relationship_id += 1
            # Stamped without drawing from the generator: whether the record exists already
            # (a --replace, a hand-made one) must not change the rest of the rows.
            stamp = self._epoch
            out[RELATIONSHIP].append((found, stamp, stamp, slug, first.id, second.id, "", []))
        return found

    def _concerned_pair(self, out: dict[Table, Rows], members: list[_Country]) -> int | None:
        """A busy relationship whose two states are not both among ``members`` (or None)."""
        countries, weights = self.countries, self._concerned_weights
        for _ in range(3):
            a, b = self._concerned[bisect.bisect(weights, self.rng.random() * weights[-1])]
            if countries[a] not in members or countries[b] not in members:
                return self._relationship(out, countries[a], countries[b])
        return None

    def _post_held(self, official: int, day: int) -> int | None:
        """The id of the post ``official`` held on ``day`` (an ordinal), if any."""
        for index, start, end in self._posts_of.get(official, ()):
            if start <= day <= end:
                return self.first_id[POSITION] + index
        return None

    # -- words --------------------------------------------------------------------------
    def _main_domain(self) -> int:
        return self._pick(self._domain_weights)

    def _topic(self, domain_index: int) -> str:
        topics = TOPICS.get(self.domains[domain_index][1], GENERIC_TOPICS)
        return topics[int(self.rng.random() * len(topics))]

    def _choice(self, options: Sequence[str]) -> str:
        return options[int(self.rng.random() * len(options))]

    def _headline(self, countries: Sequence[_Country], domain: int) -> str:
        values = self._slots(countries, domain)
        template = self._choice(TITLES_PAIR if len(countries) == 2 else TITLES_GROUP)
        return _capitalised(template.format(**values))[:300]

    def _slots(self, countries: Sequence[_Country], domain: int) -> dict[str, str]:
        """Words for the templates; {a} hosts when the place is a capital, {b} visits."""
        names = [c.text for c in countries]
        r = self.rng.random
        host = countries[0] if len(countries) == 2 or r() < 0.6 else None
        return {
            "a": names[0],
            "b": names[1],
            "all": _join(names),
            "place": host.place if host else self._choice(NEUTRAL_VENUES),
            "topic": self._topic(domain),
            "topic2": self._topic(domain),
            "project": self._choice(PROJECTS),
            "issue": self._choice(ISSUES),
            "forum": self._choice(FORUMS),
            "role": self._choice(ROLES),
            "adj": self._choice(ADJECTIVES),
            "treaty": self._choice(TREATIES),
            "outlet": self._choice(OUTLETS)[0],
        }

    def _summary(self, slots: dict[str, str], domain: int) -> str:
        r = self.rng.random
        if r() < 0.5:
            first = (
                f"{self._choice(ROLES)} of {slots['all']} met in {slots['place']} on the "
                f"occasion of {self._choice(OCCASIONS)}."
            )
        else:
            first = (
                f"A delegation from {slots['b']} held talks in {slots['place']} with officials "
                f"of {slots['a']}."
            )
        tail = ""
        if r() < 0.35:
            tail = f", as well as {self._topic(domain)}"
        elif r() < 0.3:
            tail = f" against the background of {self._choice(BACKDROPS)}"
        second = f"The sides {self._choice(VERBS)} {slots['topic']} and {slots['topic2']}{tail}."
        if r() < 0.6:
            third = self._choice(OUTCOMES).format(topic=self._topic(domain), adj=slots["adj"])
            return f"{first} {second} {third}"
        return f"{first} {second}"

    def _event_chunk(self, start: int, stop: int) -> Iterator[Batch]:
        """Events start..stop-1 with their links, agreements, statements, notes, citations."""
        rng = self.rng
        r = rng.random
        countries, domains = self.countries, self.domains
        pairs, pair_weights = self.pairs, self.pair_weights
        pair_total = pair_weights[-1]
        country_weights, country_total = self.country_weights, self.country_weights[-1]
        n_domains = len(domains)
        event_first = self.first_id[EVENT]
        agreement_first = self.first_id[AGREEMENT]
        statement_first = self.first_id[STATEMENT]
        source_count = self.plan.sources
        active, igos = self.active, self.igos
        last_note = self._last_note
        bisect_ = bisect.bisect

        out = self._chunk()
        events = out[EVENT]
        e_domains, e_countries = out[EVENT_DOMAINS], out[EVENT_COUNTRIES]
        e_orgs, e_officials = out[EVENT_ORGANISATIONS], out[EVENT_OFFICIALS]

        for i in range(start, stop):
            event_id = event_first + i
            a, b = pairs[bisect_(pair_weights, r() * pair_total)]
            members = [countries[a], countries[b]] if r() < 0.5 else [countries[b], countries[a]]
            extra = 0 if (x := r()) < 0.78 else 1 if x < 0.94 else 2
            while extra:
                c = countries[bisect_(country_weights, r() * country_total)]
                if c not in members:
                    members.append(c)
                    extra -= 1
            u = r()
            d = self._day_at(u)
            signing = i % AGREEMENT_EVERY == AGREEMENT_OFFSET
            date = self._fuzzy(self._precise_text(d) if signing else self._date_text(d))

            main = self._main_domain()
            picked = [main]
            wanted = 1 if (x := r()) < 0.6 else 2 if x < 0.9 else 3
            while len(picked) < min(wanted, n_domains):
                other = int(r() * n_domains)
                if other not in picked:
                    picked.append(other)

            slots = self._slots(members, main)
            if signing:
                kind = AGREEMENT_KINDS_CUM[bisect_(AGREEMENT_KINDS_CUM_W, r() * 100)]
                phrase = AGREEMENT_PHRASES[kind].format(**slots)
                title = f"{slots['all']} sign {phrase}"
            else:
                template = self._choice(TITLES_PAIR if len(members) == 2 else TITLES_GROUP)
                title = template.format(**slots)
            title = _capitalised(title)[:300]

            # Notes in sources published at about the same time: the one at the event's
            # quantile, or one of the next few; now and then a note made for another event.
            base = int(u * source_count)
            k = 1 if (x := r()) < 0.55 else 2 if x < 0.88 else 3
            notes: list[int] = []
            fresh = False
            for j in range(k):
                source = min(source_count - 1, base + int(r() * 4))
                note = last_note[source] if r() < NOTE_REUSED else 0
                if not note or note in notes:
                    note = self._note(out, source, title if r() < 0.2 else "")
                    fresh = fresh or j == 0
                if j == 0:
                    first_source = source
                notes.append(note)
            for note in notes:
                self._cite(out, note, "event", event_id)

            speakers: list[int] = []
            if r() < 0.45:
                for _ in range(1 + int(r() * 3)):
                    pool = active.get((members[int(r() * len(members))].id, d.year))
                    if pool:
                        official = pool[int(r() * len(pool))]
                        if official not in speakers:
                            speakers.append(official)
                            e_officials.append((event_id, official))
            # The event's own note names an official's post: "X, Iran's ambassador¹". Only a
            # note made for this event, so no note cites the same post twice.
            if fresh and speakers and r() < POST_STATED:
                post = self._post_held(speakers[0], d.toordinal())
                if post is not None:
                    self._cite(out, notes[0], "position", post)
            according_to = according_official = None
            if r() < ACCORDING_TO_SHARE:
                if speakers and r() < 0.3:
                    according_official = speakers[0]
                else:
                    keys = members[0].by_key
                    according_to = keys.get("news") or keys.get("mfa") or keys.get("gov")
            events.append(
                (event_id, *self._stamps(), self.slug(EVENT, i + 1), self._status(),
                 self._next_claim(first_source), title, self._summary(slots, main), *date,
                 slots["place"], according_to, according_official)
            )  # fmt: skip
            for index in picked:
                e_domains.append((event_id, domains[index][0]))
            for c in members:
                e_countries.append((event_id, c.id))
            concerns = self._concerned_pair(out, members) if r() < CONCERNS_SHARE else None
            if concerns:
                out[EVENT_CONCERNS].append((event_id, concerns))

            if r() < 0.3:
                chosen: list[int] = []
                for _ in range(1 + int(r() * 2)):
                    if r() < 0.25 and igos:
                        org = igos[int(r() * len(igos))].id
                    else:
                        pool = members[int(r() * len(members))].orgs
                        if not pool:
                            continue
                        org = pool[int(r() * len(pool))].id
                    if org not in chosen:
                        chosen.append(org)
                        e_orgs.append((event_id, org))

            told = _Told(event_id, base, date, notes[0], first_source, concerns)
            if signing:
                self._agreement(out, i // AGREEMENT_EVERY + agreement_first, told, kind, slots,
                                members, picked)  # fmt: skip
            if i % STATEMENT_EVERY == STATEMENT_OFFSET:
                self._statement(out, i // STATEMENT_EVERY + statement_first, told, slots,
                                members, picked, d, speakers)  # fmt: skip

        for table in ALL_TABLES:
            if out[table]:
                yield table, out[table]

    def _own_notes(self, out: dict[Table, Rows], base: int, count: int) -> list[tuple[int, int]]:
        """``count`` new notes in sources near index ``base``: (source, footnote) pairs."""
        found = []
        for _ in range(count):
            source = min(self.plan.sources - 1, base + int(self.rng.random() * 4))
            found.append((source, self._note(out, source)))
        return found

    def _agreement(
        self,
        out: dict[Table, Rows],
        agreement_id: int,
        told: _Told,
        kind: str,
        slots: dict[str, str],
        members: list[_Country],
        picked: list[int],
    ) -> None:
        r = self.rng.random
        # "a loan agreement for X" becomes the title "Loan agreement for X between A and B".
        phrase = AGREEMENT_PHRASES[kind].format(**slots).split(" ", 1)[1]
        title = _capitalised(f"{phrase} between {slots['all']}")[:300]
        stage = AGREEMENT_STAGES_CUM[bisect.bisect(AGREEMENT_STAGES_CUM_W, r() * 100)]
        amount: Decimal | None = None
        currency = ""
        if kind in ("loan", "contract") or (kind in ("programme", "other") and r() < 0.3):
            # Log-uniform between $1m and $5bn, rounded to three significant figures.
            raw = 10 ** (6 + r() * 3.7)
            magnitude = 10 ** (len(str(int(raw))) - 3)
            amount = Decimal(int(raw) // magnitude * magnitude)
            currency = CURRENCIES[int(r() * len(CURRENCIES))]
        purpose = f"To support {slots['topic']} and {slots['topic2']}." if r() < 0.7 else ""
        # Mostly the note that reports the signing backs the agreement too.
        notes = [(told.source, told.note)] if r() < SHARED_WITH_AGREEMENT else []
        notes += self._own_notes(out, told.base, (0 if notes else 1) + int(r() * 2))
        number = agreement_id - self.first_id[AGREEMENT] + 1
        out[AGREEMENT].append(
            (agreement_id, *self._stamps(), self.slug(AGREEMENT, number), self._status(),
             self._next_claim(notes[0][0]), title, kind, stage, purpose, *told.date, amount,
             currency, None, None)
        )  # fmt: skip
        for _, note in notes:
            self._cite(out, note, "agreement", agreement_id)
        out[EVENT_AGREEMENTS].append((told.event, agreement_id))
        if told.concerns:
            out[AGREEMENT_CONCERNS].append((agreement_id, told.concerns))
        for c in members:
            out[AGREEMENT_COUNTRIES].append((agreement_id, c.id))
        for index in picked:
            out[AGREEMENT_DOMAINS].append((agreement_id, self.domains[index][0]))
        # Lender and borrower, or the companies that signed the contract.
        parties = []
        for c, keys in ((members[0], ("bank", "devbank", "oil")), (members[1], ("gas", "rail"))):
            for key in keys:
                if key in c.by_key:
                    parties.append(c.by_key[key])
                    break
        for org in parties:
            out[AGREEMENT_ORGANISATIONS].append((agreement_id, org))

    def _words(self, slots: dict[str, str]) -> tuple[str, str, str]:
        """A statement's form, words and reporting verb: a quote (now and then in two
        fragments, one per line) or a paraphrase in indirect speech."""
        r = self.rng.random
        if r() < PARAPHRASE_SHARE:
            words = self._choice(PARAPHRASES).format(**slots)
            return "paraphrase", words, self._choice(REPORTING_VERBS)
        words = _capitalised(self._choice(QUOTES).format(**slots))
        if r() < FRAGMENTS_SHARE:
            words += "\n" + _capitalised(self._choice(QUOTES).format(**slots))
        return "quote", words, "said" if r() < 0.7 else self._choice(REPORTING_VERBS)

    def _statement(
        self,
        out: dict[Table, Rows],
        statement_id: int,
        told: _Told,
        slots: dict[str, str],
        members: list[_Country],
        picked: list[int],
        day: datetime.date,
        speakers: list[int],
    ) -> None:
        r = self.rng.random
        date = told.date
        at_event = r() < 0.6
        shared = at_event and r() < SHARED_WITH_STATEMENT  # the event's note backs it too
        if shared:
            source, note = told.source, told.note
        else:
            source = min(self.plan.sources - 1, told.base + int(r() * 4))
        if not at_event:  # said on its own, within a month of the event
            later = min(LAST_DAY.toordinal(), day.toordinal() + int(r() * 30))
            day = datetime.date.fromordinal(later)
            if r() < UNDATED_SHARE:  # "X has said...": by the source's date
                date = self._fuzzy(f"by {self._published[source]}")
            else:
                date = self._fuzzy(self._precise_text(day))
        country = members[0]
        speaker = speakers[0] if speakers else None
        if speaker is None:
            pool = self.active.get((country.id, day.year))
            if pool and r() < 0.8:
                speaker = pool[int(r() * len(pool))]
        organisation = None
        if speaker is None or r() < 0.2:
            organisation = country.by_key.get("mfa") or country.by_key.get("gov")
        if speaker is None and organisation is None:
            at_event = True  # the parties' joint words: the event is the speaker
        form, words, verb = self._words(slots)
        if not shared:
            note = self._note(out, source, words.split("\n", 1)[0] if r() < 0.5 else "")
        context = self._choice(CONTEXTS).format(**slots)
        number = statement_id - self.first_id[STATEMENT] + 1
        out[STATEMENT].append(
            (statement_id, *self._stamps(), self.slug(STATEMENT, number), self._status(),
             self._next_claim(source), form, words, verb, speaker, organisation, context, *date,
             told.event if at_event else None, "en")
        )  # fmt: skip
        self._cite(out, note, "statement", statement_id)
        for c in members[:2]:
            out[STATEMENT_COUNTRIES].append((statement_id, c.id))
        out[STATEMENT_DOMAINS].append((statement_id, self.domains[picked[0]][0]))
        if told.concerns and at_event:
            out[STATEMENT_CONCERNS].append((statement_id, told.concerns))


AGREEMENT_KINDS_CUM = [kind for kind, _ in AGREEMENT_KINDS]
AGREEMENT_KINDS_CUM_W = _cumulative([w for _, w in AGREEMENT_KINDS])
AGREEMENT_STAGES_CUM = [stage for stage, _ in AGREEMENT_STAGES]
AGREEMENT_STAGES_CUM_W = _cumulative([w for _, w in AGREEMENT_STAGES])
MEMBERSHIP_ROLES_CUM = [role for role, _ in MEMBERSHIP_ROLES]
MEMBERSHIP_ROLES_CUM_W = _cumulative([w for _, w in MEMBERSHIP_ROLES])


# --- Loading --------------------------------------------------------------------------------
class GenerationError(Exception):
    """A reason not to generate, worded for the person at the command line."""


class OrmSink:
    """Any database: batched ``bulk_create``. Fine for thousands of events, not millions."""

    def __init__(self, using: str) -> None:
        self.using = using

    def write(self, table: Table, rows: Rows) -> None:
        model, fields = table.model, table.fields
        objects = [model(**dict(zip(fields, row, strict=True))) for row in rows]
        model._default_manager.using(self.using).bulk_create(objects, batch_size=500)

    def close(self, *, abort: bool = False) -> None:
        pass


class CopySink:
    """PostgreSQL: ``COPY ... FROM STDIN`` per batch, on a background thread.

    Generating rows is pure Python and keeps one core busy; PostgreSQL parsing them, checking
    foreign keys and updating indexes keeps the other, and is the slower of the two (at 10^6
    events ~60 s of Python against ~190 s of server time). A bounded queue lets them overlap,
    so a run takes about as long as PostgreSQL needs, while holding at most ``depth`` batches
    in memory. The main thread must not use the connection until :meth:`close` returns.
    """

    def __init__(self, pg_connection, quote: Callable[[str], str], depth: int = 4) -> None:
        self._connection = pg_connection
        self._quote = quote
        self._queue: queue.Queue[Batch | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._abort = False
        self.seconds: Counter[str] = Counter()  # COPY time per table, shown at --verbosity 2
        self._thread = threading.Thread(target=self._run, name="generate_kb-copy", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        with self._connection.cursor() as cursor:
            while (item := self._queue.get()) is not None:
                if self._error is None and not self._abort:
                    try:
                        started = time.monotonic()
                        self._copy(cursor, *item)
                        self.seconds[item[0].label] += time.monotonic() - started
                    except BaseException as error:  # handed to the main thread
                        self._error = error

    def _copy(self, cursor, table: Table, rows: Rows) -> None:
        q = self._quote
        columns = ", ".join(q(c) for c in table.columns)
        json_at = [i for i, name in enumerate(table.fields) if name in table.json_fields]
        with cursor.copy(f"COPY {q(table.db_table)} ({columns}) FROM STDIN") as copy:
            write = copy.write_row
            if json_at:  # psycopg would send a list as an array; the column is jsonb
                for row in rows:
                    row = list(row)
                    for i in json_at:
                        row[i] = json.dumps(row[i])
                    write(row)
            else:
                for row in rows:
                    write(row)

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def write(self, table: Table, rows: Rows) -> None:
        while True:
            self._raise()
            try:
                self._queue.put((table, rows), timeout=0.5)
                return
            except queue.Full:
                continue

    def close(self, *, abort: bool = False) -> None:
        self._abort = abort
        self._queue.put(None)  # the thread drains the queue, so this cannot block for long
        self._thread.join()
        if not abort:
            self._raise()


def _reserver(connection) -> Reserve:
    """A function that reserves ``count`` consecutive ids in a table and returns the first."""
    q = connection.ops.quote_name

    def reserve(table: Table, count: int) -> int:
        pk = table.model._meta.pk.column
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table.db_table, pk])
                sequence = cursor.fetchone()[0]
                # Past both the sequence and the ids already used (rows loaded with explicit
                # ids may be ahead of it), then move the sequence past the block.
                cursor.execute(
                    f"SELECT setval(%s::regclass, GREATEST(nextval(%s::regclass), "
                    f"(SELECT COALESCE(MAX({q(pk)}), 0) + 1 FROM {q(table.db_table)})) + %s - 1)",
                    [sequence, sequence, count],
                )
                return cursor.fetchone()[0] - count + 1
            # SQLite and others: ids above the current maximum; their autoincrement follows.
            cursor.execute(f"SELECT COALESCE(MAX({q(pk)}), 0) FROM {q(table.db_table)}")
            return cursor.fetchone()[0] + 1

    return reserve


def _release(connection, generator: KnowledgeBaseGenerator) -> None:
    """Give back the unused end of the blocks reserved for rows made on demand (footnotes,
    relationships), unless another writer has taken ids since: then the gap stays, harmless."""
    if connection.vendor != "postgresql":
        return  # ids there follow the largest in the table
    with connection.cursor() as cursor:
        for table in (FOOTNOTE, RELATIONSHIP):
            first, reserved = generator.first_id[table], generator.reserved[table]
            if generator.made(table) == reserved:
                continue
            pk = table.model._meta.pk.column
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table.db_table, pk])
            sequence = cursor.fetchone()[0]
            cursor.execute(
                f"SELECT setval(%s::regclass, %s, false) FROM {sequence} WHERE last_value = %s",
                [sequence, first + generator.made(table), first + reserved - 1],
            )


def existing_rows(seed: int, using: str = DEFAULT_DB_ALIAS) -> dict[str, int]:
    """How many rows of each slugged table this seed has generated already (non-zero only)."""
    found = {}
    for table in SLUGGED_TABLES:
        count = (
            table.model._default_manager.using(using)
            .filter(slug__startswith=slug_prefix(seed, table))
            .count()
        )
        if count:
            found[table.label] = count
    return found


def delete_generated(seed: int, using: str = DEFAULT_DB_ALIAS) -> None:
    """Delete the rows generated with ``seed`` in raw SQL (the ORM's collector would load
    millions of ids): links and citations first, as the database has no ON DELETE rules.

    Hand-made rows get what Django's ``on_delete`` would give them: their citations of and
    links to generated claims go, a statement made at a generated event loses the event, and
    a protected reference (a hand-made post held in a generated organisation...) stops it.

    All or nothing. Raw SQL sends no signals: the knowledge-base version is bumped here, on
    commit.
    """
    connection = connections[using]
    q = connection.ops.quote_name

    def generated(table: Table) -> tuple[str, list[str]]:
        sql = f"SELECT {q('id')} FROM {q(table.db_table)} WHERE {q('slug')} LIKE %s"
        return sql, [slug_prefix(seed, table) + "%"]

    def column(table: Table, name: str) -> str:
        return q(table.model._meta.get_field(name).column)

    with transaction.atomic(using=using), connection.cursor() as cursor:
        # Bulk: no deferred "published claim is cited" check per citation deleted; one
        # set-based check at the end (relations.models.cited).
        outermost = cited.start_bulk_load(using)

        def rows_referring(table: Table, name: str, target: Table, not_generated: bool) -> int:
            sub, params = generated(target)
            sql = f"SELECT COUNT(*) FROM {q(table.db_table)} WHERE {column(table, name)} IN ({sub})"
            if not_generated:
                sql += f" AND NOT {q('slug')} LIKE %s"
                params = [*params, slug_prefix(seed, table) + "%"]
            cursor.execute(sql, params)
            return cursor.fetchone()[0]

        protected = [
            (POSITION, "official", OFFICIAL), (POSITION, "organisation", ORGANISATION),
            (STATEMENT, "speaker", OFFICIAL), (STATEMENT, "speaker_organisation", ORGANISATION),
            (ORGANISATION, "parent", ORGANISATION),
            (MEMBERSHIP, "member_organisation", ORGANISATION),
            (MEMBERSHIP, "organisation", ORGANISATION),
            (EVENT, "according_to", ORGANISATION), (EVENT, "according_to_official", OFFICIAL),
            (AGREEMENT, "according_to", ORGANISATION),
            (AGREEMENT, "according_to_official", OFFICIAL),
        ]  # fmt: skip
        for table, name, target in protected:
            if rows_referring(table, name, target, not_generated=True):
                raise GenerationError(
                    f"Hand-made {table.model._meta.verbose_name_plural} refer to "
                    f"{target.model._meta.verbose_name_plural} generated with seed {seed} "
                    f"(through '{name}'); change them before replacing this seed's data."
                )

        def delete(table: Table, name: str, target: Table) -> None:
            sub, params = generated(target)
            cursor.execute(
                f"DELETE FROM {q(table.db_table)} WHERE {column(table, name)} IN ({sub})", params
            )

        # Statement.event is PROTECT: hand-made statements made at generated events keep
        # those events, so the seed cannot be replaced until they are moved.
        sub, params = generated(EVENT)
        cursor.execute(
            f"SELECT COUNT(*) FROM {q(STATEMENT.db_table)} "
            f"WHERE {column(STATEMENT, 'event')} IN ({sub}) AND NOT {q('slug')} LIKE %s",
            [*params, slug_prefix(seed, STATEMENT) + "%"],
        )
        if cursor.fetchone()[0]:
            raise GenerationError(
                f"Hand-made statements were made at events generated with seed {seed}; "
                "move them to other events before replacing this seed's data."
            )
        for name, target in (
            ("event", EVENT), ("agreement", AGREEMENT), ("statement", STATEMENT),
            ("position", POSITION), ("membership", MEMBERSHIP),
        ):  # fmt: skip
            delete(CITATION, name, target)
        # The footnotes of generated sources, hand-made ones included (a footnote is a place
        # in its source): what still cites them is a hand-made claim.
        sources, params = generated(SOURCE)
        notes = (
            f"SELECT {q('id')} FROM {q(FOOTNOTE.db_table)} "
            f"WHERE {column(FOOTNOTE, 'source')} IN ({sources})"
        )
        cursor.execute(
            f"SELECT COUNT(*) FROM {q(CITATION.db_table)} "
            f"WHERE {column(CITATION, 'footnote')} IN ({notes})",
            params,
        )
        if cursor.fetchone()[0]:
            raise GenerationError(
                f"Hand-made claims cite sources generated with seed {seed}; remove those "
                "citations before replacing this seed's data."
            )
        for table, name, target in LINKS_TO_GENERATED:
            delete(table, name, target)
        delete(FOOTNOTE, "source", SOURCE)
        for table in (
            STATEMENT, EVENT, AGREEMENT, MEMBERSHIP, POSITION, SOURCE, OFFICIAL, ORGANISATION,
        ):  # fmt: skip
            sub, params = generated(table)
            cursor.execute(f"DELETE FROM {q(table.db_table)} WHERE {q('slug')} LIKE %s", params)
        if outermost:
            cited.finish_bulk_load(using, generated_claims(seed, using))
        bump(using)


def generated_claims(seed: int, using: str) -> list[models.QuerySet]:
    """The claims generated with ``seed``, a queryset per kind (for the set-based checks)."""
    return [
        table.model._default_manager.using(using).filter(slug__startswith=slug_prefix(seed, table))
        for table in (EVENT, AGREEMENT, STATEMENT, POSITION, MEMBERSHIP)
    ]


@dataclass
class Report:
    """What a run did, for the command's summary."""

    counts: dict[str, int]
    replaced: dict[str, int]
    seconds: float
    database_size: str | None
    busiest_pairs: list[tuple[str, str, float]]
    copy_seconds: dict[str, float] = field(default_factory=dict)  # PostgreSQL only
    delete_seconds: float = 0.0  # of --replace
    index_seconds: float = 0.0  # making the indexes and foreign keys dropped for the run


def generate(
    *,
    events: int,
    seed: int,
    replace: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    using: str = DEFAULT_DB_ALIAS,
    progress: Callable[[int], None] | None = None,
    say: Callable[[str], None] | None = None,
) -> Report:
    """Generate ``events`` events and everything around them, in one transaction."""
    if events < 0:
        raise GenerationError(f"--events must be 0 or more, not {events}.")
    if seed < 0:
        raise GenerationError(f"--seed must be 0 or more, not {seed} (it is part of slugs).")
    if batch_size < 1:
        raise GenerationError(f"--batch-size must be at least 1, not {batch_size}.")
    if missing := unfilled_columns():
        raise GenerationError(
            "relations/generator.py does not fill these columns yet: " + ", ".join(missing)
        )
    say = say or (lambda message: None)
    started = time.monotonic()
    connection = connections[using]
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise GenerationError(
            "The database has unapplied migrations: run `manage.py migrate` first."
        )
    countries = list(
        Country.objects.using(using).current().order_by("code").values_list("id", "code", "name")
    )
    domains = list(Domain.objects.using(using).order_by("slug").values_list("id", "slug"))
    if len(countries) < 2 or not domains:
        raise GenerationError(
            "The database has no countries or no domains: run `manage.py migrate` first "
            "(its data migration loads them)."
        )
    postgresql = connection.vendor == "postgresql"
    counts: Counter[str] = Counter()
    with transaction.atomic(using=using):
        # One set-based "published claim is cited" check before commit, not a deferred trigger
        # per row (relations.models.cited).
        cited.start_bulk_load(using)
        replaced = existing_rows(seed, using)
        if replaced and not replace:
            found = ", ".join(f"{n:,} {label}" for label, n in replaced.items())
            raise GenerationError(
                f"The database already holds rows generated with seed {seed} ({found}). "
                "Pass --replace to delete them and generate again, or pick another --seed."
            )
        rebuilt, rebuilt_search = [], []
        # Before --replace deletes: a table emptied by this transaction still has rows
        # for everyone else, who would wait for the dropped index's lock.
        if postgresql and events >= REBUILD_INDEXES_FROM:
            tables = [t.db_table for t in ALL_TABLES]
            rebuilt = drop_plain_indexes(connection, tables)
            # Then each foreign key checked in one join at the end, not a lookup per row.
            rebuilt += drop_foreign_keys(connection, tables)
            # The events' search words are written by finish_bulk_load, which needs none of
            # these, so they are built after it.
            rebuilt_search = drop_plain_indexes(connection, [search.TABLE])
        deleting = time.monotonic()
        if replaced:
            say(f"Deleting the rows generated earlier with seed {seed}…")
            delete_generated(seed, using)
        delete_seconds = time.monotonic() - deleting
        if postgresql:
            # Check foreign keys row by row while COPY runs (on PostgreSQL's core, in parallel
            # with generation) rather than queueing tens of millions of checks for COMMIT.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        generator = KnowledgeBaseGenerator(
            events=events,
            seed=seed,
            countries=countries,
            domains=domains,
            relationships=dict(
                Relationship.objects.using(using).order_by("slug").values_list("slug", "id")
            ),
            batch_size=batch_size,
        )
        generator.prepare(_reserver(connection))
        if postgresql:
            connection.ensure_connection()
            sink = CopySink(connection.connection, connection.ops.quote_name)
        else:
            sink = OrmSink(using)
        try:
            for table, rows in generator.batches():
                sink.write(table, rows)
                counts[table.label] += len(rows)
                if table is EVENT and progress:
                    progress(len(rows))
        except BaseException:
            sink.close(abort=True)
            raise
        sink.close()
        _release(connection, generator)
        if rebuilt:
            say("Building the indexes and checking the foreign keys dropped for the run…")
        indexing = time.monotonic()
        create_indexes(connection, rebuilt)  # the check below reads citations by claim
        index_seconds = time.monotonic() - indexing
        try:
            cited.finish_bulk_load(using, generated_claims(seed, using))
        except cited.UncitedClaim as error:
            raise GenerationError(f"Nothing was generated: {error.message}") from error
        indexing = time.monotonic()
        create_indexes(connection, rebuilt_search)
        index_seconds += time.monotonic() - indexing
        # COPY and bulk_create send no signals: readers' caches are told here, on commit.
        bump(using)
        copy_seconds = dict(getattr(sink, "seconds", {}))
        if postgresql:
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            say("Committing…")
    size = None
    if postgresql:
        # VACUUM too (outside a transaction only): it sets the visibility map, without which
        # index-only scans (deep admin pages, keyset pages) fetch every heap row after COPY.
        vacuum = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
        say(f"{vacuum.title()} of the tables…")
        with connection.cursor() as cursor:
            for table in ALL_TABLES:
                cursor.execute(f"{vacuum} {connection.ops.quote_name(table.db_table)}")
            cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
            size = cursor.fetchone()[0]
    return Report(
        counts={t.label: counts[t.label] for t in ALL_TABLES},
        replaced=replaced,
        seconds=time.monotonic() - started,
        database_size=size,
        busiest_pairs=generator.busiest_pairs(),
        copy_seconds=copy_seconds,
        delete_seconds=delete_seconds,
        index_seconds=index_seconds,
    )
