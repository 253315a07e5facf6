from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ExchangeConfig(AppConfig):
    name = "exchange"
    verbose_name = "Data exchange"

    def ready(self) -> None:
        from exchange.changelog import install_triggers_after_migrate

        # The change log's triggers, again after every migrate: SQLite drops a table's
        # triggers when a migration rebuilds it (exchange/changelog.py).
        post_migrate.connect(
            install_triggers_after_migrate, sender=self, dispatch_uid="exchange.change_log"
        )
