"""Compute the current version's costly public answers now (reader.warm), as the worker does
after each publish.

    manage.py warm_caches        # after a deploy or a cache flush; before a load benchmark

Prints how long each part took. Only worth it with the cache the web processes use (REDIS_URL):
a per-process cache is this command's own, and is gone when it exits.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand
from tqdm import tqdm

from core import cache
from reader import warm


class Command(BaseCommand):
    help = "Compute the costly public answers of the current knowledge-base version into the cache."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = options["verbosity"]
        stream = getattr(self.stderr, "_out", sys.stderr)  # tqdm needs the raw stream
        show_bar = verbosity > 0 and not options["no_progress"] and stream.isatty()
        bar = tqdm(
            total=warm.size(),
            unit=" answers",
            desc="warm_caches",
            file=stream,
            disable=not show_bar,
            dynamic_ncols=True,
        )
        started = time.monotonic()
        try:
            timings = warm.run(progress=lambda label: bar.update())
        finally:
            bar.close()
        if verbosity > 0:
            width = max((len(label) for label in timings), default=0)
            self.stdout.write(f"Warmed version {cache.version()}:")
            for label, seconds in timings.items():
                self.stdout.write(f"  {label:<{width}}  {seconds:8.3f} s")
            self.stdout.write(f"  {'total':<{width}}  {time.monotonic() - started:8.3f} s")
