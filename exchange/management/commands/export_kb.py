"""Write the knowledge base, or a slice of it, as a fixture that loads into any install.

    manage.py export_kb -o kb.json                       # everything published
    manage.py export_kb --relation by-ir -o by-ir.json   # a dossier's data
    manage.py export_kb --country IR --domain nuclear --from 2005 --to "June 2010"
    manage.py export_kb --events 12,40 --include-drafts

Options combine with AND. The file is stock Django fixture JSON with natural keys (stock
``loaddata`` reads it; ``import_kb`` validates it first). The same data always gives the same
bytes. Drafts are left out unless ``--include-drafts``. The logic lives in ``exchange.export``.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS
from tqdm import tqdm

from exchange.export import Exporter
from exchange.selection import Selection, SelectionError


class Command(BaseCommand):
    help = "Export the knowledge base, or a slice of it, as a JSON fixture with natural keys."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "-o", "--output", help="File to write (default: standard output).", default="-"
        )
        parser.add_argument("--relation", help="Two country codes, e.g. 'by-ir'.")
        parser.add_argument("--country", help="Events and claims involving this country (ISO).")
        parser.add_argument("--domain", help="Events and claims in this domain (slug).")
        parser.add_argument(
            "--from", dest="lower", help="Overlapping this date or later (fuzzy: '2007')."
        )
        parser.add_argument("--to", dest="upper", help="Up to this date (fuzzy: 'May 2010').")
        parser.add_argument("--events", help="Event ids, separated by commas.")
        parser.add_argument(
            "--include-drafts",
            action="store_true",
            help="Also export drafts and claims awaiting review (not for the public).",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, help="Database alias (default 'default')."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            selection = Selection.from_options(
                relation=options["relation"],
                country=options["country"],
                domain=options["domain"],
                lower=options["lower"],
                upper=options["upper"],
                events=options["events"],
                include_drafts=options["include_drafts"],
            )
            exporter = Exporter(selection, using=options["database"])
        except SelectionError as error:
            raise CommandError(str(error)) from error

        to_stdout = options["output"] == "-"
        # The summary goes where the data does not.
        report = self.stderr if to_stdout else self.stdout
        stream = getattr(self.stderr, "_out", sys.stderr)  # tqdm needs the raw stream
        verbosity = options["verbosity"]
        show_bar = verbosity > 0 and not options["no_progress"] and stream.isatty()
        started = time.monotonic()
        total = sum(exporter.count().values()) if show_bar else None
        bar = tqdm(
            total=total,
            unit=" records",
            unit_scale=True,
            desc="export_kb",
            file=stream,
            disable=not show_bar,
            dynamic_ncols=True,
        )
        try:
            if to_stdout:
                out = getattr(self.stdout, "_out", sys.stdout)
                counts = exporter.write(out, progress=bar.update)
                out.flush()
            else:
                with open(options["output"], "w", encoding="utf-8", newline="\n") as out:
                    counts = exporter.write(out, progress=bar.update)
        finally:
            bar.close()
        if verbosity > 0:
            seconds = time.monotonic() - started
            width = max(len(label) for label in counts)
            report.write(f"Exported ({selection.describe()}):")
            for label, count in counts.items():
                report.write(f"  {label:<{width}}  {count:>12,}")
            total_written = sum(counts.values())
            report.write(
                f"  {'total':<{width}}  {total_written:>12,} records in {seconds:,.1f} s "
                f"({total_written / max(seconds, 1e-9):,.0f} records/s)"
            )
