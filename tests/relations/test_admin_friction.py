"""Admin friction (issue 12): the date field's forms and live reading, a statement's date from
its event, aliases as lines, slugs cut at words, a searchable country filter and a date filter
that starts where the data starts."""

from http import HTTPStatus

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from core.dates import ACCEPTED_FORMS
from core.slugs import slug_within
from relations.admin.filters import data_decades
from relations.admin.forms import AliasesField
from relations.models import Country, Event, Official, Statement
from sources.models import Footnote
from tests.factories import (
    EventFactory,
    OfficialFactory,
    SourceFactory,
    StatementFactory,
    country,
)

pytestmark = pytest.mark.django_db

EVENTS = reverse("admin:relations_event_changelist")


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.org", "pw")


@pytest.fixture
def staff_client(client, superuser):
    client.force_login(superuser)
    return client


def admin_form(model, superuser, data=None, obj=None):
    """The admin's own form for ``model`` (without its inlines), bound to ``data``."""
    request = RequestFactory().get("/")
    request.user = superuser
    form_class = admin.site.get_model_admin(model).get_form(request, obj)
    return form_class(data=data, instance=obj) if data is not None else form_class(instance=obj)


# --- The date field: its forms up front, its reading live ---------------------------------------
def test_a_claims_date_lists_the_accepted_forms_and_has_a_place_for_its_live_reading(
    staff_client,
):
    page = staff_client.get(reverse("admin:relations_event_add")).content.decode()
    forms = page[page.index('<ul class="fuzzy-date-forms">') :]
    forms = forms[: forms.index("</ul>")]
    assert forms.count("<li>") == len(ACCEPTED_FORMS)  # core.dates' list, not a copy
    assert "<li>2007-05 or May 2007</li>" in forms
    assert f'data-date-preview="{reverse("admin:date_preview")}"' in page
    assert '<output class="fuzzy-date-reading" id="id_date_reading" for="id_date"' in page
    assert "js/fuzzy-date.js" in page  # as a <script src>: no inline script


def test_a_posts_start_and_end_each_get_the_live_reading(staff_client):
    page = staff_client.get(reverse("admin:relations_position_add")).content.decode()
    assert 'id="id_start_reading"' in page and 'id="id_end_reading"' in page


# --- A statement made at an event -------------------------------------------------------------
def statement_data(event: Event, date: str = "") -> dict:
    return {
        "form": "quote",
        "quote": "the two countries enjoy close cooperation",
        "verb": "said",
        "language": "en",
        "event": event.pk,
        "date": date,
        "sequence": "0",
        "status": "draft",
    }


def test_a_statement_at_an_event_takes_the_events_date_unless_given_its_own(superuser):
    event = EventFactory(date="late June 2010")
    form = admin_form(Statement, superuser, statement_data(event))
    assert "Left blank, it takes the event&#x27;s date" in form.fields["date"].help_text
    assert form.is_valid(), form.errors
    assert "date" in form.changed_data  # so the history and the "Read … as …" note say so
    statement = form.save()
    assert (statement.date, statement.date_lower.isoformat()) == ("late June 2010", "2010-06-21")

    form = admin_form(Statement, superuser, statement_data(event, date="July 2010"))
    assert form.is_valid(), form.errors
    assert form.save().date == "July 2010"


def test_a_statement_without_an_event_keeps_an_empty_date(superuser):
    data = statement_data(EventFactory(), date="") | {"event": ""}
    data["speaker"] = OfficialFactory().pk
    form = admin_form(Statement, superuser, data)
    assert form.is_valid(), form.errors
    assert form.save().date == ""


# --- Aliases, one per line ----------------------------------------------------------------------
def test_aliases_are_read_from_lines_blank_and_repeated_ones_dropped():
    field = AliasesField(required=False)
    typed = "Belarussian\r\n\r\n  Byelorussia \nBelarussian\n   \nWhite   Russia"
    assert field.clean(typed) == ["Belarussian", "Byelorussia", "White Russia"]
    assert field.prepare_value(["Belarussian", "Byelorussia"]) == "Belarussian\nByelorussia"
    assert field.clean("") == []
    assert not field.has_changed(["Minsk"], "Minsk\n\n")
    assert field.has_changed(["Minsk"], "Minsk\nBelarusian")


def test_reference_admins_edit_aliases_as_lines_not_json(staff_client, superuser):
    belarus = country("BY")
    belarus.aliases = ["Belarussian", "Byelorussia"]
    belarus.save()
    page = staff_client.get(reverse("admin:relations_country_change", args=[belarus.pk]))
    assert "Belarussian\nByelorussia</textarea>" in page.content.decode()

    official = OfficialFactory(aliases=[])
    data = {
        "name": official.name,
        "slug": official.slug,
        "country": official.country_id or "",
        "aliases": "Ahmadinezhad\n\nAhmadinejad\nAhmadinezhad",
        "description": "",
        "loaded_updated": official.updated.isoformat(),
    }
    form = admin_form(Official, superuser, data, obj=official)
    assert form.is_valid(), form.errors
    form.save()
    official.refresh_from_db()
    assert official.aliases == ["Ahmadinezhad", "Ahmadinejad"]


