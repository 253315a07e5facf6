"""Imports made through the admin: the uploaded file kept server-side under a token until it
is confirmed, and afterwards the record of who imported what, when, with what result."""

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
        PENDING = "pending", "checked, awaiting confirmation"
        IMPORTED = "imported", "imported"
        REJECTED = "rejected", "rejected: the file has problems"
        DISCARDED = "discarded", "discarded"

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

    class Meta:
        ordering = ["-created"]
        verbose_name = "fixture import"

    def __str__(self) -> str:
        return f"{self.name} ({self.get_state_display()})"

    @property
    def path(self) -> Path:
        return upload_dir() / f"{self.token}.json"

    def forget_file(self) -> None:
        self.path.unlink(missing_ok=True)
