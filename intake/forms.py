"""The forms of "Bring in a page" after the paste (``intake.paste``): the confirm screen's
rows, the new records, and the state that travels signed.

The confirm screen is plain HTML form fields (one row per proposal), so it works without
JavaScript and the analyst's corrections are simply what is posted. What the analyst does not
edit (the page's notes, the summary suggestions, the chosen source) travels in one payload
signed with ``django.core.signing`` and is never read unsigned.

Records are typed as keys or names ("BY", "Iran", "central-bank-of-iran", "ICRO"), comma
separated; :class:`Names` resolves every entry of the screen with one query per kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import reduce
from operator import or_

from django import forms
from django.core import signing
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.forms import formset_factory

from intake.paste import clean_date
from intake.proposals import KINDS, Note, Proposal, Ref
from relations.models import Agreement, Country, Domain, Official, Organisation, Relationship
from relations.models import Statement as StatementModel
from relations.models.claims import validate_currency

PAYLOAD_SALT = "intake.page"
PAYLOAD_MAX_AGE = 24 * 3600  # an older confirm screen is refused: paste the page again

KIND_LABELS = {
    "event": "event",
    "statement": "statement",
    "agreement": "agreement",
    "position": "an official's post",
    "membership": "membership",
}

# Which fields a kind uses, in the order the confirm screen shows them.
KIND_FIELDS = {
    "event": (
        "title", "summary", "use_suggestion", "date", "domains", "countries", "organisations",
        "officials", "concerns", "place", "according_to", "agreements",
    ),
    "statement": (
        "form", "quote", "verb", "speaker", "context", "event", "date", "domains",
        "countries", "concerns",
    ),
    "agreement": (
        "title", "agreement_kind", "stage", "date", "value_amount", "value_currency",
        "purpose", "domains", "countries", "organisations", "concerns", "according_to",
    ),
    "position": ("official", "title", "country", "organisation", "start", "end"),
    "membership": ("member", "organisation", "role", "start", "end"),
}  # fmt: skip


# --- Step 2: the confirm screen --------------------------------------------------------------
def split_entries(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def ref_text(ref: Ref | None) -> str:
    """How a record is written in a field: its key, or a new one's name."""
    if ref is None:
        return ""
    return ref.key or ref.name


