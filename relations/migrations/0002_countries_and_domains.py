"""Load every ISO 3166 country (from pycountry) and the starting domain taxonomy."""

from django.db import migrations

DOMAINS = [
    ("nuclear", "Nuclear", 10, "Nuclear programmes, safeguards, non-proliferation."),
    ("economic", "Economic", 20, "Trade, investment, loans, banking, sanctions."),
    ("energy", "Energy", 30, "Oil, gas, electricity and their supply."),
    ("diplomatic", "Diplomatic", 40, "Visits, alignments, votes, political partnership."),
    ("military", "Military", 50, "Defence cooperation, arms, exercises."),
    ("cultural", "Cultural", 60, "Culture, education, religion, people-to-people ties."),
]


def load(apps, schema_editor):
    from relations.countries import sync_countries

    sync_countries(apps.get_model("relations", "Country"))
    Domain = apps.get_model("relations", "Domain")
    for slug, name, position, description in DOMAINS:
        Domain.objects.get_or_create(
            slug=slug, defaults={"name": name, "position": position, "description": description}
        )


class Migration(migrations.Migration):
    dependencies = [("relations", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop, elidable=False)]
