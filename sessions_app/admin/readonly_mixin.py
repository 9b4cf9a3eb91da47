"""``ReadOnlyAdminMixin``: an admin (or inline) that nobody can add, change or delete through.

For append-only or derived rows (audit log, state versions, checkpoint threads, the message
inline of a conversation); superusers included. Changes, where any, go through actions.
"""
from __future__ import annotations

from typing import Any

from django.http import HttpRequest


class ReadOnlyAdminMixin:
    """Mix in before ``admin.ModelAdmin`` / ``admin.TabularInline``: every write permission is False."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