# --- Slugs cut at words ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "limit", "slug"),
    [
        ("Lukashenko visits Tehran", 24, "lukashenko-visits-tehran"),
        ("Lukashenko visits Tehran", 20, "lukashenko-visits"),
        ("Lukashenko visits Tehran", 17, "lukashenko-visits"),
        ("Lukashenko visits Tehran", 16, "lukashenko"),
        ("Supercalifragilistic", 5, "super"),  # one word longer than the limit: cut it
        ("  --  ", 5, ""),
    ],
)
def test_a_slug_is_cut_at_a_word_boundary_within_its_limit(text, limit, slug):
    assert slug_within(text, limit) == slug


def test_a_claims_slug_ends_on_a_whole_word_and_an_existing_slug_does_not_change():
    title = "Belarus and Iran sign a memorandum on cooperation in the oil and gas sector " * 2
    event = EventFactory(title=title, date="2010", slug="")
    assert len(event.slug) <= 100
    assert title.lower().replace(" ", "-").startswith(event.slug.removeprefix("2010-"))
    assert f"-{event.slug.rsplit('-', 1)[-1]}-" in f"-{title.lower().replace(' ', '-')}-"
    kept = event.slug
    event.title = "Another title"
    event.save()
    assert event.slug == kept


def test_a_footnotes_slug_ends_on_a_whole_word():
    source = SourceFactory(slug="irantracker-" + "-".join(["belarus-iran-relations"] * 4))
    locator = "note 12, the second paragraph of the appendix on oil and gas"
    note = Footnote.objects.create(source=source, locator=locator)
    words = f"-{source.slug}-{locator.replace(',', '').replace(' ', '-')}-"
    assert len(words) > 150 >= len(note.slug)
    assert f"-{note.slug.rsplit('-', 1)[-1]}-" in words


# --- The event list's filters -----------------------------------------------------------------
@pytest.fixture
def events():
    EventFactory(title="Energy talks", date="2010", countries=["BY", "IR"])
    EventFactory(title="Old visit", date="2003", countries=["BY"])
    EventFactory(title="A long trend", date="until 2011", countries=["RU"])


@pytest.mark.parametrize("value", ["Iran", "iran", "IR", "ir", " Iran "])
def test_the_country_filter_takes_a_name_or_a_code(staff_client, events, value):
    response = staff_client.get(EVENTS, {"country": value})
    assert [e.title for e in response.context["cl"].result_list] == ["Energy talks"]


def test_the_country_filter_is_a_search_box_keeping_the_other_filters_not_250_links(
    staff_client, events
):
    query = {"country": "IR", "date": "2010s", "o": "1", "_facets": "True"}
    page = staff_client.get(EVENTS, query).content.decode()
    sidebar = page[page.index('id="changelist-filter"') : page.index("</search>")]
    country_filter = sidebar[sidebar.index('data-filter-title="country"') :]
    assert country_filter.count("<a ") <= 2  # "All" and the chosen one
    assert 'type="search" id="changelist-filter-country" name="country"' in country_filter
    assert 'value="Iran"' in country_filter  # the chosen country, by name
    assert country_filter.count("<option ") == Country.objects.current().count()
    for kept in ('name="date" value="2010s"', 'name="o" value="1"', 'name="_facets"'):
        assert kept in country_filter
    assert '<input type="hidden" name="country"' not in country_filter  # replaced, not kept


def test_an_unknown_country_finds_nothing_and_says_so(staff_client, events):
    response = staff_client.get(EVENTS, {"country": "Atlantis"})
    assert response.status_code == HTTPStatus.OK
    assert list(response.context["cl"].result_list) == []
    assert [str(m) for m in response.context["messages"]] == [
        "No country is called or coded “Atlantis”."
    ]


def test_the_date_filter_offers_the_decades_of_the_data_from_one_query(
    staff_client, events, django_assert_num_queries
):
    with django_assert_num_queries(1):
        assert data_decades(Event) == [2000, 2010]  # "until 2011" has no start: left out
    response = staff_client.get(EVENTS)
    spec = next(
        s for s in response.context["cl"].filter_specs if getattr(s, "parameter_name", "") == "date"
    )
    assert [value for value, _ in spec.lookup_choices] == ["2000s", "2010s"]
    response = staff_client.get(EVENTS, {"date": "2003"})
    assert {e.title for e in response.context["cl"].result_list} == {"Old visit", "A long trend"}


def test_the_date_filter_offers_nothing_before_there_is_data(staff_client):
    assert data_decades(Event) == []
    assert staff_client.get(EVENTS).status_code == HTTPStatus.OK
    StatementFactory(date="1987")
    assert data_decades(Statement) == [1980]
