import ast
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from core import cache as kb
from relations import migrations
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


def test_sync_countries_command_restores_what_is_missing_and_then_does_nothing():
    Country.objects.filter(code__in=["FR", "XK"]).delete()
    Country.objects.filter(code="IR").update(name="Persia")
    out = StringIO()
    call_command("sync_countries", stdout=out)
    assert out.getvalue().strip() == "2 countries created, 1 updated."
    assert Country.objects.get(code="IR").name == "Iran"
    out = StringIO()
    call_command("sync_countries", stdout=out)
    assert out.getvalue().strip() == "0 countries created, 0 updated."
    assert Country.objects.count() == len(iso_countries())


def test_every_migrate_brings_the_countries_in_step():
    """A fresh database gets its countries from the post_migrate hook (migration 0002 no
    longer loads them): a migrate with nothing to apply restores a deleted one too."""
    Country.objects.filter(code="FR").delete()
    call_command("migrate", verbosity=0, interactive=False)
    assert Country.objects.get(code="FR").name == "France"
    assert Country.objects.count() == len(iso_countries())


def test_no_migration_loads_data_from_live_code():
    """Migrations are frozen in time; relations.countries follows pycountry (it changes)."""
    for path in Path(migrations.__file__).parent.glob("0*.py"):
        imported = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                imported |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
        assert not imported & {"relations.countries", "pycountry"}, path.name


def test_a_sync_that_changes_countries_refreshes_readers_caches(
    django_capture_on_commit_callbacks,
):
    before = kb.version()
    with django_capture_on_commit_callbacks(execute=True):
        sync_countries(Country)
    assert kb.version() == before  # nothing changed
    Country.objects.filter(code="FR").delete()
    before = kb.version()
    with django_capture_on_commit_callbacks(execute=True):
        sync_countries(Country)
    assert kb.version() > before
