"""The knowledge-base version: one row, bumped once per committed write, read through the cache."""

import pytest
from django.core.cache import cache as django_cache
from django.db import transaction

from core import cache
from core.models import KnowledgeBaseVersion

pytestmark = pytest.mark.django_db


def test_a_transaction_bumps_once_however_many_writes_it_makes(django_capture_on_commit_callbacks):
    before = cache.version()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        for _ in range(5):
            cache.bump()
        assert cache.version() == before  # nothing is visible before the commit
    assert cache.version() == before + 1
    assert KnowledgeBaseVersion.objects.get().number == before + 1


def test_a_bump_in_a_rolled_back_savepoint_is_not_lost_for_the_rest(
    django_capture_on_commit_callbacks,
):
    before = cache.version()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        try:
            with transaction.atomic():
                cache.bump()
                raise RuntimeError
        except RuntimeError:
            pass
        cache.bump()  # registers again: the first registration went with its savepoint
    assert cache.version() == before + 1


def test_a_rolled_back_transaction_bumps_nothing(django_capture_on_commit_callbacks):
    before = cache.version()
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                cache.bump()
                raise RuntimeError
        except RuntimeError:
            pass
    assert cache.version() == before


def test_the_version_is_read_from_the_row_when_the_cache_has_none(django_assert_num_queries):
    KnowledgeBaseVersion.objects.filter(pk=1).update(number=41)
    django_cache.delete(cache.VERSION_KEY)
    with django_assert_num_queries(1):
        assert cache.version() == 41
    with django_assert_num_queries(0):
        assert cache.version() == 41


def test_answers_are_keyed_by_version_and_none_is_an_answer(django_capture_on_commit_callbacks):
    calls = []

    def compute():
        calls.append(1)
        return None  # "no such official" is worth caching too

    assert cache.answer("lookup", compute, "x") is None
    assert cache.answer("lookup", compute, "x") is None
    assert len(calls) == 1
    with django_capture_on_commit_callbacks(execute=True):
        cache.bump()
    cache.answer("lookup", compute, "x")
    assert len(calls) == 2


def test_a_pinned_version_keys_the_answers_read_inside_whatever_is_bumped_meanwhile(
    django_capture_on_commit_callbacks,
):
    """A request on a replica holds the version it was checked at (core.replica): an answer
    read there must not be stored under a newer one announced while it runs."""
    checked = cache.version()
    with cache.pinned(checked):
        with django_capture_on_commit_callbacks(execute=True):
            cache.bump()  # another writer, mid-request
        assert cache.version() == checked
        assert cache.answer("pinned-test", lambda: "read on the replica") == "read on the replica"
    assert cache.version() == checked + 1
    assert cache.answer("pinned-test", lambda: "read at the new version") == (
        "read at the new version"
    )
