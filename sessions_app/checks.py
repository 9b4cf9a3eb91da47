"""System checks for chatmemory's settings (``python manage.py check``)."""
from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register()
def check_chatmemory_settings(app_configs: Any, **kwargs: Any) -> list[Warning]:
    """Warn about settings that run but are probably not what the operator meant."""
    problems: list[Warning] = []
    if settings.CHATMEMORY_CACHE_ALIAS not in settings.CACHES:
        problems.append(
            Warning(
                f"CACHES has no {settings.CHATMEMORY_CACHE_ALIAS!r} alias; the active-session cache is off.",
                hint="Set REDIS_URL, or add the alias to CACHES.",
                id="sessions_app.W001",
            )
        )
    if not settings.DEBUG and settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        problems.append(
            Warning(
                "DEBUG is false but the database is the embedded SQLite file.",
                hint="Set DATABASE_URL=postgres://… for production.",
                id="sessions_app.W002",
            )
        )
    if settings.OPENAI_BASE_URL and not settings.OPENAI_API_KEY:
        problems.append(
            Warning(
                "OPENAI_BASE_URL is set without OPENAI_API_KEY; a placeholder key is sent.",
                hint="Local OpenAI-compatible servers usually accept any key; hosted ones do not.",
                id="sessions_app.W003",
            )
        )
    if settings.CHATMEMORY_CACHE_WINDOW < settings.CHATMEMORY_CONTEXT_WINDOW:
        problems.append(
            Warning(
                "CHATMEMORY_CACHE_WINDOW is smaller than CHATMEMORY_CONTEXT_WINDOW: "
                "every turn's read misses the cache.",
                hint="Keep at least as many messages in the cache as a turn reads.",
                id="sessions_app.W004",
            )
        )
    return problems


@register(Tags.database)
def check_search_index(app_configs: Any, databases: Any = None, **kwargs: Any) -> list[Error]:
    """The full-text search index is complete (its SQLite triggers can be lost to a table rebuild)."""
    from django.db import connections

    from .search.schema import index_problems

    errors: list[Error] = []
    for alias in databases or []:
        for problem in index_problems(connections[alias]):
            errors.append(Error(f"search index: {problem}; search no longer follows writes.",
                                hint="Run `python manage.py migrate` (it repairs the index).", id="sessions_app.E001"))
    return errors
