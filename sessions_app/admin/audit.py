"""Admin for the audit log: browsable and filterable, never editable (append-only)."""
from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from ..models import AuditLogEntry


@admin.register(AuditLogEntry)
class AuditLogEntryAdmin(admin.ModelAdmin):
    """Read-only: no add, change or delete permission for anyone, superusers included."""

    list_display = ("created_at", "action", "actor", "session_id", "target_user_id", "sessions", "messages")
    list_filter = ("action", "actor", ("created_at", admin.DateFieldListFilter))
    search_fields = ("=actor", "=session_id")
    date_hierarchy = "created_at"
    list_select_related = ("user",)
    show_full_result_count = False
    list_per_page = 100
    fields = (
        "created_at", "action", "user", "actor", "session_id", "session_ids", "target_user_id",
        "sessions", "messages", "details",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
