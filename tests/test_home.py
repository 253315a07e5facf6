from http import HTTPStatus

import pytest

from tests.factories import EventFactory

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def test_home_shows_the_seed_counts(client, seed, django_assert_max_num_queries):
    # Cold: the knowledge-base version, then the three counts; warm: none (cached by version).
    with django_assert_max_num_queries(4):
        client.get("/")
    with django_assert_max_num_queries(0):
        response = client.get("/")
    assert response.status_code == HTTPStatus.OK
    content = response.content.decode()
    assert '<dd data-count="countries">250</dd>' in content  # 249 ISO + Kosovo
    assert '<dd data-count="events">12</dd>' in content
    assert '<dd data-count="sources">1</dd>' in content
    assert 'href="/admin/"' in content


def test_home_counts_only_published_events(client):
    EventFactory(status="draft")
    EventFactory()
    assert '<dd data-count="events">1</dd>' in client.get("/").content.decode()
