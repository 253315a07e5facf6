"""One admin save is one history entry, and the history page says what it changed.

Every content admin is saved through its own change form (as a browser submits it back, with
one field edited and a link added to every many-to-many field), and its history counted;
an event's history page is read as an analyst reads it.
"""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.forms import ModelMultipleChoiceField
from django.urls import reverse

from core.admin_base import ContentAdmin
from relations.models import Event, Status
from relations.roles import EDITOR
from tests.factories import (
    AgreementFactory,
    CitationFactory,
    DomainFactory,
    EventFactory,
    FootnoteFactory,
    MembershipFactory,
    OfficialFactory,
    OrganisationFactory,
    PositionFactory,
    SourceFactory,
    StatementFactory,
    country,
    domain,
    relationship,
)

pytestmark = pytest.mark.django_db

CONTENT_ADMINS = sorted(
    model._meta.label_lower
    for model, model_admin in admin.site._registry.items()
    if isinstance(model_admin, ContentAdmin)
)

# A record of each content model, and the field each test edits in it (with the new value).
RECORDS = {
    "relations.event": (lambda: EventFactory(status=Status.DRAFT, citations=1), "title", "New"),
    "relations.agreement": (lambda: AgreementFactory(status=Status.DRAFT), "title", "New"),
    "relations.statement": (lambda: StatementFactory(status=Status.DRAFT), "context", "New"),
    "relations.position": (lambda: PositionFactory(status=Status.DRAFT), "title", "New"),
    "relations.membership": (lambda: MembershipFactory(status=Status.DRAFT), "sequence", "7"),
    "relations.citation": (lambda: CitationFactory(event=EventFactory()), "note", "New"),
    "relations.country": (lambda: recorded(country("AQ")), "official_name", "New"),
    "relations.domain": (DomainFactory, "description", "New"),
    "relations.organisation": (OrganisationFactory, "description", "New"),
    "relations.official": (OfficialFactory, "description", "New"),
    "relations.relationship": (lambda: relationship("AM", "AZ"), "introduction", "New"),
    "sources.source": (SourceFactory, "notes", "New"),
    "sources.footnote": (FootnoteFactory, "excerpt", "New"),
}


def recorded(obj):
    """A record from a data migration, which wrote no history: its first version recorded."""
    obj.save()
    return obj


@pytest.fixture
def editor(client, django_user_model):
    user = django_user_model.objects.create_user("editor", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=EDITOR))
    client.force_login(user)
    return client


def submitted(response) -> dict:
    """The change form's values as a browser sends them back (its extra inline rows left
    out): the main form's fields, and each inline's management form and rows."""
    data = {}
    forms = [response.context["adminform"].form]
    inlines = response.context.get("inline_admin_formsets", [])  # (none on a revert form)
    for inline in inlines:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
        data[management.add_prefix("TOTAL_FORMS")] = formset.initial_form_count()
        forms += formset.forms[: formset.initial_form_count()]
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            data[form.add_prefix(name)] = "on" if value is True else value
    return data


def history_of(obj):
    return type(obj).history.filter(**{type(obj)._meta.pk.attname: obj.pk})


@pytest.mark.parametrize("label", CONTENT_ADMINS)
def test_one_admin_save_is_one_history_row_on_every_content_admin(editor, label):
    assert label in RECORDS, f"{label}: add a record and a field to edit to RECORDS"
    make, field, value = RECORDS[label]
    OrganisationFactory(), OfficialFactory(), AgreementFactory(), relationship("BY", "IR")
    obj = make()
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    page = editor.get(url)
    data = submitted(page) | {field: value, "_save": "Save"}
    added = []
    for name, form_field in page.context["adminform"].form.fields.items():
        if isinstance(form_field, ModelMultipleChoiceField):
            extra = form_field.queryset.exclude(pk__in=data.get(name, [])).first()
            data[name] = [*data.get(name, []), extra.pk]
            added.append((form_field.label or name, str(extra)))
    before = history_of(obj).count()

    response = editor.post(url, data)

    assert response.status_code == HTTPStatus.FOUND, response.context and [
        form.errors for form in [response.context["adminform"].form]
    ]
    assert history_of(obj).count() == before + 1
    history_page = editor.get(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[obj.pk])
    ).text
    entry = _first_entry(history_page)
    assert "None" not in entry
    assert f"{opts.get_field(field).verbose_name.capitalize()}:" in entry
    for label_text, name in added:
        assert f"+ {name}" in entry, (label_text, entry)


