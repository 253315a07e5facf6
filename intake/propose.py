"""Read a pasted footnoted page into proposed draft claims: the engine of "Bring in a page".

``read_page`` is deterministic and rule-based (no network, no model): the paste is cleaned and
cut into footnoted passages (``intake.split``), names are found by the knowledge base's
gazetteer (``intake.gazetteer``), and each passage is read clause by clause with the small rules
of ``intake.rules``:

- a quotation is a verbatim statement, its speaker the nearest named official or organisation;
  "<speaker> added that …" a paraphrase; "Despite X, Y" two facts, X dated before Y;
- a sum with a loan's or a treaty's words is an agreement (and the event of agreeing it);
- "Belarussian Deputy PM Vladimir Semashko" is a post, proposed once for every note naming it;
  "as a part of the Non-Aligned Movement" a membership;
- everything else an event, with the date its words give, read by ``core.dates``
  ("subsequently": after the previous dated sentence, by the source's date);
- the domain from the section heading, and from the topics the domains list;
- a third party's act on a page about a pair of states concerns that pair.

What the knowledge base does not hold is offered, not guessed: unknown names as
``Page.new_records``, unknown headings as ``Page.new_domains``.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import replace
from types import SimpleNamespace

from django.core.exceptions import ValidationError

from core.dates import POINT_PRECISIONS, FuzzyDate, parse_fuzzy_date
from intake import gazetteer as gazetteers
from intake import posts, rules
from intake.gazetteer import Gazetteer, Match
from intake.proposals import Note, Page, Proposal, Ref
from intake.split import clean, split, too_large

# "the two", "both sides": the page's pair of states, unnamed.
THE_PAIR = re.compile(r"\b(the two|both (?:countries|sides|states|nations)|their meeting)\b", re.I)
# Words a heading adds to its topic: "Economic Relationship", "Energy Ties".
HEADING_NOISE = re.compile(
    r"\b(relationship|relationships|relations|ties|cooperation|co-operation|issues|affairs)\b",
    re.IGNORECASE,
)


def read_page(text: str, notes: str = "", *, source_date: str = "", title: str = "") -> Page:
    """Propose the claims of a pasted page. ``notes``: its list of notes, when pasted apart;
    ``source_date``/``title``: the source's, when known (else the page's own are read)."""
    problem = too_large(text, notes)
    if problem:
        return Page(title=title, date=source_date, notes=[], proposals=[], problems=[problem])
    text, said, refused = clean(text)
    if notes:
        notes, said_notes, refused_notes = clean(notes)
        said += [s for s in said_notes if s not in said]
        refused += refused_notes
    if refused:
        return Page(title, source_date, [], [], problems=refused, warnings=said)
    cut = split(text, notes)
    page = Page(
        title=title or cut.title,
        date=cut.date or source_date,
        notes=cut.notes,
        proposals=[],
        problems=cut.problems,
        warnings=said + cut.warnings,
    )
    if not page.problems:
        _Reader(gazetteers.load(), page, source_date or cut.date, cut.joined).read()
    return page


def _date(text: str) -> FuzzyDate | None:
    try:
        return parse_fuzzy_date(text) if text else None
    except ValidationError:
        return None


def _identity(ref: Ref) -> tuple[str, str]:
    """What makes two refs one record: its key, or a new record's name."""
    return ref.kind, ref.key or ref.name.casefold()


def _unique(refs) -> list[Ref]:
    seen, kept = set(), []
    for ref in refs:
        if ref is None:
            continue
        key = _identity(ref)
        if key not in seen:
            seen.add(key)
            kept.append(ref)
    return kept


def _within(m: Match, spans: list[tuple[int, int]]) -> bool:
    return any(s <= m.start and m.end <= e for s, e in spans)


def _short(text: str, limit: int = 90) -> str:
    text = text.strip().rstrip(".").strip()
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


