from django.apps import AppConfig
from django.db.models.signals import post_migrate


class RelationsConfig(AppConfig):
    name = "relations"
    verbose_name = "Relations"

    def ready(self) -> None:
        import relations.timeline  # noqa: F401  (connects the cache-invalidation signals)
        from relations.roles import ensure_roles

        # After every migrate, when all apps' permissions exist (see relations/roles.py).
        post_migrate.connect(ensure_roles, dispatch_uid="relations.ensure_roles")