class ProposalForm(forms.Form):
    """One proposal (or an added row), every field of every kind; the screen shows the
    proposal's kind's fields first and the others folded away."""

    id = forms.CharField(required=False, widget=forms.HiddenInput)
    keep = forms.BooleanField(required=False, initial=True, label="Keep")
    kind = forms.ChoiceField(
        choices=[("", "—"), *((k, KIND_LABELS[k]) for k in KINDS)], required=False
    )
    notes = forms.CharField(
        label="Notes", required=False, max_length=200, help_text="Note numbers: 4, 9"
    )
    sequence = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    title = forms.CharField(required=False, max_length=300)
    summary = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="In your own words."
    )
    use_suggestion = forms.BooleanField(required=False, label="Use the suggestion")
    date = forms.CharField(required=False, max_length=100)
    domains = forms.CharField(required=False, max_length=500, help_text="Domains, comma separated")
    countries = forms.CharField(required=False, max_length=500, help_text="e.g. BY, IR")
    organisations = forms.CharField(required=False, max_length=1000)
    officials = forms.CharField(required=False, max_length=1000)
    concerns = forms.CharField(
        required=False, max_length=200, help_text="Relationships it bears on: by-ir"
    )
    place = forms.CharField(required=False, max_length=200)
    according_to = forms.CharField(required=False, max_length=300, help_text="Official or body")
    agreements = forms.CharField(
        required=False, max_length=200, help_text="Agreement rows it is the event of: p7"
    )
    form = forms.ChoiceField(
        choices=[("", "—"), *StatementModel.Form.choices], required=False, label="Form"
    )
    quote = forms.CharField(
        label="Words",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Verbatim, without quotation marks; fragments one per line.",
    )
    verb = forms.CharField(required=False, max_length=40)
    speaker = forms.CharField(required=False, max_length=300, help_text="Official or body")
    context = forms.CharField(required=False, max_length=300)
    event = forms.CharField(required=False, max_length=20, help_text="The event row: p5")
    agreement_kind = forms.ChoiceField(
        label="Agreement kind", choices=[("", "—"), *Agreement.Kind.choices], required=False
    )
    stage = forms.ChoiceField(choices=[("", "—"), *Agreement.Stage.choices], required=False)
    value_amount = forms.DecimalField(
        label="Value", required=False, max_digits=18, decimal_places=2, min_value=Decimal("0.01")
    )
    value_currency = forms.CharField(label="Currency", required=False, max_length=3)
    purpose = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    official = forms.CharField(required=False, max_length=300)
    country = forms.CharField(required=False, max_length=100)
    organisation = forms.CharField(required=False, max_length=300)
    start = forms.CharField(label="From", required=False, max_length=100)
    end = forms.CharField(label="To", required=False, max_length=100)
    member = forms.CharField(required=False, max_length=300, help_text="A state or a body")
    role = forms.CharField(required=False, max_length=100)

    def __init__(self, *args, suggestion: str = "", notes_by_number=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.suggestion = suggestion
        self.notes_by_number = notes_by_number or {}
        self.refs: dict[str, Ref | list[Ref] | None] = {}
        self.already = False
        self.doubts: list[str] = []
        self.date_as_read = ""

    # -- What the template shows
    @property
    def current_kind(self) -> str:
        value = self["kind"].value()
        return value if value in KIND_FIELDS else ""

    def kind_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in KIND_FIELDS.get(self.current_kind, ())]

    def other_fields(self) -> list[forms.BoundField]:
        mine = set(KIND_FIELDS.get(self.current_kind, ()))
        return [
            self[name]
            for name in dict.fromkeys(n for names in KIND_FIELDS.values() for n in names)
            if name not in mine
        ]

    def cited_notes(self) -> list[Note]:
        try:
            numbers = parse_numbers(self["notes"].value() or "")
        except ValidationError:
            return []
        return [self.notes_by_number[n] for n in numbers if n in self.notes_by_number]

    def date_value(self) -> str:
        return self["date"].value() or ""

    # -- Validation of one row; records are resolved by the formset (one query per kind)
    def is_blank(self) -> bool:
        """An added row left empty."""
        return not (self.cleaned_data.get("id") or self.cleaned_data.get("kind"))

    def clean_notes(self) -> list[int]:
        return parse_numbers(self.cleaned_data["notes"])

    def clean_date(self) -> str:
        return clean_date(self.cleaned_data["date"])

    def clean_start(self) -> str:
        return clean_date(self.cleaned_data["start"])

    def clean_end(self) -> str:
        return clean_date(self.cleaned_data["end"])

    def clean_value_currency(self) -> str:
        code = self.cleaned_data["value_currency"].strip().upper()
        validate_currency(code)
        return code

    def clean(self):
        data = super().clean()
        if not data.get("keep") or self.is_blank():
            return data
        kind = data.get("kind")
        if not kind:
            self.add_error("kind", "Say what kind of claim this is, or untick Keep.")
            return data
        if not data.get("notes"):
            self.add_error("notes", "Which note of the page says this? Give its number.")
        if data.get("use_suggestion") and not data.get("summary"):
            data["summary"] = self.suggestion
        required = {
            "event": ("title", "date", "domains"),
            "statement": ("quote",),
            "agreement": ("title",),
            "position": ("official", "title"),
            "membership": ("member", "organisation"),
        }[kind]
        for name in required:
            if not data.get(name) and name not in self.errors:
                self.add_error(name, "Needed for this kind of claim.")
        if kind == "statement" and not (data.get("speaker") or data.get("event")):
            self.add_error("speaker", "Who said it? Give a speaker, or the event it was said at.")
        if kind == "position" and not (data.get("country") or data.get("organisation")):
            self.add_error("country", "A post is held in a state's government or a body.")
        if kind == "agreement" and bool(data.get("value_amount")) != bool(
            data.get("value_currency")
        ):
            self.add_error("value_currency", "A value needs its currency, and a currency a value.")
        return data


