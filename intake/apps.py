from django.apps import AppConfig


class IntakeConfig(AppConfig):
    """Bring in a page: a footnoted prose page read into cited draft claims. ``propose``
    reads (rule-based, deterministic, no network); the admin view shows the proposals on one
    screen, and ``save`` writes what the analyst confirms in one transaction."""

    name = "intake"
    verbose_name = "Bring in a page"
