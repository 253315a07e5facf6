"""What every step of an import shares: the state :class:`exchange.load.Importer` holds."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path
from typing import Any

from exchange.report import Report
from exchange.stage import Stage

CHUNK = 2000


class Step:
    """A part of the import (read, resolve, check, classify, write), as a mixin of
    :class:`exchange.load.Importer`, which sets these."""

    path: Path
    name: str
    update: bool
    dry_run: bool
    user_id: int | None
    using: str
    progress: Callable[[int], Any] | None
    status: Callable[[str], Any] | None
    report: Report
    stage: Stage
    now: datetime.datetime
    reason: str

    def say(self, message: str) -> None:
        if self.status:
            self.status(message)
