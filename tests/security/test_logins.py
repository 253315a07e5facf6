"""Login throttling (django-axes): per username and client address, cool-off, editors unlock.

Over real HTTP through the admin's login form, with the project's settings (limit 10,
cool-off 15 minutes), on PostgreSQL; Client.login (without a request) still works.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import Group
from django.utils import timezone

from relations.roles import EDITOR

LOGIN = "/admin/login/?next=/admin/"
PASSWORD = "correct-horse-battery-staple"
ATTACKER = "203.0.113.7"

pytestmark = pytest.mark.django_db


@pytest.fixture
def victim(django_user_model):
    return django_user_model.objects.create_user("editor", password=PASSWORD, is_staff=True)


def log_in(client, username: str, password: str, ip: str = ATTACKER):
    return client.post(
        LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip, follow=False
    )


def logged_in(response) -> bool:
    return response.status_code == 302 and response.url == "/admin/"


def hammer(client, username: str = "editor", times: int = 50) -> list[int]:
    return [log_in(client, username, f"wrong-{i}").status_code for i in range(times)]


def test_fifty_wrong_passwords_lock_out_even_the_right_one(client, victim):
    statuses = hammer(client)
    limit = settings.AXES_FAILURE_LIMIT
    assert set(statuses[: limit - 1]) == {200}  # the form again, "please enter a correct..."
    assert set(statuses[limit - 1 :]) == {429}

    response = log_in(client, "editor", PASSWORD)
    assert response.status_code == 429 and not logged_in(response)
    page = response.content.decode()
    assert "Too many failed logins" in page and "ask an editor to unlock" in page
    assert response["Retry-After"] == str(15 * 60)
    assert "'nonce-" in response["Content-Security-Policy"]  # the admin's own policy
    assert "_auth_user_id" not in client.session


def test_the_lockout_is_per_username_and_address(client, victim, django_user_model):
    django_user_model.objects.create_user("analyst", password=PASSWORD, is_staff=True)
    hammer(client, times=settings.AXES_FAILURE_LIMIT)
    assert log_in(client, "editor", PASSWORD).status_code == 429
    assert logged_in(log_in(client, "editor", PASSWORD, ip="198.51.100.20"))  # elsewhere
    client.logout()
    assert logged_in(log_in(client, "analyst", PASSWORD))  # another user, same address


def test_the_lockout_ends_after_the_cool_off(client, victim):
    hammer(client, times=settings.AXES_FAILURE_LIMIT)
    assert log_in(client, "editor", PASSWORD).status_code == 429
    # The last failure was a cool-off ago (each attempt during the lockout restarts it).
    long_ago = timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    AccessAttempt.objects.update(attempt_time=long_ago)
    assert logged_in(log_in(client, "editor", PASSWORD))


def test_an_editor_unlocks_a_login_in_the_admin(client, victim, django_user_model):
    hammer(client, times=settings.AXES_FAILURE_LIMIT)
    unlocker = django_user_model.objects.create_user("chief", password=PASSWORD, is_staff=True)
    unlocker.groups.add(Group.objects.get(name=EDITOR))
    client.force_login(unlocker)
    changelist = client.get("/admin/axes/accessattempt/?locked_out=yes")
    assert changelist.status_code == 200 and "Locked Out" in changelist.content.decode()
    attempt = AccessAttempt.objects.get(username="editor")
    response = client.post(
        "/admin/axes/accessattempt/",
        {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"},
    )
    assert response.status_code == 302
    client.logout()
    assert logged_in(log_in(client, "editor", PASSWORD))


def test_an_analyst_cannot_unlock(client, django_user_model):
    analyst = django_user_model.objects.create_user("anna", is_staff=True)
    analyst.groups.add(Group.objects.get(name="Analyst"))
    client.force_login(analyst)
    assert client.get("/admin/axes/accessattempt/").status_code == 403


def test_client_login_still_works(client, victim):
    assert client.login(username="editor", password=PASSWORD)
    assert client.get("/admin/").status_code == 200
