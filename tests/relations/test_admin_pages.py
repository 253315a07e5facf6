"""Every admin page answers for a superuser with the seed loaded, in a constant number of
queries whatever the page size."""

from http import HTTPStatus

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.factories import (
    AgreementFactory,
    DomainFactory,
    EventFactory,
    OfficialFactory,
    OrganisationFactory,
    PositionFactory,
    SourceFactory,
    StatementFactory,
    country,
    domain,
)

pytestmark = pytest.mark.django_db

MODEL_ADMINS = [
    (model._meta.app_label, model._meta.model_name)
    for model in admin.site._registry
    if model._meta.app_label in ("relations", "sources")
]


@pytest.fixture
def superuser_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    client.force_login(user)
    return client


@pytest.mark.parametrize(("app", "model"), MODEL_ADMINS)
def test_changelist_and_forms_answer(superuser_client, seed, app, model):
    changelist = reverse(f"admin:{app}_{model}_changelist")
    assert superuser_client.get(changelist).status_code == HTTPStatus.OK
    assert superuser_client.get(reverse(f"admin:{app}_{model}_add")).status_code == HTTPStatus.OK
    model_class = admin.site._registry and next(
        m for m in admin.site._registry if (m._meta.app_label, m._meta.model_name) == (app, model)
    )
    obj = model_class._default_manager.first()
    for view in ("change", "history", "delete"):
        url = reverse(f"admin:{app}_{model}_{view}", args=[obj.pk])
        assert superuser_client.get(url).status_code == HTTPStatus.OK, url
    deleted = reverse(f"admin:{app}_{model}_deleted")
    assert superuser_client.get(deleted).status_code == HTTPStatus.OK


# Queries for a changelist: session, user, the page, its count, prefetches, filter lookups.
CHANGELIST_QUERIES = 12


def add_rows(model: str, n: int) -> None:
    """``n`` rows of the admin's own model, each with everything its list shows filled in (so
    that a missing select_related or prefetch shows up as one query per row)."""
    by, ir = country("BY"), country("IR")
    for _ in range(n):
        match model:
            case "source":
                SourceFactory()
            case "country":
                pass  # every ISO country is there already: several pages
            case "domain":
                DomainFactory()
            case "organisation":
                OrganisationFactory(country=by, parent=OrganisationFactory(country=ir))
            case "official":
                official = OfficialFactory(country=by)
                PositionFactory(official=official, organisation=OrganisationFactory())
            case "position":
                PositionFactory(organisation=OrganisationFactory(), citations=2)
            case "agreement":
                agreement = AgreementFactory(date="2010", citations=2)
                agreement.countries.set([by, ir])
                agreement.domains.set([domain("energy"), domain("economic")])
            case "statement":
                statement = StatementFactory(
                    date="2010", speaker_organisation=OrganisationFactory(), citations=2
                )
                statement.countries.set([by, ir])
                statement.domains.set([domain("energy")])
            case "event":
                EventFactory(countries=["BY", "IR"], domains=["economic", "energy"], citations=2)
            case "citation":
                # A citation of each kind of claim: each names its claim's people and places.
                EventFactory()
                AgreementFactory()
                StatementFactory(speaker_organisation=OrganisationFactory())
                PositionFactory(organisation=OrganisationFactory())
            case _:
                raise AssertionError(f"Say how to fill a page of {model} rows for this test.")


@pytest.mark.parametrize(("app", "model"), MODEL_ADMINS)
def test_changelist_queries_do_not_grow_with_the_page(
    superuser_client, seed, monkeypatch, app, model, django_assert_max_num_queries
):
    model_admin = next(a for m, a in admin.site._registry.items() if m._meta.model_name == model)
    # A page of 20 rather than 50: a query per row still breaks the bound, in less time.
    monkeypatch.setattr(model_admin, "list_per_page", 20)
    url = reverse(f"admin:{app}_{model}_changelist")
    add_rows(model, 21)  # a full page of the admin's own rows, as in real use
    with django_assert_max_num_queries(CHANGELIST_QUERIES) as before:
        response = superuser_client.get(url)
    cl = response.context["cl"]
    assert len(cl.result_list) == 20 and cl.multi_page  # a full page, or the test proves nothing
    add_rows(model, 5)
    with django_assert_max_num_queries(len(before.captured_queries)):
        superuser_client.get(url)
