import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def test_creates_an_analyst_who_can_edit_content_but_not_delete_or_manage_users(settings, capsys):
    settings.DEBUG = True
    call_command("setup_demo")
    assert "username: analyst" in capsys.readouterr().out
    analyst = get_user_model().objects.get(username="analyst")
    assert analyst.check_password("relata-demo")
    assert analyst.is_staff and not analyst.is_superuser
    assert analyst.has_perm("relations.add_event") and analyst.has_perm("sources.change_source")
    assert not analyst.has_perm("relations.delete_event")
    assert not analyst.has_perm("auth.change_user")
    call_command("setup_demo")  # running it again resets, never duplicates
    assert get_user_model().objects.filter(username="analyst").count() == 1


def test_refuses_to_create_a_known_password_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="only with DEBUG on"):
        call_command("setup_demo")
