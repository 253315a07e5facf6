"""Imports made through the admin (the uploaded file kept server-side under a token while a
worker checks it and until it is confirmed and imported, then the record of who imported what,
when, with what result); the change log that
orders the changes feed; and where a mirror stands in a source's feed."""

from __future__ import annotations

import secrets
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils import timezone


def new_token() -> str:
    return secrets.token_urlsafe(24)


def upload_dir() -> Path:
    """Where uploads wait for confirmation; outside any served directory."""
    configured = getattr(settings, "EXCHANGE_UPLOAD_DIR", None)
    return Path(configured) if configured else Path(tempfile.gettempdir()) / "relata-imports"


class Import(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", "queued for checking"
        CHECKING = "checking", "being checked"
        PENDING = "pending", "checked, awaiting confirmation"
        CONFIRMED = "confirmed", "confirmed, queued for import"
        IMPORTING = "importing", "being imported"
        IMPORTED = "imported", "imported"
        REJECTED = "rejected", "rejected: the file has problems"
        DISCARDED = "discarded", "discarded"
        FAILED = "failed", "failed: nothing was imported"

    # A worker has the import (or will): the page refreshes itself, the file is needed.
    RUNNING = (State.QUEUED, State.CHECKING, State.CONFIRMED, State.IMPORTING)
    # The file is needed while the import runs or waits for confirmation; never after.
    KEEPS_FILE = (*RUNNING, State.PENDING)

    # The token names the kept file and the confirm URL; the confirm step takes no file, so
    # what is loaded is what was checked (and its checksum is verified again).
    token = models.CharField(max_length=64, primary_key=True, default=new_token, editable=False)
    name = models.CharField("file", max_length=255)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    update = models.BooleanField(
        default=False, help_text="Conflicting records take the file's version."
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)
    finished = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    report = models.JSONField(default=dict, blank=True)  # exchange.report.Report.as_dict()
    # Set by the worker (exchange.tasks) while it runs: what it does and how far it read.
    task_id = models.CharField(max_length=64, blank=True)
    phase = models.CharField(max_length=100, blank=True)
    progress = models.PositiveBigIntegerField(default=0, help_text="Bytes of the file read.")
    records = models.PositiveIntegerField(default=0, help_text="Records read.")
    touched = models.DateTimeField(null=True, blank=True, help_text="The worker's last word.")

    class Meta:
        ordering = ["-created"]
        verbose_name = "fixture import"

    def __str__(self) -> str:
        return f"{self.name} ({self.get_state_display()})"

    @property
    def path(self) -> Path:
        return upload_dir() / f"{self.token}.json"

    @property
    def running(self) -> bool:
        return self.state in self.RUNNING

    @property
    def percent(self) -> int:
        return min(100, self.progress * 100 // self.size) if self.size else 0

    def forget_file(self) -> None:
        self.path.unlink(missing_ok=True)

    def end(self, state: str, **fields) -> None:
        """Save a final state (or PENDING), and drop the file unless it is still needed."""
        self.state = state
        for name, value in fields.items():
            setattr(self, name, value)
        if state not in self.KEEPS_FILE:
            self.finished = self.finished or timezone.now()
            self.forget_file()
        self.save()


class Change(models.Model):
    """One history row of an exchanged model, in the order it became visible.

    Database triggers on every history table add a row here for each history row inserted, in
    the inserting transaction (so ORM saves, ``import_kb``'s set-based history, raw SQL: all of
    them). ``seq`` is given later, by :func:`exchange.changelog.sequence`, to rows whose
    transaction has committed: the feed's order is the order of ``seq``. See
    ``exchange/changelog.py`` for why that loses nothing.
    """

    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(max_length=16)  # the feed's name of the model: "event", "citation"…
    history_id = models.BigIntegerField()
    seq = models.BigIntegerField(null=True, unique=True)
    sequenced = models.DateTimeField(null=True)  # when seq was given (for ``since=``)

    class Meta:
        indexes = [
            models.Index(
                fields=["id"], condition=models.Q(seq__isnull=True), name="exchange_change_waiting"
            ),
            models.Index(fields=["sequenced"], name="exchange_change_sequenced"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} history {self.history_id} (#{self.seq})"


class MirrorState(models.Model):
    """Where a mirror (``manage.py mirror_kb``) stands in a source site's changes feed."""

    source = models.CharField(max_length=300, unique=True, help_text="The source site's URL.")
    after = models.BigIntegerField(
        null=True, blank=True, help_text="The feed position applied last."
    )
    since = models.DateTimeField(
        null=True, blank=True, help_text="Where to start when no position is kept yet."
    )
    synced = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"mirror of {self.source} at {self.after}"
