"""An inline row refuses a stale edit as its own page does: editor B opens a page with the row
inline, editor A changes the row on its own page, B saves; A's change stays, B is told on the
row, and nothing of B's page is saved. Two sessions through the real admin."""

from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from relations.models import Citation, Position
from tests.admin_forms import submitted
from tests.factories import EventFactory, OfficialFactory, PositionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def editors(django_user_model):
    """Two editors, each in a session of their own."""
    clients = []
    for name in ("alice", "bob"):
        user = django_user_model.objects.create_user(name, password="pw", is_staff=True)
        user.groups.add(Group.objects.get(name="Editor"))
        client = Client()
        client.force_login(user)
        clients.append(client)
    return clients


def as_loaded(client, url: str) -> dict:
    """The change page's form and inline rows as a browser submits them back unchanged."""
    return submitted(client.get(url))


def row_errors(response) -> str:
    return " ".join(
        str(form.non_field_errors())
        for inline in response.context["inline_admin_formsets"]
        for form in inline.formset.forms
    )


def test_a_citation_changed_on_its_own_page_is_not_reverted_from_its_event(editors):
    alice, bob = editors
    event = EventFactory(title="Talks")
    [citation] = event.citations.all()
    event_url = reverse("admin:relations_event_change", args=[event.pk])
    citation_url = reverse("admin:relations_citation_change", args=[citation.pk])
    bobs_page = as_loaded(bob, event_url)

    alice.post(citation_url, as_loaded(alice, citation_url) | {"note": "Alice's remark"})
    assert Citation.objects.get(pk=citation.pk).note == "Alice's remark"
    response = bob.post(event_url, bobs_page | {"title": "Bob's title"})

    assert response.status_code == HTTPStatus.OK
    assert "This citation was changed by alice" in row_errors(response)
    assert Citation.objects.get(pk=citation.pk).note == "Alice's remark"
    event.refresh_from_db()
    assert event.title == "Talks"
    # Opened again, the page saves.
    bob.post(
        event_url, as_loaded(bob, event_url) | {"title": "Bob's title", "citations-0-note": "B"}
    )
    event.refresh_from_db()
    assert (event.title, event.citations.get().note) == ("Bob's title", "B")


def test_a_post_changed_on_its_own_page_is_not_reverted_from_its_official(editors):
    alice, bob = editors
    official = OfficialFactory(name="A. Person")
    position = PositionFactory(official=official, title="Minister")
    official_url = reverse("admin:relations_official_change", args=[official.pk])
    position_url = reverse("admin:relations_position_change", args=[position.pk])
    bobs_page = as_loaded(bob, official_url)

    alice.post(position_url, as_loaded(alice, position_url) | {"title": "Deputy Minister"})
    assert Position.objects.get(pk=position.pk).title == "Deputy Minister"
    response = bob.post(official_url, bobs_page | {"name": "A. B. Person"})

    assert response.status_code == HTTPStatus.OK
    assert "This position was changed by alice" in row_errors(response)
    assert Position.objects.get(pk=position.pk).title == "Deputy Minister"
    official.refresh_from_db()
    assert official.name == "A. Person"


def test_a_shared_footnote_edited_from_a_claims_pop_up_refuses_a_stale_edit(editors):
    """The citation inline picks a footnote; the footnote's excerpt, shared by every claim
    citing it, is edited in the widget's pop-up, which refuses a stale edit too."""
    alice, bob = editors
    footnote = EventFactory().citations.get().footnote
    page = reverse("admin:sources_footnote_change", args=[footnote.pk])
    pop_up = f"{page}?_to_field=id&_popup=1"
    bobs_pop_up = as_loaded(bob, pop_up)

    alice.post(page, as_loaded(alice, page) | {"excerpt": "Alice's excerpt"})
    response = bob.post(pop_up, bobs_pop_up | {"excerpt": "Bob's excerpt"})

    assert response.status_code == HTTPStatus.OK
    assert "was changed by alice" in response.content.decode()
    footnote.refresh_from_db()
    assert footnote.excerpt == "Alice's excerpt"
