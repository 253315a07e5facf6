"""A footnote is entered once, in the row that cites it: on every claim's page a citation row
picks a footnote or types a new one (source, locator, excerpt) once; a typed place that exists
is linked, not duplicated; a post's row on its official's page cites the same way. Through
real admin requests, as an analyst or an editor submits the forms."""

from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from relations.admin.footnotes_form import BOTH, NEITHER, NO_SOURCE
from relations.models import Citation, Event, Position, Status
from sources.models import Footnote
from tests.admin_forms import submitted
from tests.factories import (
    EventFactory,
    FootnoteFactory,
    OfficialFactory,
    OrganisationFactory,
    PositionFactory,
    SourceFactory,
    country,
    domain,
)

pytestmark = pytest.mark.django_db

EXCERPT = "In May 2007, Belarus and Iran signed a trade agreement."


@pytest.fixture
def as_role(client, django_user_model):
    def log_in(role: str):
        user = django_user_model.objects.create_user(role.lower(), password="pw", is_staff=True)
        user.groups.add(Group.objects.get(name=role))
        client.force_login(user)
        return client

    return log_in


@pytest.fixture
def analyst(as_role):
    return as_role("Analyst")


@pytest.fixture
def editor(as_role):
    return as_role("Editor")


@pytest.fixture
def dossier():
    return SourceFactory(title="Belarus-Iran Foreign Relations", outlet="", slug="by-ir")


def row(data: dict, index: int, prefix: str = "citations", **fields) -> dict:
    """``data`` with one more row at ``index`` holding ``fields``."""
    data = data | {f"{prefix}-{index}-{name}": value for name, value in fields.items()}
    data[f"{prefix}-TOTAL_FORMS"] = str(index + 1)
    return data


def errors(response) -> str:
    """Every error the page shows: the form's, each formset's and each row's."""
    assert response.status_code == HTTPStatus.OK, "refused with a message on the form"
    found = [str(response.context["adminform"].form.errors)]
    for inline in response.context["inline_admin_formsets"]:
        found.append(str(inline.formset.non_form_errors()))
        found += [str(form.errors) for form in inline.formset.forms]
    return " ".join(found)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- Every claim kind: a footnote typed once in the row -----------------------------------------
def add_data(analyst, kind: str) -> dict:
    """A valid new claim of ``kind``, as its add page submits it with no citation yet."""
    data = submitted(analyst.get(reverse(f"admin:relations_{kind}_add")))
    required = {
        "event": {"title": "Trade agreement signed", "date": "May 2007"},
        "agreement": {"title": "Trade agreement", "date": "May 2007"},
        "statement": {
            "quote": "Relations are excellent.",
            "date": "May 2007",
            "speaker": OfficialFactory().pk,
        },
        "position": {
            "official": OfficialFactory().pk,
            "title": "Minister",
            "country": country("BY").pk,
        },
        "membership": {
            "member_country": country("BY").pk,
            "organisation": OrganisationFactory(kind="intergovernmental").pk,
        },
    }[kind]
    if kind == "event":
        required["domains"] = [domain("economic").pk]
    return data | required


@pytest.mark.parametrize("kind", ["event", "agreement", "statement", "position", "membership"])
def test_a_footnote_typed_once_in_a_citation_row_is_one_footnote_and_one_citation(
    analyst, dossier, kind
):
    data = row(add_data(analyst, kind), 0, source=dossier.pk, locator="note 4", excerpt=EXCERPT)
    response = analyst.post(reverse(f"admin:relations_{kind}_add"), data)

    assert response.status_code == HTTPStatus.FOUND, errors(response)
    footnote = Footnote.objects.get()
    assert (footnote.source, footnote.locator, footnote.excerpt) == (dossier, "note 4", EXCERPT)
    citation = Citation.objects.get()
    assert (citation.footnote, citation.claim_kind) == (footnote, kind)
    assert footnote.history.get().history_user.username == "analyst"


def test_a_relative_date_is_read_against_the_source_of_a_footnote_typed_in_its_row(analyst):
    """ "by the source's date" needs the cited source's date: a typed footnote gives it as a
    picked one does."""
    source = SourceFactory(title="Belarus-Iran Foreign Relations", published="6 July 2010")
    data = add_data(analyst, "event") | {"date": "by the source's date"}
    data = row(data, 0, source=source.pk, locator="note 1", excerpt=EXCERPT)
    response = analyst.post(reverse("admin:relations_event_add"), data)

    assert response.status_code == HTTPStatus.FOUND, errors(response)
    assert Event.objects.get().date == "by 6 July 2010"