def parse_numbers(value: str) -> list[int]:
    numbers = []
    for part in split_entries(value.replace(";", ",")):
        part = part.removeprefix("note").strip()
        if not part.isdigit():
            raise ValidationError(f"“{part}” is not a note number.")
        numbers.append(int(part))
    return list(dict.fromkeys(numbers))


#: The fields that name records, and the kinds each accepts, tried in order.
REF_FIELDS = {
    "domains": ("domain",),
    "countries": ("country",),
    "organisations": ("organisation",),
    "officials": ("official",),
    "according_to": ("organisation", "official"),
    "speaker": ("official", "organisation"),
    "official": ("official",),
    "country": ("country",),
    "organisation": ("organisation",),
    "member": ("country", "organisation"),
}
LIST_FIELDS = frozenset({"domains", "countries", "organisations", "officials"})
MODELS = {
    "country": Country,
    "organisation": Organisation,
    "official": Official,
    "domain": Domain,
}
CREATABLE = ("official", "organisation", "domain")


def key_of(record) -> str:
    return record.code if isinstance(record, Country) else record.slug


class Names:
    """Every key or name typed on the screen, resolved with one query per kind: by key
    (code, slug), name or short name, ignoring case."""

    def __init__(self, wanted: dict[str, set[str]]) -> None:
        self.found: dict[tuple[str, str], list[Ref]] = {}
        for kind, entries in wanted.items():
            if not entries:
                continue
            model = MODELS[kind]
            key = "code" if model is Country else "slug"
            names = ["name", "short_name"] if model is Organisation else ["name"]
            condition = reduce(
                or_,
                (Q(**{f"{field}__iexact": entry}) for entry in entries for field in (key, *names)),
            )
            for record in model.objects.filter(condition).order_by("pk"):
                spellings = {key_of(record).casefold(), record.name.casefold()}
                if model is Organisation and record.short_name:
                    spellings.add(record.short_name.casefold())
                ref = Ref(kind, record.name, key_of(record))
                for spelling in spellings:
                    self.found.setdefault((kind, spelling), []).append(ref)

    def get(self, kind: str, entry: str) -> list[Ref]:
        return self.found.get((kind, entry.casefold()), [])


