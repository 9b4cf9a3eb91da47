"""Strict readers of environment variables for ``chatmemory.settings``.

A malformed value raises ``ImproperlyConfigured`` at start-up instead of silently becoming a
default (healthchecks' ``hc/settings.py`` does the same). ``DATABASE_URL`` is parsed by
django-environ (``env.db_url``); everything else goes through these functions.
"""
from __future__ import annotations

import os

import environ
from django.core.exceptions import ImproperlyConfigured

env = environ.Env()

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean strictly: unknown spellings raise ``ImproperlyConfigured``."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true/false, 1/0, yes/no, on/off)")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    """Read an integer strictly: non-numbers and values under ``minimum`` raise ``ImproperlyConfigured``."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} is below the minimum {minimum}")
    return value


def env_str(name: str, default: str = "") -> str:
    """A string variable (``default`` when unset)."""
    return os.environ.get(name, default)


def env_list(name: str, default: str = "") -> list[str]:
    """A comma-separated list, items stripped, empty items dropped."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]
