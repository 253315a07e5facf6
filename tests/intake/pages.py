"""Hand-made pages for the screen and save tests (not the engine's output: those tests check
the screen and the save whatever the engine proposes), and a browser-like form poster."""

from __future__ import annotations

from decimal import Decimal

from intake.proposals import Note, Page, Proposal, Ref

BY = Ref("country", "Belarus", "BY")
IR = Ref("country", "Iran", "IR")
AHMADINEJAD = Ref("official", "Mahmoud Ahmadinejad", "mahmoud-ahmadinejad")
CBI = Ref("organisation", "Central Bank of the Islamic Republic of Iran", "central-bank-of-iran")
BELARUSNEFT = Ref("organisation", "Belarusneft", "belarusneft")
NEWCOMER = Ref("official", "Ivan Testov", "", "Testov")
ECONOMIC = Ref("domain", "Economic", "economic")
NUCLEAR = Ref("domain", "Nuclear", "nuclear")

TEXT = (
    "Nuclear:\nBelarus commended Iran in 2008 for its compliance with the IAEA.[1]\n"
    "Economic Relationship:\nAccording to Iranian President Mahmoud Ahmadinejad, “the two "
    "countries enjoy close cooperation.”[3] Subsequently, the Central Bank of Iran agreed to "
    "lend $212m to Belarusneft.[6] Ivan Testov, the new envoy, was named in 2010.[7]"
)


def notes() -> list[Note]:
    return [
        Note(1, "Nuclear", "Belarus commended Iran in 2008 for its compliance with the IAEA."),
        Note(3, "Economic Relationship", "According to Iranian President Mahmoud Ahmadinejad, "
             "“the two countries enjoy close cooperation.”"),
        Note(6, "Economic Relationship", "Subsequently, the Central Bank of Iran agreed to lend "
             "$212m to Belarusneft.", "IRNA, 3 June 2009 <script>alert(1)</script>"),
        Note(7, "Economic Relationship", "Ivan Testov, the new envoy, was named in 2010."),
    ]  # fmt: skip


def proposals() -> list[Proposal]:
    return [
        Proposal(
            id="p1", kind="event", notes=[1], title="Belarus commends Iran's IAEA compliance",
            summary="Belarus commended Iran's compliance.", date="2008", date_as_read="in 2008",
            domains=[NUCLEAR], countries=[BY, IR],
        ),
        Proposal(
            id="p2", kind="statement", notes=[3], form="quote",
            quote="the two countries enjoy close cooperation.", verb="said",
            speaker=AHMADINEJAD, date="by 6 July 2010", date_as_read="", countries=[BY, IR],
            domains=[ECONOMIC], concerns=["by-ir"],
        ),
        Proposal(
            id="p3", kind="agreement", notes=[6], title="CBI loan to Belarusneft",
            agreement_kind="loan", stage="agreed", value_amount=Decimal("212000000"),
            value_currency="USD", date="after 2008, by 6 July 2010",
            date_as_read="Subsequently", organisations=[CBI, BELARUSNEFT], countries=[BY, IR],
            domains=[ECONOMIC], doubts=["“Subsequently” read after the previous fact's date."],
        ),
        Proposal(
            id="p4", kind="position", notes=[7], title="Envoy", official=NEWCOMER, country=BY,
            start="2010",
        ),
    ]  # fmt: skip


def page(**overrides) -> Page:
    values = {
        "title": "Belarus-Iran Foreign Relations",
        "date": "July 06, 2010",
        "notes": notes(),
        "proposals": proposals(),
        "new_records": [NEWCOMER],
        "new_domains": [],
        "problems": [],
    }
    return Page(**{**values, **overrides})


def form_data(response, **changes) -> dict:
    """What a browser would post back from the confirm screen as rendered, with ``changes``
    (field name -> value; None unticks a box or drops the field)."""
    context = response.context
    data: dict = {"state": context["state"]}
    forms = []
    for name in ("proposals", "records"):
        formset = context[name]
        management = formset.management_form
        for field in management:
            data[field.html_name] = field.value()
        forms += formset.forms
    if context.get("source_form") is not None:
        forms.append(context["source_form"])
    for form in forms:
        for field in form:
            value = field.value()
            if field.widget_type == "checkbox":
                if value:
                    data[field.html_name] = "on"
            elif value is not None:
                data[field.html_name] = str(value)
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data
