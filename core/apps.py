from django.apps import AppConfig, apps
from django.db import models
from django.db.models.signals import class_prepared

from core.text import validate_printable

#: The apps whose text fields refuse control characters (``core.text``); not third parties'.
OUR_APPS = frozenset({"core", "sources", "relations", "reader", "exchange", "intake", "api"})
TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField)


def refuse_control_characters(sender: type[models.Model], **kwargs) -> None:
    """Give every text field of our models ``core.text.validate_printable``.

    One receiver rather than ``validators=[...]`` on each of dozens of fields, or a base class
    every model must remember: a field added tomorrow gets the rule too. The validator joins
    ``field.validators`` as Django's own CharField adds its MaxLengthValidator: it is not part
    of the field's deconstruction, so it needs no migration (``makemigrations`` sees nothing),
    and the historical models of migrations and django-simple-history (prepared like any model)
    get it as well. It runs wherever a model is validated: admin forms and inlines, the CSV
    import (``full_clean``), ``exchange.clean`` for ``import_kb``.
    """
    if sender._meta.app_label not in OUR_APPS:
        return
    for field in sender._meta.local_fields:
        if isinstance(field, TEXT_FIELDS) and validate_printable not in field.validators:
            # A new list: a field copied from an abstract base may share its parent's.
            field.validators = [*field.validators, validate_printable]


# Connected when this module is imported, which Django does for every app config before it
# imports any models (apps.populate), so no model of ours is prepared unseen.
class_prepared.connect(refuse_control_characters)


class CoreConfig(AppConfig):
    """What every content app shares and none owns: fuzzy dates, the content bases, the
    admin's base, and the knowledge base's version (the one key of every public cache)."""

    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from core import signals

        signals.connect()
        # Idempotent; covers a model somehow prepared before this module was imported.
        for model in apps.get_models(include_auto_created=True):
            refuse_control_characters(model)
