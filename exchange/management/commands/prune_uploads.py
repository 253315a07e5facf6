"""Let go of uploaded files no import needs any more (exchange.uploads.prune).

    manage.py prune_uploads        # e.g. hourly, from cron or a systemd timer

Uploads nobody confirmed within a day are discarded, imports no worker finished within six
hours marked failed, and their files removed, with any stray file in EXCHANGE_UPLOAD_DIR (a CSV
preview nobody confirmed). Each upload does the same; this is for quiet days.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from exchange.uploads import prune


class Command(BaseCommand):
    help = "Remove uploaded files that no import needs any more."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = prune()
        if options["verbosity"] > 0:
            self.stdout.write(
                f"{counts['discarded']} unconfirmed upload(s) discarded, {counts['abandoned']} "
                f"abandoned import(s) failed, {counts['files']} stray file(s) removed."
            )
