import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def test_creates_one_demo_user_per_role_and_prints_the_logins(settings, capsys):
    settings.DEBUG = True
    call_command("setup_demo")
    out = capsys.readouterr().out
    assert "username: analyst" in out and "username: editor" in out
    users = get_user_model().objects
    analyst, editor = users.get(username="analyst"), users.get(username="editor")
    assert analyst.check_password("relata-demo") and editor.check_password("relata-demo")
    assert [g.name for g in analyst.groups.all()] == ["Analyst"]
    assert [g.name for g in editor.groups.all()] == ["Editor"]
    assert analyst.is_staff and not analyst.is_superuser
    call_command("setup_demo")  # running it again resets, never duplicates
    assert users.filter(username__in=["analyst", "editor"]).count() == 2


def test_refuses_to_create_a_known_password_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="only with DEBUG on"):
        call_command("setup_demo")
