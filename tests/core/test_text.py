"""Control characters: one rule (``core.text``), held by every text field of our apps and by the
import; tab and new lines stay allowed. (The feeds that must not fail on what is already stored:
tests/reader/test_timeline_hostile.py.)"""

import json

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models

from core.apps import OUR_APPS
from core.text import printable, validate_printable
from exchange.load import import_kb
from relations.models import Event, Organisation
from sources.models import Source

REFUSED = {
    "backspace": "ok\x08",
    "NUL": "a\x00b",
    "escape": "\x1b[31mred",
    "form feed": "page\x0c",
    "vertical tab": "a\x0bb",
    "DEL": "a\x7f",
    "C1 next line": "a\x85b",
    "lone surrogate": "a\ud800b",
    "U+FFFE": "a\ufffe",
    "U+FFFF": "\uffff",
}
ALLOWED = {
    "tab and new lines": "one\ttwo\nthree\r\nfour",
    "accents": "Łukašenka, Ahmadinežād",
    "scripts": "Лукашенко · محمود احمدی‌نژاد",
    "emoji": "flags 🇧🇾🇮🇷",
    "typography": "“quoted” — en–dash…\u00a0nbsp\u2028",
    "empty": "",
}


@pytest.mark.parametrize("text", REFUSED.values(), ids=REFUSED.keys())
def test_a_control_character_is_refused_naming_it_and_where(text):
    with pytest.raises(ValidationError) as caught:
        validate_printable(text)
    (message,) = caught.value.messages
    assert message.startswith("This contains the control character U+")
    assert "position" in message and "tab and new lines are fine" in message
    assert printable(text) == "".join(c for c in text if c.isprintable() or c in "\t\n\r")


@pytest.mark.parametrize("text", ALLOWED.values(), ids=ALLOWED.keys())
def test_text_without_one_is_allowed_and_kept_whole(text):
    validate_printable(text)
    assert printable(text) == text


def test_json_text_is_checked_in_lists_and_dicts_keys_included():
    validate_printable(["a", {"domain": "economic", "title": "Trade"}, 3, None])
    for value in (["ok", "b\x08"], {"title": "x\x1b"}, {"k\x00": "v"}, [[["deep\x07"]]]):
        with pytest.raises(ValidationError):
            validate_printable(value)


def text_fields():
    for model in apps.get_models(include_auto_created=True):
        if model._meta.app_label in OUR_APPS:
            for field in model._meta.local_fields:
                if isinstance(field, models.CharField | models.TextField | models.JSONField):
                    yield f"{model._meta.label}.{field.name}", field


def test_every_text_field_of_our_apps_holds_the_rule():
    fields = dict(text_fields())
    assert len(fields) > 100  # the claims, sources, reference data, their history...
    missing = [name for name, field in fields.items() if validate_printable not in field.validators]
    assert missing == []
    # Once, whatever re-prepares a model (migrations' historical models, abstract copies).
    assert Event._meta.get_field("summary").validators.count(validate_printable) == 1


def test_third_party_fields_are_left_alone():
    username = apps.get_model("auth", "User")._meta.get_field("username")
    assert validate_printable not in username.validators


@pytest.mark.django_db
def test_a_model_refuses_one_in_any_text_field():
    event = Event(title="A meeting\x08", summary="Talks\x1b", date="May 2007\x07")
    with pytest.raises(ValidationError) as caught:
        event.full_clean()
    assert {"title", "summary", "date"} <= set(caught.value.message_dict)
    organisation = Organisation(slug="acme", name="Acme", aliases=["Acme\x08 Ltd"])
    with pytest.raises(ValidationError) as caught:
        organisation.full_clean()
    assert "aliases" in caught.value.message_dict
    Source(slug="ok", title="Line one\nline two\ttabbed", outlet="Outlet").full_clean()


@pytest.mark.django_db
def test_an_import_refuses_a_record_with_one_naming_the_record_and_field(tmp_path):
    records = [
        {"model": "sources.source", "fields": {"slug": "bell", "title": "A report\x08"}},
        {
            "model": "relations.organisation",
            "fields": {"slug": "acme", "name": "Acme", "aliases": ["Ac\x1bme"]},
        },
    ]
    path = tmp_path / "bell.json"
    path.write_text(json.dumps(records), "utf-8")
    report = import_kb(path)
    assert not report.ok and not report.loaded
    problems = {(p.record, p.key, p.field): p.message for p in report.problems}
    assert set(problems) == {(1, "bell", "title"), (2, "acme", "aliases")}, report.lines()
    assert "control character U+0008 at position 9" in problems[1, "bell", "title"]
    assert "control character U+001B" in problems[2, "acme", "aliases"]
    assert not Source.objects.filter(slug="bell").exists()
