"""Fill the database with a realistic synthetic knowledge base, to measure features at scale.

    manage.py generate_kb --events 1000000 --seed 1

Creates the events asked for and everything that goes with them, in proportion: thousands of
organisations and officials (with their posts), the members of intergovernmental organisations,
agreements (one event in 20 is a signing), statements (one in 10: quotes, some in two fragments,
and paraphrases), sources (one per 20 events) with numbered footnotes, and 1-3 citations of a
footnote per claim (about a quarter of footnotes back several claims), all over every current
country, with fuzzy dates from 1990 to mid-2026 at mixed precision ("by 2005", "after May 2009"
among them). Country pairs are skewed as real coverage is: Belarus–Iran is the busiest pair
(~5 % of events), then the United States–Russia; 5 % of events concern another pair's relations.
About 90 % of the claims are published.

Every slug starts with ``g{seed}-`` (``g1-ev-0000001``): generated rows never collide with
hand-made ones, and seeds coexist. Relationship records (``by-ir``) are the pair's, not the
seed's: existing ones are reused, and kept when a seed's rows are deleted. The same --events
and --seed always give the same rows. A seed that already has rows is refused unless --replace
is given, which deletes them first.

On PostgreSQL rows go in with COPY (one million events take a few minutes); on other
databases with bulk_create, which suits a few thousand events. The logic lives in
``relations.generator``. The knowledge-base version is bumped on commit, so every cached public
answer is recomputed; generated rows have no history and stay out of the API's changes feed.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS
from tqdm import tqdm

from relations.generator import DEFAULT_BATCH_SIZE, GenerationError, Report, generate


class Command(BaseCommand):
    help = "Generate a synthetic knowledge base (events, agreements, sources...) for benchmarks."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--events", type=int, default=10_000, help="How many events (default 10000)."
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=1,
            help="Seed of the random generator, and the 'g<seed>-' slug prefix (default 1).",
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Delete the rows an earlier run with this seed generated, then generate.",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            help=f"Events generated and written per batch (default {DEFAULT_BATCH_SIZE}).",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, help="Database alias (default 'default')."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = options["verbosity"]
        stream = getattr(self.stderr, "_out", sys.stderr)  # tqdm needs the raw stream
        show_bar = verbosity > 0 and not options["no_progress"] and stream.isatty()
        bar = tqdm(
            total=options["events"] if options["events"] > 0 else None,
            unit=" events",
            unit_scale=True,
            desc="generate_kb",
            file=stream,
            disable=not show_bar,
            dynamic_ncols=True,
        )

        def say(message: str) -> None:
            if verbosity > 0 and show_bar:
                bar.write(message, file=stream)  # above the bar, not through it
            elif verbosity > 0:
                self.stderr.write(message)

        try:
            report = generate(
                events=options["events"],
                seed=options["seed"],
                replace=options["replace"],
                batch_size=options["batch_size"],
                using=options["database"],
                progress=bar.update,
                say=say,
            )
        except GenerationError as error:
            raise CommandError(str(error)) from error
        finally:
            bar.close()
        if verbosity > 0:
            self._summary(report, options["seed"], verbosity)

    def _summary(self, report: Report, seed: int, verbosity: int) -> None:
        write = self.stdout.write
        if report.replaced:
            write(
                f"Deleted the {sum(report.replaced.values()):,} rows (and their links and "
                f"footnotes and citations) generated earlier with seed {seed} in "
                f"{report.delete_seconds:,.1f} s."
            )
        width = max(len(label) for label in report.counts)
        write(self.style.MIGRATE_HEADING(f"Rows generated with seed {seed}:"))
        for label, count in report.counts.items():
            write(f"  {label:<{width}}  {count:>12,}")
        write(f"  {'total':<{width}}  {sum(report.counts.values()):>12,}")
        events = report.counts.get("relations.Event", 0)
        pairs = ", ".join(
            f"{a}–{b} {share:.1%} (~{share * events:,.0f})" for a, b, share in report.busiest_pairs
        )
        write(f"Busiest country pairs (expected share of events): {pairs}")
        if verbosity > 1 and report.copy_seconds:
            write("Time in COPY by table (writer thread, wall clock):")
            for label, seconds in sorted(report.copy_seconds.items(), key=lambda kv: -kv[1]):
                write(f"  {label:<{width}}  {seconds:>10.1f} s")
        if verbosity > 1 and report.index_seconds:
            seconds = report.index_seconds
            write(f"Indexes and foreign keys dropped for the run, made again: {seconds:,.1f} s")
        write(f"Elapsed: {report.seconds:,.1f} s")
        if report.database_size:
            write(f"Database size: {report.database_size}")
        write(self.style.SUCCESS("Done."))
