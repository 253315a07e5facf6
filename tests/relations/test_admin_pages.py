"""Every admin page answers for a superuser with the seed loaded, in a constant number of
queries whatever the page size."""

from http import HTTPStatus

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.factories import CitationFactory, EventFactory

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


@pytest.mark.parametrize(("app", "model"), MODEL_ADMINS)
def test_changelist_queries_do_not_grow_with_the_page(
    superuser_client, seed, app, model, django_assert_max_num_queries
):
    def add_rows(n):
        for _ in range(n):
            event = EventFactory(countries=["BY", "IR"], domains=["economic", "energy"])
            CitationFactory(event=event)

    url = reverse(f"admin:{app}_{model}_changelist")
    add_rows(51)  # more than a page of events and citations, as in real use
    with django_assert_max_num_queries(CHANGELIST_QUERIES) as before:
        superuser_client.get(url)
    add_rows(51)
    with django_assert_max_num_queries(len(before.captured_queries)):
        superuser_client.get(url)
