"""Deleting is per record: a published claim, or reference data a published claim uses, is an
editor's to delete. Analysts are offered no Delete there, and a forced request is refused (403
or a message), never a 500."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from relations.models import Organisation, Position, Status
from relations.roles import ANALYST, EDITOR, in_published_use, may_delete
from tests.factories import (
    CitationFactory,
    DomainFactory,
    EventFactory,
    FootnoteFactory,
    OfficialFactory,
    OrganisationFactory,
    PositionFactory,
    SourceFactory,
    StatementFactory,
    relationship,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def users(django_user_model):
    made = {}
    for role in (ANALYST, EDITOR):
        user = django_user_model.objects.create_user(role.lower(), password="pw", is_staff=True)
        user.groups.add(Group.objects.get(name=role))
        made[role] = user
    return made


@pytest.fixture
def analyst(client, users):
    client.force_login(users[ANALYST])
    return client


def url(obj, view: str) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=[obj.pk])


def named_by_a_published_event() -> Organisation:
    organisation = OrganisationFactory(name="Central Bank of Iran")
    EventFactory().organisations.add(organisation)
    return organisation


# Each kind of reference data, used by a published claim, and its twin that only a draft uses.
def used(kind: str, status: str = Status.PUBLISHED):
    match kind:
        case "organisation":
            obj = OrganisationFactory()
            EventFactory(status=status, citations=1).organisations.add(obj)
        case "official":
            obj = OfficialFactory()
            StatementFactory(status=status, speaker=obj, citations=1)
        case "domain":
            obj = DomainFactory()
            EventFactory(status=status, citations=1, domains=[obj])
        case "relationship":
            obj = (
                relationship("AM", "AZ") if status == Status.PUBLISHED else relationship("AD", "AE")
            )
            EventFactory(status=status, citations=1).concerns.add(obj)
        case "footnote":
            obj = FootnoteFactory()
            CitationFactory(event=EventFactory(status=status, citations=0), footnote=obj)
        case "source":
            obj = SourceFactory()
            CitationFactory(event=EventFactory(status=status, citations=0), source=obj)
    return obj


KINDS = ["organisation", "official", "domain", "relationship", "footnote", "source"]


@pytest.mark.parametrize("kind", KINDS)
def test_reference_data_a_published_claim_uses_is_an_editors_to_delete(users, kind):
    in_use, draft_only = used(kind), used(kind, Status.DRAFT)
    assert in_published_use(in_use) and not in_published_use(draft_only)
    assert not may_delete(users[ANALYST], in_use)
    assert may_delete(users[ANALYST], draft_only)
    assert may_delete(users[EDITOR], in_use)


def test_in_use_is_one_query(django_assert_num_queries):
    organisation = named_by_a_published_event()
    with django_assert_num_queries(1):
        assert in_published_use(organisation)


def test_analyst_is_offered_no_delete_and_a_forced_one_is_refused(analyst):
    organisation = named_by_a_published_event()
    page = analyst.get(url(organisation, "change")).text
    assert 'class="deletelink"' not in page
    assert analyst.get(url(organisation, "delete")).status_code == HTTPStatus.FORBIDDEN
    assert analyst.post(url(organisation, "delete"), {"post": "yes"}).status_code == 403
    assert Organisation.objects.filter(pk=organisation.pk).exists()


def test_analyst_deletes_reference_data_no_published_claim_uses(analyst):
    organisation = OrganisationFactory()
    EventFactory(status=Status.DRAFT).organisations.add(organisation)
    assert 'class="deletelink"' in analyst.get(url(organisation, "change")).text
    response = analyst.post(url(organisation, "delete"), {"post": "yes"})
    assert response.status_code == HTTPStatus.FOUND
    assert not Organisation.objects.filter(pk=organisation.pk).exists()


def test_bulk_delete_names_what_an_analyst_may_not_delete_and_deletes_nothing(analyst):
    organisation, spare = named_by_a_published_event(), OrganisationFactory()
    changelist = reverse("admin:relations_organisation_changelist")
    selection = {"action": "delete_selected", "_selected_action": [organisation.pk, spare.pk]}
    page = analyst.post(changelist, selection).text
    assert "Nothing was deleted" in page
    assert "organisation “Central Bank of Iran” is used by published claims" in page
    assert spare.name not in page.split("Nothing was deleted")[1].split("</ul>")[0]
    forced = analyst.post(changelist, selection | {"post": "yes"})
    assert forced.status_code == HTTPStatus.FORBIDDEN
    assert Organisation.objects.count() == 2


def test_editor_deletes_reference_data_published_claims_use(client, users):
    organisation = named_by_a_published_event()
    client.force_login(users[EDITOR])
    assert 'class="deletelink"' in client.get(url(organisation, "change")).text
    client.post(url(organisation, "delete"), {"post": "yes"})
    assert not Organisation.objects.filter(pk=organisation.pk).exists()


def test_analyst_sees_delete_on_a_draft_claim_not_on_a_published_one(analyst):
    draft, published = EventFactory(status=Status.DRAFT), EventFactory()
    assert 'class="deletelink"' in analyst.get(url(draft, "change")).text
    assert 'class="deletelink"' not in analyst.get(url(published, "change")).text


def test_a_published_post_is_not_deleted_from_its_officials_page(analyst):
    position = PositionFactory()
    official = position.official
    data = {
        "name": official.name, "slug": official.slug, "country": "", "aliases": "[]",
        "description": "", "loaded_updated": official.updated.isoformat(),
        "positions-TOTAL_FORMS": "1", "positions-INITIAL_FORMS": "1",
        "positions-MIN_NUM_FORMS": "0", "positions-MAX_NUM_FORMS": "1000",
        "positions-0-id": position.pk, "positions-0-official": official.pk,
        "positions-0-title": position.title, "positions-0-country": position.country_id,
        "positions-0-organisation": "", "positions-0-start": "", "positions-0-end": "",
        "positions-0-loaded_updated": position.updated.isoformat(),
        "positions-0-DELETE": "on", "_save": "Save",
    }  # fmt: skip
    response = analyst.post(url(official, "change"), data)
    assert response.status_code == HTTPStatus.OK
    assert "is published: deleting it is an editor&#x27;s act" in response.text
    assert Position.objects.filter(pk=position.pk).exists()
