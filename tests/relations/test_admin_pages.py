"""Every admin page answers for a superuser with the seed loaded, in a constant number of
queries whatever the page size."""

from http import HTTPStatus

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils.html import escape

from relations.models import Country, Relationship
from sources.models import Footnote
from tests.factories import (
    AgreementFactory,
    CitationFactory,
    DomainFactory,
    EventFactory,
    FootnoteFactory,
    MembershipFactory,
    OfficialFactory,
    OrganisationFactory,
    PositionFactory,
    SourceFactory,
    StatementFactory,
    country,
    domain,
    relationship,
)

pytestmark = pytest.mark.django_db

MODEL_ADMINS = [
    (model._meta.app_label, model._meta.model_name)
    for model in admin.site._registry
    if model._meta.app_label in ("relations", "sources")
]


@pytest.fixture
def superuser_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    client.force_login(user)
    return client


@pytest.mark.parametrize(("app", "model"), MODEL_ADMINS)
def test_changelist_and_forms_answer(superuser_client, seed, app, model):
    changelist = reverse(f"admin:{app}_{model}_changelist")
    assert superuser_client.get(changelist).status_code == HTTPStatus.OK
    assert superuser_client.get(reverse(f"admin:{app}_{model}_add")).status_code == HTTPStatus.OK
    model_class = admin.site._registry and next(
        m for m in admin.site._registry if (m._meta.app_label, m._meta.model_name) == (app, model)
    )
    obj = model_class._default_manager.first()
    if obj is None:  # a model the seed has no record of
        add_rows(model, 1)
        obj = model_class._default_manager.first()
    if model == "citation":  # not its claim's last: that one's delete page says why not
        CitationFactory(**{obj.claim_kind: obj.claim})
    for view in ("change", "history", "delete"):
        url = reverse(f"admin:{app}_{model}_{view}", args=[obj.pk])
        assert superuser_client.get(url).status_code == HTTPStatus.OK, url
    deleted = reverse(f"admin:{app}_{model}_deleted")
    assert superuser_client.get(deleted).status_code == HTTPStatus.OK


# Queries for a changelist: session, user, the page, its count, prefetches, filter lookups.
CHANGELIST_QUERIES = 12


def add_rows(model: str, n: int) -> None:
    """``n`` rows of the admin's own model, each with everything its list shows filled in (so
    that a missing select_related or prefetch shows up as one query per row)."""
    by, ir = country("BY"), country("IR")
    for _ in range(n):
        match model:
            case "source":
                SourceFactory()
            case "country":
                pass  # every ISO country is there already: several pages
            case "domain":
                DomainFactory()
            case "organisation":
                OrganisationFactory(country=by, parent=OrganisationFactory(country=ir))
            case "official":
                official = OfficialFactory(country=by)
                PositionFactory(official=official, organisation=OrganisationFactory())
            case "position":
                PositionFactory(organisation=OrganisationFactory(), citations=2)
            case "agreement":
                agreement = AgreementFactory(date="2010", citations=2)
                agreement.countries.set([by, ir])
                agreement.domains.set([domain("energy"), domain("economic")])
            case "statement":
                statement = StatementFactory(
                    date="2010", speaker_organisation=OrganisationFactory(), citations=2
                )
                statement.countries.set([by, ir])
                statement.domains.set([domain("energy")])
            case "event":
                EventFactory(countries=["BY", "IR"], domains=["economic", "energy"], citations=2)
            case "citation":
                # A citation of each kind of claim: each names its claim's people and places.
                EventFactory()
                AgreementFactory()
                StatementFactory(speaker_organisation=OrganisationFactory())
                PositionFactory(organisation=OrganisationFactory())
                MembershipFactory(member_country=None, member_organisation=OrganisationFactory())
            case "footnote":
                # Each backs two claims: the list counts them.
                footnote = FootnoteFactory()
                EventFactory(citations=1, citations__footnote=footnote)
                MembershipFactory(citations=1, citations__footnote=footnote)
            case "membership":
                MembershipFactory(citations=2)
                MembershipFactory(member_country=None, member_organisation=OrganisationFactory())
            case "relationship":
                paired = Country.objects.exclude(pk__in=Relationship.objects.values("first"))
                paired = paired.exclude(pk__in=Relationship.objects.values("second"))
                other = paired.exclude(pk=by.pk).first()
                Relationship.objects.create(first=by, second=other, sections=[{"domain": "energy"}])
            case _:
                raise AssertionError(f"Say how to fill a page of {model} rows for this test.")


