"""Compression (core.compress): Brotli or gzip for public answers, never for the admin."""

from __future__ import annotations

import gzip
from http import HTTPStatus

import brotli
import pytest
from django.test import override_settings

from tests.factories import EventFactory

pytestmark = pytest.mark.django_db

BOTH = {"Accept-Encoding": "gzip, deflate, br, zstd"}
GZIP = {"Accept-Encoding": "gzip"}


@pytest.fixture
def events(db):
    return [EventFactory(title=f"Nordic talks {n}", countries=["NO", "SE"]) for n in range(3)]


def test_public_answers_are_compressed_as_the_client_accepts(client, events):
    for url in ("/timeline/", "/api/events/", "/timeline.atom", "/relations/no-se/"):
        plain = client.get(url)
        assert "Content-Encoding" not in plain, url
        assert "Accept-Encoding" in plain["Vary"], url
        br = client.get(url, headers=BOTH)
        assert br["Content-Encoding"] == "br", url
        assert brotli.decompress(br.content) == plain.content, url
        gz = client.get(url, headers=GZIP)
        assert gz["Content-Encoding"] == "gzip", url
        assert gzip.decompress(gz.content) == plain.content, url
    refused = client.get("/timeline/", headers={"Accept-Encoding": "br;q=0, gzip;q=0"})
    assert "Content-Encoding" not in refused


def test_streamed_exports_still_stream_compressed(client, events):
    for url in ("/timeline.csv", "/timeline.json"):
        plain = b"".join(client.get(url).streaming_content)
        response = client.get(url, headers=BOTH)
        assert response.streaming, url
        assert response["Content-Encoding"] == "gzip", url  # gzip streams, chunk by chunk
        assert gzip.decompress(b"".join(response.streaming_content)) == plain, url


def test_the_admin_is_never_compressed(client, admin_client, events):
    """BREACH: admin pages carry CSRF tokens beside text an attacker can choose."""
    for url in ("/admin/", "/admin/relations/event/?q=talks", "/admin/relations/event/add/"):
        response = admin_client.get(url, headers=BOTH)
        assert len(response.content) > 200, url
        assert "Content-Encoding" not in response, url
    assert "Content-Encoding" not in client.get("/admin/login/", headers=BOTH)


@override_settings(PAGE_CACHE_SECONDS=600)
def test_the_page_cache_stores_each_encoding_once(client, events, django_assert_num_queries):
    url = "/timeline/?country=no"
    br = client.get(url, headers=BOTH)
    gz = client.get(url, headers=GZIP)
    plain = client.get(url)
    with django_assert_num_queries(0):
        # Another spelling of the same choice is the same stored answer, not compressed again.
        again = client.get(url, headers={"Accept-Encoding": "br, gzip"})
        assert client.get(url, headers=GZIP).content == gz.content
        assert client.get(url).content == plain.content
    assert again.status_code == HTTPStatus.OK and again["Content-Encoding"] == "br"
    assert again.content == br.content
    assert brotli.decompress(br.content) == gzip.decompress(gz.content) == plain.content