def _first_entry(page: str) -> str:
    """The newest entry's "What changed" cell, as text."""
    cell = re.search(r'<td class="history-changes">(.*?)</td>', page, re.S).group(1)
    return " ".join(re.sub(r"<[^>]+>", " ", cell).split())


def test_a_new_event_is_one_entry_saying_its_links_and_citation(editor):
    source = SourceFactory(title="Minsk Herald")
    footnote = FootnoteFactory(source=source, locator="note 3")
    data = {
        "title": "Talks in Minsk",
        "date": "May 2009",
        "place": "",
        "summary": "",
        "sequence": "0",
        "status": "draft",
        "slug": "",
        "domains": [domain("energy").pk],
        "countries": [country("BY").pk, country("IR").pk],
        "citations-TOTAL_FORMS": "1",
        "citations-INITIAL_FORMS": "0",
        "citations-MIN_NUM_FORMS": "0",
        "citations-MAX_NUM_FORMS": "1000",
        "citations-0-footnote": footnote.pk,
        "citations-0-note": "",
    }
    editor.post(reverse("admin:relations_event_add"), data)
    event = Event.objects.get(title="Talks in Minsk")
    [row] = event.history.all()
    assert (row.history_type, row.history_user.username) == ("+", "editor")
    # The one row holds the links as saved (what "recover deleted" restores).
    assert {r.country.code for r in row.countries.all()} == {"BY", "IR"}
    # The citation's row was written with it, at its very time.
    assert event.citations.get().history.get().history_date == row.history_date

    page = editor.get(reverse("admin:relations_event_history", args=[event.pk])).text
    entry = _first_entry(page)
    assert "Countries: + Belarus, + Iran" in entry
    assert "Domains: + Energy" in entry
    assert "Citations: + Minsk Herald" in entry and "note 3" in entry
    assert "None" not in page


def test_a_change_says_old_and_new_and_links_added_and_removed(
    editor, django_assert_max_num_queries
):
    event = EventFactory(title="Old title", countries=["BY", "RU"], status=Status.DRAFT)
    url = reverse("admin:relations_event_change", args=[event.pk])
    data = submitted(editor.get(url)) | {
        "title": "New title",
        "countries": [country("BY").pk, country("IR").pk],
        "_save": "Save",
    }
    before = event.history.count()
    editor.post(url, data)
    assert event.history.count() == before + 1
    history_url = reverse("admin:relations_event_history", args=[event.pk])
    with django_assert_max_num_queries(20):
        page = editor.get(history_url).text
    entry = _first_entry(page)
    assert "Title: Old title → New title" in entry
    assert "Countries: + Iran, − Russia" in entry


def test_reverting_and_recovering_are_one_entry_each(editor):
    event = EventFactory(title="Right", countries=["BY"], status=Status.DRAFT)
    first = event.history.order_by("history_date", "history_id").last()
    url = reverse("admin:relations_event_change", args=[event.pk])
    editor.post(
        url,
        submitted(editor.get(url))
        | {"title": "Wrong", "_save": "Save", "countries": [country("IR").pk]},
    )
    before = event.history.count()
    revert_url = reverse("admin:relations_event_simple_history", args=[event.pk, first.pk])
    event.refresh_from_db()
    data = submitted(editor.get(revert_url))
    editor.post(
        revert_url, data | {"_change_history": "1", "loaded_updated": event.updated.isoformat()}
    )
    event.refresh_from_db()
    assert event.title == "Right"
    assert event.history.count() == before + 1

    editor.post(reverse("admin:relations_event_delete", args=[event.pk]), {"post": "yes"})
    gone = Event.history.get(id=event.pk, history_type="-")
    editor.post(reverse("admin:relations_event_recover", args=[gone.history_id]))
    latest = Event.history.filter(id=event.pk).order_by("-history_date", "-history_id")
    assert [(r.history_type, r.history_change_reason) for r in latest[:2]] == [
        ("+", "recovered from history"),
        ("-", None),
    ]
