"""Create the demo accounts and print their logins (demo and development only).

The password is fixed and printed on purpose: this command refuses to run with DEBUG off,
so it cannot create a known login on a production install.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

DEMO_PASSWORD = "relata-demo"
CONTENT_APPS = ("relations", "sources")


class Command(BaseCommand):
    help = "Create (or reset) the demo analyst account and print its login."

    @transaction.atomic
    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("setup_demo creates a known password; it runs only with DEBUG on.")
        user_model = get_user_model()
        analyst, _ = user_model.objects.get_or_create(
            username="analyst", defaults={"email": "analyst@example.org"}
        )
        analyst.is_staff = True
        analyst.is_superuser = False
        analyst.set_password(DEMO_PASSWORD)
        analyst.save()
        # Add, change and view content; no deleting, no users. Roles proper come with groups.
        analyst.user_permissions.set(
            Permission.objects.filter(content_type__app_label__in=CONTENT_APPS).exclude(
                codename__startswith="delete_"
            )
        )
        self.stdout.write(
            self.style.SUCCESS(
                "\nDemo analyst login — http://127.0.0.1:8000/admin/\n"
                f"  username: analyst\n  password: {DEMO_PASSWORD}\n"
            )
        )