@pytest.mark.parametrize(("app", "model"), MODEL_ADMINS)
def test_changelist_queries_do_not_grow_with_the_page(
    superuser_client, seed, monkeypatch, app, model, django_assert_max_num_queries
):
    model_admin = next(a for m, a in admin.site._registry.items() if m._meta.model_name == model)
    # A page of 20 rather than 50: a query per row still breaks the bound, in less time.
    monkeypatch.setattr(model_admin, "list_per_page", 20)
    url = reverse(f"admin:{app}_{model}_changelist")
    add_rows(model, 21)  # a full page of the admin's own rows, as in real use
    with django_assert_max_num_queries(CHANGELIST_QUERIES) as before:
        response = superuser_client.get(url)
    cl = response.context["cl"]
    assert len(cl.result_list) == 20 and cl.multi_page  # a full page, or the test proves nothing
    add_rows(model, 5)
    with django_assert_max_num_queries(len(before.captured_queries)):
        superuser_client.get(url)


# --- Footnotes: one record however many claims it backs ---------------------------------------
FOOTNOTE_ADD = reverse("admin:sources_footnote_add")


def footnote_form(source, locator, **overrides):
    return {"source": source.pk, "locator": locator, "excerpt": "", "slug": ""} | overrides


@pytest.mark.parametrize("locator", ["note 4", "Note  4"])
def test_a_second_footnote_at_the_same_place_is_refused_naming_the_first(superuser_client, locator):
    source = SourceFactory(title="Belarus-Iran Foreign Relations", outlet="")
    FootnoteFactory(source=source, locator="note 4")
    response = superuser_client.post(FOOTNOTE_ADD, footnote_form(source, locator))
    assert response.status_code == HTTPStatus.OK  # the form again, with its error
    [error] = response.context["adminform"].form.errors["locator"]
    assert error == (
        "“Belarus-Iran Foreign Relations” already has a footnote at “note 4”. A footnote is "
        "stored once: cite that one (search for it in the claim's citation) rather than adding "
        "another."
    )
    assert Footnote.objects.count() == 1
    # The same place in another source is another footnote.
    superuser_client.post(FOOTNOTE_ADD, footnote_form(SourceFactory(), "note 4"))
    assert Footnote.objects.filter(locator="note 4").count() == 2


def test_a_footnote_lists_the_claims_it_backs(superuser_client):
    footnote = FootnoteFactory(locator="note 4")
    event = EventFactory(title="Trade agreement", citations=1, citations__footnote=footnote)
    membership = MembershipFactory(citations=1, citations__footnote=footnote, status="draft")
    FootnoteFactory(locator="note 5")  # backs nothing

    listed = superuser_client.get(reverse("admin:sources_footnote_changelist"))
    counts = {f.locator: f.n_claims for f in listed.context["cl"].result_list}
    assert counts == {"note 4": 2, "note 5": 0}

    page = superuser_client.get(reverse("admin:sources_footnote_change", args=[footnote.pk]))
    html = page.content.decode()
    assert "This footnote backs 2 claims" in html
    for claim, kind in ((event, "event"), (membership, "membership")):
        url = reverse(f"admin:relations_{kind}_change", args=[claim.pk])
        assert f'<a href="{url}">{claim}</a>' in html
    assert "(draft)" in html


