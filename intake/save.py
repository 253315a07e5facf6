"""Saving what the analyst confirmed: every claim a draft, cited, in one transaction.

``bring_in`` takes the agreed data shape (``intake.proposals``) with every record resolved
(a ``Ref`` with a key, or a new one the analyst ticked to create) and writes, all or nothing:
the source (when new), the new records, one ``sources.Footnote`` per note ("note N", its
excerpt), the claims as drafts and a ``relations.Citation`` from each claim to each of its
notes. Every record created carries the history reason "brought in from <source>".

A page brought in twice proposes nothing twice: a proposal whose note (same source, same
locator) already cites a claim of its kind is "already brought in" and skipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import models, router, transaction

from core.history import one_entry
from core.slugs import slug_within
from intake.proposals import Note, Proposal, Ref
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
    cited,
)
from sources.models import Footnote, Source

MODELS: dict[str, type[models.Model]] = {
    "event": Event,
    "statement": Statement,
    "agreement": Agreement,
    "position": Position,
    "membership": Membership,
}
REFERENCE = {
    "country": Country,
    "organisation": Organisation,
    "official": Official,
    "domain": Domain,
}
# Agreements before the events that name them, events before the statements made at them.
ORDER = ("agreement", "event", "position", "membership", "statement")
REASON_MAX = 100  # django-simple-history's history_change_reason column


class NotSaved(Exception):
    """A proposal the database refuses: nothing was saved. ``proposal`` is its id."""

    def __init__(self, proposal: str, messages: list[str]) -> None:
        super().__init__(f"{proposal}: {'; '.join(messages)}")
        self.proposal = proposal
        self.messages = messages


@dataclass
class Saved:
    source: Source
    claims: list[models.Model] = field(default_factory=list)
    created: list[models.Model] = field(default_factory=list)  # new reference records
    footnotes: list[Footnote] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # ids already brought in


def reason_for(source: Source) -> str:
    reason = f"brought in from {source.title}"
    return reason if len(reason) <= REASON_MAX else reason[: REASON_MAX - 1] + "…"


def already_brought_in(source: Source | None, proposals: Iterable[Proposal]) -> set[str]:
    """The ids of proposals whose notes already cite a claim of their kind in this source
    (one query)."""
    proposals = list(proposals)
    if source is None or source.pk is None or not proposals:
        return set()
    locators = {f"note {n}" for p in proposals for n in p.notes}
    rows = Citation.objects.filter(
        footnote__source=source, footnote__locator__in=locators
    ).values_list("footnote__locator", *(f"{kind}_id" for kind in MODELS))
    done = {
        (locator, kind)
        for locator, *ids in rows
        for kind, claim_id in zip(MODELS, ids, strict=True)
        if claim_id is not None
    }
    return {p.id for p in proposals if any((f"note {n}", p.kind) in done for n in p.notes)}


def unique_slug(model: type[models.Model], text: str, max_length: int = 100) -> str:
    base = slug_within(text, max_length) or model._meta.model_name
    slug, n = base, 1
    while model._default_manager.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _created(record: models.Model, reason: str) -> models.Model:
    record._change_reason = reason
    try:
        record.full_clean()
    except ValidationError as error:
        raise NotSaved(
            str(record), [m for ms in error.message_dict.values() for m in ms]
        ) from error
    record.save()
    return record


@transaction.atomic
def bring_in(
    *,
    source: Source,
    notes: Iterable[Note],
    proposals: Iterable[Proposal],
    create: Iterable[Ref] = (),
) -> Saved:
    """Write ``proposals`` as cited drafts of ``source`` (saved first if new), creating the
    records in ``create``. All or nothing: raises :class:`NotSaved` naming the proposal the
    database refuses."""
    using = router.db_for_write(Event)
    # One history row per record, as an admin save writes (core.history): not one for the
    # record and another for each of its many-to-many fields.
    with cited.checked(using), one_entry(reason_for(source), using=using):
        return _bring_in(source, list(notes), list(proposals), list(create))


def _bring_in(
    source: Source, notes: list[Note], proposals: list[Proposal], create: list[Ref]
) -> Saved:
    if source.pk is None:
        source.slug = source.slug or unique_slug(
            Source, f"{source.title} {source.published}".strip(), 110
        )
        _created(source, reason_for(source))
    reason = reason_for(source)
    saved = Saved(source=source)
    skipped = already_brought_in(source, proposals)
    saved.skipped = [p.id for p in proposals if p.id in skipped]
    proposals = [p for p in proposals if p.id not in skipped]

    records = _records(proposals, create, reason, saved)
    footnotes = _footnotes(source, notes, proposals, reason, saved)
    made: dict[str, models.Model] = {}
    for kind in ORDER:
        for proposal in (p for p in proposals if p.kind == kind):
            try:
                claim = _claim(proposal, records, made, reason)
            except ValidationError as error:
                raise NotSaved(proposal.id, _messages(error)) from error
            made[proposal.id] = claim
            for number in proposal.notes:
                citation = Citation(footnote=footnotes[number], **{kind: claim})
                citation._change_reason = reason
                citation.save()
    saved.claims = [made[p.id] for p in proposals]  # in the page's order
    return saved


def _messages(error: ValidationError) -> list[str]:
    if hasattr(error, "message_dict"):
        return [f"{name}: {m}" for name, ms in error.message_dict.items() for m in ms]
    return list(error.messages)


def _records(
    proposals: list[Proposal], create: list[Ref], reason: str, saved: Saved
) -> dict[tuple[str, str], models.Model]:
    """Every record the proposals name, by (kind, key) and, for new ones, (kind, name):
    loaded with one query per kind, the new ones created."""
    keys: dict[str, set[str]] = {kind: set() for kind in REFERENCE}
    for proposal in proposals:
        for ref in _refs(proposal):
            if ref.key:
                keys[ref.kind].add(ref.key)
    records: dict[tuple[str, str], models.Model] = {}
    for kind, wanted in keys.items():
        if not wanted:
            continue
        model = REFERENCE[kind]
        key = "code" if model is Country else "slug"
        for record in model.objects.filter(**{f"{key}__in": wanted}):
            records[(kind, getattr(record, key))] = record
    needed = {(r.kind, r.name.casefold()) for p in proposals for r in _refs(p) if not r.key}
    for ref in dict.fromkeys(create):
        if (ref.kind, ref.name.casefold()) not in needed:
            continue  # ticked, but no kept proposal names it: not worth a record
        model = REFERENCE[ref.kind]
        record = model(
            name=ref.name, slug=unique_slug(model, ref.name, 45 if ref.kind == "domain" else 100)
        )
        if ref.kind == "domain":
            top = Domain.objects.aggregate(top=models.Max("position"))["top"] or 0
            record.position = top + 10
        _created(record, reason)
        saved.created.append(record)
        records[(ref.kind, "=" + ref.name.casefold())] = record
    return records


def _refs(proposal: Proposal) -> list[Ref]:
    single = [
        proposal.according_to,
        proposal.speaker,
        proposal.official,
        proposal.country,
        proposal.organisation,
        proposal.member,
    ]
    return [
        *proposal.domains,
        *proposal.countries,
        *proposal.organisations,
        *proposal.officials,
        *(r for r in single if r is not None),
    ]


def _footnotes(
    source: Source, notes: list[Note], proposals: list[Proposal], reason: str, saved: Saved
) -> dict[int, Footnote]:
    """One footnote per note a proposal cites: the source's own if it has one at that
    locator, else a new one quoting the note (or the page's sentence)."""
    cited_numbers = {n for p in proposals for n in p.notes}
    by_number = {note.number: note for note in notes}
    missing = cited_numbers - by_number.keys()
    if missing:
        raise NotSaved("notes", [f"The page has no note {n}." for n in sorted(missing)])
    existing = {
        f.locator: f
        for f in Footnote.objects.filter(
            source=source, locator__in=[by_number[n].locator for n in cited_numbers]
        )
    }
    footnotes = {}
    for number in sorted(cited_numbers):
        note = by_number[number]
        footnote = existing.get(note.locator)
        if footnote is None:
            footnote = Footnote(source=source, locator=note.locator, excerpt=note.excerpt)
            footnote._change_reason = reason
            footnote.save()
            saved.footnotes.append(footnote)
        footnotes[number] = footnote
    return footnotes


def _claim(
    proposal: Proposal,
    records: dict[tuple[str, str], models.Model],
    made: dict[str, models.Model],
    reason: str,
) -> models.Model:
    def one(ref: Ref | None, kind: str | None = None):
        if ref is None or (kind and ref.kind != kind):
            return None
        return records.get((ref.kind, ref.key or "=" + ref.name.casefold()))

    def many(refs: list[Ref]) -> list[models.Model]:
        return [r for r in (one(ref) for ref in refs) if r is not None]

    p = proposal
    common = {"sequence": p.sequence}  # and the model's default status: a draft
    if p.kind == "event":
        claim = Event(
            title=p.title, summary=p.summary, date=p.date, place=p.place,
            according_to=one(p.according_to, "organisation"),
            according_to_official=one(p.according_to, "official"), **common,
        )  # fmt: skip
        links = {
            "domains": many(p.domains),
            "countries": many(p.countries),
            "organisations": many(p.organisations),
            "officials": many(p.officials),
            "agreements": [made[i] for i in p.agreements if i in made],
        }
    elif p.kind == "statement":
        claim = Statement(
            form=p.form or Statement.Form.QUOTE, quote=p.quote, verb=p.verb or "said",
            speaker=one(p.speaker, "official"), speaker_organisation=one(p.speaker, "organisation"),
            context=p.context, date=p.date, event=made.get(p.event) if p.event else None,
            **common,
        )  # fmt: skip
        links = {"domains": many(p.domains), "countries": many(p.countries)}
    elif p.kind == "agreement":
        claim = Agreement(
            title=p.title, kind=p.agreement_kind or Agreement.Kind.OTHER,
            stage=p.stage or Agreement.Stage.SIGNED, purpose=p.purpose, date=p.date,
            value_amount=p.value_amount, value_currency=p.value_currency,
            according_to=one(p.according_to, "organisation"),
            according_to_official=one(p.according_to, "official"), **common,
        )  # fmt: skip
        links = {
            "domains": many(p.domains),
            "countries": many(p.countries),
            "organisations": many(p.organisations),
        }
    elif p.kind == "position":
        claim = Position(
            official=one(p.official), title=p.title, country=one(p.country),
            organisation=one(p.organisation), start=p.start, end=p.end, **common,
        )  # fmt: skip
        links = {}
    elif p.kind == "membership":
        claim = Membership(
            member_country=one(p.member, "country"),
            member_organisation=one(p.member, "organisation"),
            organisation=one(p.organisation), role=p.role or "member",
            start=p.start, end=p.end, **common,
        )  # fmt: skip
        links = {}
    else:
        raise ValidationError(f"Unknown kind {p.kind!r}.")
    claim._change_reason = reason
    claim.full_clean(exclude=["slug"])
    claim.save()
    if p.concerns and hasattr(claim, "concerns"):
        links["concerns"] = list(Relationship.objects.filter(slug__in=p.concerns))
    for name, values in links.items():
        if values:
            getattr(claim, name).set(values)
    return claim
