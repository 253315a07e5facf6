"""Saving a confirmed page: drafts with their citations, in one transaction, with history;
nothing twice; and the screen's save button end to end."""

from __future__ import annotations

from decimal import Decimal
from http import HTTPStatus
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import Group
from django.db import transaction
from django.urls import reverse

from intake import admin as intake_admin
from intake.proposals import Proposal, Ref
from intake.save import NotSaved, already_brought_in, bring_in, reason_for
from relations.models import Citation, Event, Official, Statement, Status
from relations.roles import ANALYST
from sources.models import Footnote, Source
from tests.intake import pages
from tests.intake.kb import load_reference

pytestmark = pytest.mark.django_db

REASON = "brought in from Belarus-Iran dossier"


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker):
    """The seed's reference records (countries, domains, organisations, officials, by-ir),
    without its source, footnotes and claims: a knowledge base before the page. Loaded once
    for the module, in a transaction rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        load_reference()
        yield
        transaction.set_rollback(True)


@pytest.fixture
def reference(loaded, db):
    pass


def new_source() -> Source:
    return Source(title="Belarus-Iran dossier", published="July 06, 2010")


def test_a_page_is_saved_as_cited_drafts_with_its_new_records_and_history(reference):
    saved = bring_in(
        source=new_source(),
        notes=pages.notes(),
        proposals=pages.proposals(),
        create=[pages.NEWCOMER],
    )
    source = Source.objects.get()
    assert saved.source == source and source.slug == "belarus-iran-dossier-july-06-2010"
    assert [c._meta.model_name for c in saved.claims] == [
        "event", "statement", "agreement", "position",
    ]  # fmt: skip
    assert all(c.status == Status.DRAFT for c in saved.claims)
    # one footnote per note, quoting the note's text, or the page's sentence without one
    footnotes = {f.locator: f.excerpt for f in Footnote.objects.filter(source=source)}
    assert sorted(footnotes) == ["note 1", "note 3", "note 6", "note 7"]
    assert footnotes["note 6"].startswith("IRNA, 3 June 2009")
    assert footnotes["note 1"].startswith("Belarus commended Iran in 2008")
    event, statement, agreement, position = saved.claims
    assert [c.footnote.locator for c in event.citations.all()] == ["note 1"]
    assert sorted(event.countries.values_list("code", flat=True)) == ["BY", "IR"]
    assert (event.date_lower.isoformat(), event.date_precision) == ("2008-01-01", "year")
    assert statement.speaker.slug == "mahmoud-ahmadinejad"
    assert list(statement.concerns.values_list("slug", flat=True)) == ["by-ir"]
    assert (agreement.value_amount, agreement.value_currency) == (Decimal("212000000"), "USD")
    assert position.official.name == "Ivan Testov" and position.country.code == "BY"
    assert saved.created == [Official.objects.get(name="Ivan Testov")]
    # every record created says where it came from
    made = (source, *saved.claims, *saved.created, *Footnote.objects.all(), *Citation.objects.all())
    for record in made:  # one row each, "Created": not one more per many-to-many field
        rows = list(record.history.values_list("history_type", "history_change_reason"))
        assert rows == [("+", REASON)], record
    assert Citation.objects.count() == 4


def test_a_page_brought_in_twice_saves_nothing_twice(reference):
    first = bring_in(source=new_source(), notes=pages.notes(), proposals=pages.proposals(),
                     create=[pages.NEWCOMER])  # fmt: skip
    source = first.source
    assert already_brought_in(source, pages.proposals()) == {"p1", "p2", "p3", "p4"}
    again = bring_in(source=source, notes=pages.notes(), proposals=pages.proposals(),
                     create=[pages.NEWCOMER])  # fmt: skip
    assert again.claims == [] and again.skipped == ["p1", "p2", "p3", "p4"]
    assert Event.objects.count() == 1 and Footnote.objects.count() == 4
    assert Official.objects.filter(name="Ivan Testov").count() == 1
    # a claim of another kind on a note already in: saved, on the same footnote
    extra = Proposal(id="p9", kind="statement", notes=[1], form="paraphrase",
                     quote="Iran complies", speaker=pages.AHMADINEJAD)  # fmt: skip
    third = bring_in(source=source, notes=pages.notes(), proposals=[extra])
    assert [c.citations.get().footnote.locator for c in third.claims] == ["note 1"]
    assert Footnote.objects.count() == 4


def test_a_refused_proposal_saves_nothing_at_all(reference):
    broken = pages.proposals()
    broken[2].value_currency = "XXQ"  # not an ISO 4217 code: the model refuses it
    with pytest.raises(NotSaved) as refused:
        bring_in(source=new_source(), notes=pages.notes(), proposals=broken,
                 create=[pages.NEWCOMER])  # fmt: skip
    assert refused.value.proposal == "p3"
    assert "ISO 4217" in " ".join(refused.value.messages)
    assert (Source.objects.count(), Event.objects.count(), Footnote.objects.count()) == (0, 0, 0)
    assert not Official.objects.filter(name="Ivan Testov").exists()


def test_a_new_record_named_by_no_kept_proposal_is_not_created(reference):
    unused = Ref("organisation", "Friends of Minsk")
    bring_in(source=new_source(), notes=pages.notes(), proposals=pages.proposals()[:1],
             create=[unused, pages.NEWCOMER])  # fmt: skip
    assert not Official.objects.filter(name="Ivan Testov").exists()


def test_the_history_reason_fits_its_column():
    long = Source(title="A" * 300)
    assert len(reason_for(long)) == 100 and reason_for(long).endswith("…")


# --- Through the screen -------------------------------------------------------------------------
@pytest.fixture
def analyst(client, django_user_model, reference, monkeypatch):
    user = django_user_model.objects.create_user("anna", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=ANALYST))
    client.force_login(user)
    monkeypatch.setattr(intake_admin, "read_page", lambda *a, **k: pages.page())
    return client


def test_saving_the_screen_writes_the_drafts_and_lists_them_with_links(analyst):
    screen = analyst.post("/admin/intake/page/", {"text": pages.TEXT})
    data = pages.form_data(
        screen,
        **{
            "new-0-create": "on",  # create Ivan Testov
            "p-0-use_suggestion": "on",
            "p-1-keep": None,  # drop the quote
            "p-4-kind": "event",  # and add an event
            "p-4-notes": "7",
            "p-4-title": "Testov named envoy",
            "p-4-date": "2010",
            "p-4-domains": "diplomatic",
            "p-4-officials": "Ivan Testov",
            "source-author": "A. Writer",
        },
    )
    response = analyst.post("/admin/intake/page/", data)
    assert response.status_code == HTTPStatus.FOUND, response.context and [
        f.errors for f in response.context["proposals"].forms
    ]
    assert response["Location"].startswith(reverse("admin:intake_done"))
    assert Statement.objects.count() == 0
    event = Event.objects.get(title="Belarus commends Iran's IAEA compliance")
    assert event.summary == "Belarus commended Iran's compliance."  # the suggestion, confirmed
    added = Event.objects.get(title="Testov named envoy")
    assert [o.name for o in added.officials.all()] == ["Ivan Testov"]
    assert Source.objects.get().author == "A. Writer"
    done = analyst.get(response["Location"])
    assert done.status_code == HTTPStatus.OK
    assert reverse("admin:relations_event_change", args=[added.pk]) in done.text
    assert "4 drafts" in done.text and "1 new record" in done.text


def test_nothing_is_saved_while_a_row_needs_a_correction(analyst):
    screen = analyst.post("/admin/intake/page/", {"text": pages.TEXT})
    response = analyst.post("/admin/intake/page/", pages.form_data(screen))  # Testov unticked
    assert response.status_code == HTTPStatus.OK
    assert "No official is called “Ivan Testov”" in response.text
    assert (Source.objects.count(), Event.objects.count()) == (0, 0)


def test_adding_rows_without_javascript_keeps_what_was_typed_and_saves_nothing(analyst):
    screen = analyst.post("/admin/intake/page/", {"text": pages.TEXT})
    data = pages.form_data(screen, **{"p-0-title": "Retitled", "more": "Add three rows"})
    response = analyst.post("/admin/intake/page/", data)
    assert response.status_code == HTTPStatus.OK
    assert len(response.context["proposals"].forms) == 9  # 4 proposals, 2 + 3 empty rows
    assert response.context["proposals"].forms[0]["title"].value() == "Retitled"
    assert (Source.objects.count(), Event.objects.count()) == (0, 0)


def test_a_page_brought_in_again_through_the_screen_proposes_nothing_twice(analyst):
    first = bring_in(source=new_source(), notes=pages.notes(), proposals=pages.proposals(),
                     create=[pages.NEWCOMER])  # fmt: skip
    screen = analyst.post("/admin/intake/page/", {"text": pages.TEXT, "source": first.source.pk})
    forms = screen.context["proposals"].forms
    assert [f.already for f in forms[:4]] == [True] * 4
    assert screen.text.count("Already brought in") == 4
    # Ticked again by hand, they are still not saved twice.
    data = pages.form_data(
        screen, **{f"p-{i}-keep": "on" for i in range(4)}, **{"new-0-create": "on"}
    )
    response = analyst.post("/admin/intake/page/", data)
    assert "nothing to save" in response.text
    assert (Event.objects.count(), Citation.objects.count()) == (1, 4)


def test_what_the_database_refuses_is_said_on_the_screen_and_nothing_is_saved(analyst):
    screen = analyst.post("/admin/intake/page/", {"text": pages.TEXT})
    data = pages.form_data(screen, **{"new-0-create": "on", "p-3-end": "2005"})  # before 2010
    response = analyst.post("/admin/intake/page/", data)
    assert response.status_code == HTTPStatus.OK
    assert "Nothing was saved: p4" in response.text and "ends before it starts" in response.text
    assert (Source.objects.count(), Event.objects.count(), Official.objects.count()) == (0, 0, 5)
    # Corrected, the same screen saves (the new source was not left half made).
    data["p-3-end"] = ""
    assert analyst.post("/admin/intake/page/", data).status_code == HTTPStatus.FOUND
    assert Source.objects.count() == 1


def test_a_long_page_is_read_back_though_its_screen_has_more_fields_than_djangos_limit(
    analyst, monkeypatch, settings
):
    many = [p for _ in range(10) for p in pages.proposals()]
    for i, proposal in enumerate(many):
        proposal.id = f"p{i + 1}"
    monkeypatch.setattr(intake_admin, "read_page", lambda *a, **k: pages.page(proposals=many))
    screen = analyst.post("/admin/intake/page/", {"text": pages.TEXT})
    data = pages.form_data(screen, **{"p-0-title": "Retitled", "more": "Add three rows"})
    assert len(data) > settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    # As a browser sends it (the test client would send multipart).
    response = analyst.post(
        "/admin/intake/page/", urlencode(data), content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == HTTPStatus.OK
    forms = response.context["proposals"].forms
    assert (len(forms), forms[0]["title"].value()) == (45, "Retitled")


def test_a_new_domain_from_a_heading_is_created_after_the_others(reference):
    heading = Ref("domain", "Scientific and Technological Cooperation")
    event = pages.proposals()[0]
    event.domains = [heading]
    saved = bring_in(source=new_source(), notes=pages.notes(), proposals=[event], create=[heading])
    (domain,) = saved.created
    assert (domain.slug, domain.position) == ("scientific-and-technological-cooperation", 70)
    assert list(saved.claims[0].domains.all()) == [domain]