def autocomplete(client, model: str, field: str, term: str) -> list[str]:
    query = {"app_label": "relations", "model_name": model, "field_name": field, "term": term}
    response = client.get(reverse("admin:autocomplete"), query)
    assert response.status_code == HTTPStatus.OK
    return [result["text"] for result in response.json()["results"]]


def test_a_citation_finds_its_footnote_by_source_title_and_locator(superuser_client):
    page = SourceFactory(title="Belarus-Iran Foreign Relations", outlet="")
    FootnoteFactory(source=page, locator="note 4")
    FootnoteFactory(source=page, locator="note 5")
    FootnoteFactory(source=SourceFactory(title="Other page"), locator="note 4")
    found = autocomplete(superuser_client, "citation", "footnote", "Belarus-Iran note 4")
    assert found == ["Belarus-Iran Foreign Relations — note 4"]


def test_a_claim_finds_the_relationship_it_concerns(superuser_client):
    relationship("BY", "IR")
    relationship("BY", "RU")
    assert autocomplete(superuser_client, "event", "concerns", "Iran") == ["Belarus–Iran"]
    assert autocomplete(superuser_client, "statement", "concerns", "by-ir") == ["Belarus–Iran"]


# --- Relationships: a pair and its dossier's settings -----------------------------------------
RELATIONSHIP_ADD = reverse("admin:relations_relationship_add")


def relationship_form(first, second, **overrides):
    data = {
        "first": country(first).pk,
        "second": country(second).pk,
        "introduction": "",
        "sections": "[]",
    }
    return data | overrides


def test_an_analyst_makes_a_pair_from_two_countries_in_either_order(superuser_client):
    sections = '[{"domain": "energy", "title": "Oil"}, {"domain": "economic"}]'
    data = relationship_form("IR", "BY", introduction="Background.", sections=sections)
    superuser_client.post(RELATIONSHIP_ADD, data)
    pair = Relationship.objects.get()
    assert (pair.slug, pair.first.code, pair.second.code) == ("by-ir", "BY", "IR")
    assert pair.sections == [{"domain": "energy", "title": "Oil"}, {"domain": "economic"}]
    page = superuser_client.get(reverse("admin:relations_relationship_change", args=[pair.pk]))
    assert '<a href="/relations/by-ir/">/relations/by-ir/</a>' in page.content.decode()

    for first, second in (("BY", "IR"), ("IR", "BY")):
        response = superuser_client.post(RELATIONSHIP_ADD, relationship_form(first, second))
        [error] = response.context["adminform"].form.errors["second"]
        assert error.startswith("The Belarus–Iran relationship (by-ir) already exists")
    assert Relationship.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"sections": '[{"domain": "sport"}]'}, "sections", "No such domain: sport."),
        ({"sections": '["energy"]'}, "sections", 'Write a list of {"domain": "<slug>"'),
        ({"sections": "[{"}, "sections", "Enter a valid JSON."),
        ({"second": "BY"}, "second", "A relationship is between two different states."),
    ],
)
def test_a_relationships_errors_are_shown_on_their_field(
    superuser_client, overrides, field, message
):
    data = relationship_form("BY", "IR")
    if "second" in overrides:
        overrides = {"second": country(overrides["second"]).pk}
    response = superuser_client.post(RELATIONSHIP_ADD, data | overrides)
    errors = response.context["adminform"].form.errors
    assert any(e.startswith(message) for e in errors[field]), errors
    assert response.content.decode().count(escape(message)) == 1  # said once
    assert not Relationship.objects.exists()


def test_help_text_placeholders_are_shown_not_swallowed_as_tags(superuser_client):
    page = superuser_client.get(reverse("admin:relations_statement_add")).content.decode()
    assert "A paraphrase reads &#x27;&lt;speaker&gt; &lt;verb&gt; that &lt;words&gt;&#x27;." in page
    page = superuser_client.get(RELATIONSHIP_ADD).content.decode()
    assert "{&quot;domain&quot;: &quot;&lt;slug&gt;&quot;" in page