def test_typing_a_place_the_source_has_links_to_its_footnote_and_says_so(analyst, dossier):
    stored = FootnoteFactory(source=dossier, locator="note 4", excerpt=EXCERPT)
    data = add_data(analyst, "event")
    # Another case and spacing, the same excerpt: the same place.
    same = row(data, 0, source=dossier.pk, locator=" Note  4", excerpt=f" {EXCERPT} ")
    response = analyst.post(reverse("admin:relations_event_add"), same, follow=True)

    assert Footnote.objects.get() == stored  # none added
    assert Citation.objects.get().footnote == stored
    assert any("already has a footnote at “note 4”" in m for m in messages_of(response))

    # An excerpt that differs: linked all the same, the stored one kept, and said.
    other = row(data | {"title": "Another"}, 0, source=dossier.pk, locator="note 4", excerpt="x")
    response = analyst.post(reverse("admin:relations_event_add"), other, follow=True)
    assert Footnote.objects.get().excerpt == EXCERPT
    assert Citation.objects.filter(footnote=stored).count() == 2
    said = " ".join(messages_of(response))
    assert "its excerpt differs from the one you typed and was kept" in said


def test_an_empty_excerpt_of_a_stored_footnote_is_filled_in_once(analyst, dossier):
    stored = FootnoteFactory(source=dossier, locator="note 5", excerpt="")
    data = row(add_data(analyst, "event"), 0, source=dossier.pk, locator="note 5", excerpt=EXCERPT)
    analyst.post(reverse("admin:relations_event_add"), data)

    stored.refresh_from_db()
    assert stored.excerpt == EXCERPT
    assert Footnote.objects.count() == 1


# --- Invalid combinations: a clear row error, nothing written -----------------------------------
@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"footnote": "picked", "locator": "note 9"}, BOTH),
        ({"locator": "note 9", "excerpt": EXCERPT}, NO_SOURCE),
        # (The source alone, as a new row shows it by default, is no footnote.)
        ({"source": "the page", "note": "a remark, but no footnote"}, NEITHER),
    ],
    ids=["picked-and-typed", "typed-without-source", "neither"],
)
def test_an_ambiguous_row_is_refused_on_the_row(analyst, dossier, fields, message):
    picked = FootnoteFactory(source=dossier, locator="note 1")
    ids = {"picked": picked.pk, "the page": dossier.pk}
    fields = {k: ids.get(v, v) for k, v in fields.items()}
    data = row(add_data(analyst, "event"), 0, **fields)
    response = analyst.post(reverse("admin:relations_event_add"), data)

    assert message in errors(response)
    assert (Event.objects.count(), Citation.objects.count(), Footnote.objects.count()) == (0, 0, 1)


def test_the_same_new_footnote_typed_in_two_rows_is_refused(analyst, dossier):
    data = row(add_data(analyst, "event"), 0, source=dossier.pk, locator="note 3")
    data = row(data, 1, source=dossier.pk, locator="NOTE 3")
    response = analyst.post(reverse("admin:relations_event_add"), data)

    assert "is typed in two rows" in errors(response)
    assert not Footnote.objects.exists()


def test_typing_a_footnote_the_claim_already_cites_is_refused_as_cited_twice(analyst, dossier):
    event = EventFactory(status=Status.DRAFT, citations=1, citations__source=dossier)
    cited = event.citations.get().footnote
    data = submitted(analyst.get(reverse("admin:relations_event_change", args=[event.pk])))
    data = row(data, 1, source=dossier.pk, locator=cited.locator)
    response = analyst.post(reverse("admin:relations_event_change", args=[event.pk]), data)

    assert "is cited twice" in errors(response)
    assert event.citations.count() == 1


