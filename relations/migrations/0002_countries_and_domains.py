"""The starting domain taxonomy.

Countries used to be loaded here by importing live code (relations.countries), which a
migration must not do: that code changes while this file must not. They are reference data
kept in step with pycountry after every migrate instead (relations.apps, `sync_countries`).
"""

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
    Domain = apps.get_model("relations", "Domain")
    for slug, name, position, description in DOMAINS:
        Domain.objects.using(schema_editor.connection.alias).get_or_create(
            slug=slug, defaults={"name": name, "position": position, "description": description}
        )


class Migration(migrations.Migration):
    dependencies = [("relations", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop, elidable=False)]
