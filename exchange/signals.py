"""``kb_imported``: sent once an import is committed (bulk SQL sends no ``post_save``)."""

from django.dispatch import Signal

# Arguments: report (exchange.report.Report), using (database alias).
kb_imported = Signal()