class _Clause:
    """One clause read: its words, quotations, and the names it gives, by role."""

    def __init__(
        self,
        text: str,
        gazetteer: Gazetteer,
        known: dict[str, Ref],
        states: dict[str, Ref | None] | None = None,
    ) -> None:
        self.text = text
        self.states = states or {}  # a new official's state, as a post the page gave says
        self.quotes = rules.quotes(text)
        spans = [(q.start, q.end) for q in self.quotes]
        self.bare = rules.outside(text, spans)  # quotations blanked
        background = rules.background_spans(self.bare)
        found = gazetteer.find(text)
        # names the knowledge base lacks, of those who act: new records in their own right
        acting = [n.match for n in rules.unknown_names(text, found, known) if n.takes_part]
        inner = [m for m in found if any(a.start <= m.start and m.end <= a.end for a in acting)]
        self.inner_countries = [m.ref for m in inner if m.kind == "country"]
        self.matches = sorted([m for m in found if m not in inner] + acting, key=lambda m: m.start)
        for m in acting:  # "President Ahmadinejad" later; "(ICRO)" from now on
            ref = m.ref
            if ref.is_new and ref.kind == "official" and " " in ref.name:
                known.setdefault(ref.name.split()[-1], ref)
            acronym = re.match(r"\s*\(([A-Z]{2,6})\)", text[m.end :])
            if ref.is_new and ref.kind == "organisation" and acronym:
                known.setdefault(acronym.group(1), ref)
        self.outside_quotes = [m for m in self.matches if not _within(m, spans)]
        self.actors = [m for m in self.outside_quotes if not _within(m, background)]
        self.gazetteer = gazetteer

    def refs(self, kind: str, matches: list[Match] | None = None) -> list[Ref]:
        return _unique(
            m.ref for m in (self.actors if matches is None else matches) if m.kind == kind
        )

    def countries(self, matches: list[Match] | None = None, *, of_actors: bool = True) -> list[Ref]:
        """The states named, and the states of the bodies and people named."""
        own = matches is None
        matches = self.actors if own else matches
        refs = [m.ref for m in matches if m.kind == "country"]
        if own:  # "Uganda" in "Uganda National Oil Company"
            refs += self.inner_countries
        if of_actors:
            for m in matches:
                if m.kind in ("organisation", "official"):
                    code = self.gazetteer.country_of_ref(m.ref)
                    if code:
                        refs.append(self.gazetteer.country_ref(code))
                    elif m.ref.is_new and self.states.get(m.ref.name):
                        refs.append(self.states[m.ref.name])
        return _unique(Ref("country", r.name, r.key) for r in refs)

    def place(self) -> str:
        for m in self.actors:
            written = m.text
            if (
                m.kind == "country"
                and " " not in written
                and written.casefold() != m.ref.name.casefold()
                and not written.endswith(("ian", "ese", "ish"))
                and re.search(r"\b(in|at)\s+$", self.text[: m.start])
            ):
                return written
        return ""


