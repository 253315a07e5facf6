"""Anonymous bulk reads are limited per client address: the API (DRF) and the exports.

The test settings switch the limits off; these set real ones with override_settings.
"""

from __future__ import annotations

import pytest
from django.test import override_settings

EXPORTS = ["/timeline.csv", "/timeline.json", "/timeline.atom"]
VISITOR = "203.0.113.9"


def rates(anon=None, export=None, allow=()):
    from django.conf import settings

    return override_settings(
        REST_FRAMEWORK={
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"anon": anon, "export": export},
        },
        THROTTLE_ALLOW_IPS=list(allow),
    )


def get(client, url: str, ip: str = VISITOR, **headers):
    """A GET from ``ip``, its stream read to the end (which closes it: an unread export would
    keep its database cursor open)."""
    response = client.get(url, REMOTE_ADDR=ip, **headers)
    if response.streaming:
        b"".join(response.streaming_content)
    return response


@pytest.mark.parametrize("url", EXPORTS)
def test_the_export_after_the_limit_is_a_429_with_retry_after(client, db, url):
    with rates(export="3/hour"):
        for _ in range(3):
            assert get(client, url).status_code == 200
        refused = get(client, url)
        assert refused.status_code == 429
        assert 3590 <= int(refused["Retry-After"]) <= 3600
        assert "Too many requests" in refused.content.decode()
        # Per address: another client still gets its exports.
        assert get(client, url, "198.51.100.1").status_code == 200


def test_the_three_exports_share_one_limit(client, db):
    with rates(export="3/min"):
        for url in EXPORTS:
            assert get(client, url).status_code == 200
        assert get(client, EXPORTS[0]).status_code == 429


def test_the_allow_list_is_never_limited(client, db):
    with rates(anon="2/min", export="2/min", allow=["127.0.0.1", "10.0.0.0/8"]):
        for ip in ("127.0.0.1", "10.1.2.3"):
            for _ in range(5):
                assert get(client, "/timeline.csv", ip).status_code == 200
                assert get(client, "/api/events/", ip).status_code == 200


def test_the_api_after_the_limit_is_a_429_with_retry_after(client, db):
    with rates(anon="4/min"):
        for url in ("/api/", "/api/events/", "/api/schema/", "/api/docs/"):
            assert get(client, url).status_code == 200
        refused = get(client, "/api/countries/")
        assert refused.status_code == 429
        assert 1 <= int(refused["Retry-After"]) <= 60
        assert "throttled" in refused.json()["detail"]


def test_behind_the_proxy_the_client_is_what_the_proxy_saw(client, db):
    """TRUSTED_PROXY_COUNT=1: the last X-Forwarded-For entry; what the client put before it
    is ignored, so forging the header buys no fresh limit."""
    with rates(export="1/hour"), override_settings(TRUSTED_PROXY_COUNT=1):
        proxied = {"ip": "10.0.0.5", "HTTP_X_FORWARDED_FOR": f"1.1.1.1, {VISITOR}"}
        assert get(client, "/timeline.csv", **proxied).status_code == 200
        forged = {**proxied, "HTTP_X_FORWARDED_FOR": f"2.2.2.2, {VISITOR}"}
        assert get(client, "/timeline.csv", **forged).status_code == 429
        other = {**proxied, "HTTP_X_FORWARDED_FOR": "198.51.100.1"}
        assert get(client, "/timeline.csv", **other).status_code == 200
