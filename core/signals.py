"""Receivers of core, connected by ``CoreConfig.ready``."""

from simple_history.signals import post_create_historical_record

from core import history


def connect() -> None:
    # Every history row written inside ``history.one_entry`` is noted, to keep one per record.
    post_create_historical_record.connect(history.heard, dispatch_uid="relata-history-one-entry")