class _Reader:
    """Reads a page's notes in order, keeping what later sentences refer back to."""

    def __init__(
        self, gazetteer: Gazetteer, page: Page, source_date: str, joined: dict[int, int]
    ) -> None:
        self.gazetteer = gazetteer
        self.joined = joined  # a note whose marker follows another's: the other's number
        self.page = page
        self.source = _date(source_date)
        self.ids = itertools.count(1)
        self.previous_date: FuzzyDate | None = None  # the last dated sentence's date
        self.previous_event: tuple[Proposal, str] | None = None  # and its section
        self.posts: dict[tuple, Proposal] = {}
        self.memberships: dict[tuple, Proposal] = {}
        self.pair = self._pair()
        self.pair_slug = ""
        if self.pair:
            from relations.models import Relationship

            codes = [SimpleNamespace(code=r.key) for r in self.pair]
            self.pair_slug = Relationship.slug_for(*codes)
        self.section_domains: dict[str, list[Ref]] = {}
        self.known: dict[str, Ref] = {}  # names the page defined: a new official's surname…
        self.new_posts: dict[str, Ref | None] = {}  # a new official's country, from a post stated

    # -- the page ------------------------------------------------------------------------------
    def _pair(self) -> tuple[Ref, Ref] | None:
        """The two states a relationship page is about: its title's, else the two it names most."""
        found = _unique(m.ref for m in self.gazetteer.find(self.page.title, ("country",)))
        if len(found) < 2:
            counts: dict[str, int] = {}
            refs: dict[str, Ref] = {}
            for note in self.page.notes:
                for m in self.gazetteer.find(note.passage, ("country",)):
                    counts[m.ref.key] = counts.get(m.ref.key, 0) + 1
                    refs[m.ref.key] = m.ref
            ranked = sorted(counts, key=lambda k: -counts[k])
            found = [refs[k] for k in ranked]
            if len(found) < 2 or counts[ranked[1]] < 2:
                return None
        a, b = found[:2]
        return Ref("country", a.name, a.key), Ref("country", b.name, b.key)

    def domains_of(self, heading: str) -> list[Ref]:
        """A section's domain: the pair's dossier's own section of that title, else the first
        part of the heading that names a domain ("Diplomatic/Military Relationship" ->
        Diplomatic); a heading that names none is offered as a new domain."""
        if not heading:
            return []
        if heading in self.section_domains:
            return self.section_domains[heading]
        domains = self.gazetteer.domains
        found: list[Ref] = []
        for section in self._dossier_sections():
            if section.get("title", "").casefold() == heading.casefold():
                slug = section.get("domain", "")
                if slug in domains:
                    found = [Ref("domain", domains[slug], slug, heading)]
        if not found:
            topic = " ".join(HEADING_NOISE.sub(" ", heading).split()).strip(" /,&-")
            by_name = {name.casefold(): slug for slug, name in domains.items()}
            by_name.update({slug: slug for slug in domains})
            for part in re.split(r"\s*(?:/|,|&|\band\b)\s*", topic):
                part = part.casefold()
                slug = by_name.get(part) or self.gazetteer.topics.get(part, "")
                if slug:
                    found = [Ref("domain", domains[slug], slug, heading)]
                    break
            if not found and topic:
                new = Ref("domain", topic[:1].upper() + topic[1:], "", heading)
                self.page.new_domains.append(new)
                found = [new]
        self.section_domains[heading] = found
        return found

    def _dossier_sections(self) -> list[dict]:
        if not hasattr(self, "_sections"):
            self._sections = []
            if self.pair_slug:
                from relations.models import Relationship

                row = Relationship.objects.filter(slug=self.pair_slug).values_list(
                    "sections", flat=True
                )
                self._sections = [s for s in (row.first() or []) if isinstance(s, dict)]
        return self._sections

    # -- reading -------------------------------------------------------------------------------
    def read(self) -> None:
        new_records: list[Ref] = []
        for note in self.page.notes:
            first = self.joined.get(note.number)
            if first is not None:  # "…met.[4][5]": one fact, cited by both notes
                for proposal in self.page.proposals:
                    if first in proposal.notes:
                        proposal.notes.append(note.number)
                continue
            self.read_note(note)
            matches = self.gazetteer.find(note.passage)
            names = rules.unknown_names(note.passage, matches, self.known)
            new_records += [n.match.ref for n in names if n.match.ref.is_new]
        known_new = {(r.kind, r.name.casefold()) for r in self.page.new_domains}
        self.page.new_records = [
            r for r in _unique(new_records) if (r.kind, r.name.casefold()) not in known_new
        ]
        for sequence, proposal in enumerate(self.page.proposals):
            proposal.sequence = sequence

    def new(self, kind: str, note: Note, **fields) -> Proposal:
        proposal = Proposal(id=f"p{next(self.ids)}", kind=kind, notes=[note.number], **fields)
        self.page.proposals.append(proposal)
        return proposal

    def read_note(self, note: Note) -> None:
        section = self.domains_of(note.section)
        background, main = rules.concession(note.passage)
        parts = rules.clauses(main, [(q.start, q.end) for q in rules.quotes(main)])
        start = len(self.page.proposals)
        subject: list[Ref] = []
        first_event: Proposal | None = None
        for index, text in enumerate(parts):
            clause = _Clause(text, self.gazetteer, self.known, self.new_posts)
            inherited = subject if index and text[:1].islower() else []
            events, _ = self.read_clause(note, clause, section, inherited)
            if not subject:
                subject = clause.countries(of_actors=False)[:1] or clause.refs("organisation")[:1]
            first_event = first_event or next((e for e in events if e.kind == "event"), None)
        if background and first_event is not None:
            self.read_background(note, background, main, first_event, section, start)
        self.read_posts_and_memberships(note, note.passage, subject)

    def read_clause(self, note, clause: _Clause, section, inherited):
        """The event, agreement and statements one clause gives."""
        gazetteer = self.gazetteer
        explicit = rules.explicit_date(clause.bare)
        pair = list(self.pair) if self.pair and THE_PAIR.search(clause.bare) else []
        said_pair = list(self.pair) if self.pair and THE_PAIR.search(clause.text) else []
        domains = _unique([*section, *(m.ref for m in clause.outside_quotes if m.kind == "domain")])
        events: list[Proposal] = []
        statements: list[Proposal] = []
        paraphrase = rules.PARAPHRASE.search(clause.bare)
        is_statement = bool(clause.quotes) or (paraphrase is not None and not explicit.text)
        has_event = (
            not is_statement or bool(explicit.text) or bool(rules.EVENT_NOUN.search(clause.bare))
        )
        countries = _unique([*inherited, *clause.countries(), *pair])
        if has_event:
            date = rules.read_date(clause.bare, source=self.source, previous=self.previous_date)
            kind = rules.agreement_kind(clause.bare)
            stage = rules.stage(clause.bare)
            amount, currency = rules.value(clause.bare)
            if stage and amount is not None and not kind:  # "agreed a $50m deal"
                kind = "other"
            organisations = clause.refs("organisation")

            def common() -> dict:  # each proposal its own lists: the screen edits them apart
                return {
                    "date": date.text,
                    "date_as_read": date.as_read,
                    "domains": list(domains),
                    "organisations": list(organisations),
                    "summary": clause.text.strip(),
                    "doubts": [date.doubt] if date.doubt else [],
                }

            agreement = None
            if kind and stage:
                covered = {gazetteer.country_of_ref(o) for o in organisations}
                agreement = self.new(
                    "agreement",
                    note,
                    title=_short(_strip_date(clause.text, date.as_read)),
                    agreement_kind=kind,
                    stage=stage,
                    value_amount=amount,
                    value_currency=currency,
                    countries=[
                        c for c in clause.countries(of_actors=False) if c.key not in covered
                    ],
                    **common(),
                )
                events.append(agreement)
            event = self.new(
                "event",
                note,
                title=_short(_strip_date(clause.text, explicit.as_read)),
                countries=countries,
                officials=clause.refs("official"),
                place=clause.place(),
                agreements=[agreement.id] if agreement else [],
                concerns=self._concerns(clause.countries(of_actors=False), clause),
                **common(),
            )
            events.insert(0, event)
            if date.is_point:
                self.previous_date = date.value
            self.previous_event = (event, note.section)
        if clause.quotes:
            statements.append(self.quote(note, clause, domains, said_pair, events))
        elif paraphrase is not None and not explicit.text:
            statements.append(self.paraphrase(note, clause, paraphrase, domains, said_pair))
        return events, statements

    def _speaker(self, clause: _Clause, before: int) -> Match | None:
        """The nearest official or organisation named before ``before``, else after it."""
        people = [m for m in clause.outside_quotes if m.kind in ("official", "organisation")]
        earlier = [m for m in people if m.end <= before]
        if earlier:
            return earlier[-1]
        later = [m for m in people if m.start >= before]
        return later[0] if later else None

    def _link(self, statement: Proposal, clause: _Clause, events: list[Proposal], note: Note):
        """A statement made at an event: the clause's own dated event; what a speaker "added"
        at the previous one; a press release by one who took part in the event just told."""
        dated = [e for e in events if e.kind == "event" and _is_point(e.date)]
        if dated:
            statement.event, statement.date = dated[0].id, dated[0].date
            statement.date_as_read = dated[0].date_as_read
            statement.domains = _unique([*statement.domains, *dated[0].domains])
            return
        if events or self.previous_event is None:
            return
        event, section = self.previous_event
        if section != note.section or event.notes[-1] != note.number - 1:
            return
        took_part = {_identity(r) for r in (*event.officials, *event.organisations)}
        speaker = statement.speaker
        if statement.verb in rules.CONTINUING and speaker is not None:
            statement.event = event.id
            statement.date, statement.date_as_read = event.date, event.date_as_read
            statement.doubts = []
        elif speaker is not None and _identity(speaker) in took_part:
            statement.event = event.id
        else:
            return
        statement.domains = _unique([*statement.domains, *event.domains])

    def _statement_date(self, clause: _Clause) -> rules.DateRead:
        return rules.read_date(clause.bare, source=self.source, previous=self.previous_date)

    def quote(self, note, clause: _Clause, domains, pair, events) -> Proposal:
        first = clause.quotes[0]
        speaker = self._speaker(clause, first.start)
        if speaker and speaker.start >= first.end:  # "“…,” said Lukashenko"
            between = clause.bare[first.end : speaker.start]
        else:
            between = clause.bare[speaker.end if speaker else 0 : first.start]
        verb = rules.reporting_verb(between)
        countries = _unique([*clause.countries(clause.matches), *pair])
        date = self._statement_date(clause)
        statement = self.new(
            "statement",
            note,
            form="quote",
            quote="\n".join(q.words for q in clause.quotes),
            verb=verb,
            speaker=speaker.ref if speaker else None,
            context=rules.context(clause.bare[: first.start])
            or ("" if speaker else f"{' and '.join(c.name for c in countries)} {verb}"),
            countries=countries,
            domains=list(domains),
            date=date.text,
            date_as_read=date.as_read,
            doubts=[
                d
                for d in (date.doubt, "" if speaker or events else "Who said it? No one is named.")
                if d
            ],
        )
        self._link(statement, clause, events, note)
        return statement

    def paraphrase(self, note, clause: _Clause, match: re.Match, domains, pair) -> Proposal:
        speaker = self._speaker(clause, match.start())
        countries = _unique([*clause.countries(clause.matches), *pair])
        date = self._statement_date(clause)
        words = match.group("words").strip().rstrip(".")
        statement = self.new(
            "statement",
            note,
            form="paraphrase",
            quote=words,
            verb=match.group(1).lower(),
            speaker=speaker.ref if speaker else None,
            countries=countries,
            domains=list(domains),
            date=date.text,
            date_as_read=date.as_read,
            doubts=[date.doubt] if date.doubt else [],
        )
        self._link(statement, clause, [], note)
        return statement

    def read_background(self, note, text, main, event: Proposal, section, at: int) -> None:
        """ "Despite increasing censure from …": a fact of its own, before the one it opposes."""
        clause = _Clause(text, self.gazetteer, self.known, self.new_posts)
        if not clause.actors:
            return
        # the pair's state whose thing the main clause is about ("Iran's programme")
        possessed = [
            m.ref
            for m in self.gazetteer.find(main, ("country",))
            if re.match(r"['’]s?\b", main[m.end : m.end + 2])
        ]
        countries = _unique(
            [*clause.countries(), *(Ref("country", r.name, r.key) for r in possessed)]
        )
        date = rules.before(_date(event.date))
        background = self.new(
            "event",
            note,
            title=_short(text[:1].upper() + text[1:]),
            summary=text,
            date=date.text,
            date_as_read=f"{note.passage.split()[0]} {text.split()[0]}",
            domains=_unique(
                [*section, *(m.ref for m in clause.outside_quotes if m.kind == "domain")]
            ),
            countries=countries,
            organisations=clause.refs("organisation"),
            officials=clause.refs("official"),
            concerns=self._concerns(clause.countries(of_actors=False), clause),
            doubts=[date.doubt] if date.doubt else [],
        )
        # told first on the page: keep the page's order
        self.page.proposals.remove(background)
        self.page.proposals.insert(at, background)

    def _concerns(self, named: list[Ref], clause: _Clause) -> list[str]:
        """A third party's act, told on a page about a pair, concerns the pair."""
        if not self.pair_slug or THE_PAIR.search(clause.bare):
            return []
        pair = {r.key for r in self.pair}
        actors = [m for m in clause.actors if m.kind in ("country", "organisation", "official")]
        if not actors:
            return []
        own = {r.key for r in named} | {
            self.gazetteer.country_of_ref(m.ref) for m in actors if m.kind != "country"
        }
        return [] if own & pair else [self.pair_slug]

    def read_posts_and_memberships(self, note: Note, text: str, subject: list[Ref]) -> None:
        clause = _Clause(text, self.gazetteer, self.known, self.new_posts)
        bare, matches = clause.bare, clause.outside_quotes
        for post in posts.posts(bare, matches, self.gazetteer):
            if post.official.is_new:  # a new official's state: the one a post of theirs gave
                if post.country is None:
                    post = replace(post, country=self.new_posts.get(post.official.name))
                self.new_posts.setdefault(post.official.name, post.country)
            key = (
                _identity(post.official),
                post.title.casefold(),
                _identity(post.country) if post.country else "",
                _identity(post.organisation) if post.organisation else "",
            )
            known = self.posts.get(key)
            if known is not None:
                if note.number not in known.notes:
                    known.notes.append(note.number)
                continue
            self.posts[key] = self.new(
                "position",
                note,
                title=post.title,
                official=post.official,
                country=post.country,
                organisation=post.organisation,
            )
        for organisation in rules.membership_of(bare, matches):
            member = next((r for r in subject if _identity(r) != _identity(organisation)), None)
            if member is None:
                continue
            key = (_identity(member), _identity(organisation))
            known = self.memberships.get(key)
            if known is not None:
                known.notes.append(note.number)
                continue
            self.memberships[key] = self.new(
                "membership",
                note,
                member=member,
                organisation=organisation,
                role="member",
            )


def _is_point(text: str) -> bool:
    value = _date(text)
    return value is not None and value.precision in POINT_PRECISIONS


def _strip_date(text: str, as_read: str) -> str:
    """A title's words: the clause without its date and opening connective."""
    if as_read:
        text = text.replace(as_read, "")
    text = re.sub(r"^\W*(subsequently|afterwards|then|later)\b,?\s*", "", text, flags=re.I)
    text = re.sub(r"\s+([,;.])", r"\1", " ".join(text.split())).strip(" ,;")
    return text[:1].upper() + text[1:]
