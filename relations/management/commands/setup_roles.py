"""Create or update the Analyst and Editor groups (also done after every migrate)."""

from django.core.management.base import BaseCommand
from django.db import transaction

from relations.roles import ensure_roles


class Command(BaseCommand):
    help = "Create or update the Analyst and Editor permission groups."

    @transaction.atomic
    def handle(self, *args, **options):
        for name, count in ensure_roles().items():
            self.stdout.write(f"{name}: {count} permissions")
