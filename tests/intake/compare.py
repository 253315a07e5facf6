"""The correction counter: how many fields an analyst must change, and proposals add or remove,
to turn what "Bring in a page" proposed (or saved) into the seed fixture's facts.

Facts compared, per claim (the issue's list): its kind (a statement's form, an agreement's kind,
stage and value with it), date (as bounds and precision: "In May 2007" and "May 2007" agree),
participants (countries, organisations, officials: each a field), concerns, domains, speaker,
quote text, note locators; a post's official, title, country and organisation; a membership's
member and organisation. Titles and summaries are the analyst's own words: not compared.

Claims are paired within a kind by shared notes, then by how many facts agree; one correction is
one such field differing, or one claim added or removed. Used by the engine's test
(tests/intake/test_propose_seed.py) and by the browser test of the confirm screen.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.text import slugify

from core.dates import parse_fuzzy_date

#: The facts each kind of claim is compared on (besides its kind and notes).
FIELDS = {
    "event": ("date", "countries", "organisations", "officials", "concerns", "domains"),
    "agreement": ("date", "countries", "organisations", "concerns", "domains"),
    "statement": ("date", "countries", "concerns", "domains", "speaker", "quote"),
    "position": ("official", "post", "country", "organisation"),
    "membership": ("member", "organisation"),
}


@dataclass(frozen=True)
class Fact:
    """One claim's comparable facts."""

    kind: str  # event, agreement, statement, position, membership
    detail: str  # what else its kind says: "quote", "loan agreed 212000000 USD"
    notes: frozenset[str]  # locators
    values: tuple[tuple[str, object], ...]
    label: str = ""  # to name it in a correction: its title, quote or official

    def get(self, name: str) -> object:
        return dict(self.values).get(name)


def _date(text: str | None) -> str:
    if not text:
        return ""
    try:
        return parse_fuzzy_date(text).display()
    except ValidationError:
        return " ".join(text.split())


def _quote(text: str) -> str:
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())


def _fact(kind: str, detail: str, notes, label: str, **values) -> Fact:
    normal = []
    for name in FIELDS[kind]:
        value = values.get(name)
        if name == "date":
            value = _date(value)
        elif name == "quote":
            value = _quote(value or "")
        elif isinstance(value, (list, tuple, set, frozenset)):
            value = frozenset(value)
        else:
            value = value or ""
        normal.append((name, value))
    return Fact(kind, detail, frozenset(notes), tuple(normal), label)


def _value(amount, currency) -> str:
    if amount in (None, ""):
        return ""
    return f"{int(float(amount))} {currency}"


# -- The fixture -------------------------------------------------------------------------------


def facts_from_fixture(path: str | Path) -> list[Fact]:
    """The claims of a fixture (as ``dumpdata --natural-foreign --natural-primary`` writes)."""
    rows = json.loads(Path(path).read_text())
    locators = {
        r["fields"]["slug"]: r["fields"]["locator"]
        for r in rows
        if r["model"] == "sources.footnote"
    }
    notes: dict[tuple[str, str], set[str]] = {}
    for row in rows:
        if row["model"] != "relations.citation":
            continue
        f = row["fields"]
        for kind in FIELDS:
            if f.get(kind):
                notes.setdefault((kind, f[kind][0]), set()).add(locators[f["footnote"][0]])
    facts = []
    for row in rows:
        model = row["model"].split(".")[1]
        if model not in FIELDS or row["model"].split(".")[0] != "relations":
            continue
        f = row["fields"]
        cited = notes.get((model, f["slug"]), set())

        def keys(name, f=f):
            return [k[0] for k in f.get(name) or []]

        def one(name, f=f):
            return (f.get(name) or [""])[0]

        if model in ("event", "agreement"):
            detail = ""
            if model == "agreement":
                value = _value(f["value_amount"], f["value_currency"])
                detail = " ".join(x for x in (f["kind"], f["stage"], value) if x)
            facts.append(
                _fact(
                    model,
                    detail,
                    cited,
                    f["title"],
                    date=f["date"],
                    countries=keys("countries"),
                    organisations=keys("organisations"),
                    officials=keys("officials"),
                    concerns=keys("concerns"),
                    domains=keys("domains"),
                )
            )
        elif model == "statement":
            speaker = (
                f"official:{one('speaker')}"
                if f.get("speaker")
                else f"organisation:{one('speaker_organisation')}"
                if f.get("speaker_organisation")
                else ""
            )
            facts.append(
                _fact(
                    model,
                    f["form"],
                    cited,
                    f["quote"][:40],
                    date=f["date"],
                    countries=keys("countries"),
                    concerns=keys("concerns"),
                    domains=keys("domains"),
                    speaker=speaker,
                    quote=f["quote"],
                )
            )
        elif model == "position":
            facts.append(
                _fact(
                    model,
                    "",
                    cited,
                    f"{one('official')} {f['title']}",
                    official=one("official"),
                    post=f["title"],
                    country=one("country"),
                    organisation=one("organisation"),
                )
            )
        elif model == "membership":
            member = one("member_country") or one("member_organisation")
            facts.append(
                _fact(
                    model,
                    "",
                    cited,
                    f"{member} in {one('organisation')}",
                    member=member,
                    organisation=one("organisation"),
                )
            )
    return facts


