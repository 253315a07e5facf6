from django.apps import AppConfig
from django.db.models.signals import post_migrate


class RelationsConfig(AppConfig):
    name = "relations"
    verbose_name = "Relations"

    def ready(self) -> None:
        from relations import signals
        from relations.countries import sync_countries_after_migrate
        from relations.roles import ensure_roles

        signals.connect()
        # After every migrate, when all apps' permissions exist (see relations/roles.py), and
        # the countries in step with pycountry (relations/countries.py).
        post_migrate.connect(ensure_roles, dispatch_uid="relations.ensure_roles")
        post_migrate.connect(
            sync_countries_after_migrate, sender=self, dispatch_uid="relations.sync_countries"
        )
