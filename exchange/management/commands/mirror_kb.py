"""Keep this database in step with a Relata site through its changes feed.

    # once: note the site's position, then load its published export taken after that
    manage.py mirror_kb --from https://relata.example --position          # prints e.g. 48213
    manage.py flush                                                        # from nothing
    manage.py import_kb relata-export.json --update                        # export_kb there
    manage.py mirror_kb --from https://relata.example --after 48213

    # from then on (cron), or --every 300 to keep polling
    manage.py mirror_kb --from https://relata.example

The position is kept in this database (``exchange.MirrorState``) with each batch applied, so an
interrupted run resumes where it stopped. How it works: ``exchange.mirror``.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS
from django.utils.dateparse import parse_datetime

from exchange.mirror import Mirror, MirrorError


def http_fetch(base: str, timeout: float = 60):
    """A fetch for :class:`Mirror` over HTTP(S): (status, body) of ``base + path``."""

    def fetch(path: str) -> tuple[int, bytes]:
        request = urllib.request.Request(
            base + path, headers={"Accept": "application/json", "User-Agent": "relata-mirror"}
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    return fetch


class Command(BaseCommand):
    help = "Apply a Relata site's changes feed to this database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="site", required=True, help="The site's base URL.")
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, help="Database alias (default 'default')."
        )
        start = parser.add_mutually_exclusive_group()
        start.add_argument(
            "--position", action="store_true", help="Print the site's feed position and stop."
        )
        start.add_argument("--after", type=int, help="Start after this feed position.")
        start.add_argument(
            "--since", help="Start at changes that became visible at or after this ISO moment."
        )
        parser.add_argument(
            "--every", type=float, help="Poll again every so many seconds (until stopped)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        site = options["site"].rstrip("/")
        mirror = Mirror(http_fetch(site), source=site, using=options["database"])
        try:
            if options["position"]:
                self.stdout.write(str(mirror.site_position()))
                return
            if options["after"] is not None:
                mirror.start(after=options["after"])
            elif options["since"]:
                moment = parse_datetime(options["since"])
                if moment is None:
                    raise CommandError(f"--since: not an ISO 8601 moment: {options['since']!r}")
                mirror.start(since=moment)
            while True:
                summary = mirror.sync()
                if options["verbosity"]:
                    self.stdout.write(
                        f"{summary.entries} changes in {summary.batches} batch(es): "
                        f"{summary.created} created, {summary.updated} updated, "
                        f"{summary.deleted} deleted, {summary.renamed} renamed; "
                        f"at position {summary.position}"
                    )
                if not options["every"]:
                    return
                time.sleep(options["every"])
        except (MirrorError, OSError) as error:
            raise CommandError(str(error)) from error
