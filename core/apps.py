from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every content app shares and none owns: fuzzy dates, the content bases, the
    admin's base, and the knowledge base's version (the one key of every public cache)."""

    name = "core"
    verbose_name = "Core"