class BaseProposalFormSet(forms.BaseFormSet):
    """The proposals of a page; resolves the records every row names, in one go."""

    def __init__(self, *args, suggestions=None, notes=(), **kwargs):
        self.suggestions = suggestions or {}
        self.notes_by_number = {note.number: note for note in notes}
        self.new_records: list[Ref] = []  # set by the view before validation
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        initial_id = ""
        if self.initial and index is not None and index < len(self.initial):
            initial_id = self.initial[index].get("id", "")
        elif self.is_bound:
            initial_id = self.data.get(f"{self.add_prefix(index)}-id", "")
        kwargs["suggestion"] = self.suggestions.get(initial_id, "")
        kwargs["notes_by_number"] = self.notes_by_number
        return kwargs

    def kept(self) -> list[ProposalForm]:
        return [
            f
            for f in self.forms
            if f.is_valid() and f.cleaned_data.get("keep") and not f.is_blank() and not f.already
        ]

    def clean(self):
        rows = self.kept()  # rows with errors of their own are shown as they are
        wanted: dict[str, set[str]] = {kind: set() for kind in MODELS}
        for form in rows:
            for name in KIND_FIELDS[form.cleaned_data["kind"]]:
                if name in REF_FIELDS:
                    for entry in split_entries(form.cleaned_data.get(name) or ""):
                        for kind in REF_FIELDS[name]:
                            wanted[kind].add(entry)
        names = Names(wanted)
        concerns = {c for f in rows for c in split_entries(f.cleaned_data.get("concerns") or "")}
        self.relationships = (
            set(Relationship.objects.filter(slug__in=concerns).values_list("slug", flat=True))
            if concerns
            else set()
        )
        new = {(r.kind, r.name.casefold()): r for r in self.new_records}
        ids = {f.cleaned_data["id"]: f.cleaned_data["kind"] for f in rows if f.cleaned_data["id"]}
        for form in rows:
            self._resolve(form, names, new, ids)
        if any(self.errors):
            raise ValidationError("Some rows need a correction: see below.")

    def _resolve(self, form: ProposalForm, names: Names, new: dict, ids: dict) -> None:
        data = form.cleaned_data
        for name in KIND_FIELDS[data["kind"]]:
            if name not in REF_FIELDS:
                continue
            refs = []
            for entry in split_entries(data.get(name) or ""):
                ref = self._one(form, name, entry, names, new)
                if ref is not None:
                    refs.append(ref)
            if name not in LIST_FIELDS and len(refs) > 1:
                form.add_error(name, "One only.")
            form.refs[name] = refs if name in LIST_FIELDS else (refs[0] if refs else None)
        if data["kind"] == "event":
            for ref_id in split_entries(data.get("agreements") or ""):
                if ids.get(ref_id) != "agreement":
                    form.add_error("agreements", f"No kept agreement row is called {ref_id}.")
        if data["kind"] == "statement" and data.get("event") and ids.get(data["event"]) != "event":
            form.add_error("event", f"No kept event row is called {data['event']}.")
        concerns = split_entries(data.get("concerns") or "")
        for slug in concerns:
            if slug not in self.relationships:
                form.add_error("concerns", f"No relationship is called “{slug}” (e.g. by-ir).")
        form.refs["concerns"] = concerns

    def _one(self, form, name: str, entry: str, names: Names, new: dict) -> Ref | None:
        kinds = REF_FIELDS[name]
        for kind in kinds:
            found = names.get(kind, entry)
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                keys = ", ".join(r.key for r in found)
                form.add_error(name, f"“{entry}” names several records: write one of {keys}.")
                return None
        for kind in kinds:
            if (kind, entry.casefold()) in new:
                return new[(kind, entry.casefold())]
        what = " or ".join(kinds)
        form.add_error(
            name,
            f"No {what} is called “{entry}”: correct it, or tick it under New records to "
            "create it.",
        )
        return None

    def proposals(self) -> list[Proposal]:
        """The kept rows, as the agreed data shape (``intake.proposals``), ready to save."""
        result = []
        added = 0
        for form in self.kept():
            data = form.cleaned_data
            if not data["id"]:
                added += 1
                data["id"] = f"new{added}"
            refs = form.refs
            result.append(
                Proposal(
                    id=data["id"],
                    kind=data["kind"],
                    notes=data["notes"],
                    title=data["title"],
                    summary=data["summary"],
                    date=data["date"],
                    sequence=data.get("sequence") or 0,
                    domains=refs.get("domains") or [],
                    countries=refs.get("countries") or [],
                    organisations=refs.get("organisations") or [],
                    officials=refs.get("officials") or [],
                    concerns=refs.get("concerns") or [],
                    place=data["place"],
                    according_to=refs.get("according_to"),
                    agreements=split_entries(data["agreements"]),
                    form=data["form"] or StatementModel.Form.QUOTE,
                    quote=data["quote"],
                    verb=data["verb"] or "said",
                    speaker=refs.get("speaker"),
                    context=data["context"],
                    event=data["event"],
                    agreement_kind=data["agreement_kind"] or Agreement.Kind.OTHER,
                    stage=data["stage"] or Agreement.Stage.SIGNED,
                    value_amount=data["value_amount"],
                    value_currency=data["value_currency"],
                    purpose=data["purpose"],
                    official=refs.get("official"),
                    country=refs.get("country"),
                    organisation=refs.get("organisation"),
                    start=data["start"],
                    end=data["end"],
                    member=refs.get("member"),
                    role=data["role"] or "member",
                )
            )
        return result


ProposalFormSet = formset_factory(ProposalForm, formset=BaseProposalFormSet, extra=2)


