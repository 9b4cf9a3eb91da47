"""Template tags for the admin: the statistics panel on the index page."""
from __future__ import annotations

from typing import Any

from django import template

from ...db.replicas import run_lag_tolerant
from ...governance.stats import stats_overview

register = template.Library()


@register.simple_tag
def chatmemory_stats() -> dict[str, Any]:
    """``{% chatmemory_stats as stats %}``: ``stats_overview()`` for a staff-only page (a replica may
    serve it: aggregate counts a few seconds old)."""
    return run_lag_tolerant(lambda: dict(stats_overview()))


@register.filter
def percent(value: float | None) -> str:
    """``0.8312`` → ``"83.1 %"``; ``None`` → ``"n/a"``."""
    return "n/a" if value is None else f"{value * 100:.1f} %"


@register.filter
def megabytes(value: int | None) -> str:
    """Bytes → ``"12.3 MB"`` (10⁶ bytes)."""
    return "n/a" if value is None else f"{value / 1_000_000:.1f} MB"


@register.filter
def thousands(value: int | None) -> str:
    """``117546`` → ``"117,546"`` (``None`` → ``"n/a"``)."""
    return "n/a" if value is None else f"{int(value):,}"
