from django.apps import AppConfig


class ReaderConfig(AppConfig):
    """The public site: read-only pages for readers (timeline, dossiers, entity pages).

    Reads through ``relations.visibility`` (what a reader may see) and writes through
    ``relations.presentation`` (how a date, a sum or a name reads); caches through
    ``core.cache`` (keyed by the knowledge-base version)."""

    name = "reader"
    verbose_name = "Reader site"
