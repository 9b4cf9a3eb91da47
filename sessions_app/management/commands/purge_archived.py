"""``python manage.py purge_archived [--days N] [--dry-run]``: delete long-archived sessions."""
from __future__ import annotations

from ...governance.retention import retention_purge_archived
from ._retention import RetentionStepCommand


class Command(RetentionStepCommand):
    help = "Delete sessions archived more than N days ago, with their messages, state and checkpoints."
    step = "purge_archived"
    days_setting = "CHATMEMORY_PURGE_ARCHIVED_AFTER_DAYS"
    run_step = staticmethod(retention_purge_archived)
