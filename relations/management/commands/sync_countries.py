"""Bring the countries in step with the installed pycountry (ISO 3166), plus Kosovo.

Runs by itself after every ``migrate``; run it by hand after upgrading pycountry. Idempotent.
"""

from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS, transaction

from relations.countries import sync_countries


class Command(BaseCommand):
    help = "Create or update every ISO 3166 country from pycountry (aliases you added are kept)."

    def add_arguments(self, parser):
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, database: str, **options) -> None:
        with transaction.atomic(using=database):
            created, updated = sync_countries(using=database)
        self.stdout.write(f"{created} countries created, {updated} updated.")
