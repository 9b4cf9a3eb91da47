"""The active-session cache in the conversation admin: remaining TTL, eviction on edits.

``CachedSessionAdminMixin`` adds a read-only ``cache_ttl_remaining`` field (seconds until the
session's cache entry expires, "not cached" otherwise) and evicts the session after the commit
of a change-form save, because the cache carries the owner, title, tenant, status and TTL.
"""
from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .. import cache
from ..models import ChatSession


class CachedSessionAdminMixin:
    """Mix into a ``ModelAdmin`` of ``ChatSession``; list ``cache_ttl_remaining`` in its fields."""

    @admin.display(description="cache TTL remaining")
    def cache_ttl_remaining(self, session: ChatSession) -> str:
        seconds = cache.ttl_remaining(session.pk)
        if seconds is None:
            return "not cached"
        return f"{seconds} s"

    def save_model(self, request: HttpRequest, obj: ChatSession, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        cache.evict_after_commit(obj.pk)