# --- A published claim keeps a citation ----------------------------------------------------------
def test_a_published_claim_cannot_lose_its_last_citation_through_the_typed_fields(editor, dossier):
    event = EventFactory(citations=1, citations__source=dossier, citations__locator="note 1")
    url = reverse("admin:relations_event_change", args=[event.pk])
    shown = submitted(editor.get(url))

    # The footnote cleared and nothing typed in its place: refused on the row.
    cleared = shown | {"citations-0-footnote": ""}
    assert NEITHER in errors(editor.post(url, cleared))
    # The row deleted, a new one typed without its source: refused, the citation kept.
    deleted = row(shown | {"citations-0-DELETE": "on"}, 1, source="", locator="note 2")
    assert NO_SOURCE in errors(editor.post(url, deleted))
    assert [c.footnote.locator for c in event.citations.all()] == ["note 1"]

    # The footnote swapped for a typed one: still cited, by the new footnote.
    swapped = cleared | {"citations-0-source": dossier.pk, "citations-0-locator": "note 2"}
    response = editor.post(url, swapped)
    assert response.status_code == HTTPStatus.FOUND, errors(response)
    assert [c.footnote.locator for c in event.citations.all()] == ["note 2"]
    event.refresh_from_db()
    assert event.status == Status.PUBLISHED


# --- What the row offers ---------------------------------------------------------------------
def test_a_new_row_types_in_the_claims_source_and_picks_its_footnotes_first(
    editor, dossier, django_assert_max_num_queries
):
    event = EventFactory(citations=1, citations__source=dossier, citations__locator="note 10")
    FootnoteFactory(source=dossier, locator="note 2")
    other = FootnoteFactory(source=SourceFactory(title="AAA first by title"), locator="note 1")
    url = reverse("admin:relations_event_change", args=[event.pk])
    with django_assert_max_num_queries(40):
        response = editor.get(url)

    new_row = response.context["inline_admin_formsets"][0].formset.forms[-1]
    assert new_row["source"].value() == dossier.pk
    html = response.content.decode()
    assert f"/admin/autocomplete/?prefer={dossier.pk}" in html
    found = editor.get(
        "/admin/autocomplete/",
        {
            "app_label": "relations",
            "model_name": "citation",
            "field_name": "footnote",
            "term": "note",
            "prefer": str(dossier.pk),
        },
    ).json()["results"]
    assert [r["text"] for r in found] == [
        f"{dossier.title} — note 2",
        f"{dossier.title} — note 10",
        str(other),
    ]


# --- A post's citation on its official's dossier -------------------------------------------------
def official_url(official) -> str:
    return reverse("admin:relations_official_change", args=[official.pk])


def test_a_post_row_on_the_officials_page_cites_a_footnote_typed_once_or_picked(
    analyst, dossier, django_assert_max_num_queries
):
    official = OfficialFactory(name="Mahmoud Ahmadinejad", country=country("IR"))
    posted = PositionFactory(official=official, status=Status.DRAFT, citations=0)
    picked = FootnoteFactory(source=dossier, locator="note 3")
    url = official_url(official)
    with django_assert_max_num_queries(40):
        data = submitted(analyst.get(url))

    data |= {"positions-0-footnote": picked.pk}  # the post shown: a footnote picked
    data = row(  # and a new post, with a footnote typed
        data,
        1,
        prefix="positions",
        title="President",
        country=country("IR").pk,
        source=dossier.pk,
        locator="note 8",
        excerpt="Ahmadinejad, Iran's president, ...",
    )
    response = analyst.post(url, data)

    assert response.status_code == HTTPStatus.FOUND, errors(response)
    assert [c.footnote for c in posted.citations.all()] == [picked]
    president = Position.objects.get(official=official, title="President")
    assert [(c.footnote.source, c.footnote.locator) for c in president.citations.all()] == [
        (dossier, "note 8")
    ]
    assert Footnote.objects.count() == 2

    # Shown again, each post names what cites it; picking the same footnote adds nothing.
    response = analyst.get(url)
    assert f"{dossier.title} — note 3" in response.content.decode()
    data = submitted(response) | {"positions-0-footnote": picked.pk}
    assert analyst.post(url, data).status_code == HTTPStatus.FOUND
    assert posted.citations.count() == 1


def test_a_post_row_with_a_typed_footnote_but_no_source_is_refused(analyst, dossier):
    official = OfficialFactory()
    data = row(
        submitted(analyst.get(official_url(official))),
        0,
        prefix="positions",
        title="Minister",
        locator="note 8",
    )
    response = analyst.post(official_url(official), data)

    assert NO_SOURCE in errors(response)
    assert not Position.objects.exists()
