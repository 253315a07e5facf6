"""Check a knowledge-base fixture, then load it in one transaction (or, with --dry-run, say
what loading it would do).

    manage.py import_kb by-ir.json --dry-run
    manage.py import_kb by-ir.json
    manage.py import_kb by-ir.json --update     # take the file's version of conflicting records

Every problem is reported with its record number, model, natural key and field, and a file with
any problem writes nothing (exit status 1). Records whose natural key exists already are
"unchanged" (identical), "retimed" (only created/updated differ: the file's are taken) or
conflicts (kept as they are unless --update). Importing the same file twice changes nothing the
second time. The logic lives in ``exchange.load``.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS
from tqdm import tqdm

from exchange.load import import_kb


class Command(BaseCommand):
    help = "Validate a JSON fixture with natural keys, then load it all or nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="A fixture written by export_kb (or dumpdata).")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and report; write nothing."
        )
        parser.add_argument(
            "--update",
            action="store_true",
            help="Records that exist with other content take the file's (default: kept).",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, help="Database alias (default 'default')."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["file"]
        if not os.path.isfile(path):
            raise CommandError(f"No such file: {path}")
        verbosity = options["verbosity"]
        stream = getattr(self.stderr, "_out", sys.stderr)  # tqdm needs the raw stream
        show_bar = verbosity > 0 and not options["no_progress"] and stream.isatty()
        bar = tqdm(
            total=os.path.getsize(path),
            unit="B",
            unit_scale=True,
            desc="import_kb",
            file=stream,
            disable=not show_bar,
            dynamic_ncols=True,
        )

        started = time.monotonic()

        def status(message: str) -> None:
            if verbosity > 1 or show_bar:
                bar.write(f"[{time.monotonic() - started:7.1f} s] {message}", file=stream)

        try:
            report = import_kb(
                path,
                update=options["update"],
                dry_run=options["dry_run"],
                using=options["database"],
                progress=bar.update,
                status=status,
            )
        finally:
            bar.close()
        if not report.ok:
            for line in report.lines():
                self.stderr.write(line)
            raise CommandError(f"{report.problem_count:,} problem(s): nothing was imported.")
        if verbosity > 0:
            for line in report.lines():
                self.stdout.write(line)
            self.stdout.write(f"Elapsed: {report.seconds:,.1f} s")