def proposal_initial(proposal: Proposal) -> dict:
    """A proposal as the confirm screen's initial values."""

    def refs(values: list[Ref]) -> str:
        return ", ".join(ref_text(r) for r in values)

    return {
        "id": proposal.id,
        "keep": True,
        "kind": proposal.kind,
        "notes": ", ".join(str(n) for n in proposal.notes),
        "sequence": proposal.sequence,
        "title": proposal.title,
        "summary": "",  # the analyst's own words: the suggestion is shown beside it
        "date": proposal.date,
        "domains": refs(proposal.domains),
        "countries": refs(proposal.countries),
        "organisations": refs(proposal.organisations),
        "officials": refs(proposal.officials),
        "concerns": ", ".join(proposal.concerns),
        "place": proposal.place,
        "according_to": ref_text(proposal.according_to),
        "agreements": ", ".join(proposal.agreements),
        "form": proposal.form,
        "quote": proposal.quote,
        "verb": proposal.verb,
        "speaker": ref_text(proposal.speaker),
        "context": proposal.context,
        "event": proposal.event,
        "agreement_kind": proposal.agreement_kind,
        "stage": proposal.stage,
        "value_amount": proposal.value_amount,
        "value_currency": proposal.value_currency,
        "purpose": proposal.purpose,
        "official": ref_text(proposal.official),
        "country": ref_text(proposal.country),
        "organisation": ref_text(proposal.organisation),
        "start": proposal.start,
        "end": proposal.end,
        "member": ref_text(proposal.member),
        "role": proposal.role,
    }


class NewRecordForm(forms.Form):
    """A name the page uses that the knowledge base lacks: created on save if ticked."""

    create = forms.BooleanField(required=False, label="Create")
    kind = forms.ChoiceField(choices=[("", "—"), *((k, k) for k in CREATABLE)], required=False)
    name = forms.CharField(required=False, max_length=200)
    as_written = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        name = self["name"].value() or "a new record"
        self.fields["create"].widget.attrs["aria-label"] = f"Create {name}"
        self.fields["kind"].widget.attrs["aria-label"] = f"Kind of {name}"
        self.fields["name"].widget.attrs["aria-label"] = "Name"

    def clean(self):
        data = super().clean()
        if data.get("create") and not (data.get("kind") and data.get("name", "").strip()):
            raise ValidationError("Give the kind and name of the record to create.")
        return data


NewRecordFormSet = formset_factory(NewRecordForm, extra=1)


def new_records_from(formset) -> list[Ref]:
    return [
        Ref(
            f.cleaned_data["kind"], f.cleaned_data["name"].strip(), "", f.cleaned_data["as_written"]
        )
        for f in formset.forms
        if f.is_valid() and f.cleaned_data.get("create")
    ]


# --- The state that travels signed ------------------------------------------------------------
@dataclass
class State:
    """What the confirm screen carries but does not let the analyst edit."""

    user: int
    source: int | None  # an existing source's id; None: the new source form on the screen
    title: str
    date: str
    notes: list[Note]
    suggestions: dict[str, str]  # proposal id -> suggested summary
    as_read: dict[str, str]  # proposal id -> the words the date was read from
    doubts: dict[str, list[str]]
    warnings: list[str]

    def dumps(self) -> str:
        return signing.dumps(
            {
                "user": self.user,
                "source": self.source,
                "title": self.title,
                "date": self.date,
                "notes": [[n.number, n.section, n.passage, n.text] for n in self.notes],
                "suggestions": self.suggestions,
                "as_read": self.as_read,
                "doubts": self.doubts,
                "warnings": self.warnings,
            },
            salt=PAYLOAD_SALT,
            compress=True,
        )

    @classmethod
    def loads(cls, value: str, user: int) -> State:
        """Raises ``signing.BadSignature`` (tampered, expired, or another user's)."""
        data = signing.loads(value, salt=PAYLOAD_SALT, max_age=PAYLOAD_MAX_AGE)
        if data.get("user") != user:
            raise signing.BadSignature("Another user's page.")
        return cls(
            user=data["user"],
            source=data["source"],
            title=data["title"],
            date=data["date"],
            notes=[Note(*row) for row in data["notes"]],
            suggestions=data["suggestions"],
            as_read=data["as_read"],
            doubts=data["doubts"],
            warnings=data["warnings"],
        )
