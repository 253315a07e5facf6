"""Create the demo accounts, one per role, and print their logins (demo and development only).

The password is fixed and printed on purpose: this command refuses to run with DEBUG off,
so it cannot create a known login on a production install.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from relations.roles import ANALYST, EDITOR, ensure_roles

DEMO_PASSWORD = "relata-demo"
DEMO_USERS = {"analyst": ANALYST, "editor": EDITOR}


class Command(BaseCommand):
    help = "Create (or reset) the demo analyst and editor accounts and print their logins."

    @transaction.atomic
    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("setup_demo creates a known password; it runs only with DEBUG on.")
        ensure_roles()
        user_model = get_user_model()
        lines = ["", "Demo logins — http://127.0.0.1:8000/admin/"]
        for username, role in DEMO_USERS.items():
            user, _ = user_model.objects.get_or_create(
                username=username, defaults={"email": f"{username}@example.org"}
            )
            user.is_staff, user.is_superuser = True, False
            user.set_password(DEMO_PASSWORD)
            user.save()
            user.groups.set([Group.objects.get(name=role)])
            user.user_permissions.clear()
            lines.append(f"  {role:<8} username: {username:<8} password: {DEMO_PASSWORD}")
        self.stdout.write(self.style.SUCCESS("\n".join(lines) + "\n"))
