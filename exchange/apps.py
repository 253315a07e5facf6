from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "exchange"
    verbose_name = "Data exchange"

    def ready(self) -> None:
        from exchange.signals import kb_imported
        from relations import timeline

        # An import writes by bulk SQL, so the timeline's post_save receivers never hear of it:
        # tell them once, as a change to reference data (it bumps every cached version).
        kb_imported.connect(
            lambda sender, using=None, **kwargs: timeline.reference_changed(sender, using=using),
            dispatch_uid="exchange.timeline",
            weak=False,
        )
