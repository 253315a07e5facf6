"""Typed readers for settings that come from the environment.

A bad value stops start-up with a message naming the variable, instead of being
silently read as something else (healthchecks' `envbool`/`envint` do the same).
"""

import ipaddress
import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperlyConfigured(f"Set the {name} environment variable.")
    return value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    if value.strip().lower() in _TRUE:
        return True
    if value.strip().lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use 1/0, true/false).")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer.") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


_RATE_OFF = {"", "off", "none"}
_PERIODS = ("s", "m", "h", "d")


def env_rate(name: str, default: str) -> str | None:
    """A request rate as DRF reads it ("120/min", "30/hour"), or None for "off"."""
    value = os.environ.get(name, default).strip()
    if value.lower() in _RATE_OFF:
        return None
    number, _, period = value.partition("/")
    if not number.isdigit() or not period.lower().startswith(_PERIODS):
        raise ImproperlyConfigured(f"{name}={value!r} is not a rate (e.g. 120/min, or off).")
    return f"{int(number)}/{period.lower()}"


def env_networks(name: str) -> list[str]:
    """Comma-separated IP addresses or networks ("127.0.0.1,10.0.0.0/8"), checked now."""
    networks = []
    for item in env_list(name, default=[]):
        try:
            networks.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name}: {item!r} is not an IP address or network."
            ) from None
    return networks