# -- A page's proposals ------------------------------------------------------------------------


def _key(ref) -> str:
    """A record's natural key; a new record's, the slug saving will give it."""
    if ref is None:
        return ""
    return ref.key or slugify(ref.name)


def facts_from_page(page) -> list[Fact]:
    """The claims ``intake.propose.read_page`` proposed."""
    facts = []
    for p in page.proposals:
        cited = {f"note {n}" for n in p.notes}
        keys = {
            name: [_key(r) for r in getattr(p, name)]
            for name in ("countries", "organisations", "officials", "domains")
        }
        if p.kind in ("event", "agreement"):
            detail = ""
            if p.kind == "agreement":
                value = _value(p.value_amount, p.value_currency)
                detail = " ".join(x for x in (p.agreement_kind, p.stage, value) if x)
            facts.append(
                _fact(p.kind, detail, cited, p.title, date=p.date, concerns=p.concerns, **keys)
            )
        elif p.kind == "statement":
            speaker = f"{p.speaker.kind}:{_key(p.speaker)}" if p.speaker else ""
            facts.append(
                _fact(
                    "statement",
                    p.form,
                    cited,
                    p.quote[:40],
                    date=p.date,
                    countries=keys["countries"],
                    concerns=p.concerns,
                    domains=keys["domains"],
                    speaker=speaker,
                    quote=p.quote,
                )
            )
        elif p.kind == "position":
            facts.append(
                _fact(
                    "position",
                    "",
                    cited,
                    f"{_key(p.official)} {p.title}",
                    official=_key(p.official),
                    post=p.title,
                    country=_key(p.country),
                    organisation=_key(p.organisation),
                )
            )
        elif p.kind == "membership":
            facts.append(
                _fact(
                    "membership",
                    "",
                    cited,
                    f"{_key(p.member)} in {_key(p.organisation)}",
                    member=_key(p.member),
                    organisation=_key(p.organisation),
                )
            )
    return facts


# -- Drafts saved in the database ---------------------------------------------------------------


