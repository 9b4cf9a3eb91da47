"""Admin for the audit log: browsable and filterable, never editable (append-only)."""
from __future__ import annotations

from django.contrib import admin

from ..models import AuditLogEntry
from .readonly_mixin import ReadOnlyAdminMixin
from .replica_mixin import ReplicaListMixin


@admin.register(AuditLogEntry)
class AuditLogEntryAdmin(ReplicaListMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
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
