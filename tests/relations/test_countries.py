import pytest

from relations.countries import iso_countries, sync_countries
from relations.models import Country, Domain

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def test_every_current_iso_country_and_kosovo_is_loaded():
    import pycountry

    current = set(Country.objects.current().values_list("code", flat=True))
    assert current == {c.alpha_2 for c in pycountry.countries} | {"XK"}


def test_withdrawn_states_keep_their_own_four_letter_codes():
    soviet_union = Country.objects.get(code="SUHH")
    assert soviet_union.name == "Soviet Union"
    assert soviet_union.withdrawn.year == 1992
    # Two withdrawn states once shared "CS"; each has its own key.
    assert {c.name for c in Country.objects.filter(code__in=["CSHH", "CSXX"])} == {
        "Czechoslovakia",
        "Serbia and Montenegro",
    }


def test_names_read_as_people_write_them_and_spellings_are_kept():
    iran = Country.objects.get(code="IR")
    assert (iran.name, iran.alpha_3) == ("Iran", "IRN")
    assert "Iran, Islamic Republic of" in iran.aliases
    assert {"Belarusian", "Belarussian"} <= set(Country.objects.get(code="BY").aliases)


def test_sync_is_idempotent_and_keeps_analysts_aliases():
    belarus = Country.objects.get(code="BY")
    belarus.aliases.append("Bielaruś")
    belarus.save()
    assert sync_countries(Country) == (0, 0)
    assert "Bielaruś" in Country.objects.get(code="BY").aliases
    assert Country.objects.count() == len(iso_countries())


def test_the_starting_domains():
    assert list(Domain.objects.values_list("slug", flat=True)) == [
        "nuclear",
        "economic",
        "energy",
        "diplomatic",
        "military",
        "cultural",
    ]