def facts_from_db(source) -> list[Fact]:
    """The claims cited by ``source``'s footnotes, as saved."""
    from relations.models import Citation

    cited: dict[tuple[str, int], set[str]] = {}
    claims: dict[tuple[str, int], object] = {}
    citations = Citation.objects.filter(footnote__source=source).select_related(
        "footnote", "event", "agreement", "statement", "position", "membership"
    )
    for citation in citations:
        for kind in FIELDS:
            claim = getattr(citation, kind)
            if claim is not None:
                cited.setdefault((kind, claim.pk), set()).add(citation.footnote.locator)
                claims[(kind, claim.pk)] = claim
    facts = []
    for (kind, _), claim in claims.items():
        notes = cited[(kind, claim.pk)]

        def slugs(name, field="slug", claim=claim):
            return [getattr(r, field) for r in getattr(claim, name).all()]

        if kind in ("event", "agreement"):
            detail = ""
            if kind == "agreement":
                value = _value(claim.value_amount, claim.value_currency)
                detail = " ".join(x for x in (claim.kind, claim.stage, value) if x)
            facts.append(
                _fact(
                    kind,
                    detail,
                    notes,
                    claim.title,
                    date=claim.date,
                    countries=slugs("countries", "code"),
                    organisations=slugs("organisations"),
                    officials=slugs("officials") if kind == "event" else [],
                    concerns=slugs("concerns"),
                    domains=slugs("domains"),
                )
            )
        elif kind == "statement":
            speaker = (
                f"official:{claim.speaker.slug}"
                if claim.speaker_id
                else f"organisation:{claim.speaker_organisation.slug}"
                if claim.speaker_organisation_id
                else ""
            )
            facts.append(
                _fact(
                    kind,
                    claim.form,
                    notes,
                    claim.quote[:40],
                    date=claim.date,
                    countries=slugs("countries", "code"),
                    concerns=slugs("concerns"),
                    domains=slugs("domains"),
                    speaker=speaker,
                    quote=claim.quote,
                )
            )
        elif kind == "position":
            facts.append(
                _fact(
                    kind,
                    "",
                    notes,
                    f"{claim.official.slug} {claim.title}",
                    official=claim.official.slug,
                    post=claim.title,
                    country=claim.country.code if claim.country_id else "",
                    organisation=claim.organisation.slug if claim.organisation_id else "",
                )
            )
        elif kind == "membership":
            member = (
                claim.member_country.code
                if claim.member_country_id
                else claim.member_organisation.slug
            )
            facts.append(
                _fact(
                    kind,
                    "",
                    notes,
                    f"{member} in {claim.organisation.slug}",
                    member=member,
                    organisation=claim.organisation.slug,
                )
            )
    return facts


# -- Counting ----------------------------------------------------------------------------------


def _differences(expected: Fact, got: Fact) -> list[str]:
    found = []
    if expected.detail != got.detail:
        found.append(f"kind: {got.detail or '-'} -> {expected.detail or '-'}")
    if expected.notes != got.notes:
        found.append(f"notes: {sorted(got.notes)} -> {sorted(expected.notes)}")
    for (name, want), (_, have) in zip(expected.values, got.values, strict=True):
        if want != have:
            if isinstance(want, frozenset):
                change = ", ".join(
                    [f"+ {x}" for x in sorted(want - have)]
                    + [f"- {x}" for x in sorted(have - want)]
                )
            else:
                change = f"{have or '-'!s} -> {want or '-'!s}"
            found.append(f"{name}: {change}")
    return found


def _score(expected: Fact, got: Fact) -> float:
    shared = len(expected.notes & got.notes)
    if not shared:
        return -1
    agree = sum(a == b for a, b in zip(expected.values, got.values, strict=True))
    return shared / len(expected.notes | got.notes) * 10 + agree + (expected.detail == got.detail)


def corrections(expected: list[Fact], got: list[Fact]) -> list[str]:
    """What the analyst must change: one line per field differing, claim added or removed."""
    pairs = []
    for i, e in enumerate(expected):
        for j, g in enumerate(got):
            if e.kind == g.kind:
                score = _score(e, g)
                if score >= 0:
                    pairs.append((score, i, j))
    pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
    matched_e, matched_g, out = set(), set(), []
    for _, i, j in pairs:
        if i in matched_e or j in matched_g:
            continue
        matched_e.add(i)
        matched_g.add(j)
        for difference in _differences(expected[i], got[j]):
            out.append(f"{expected[i].kind} «{expected[i].label}»: {difference}")
    for i, e in enumerate(expected):
        if i not in matched_e:
            out.append(f"add {e.kind} «{e.label}» ({', '.join(sorted(e.notes))})")
    for j, g in enumerate(got):
        if j not in matched_g:
            out.append(f"remove {g.kind} «{g.label}» ({', '.join(sorted(g.notes))})")
    return out
