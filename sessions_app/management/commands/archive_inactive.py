"""``python manage.py archive_inactive [--days N] [--dry-run]``: archive idle sessions."""
from __future__ import annotations

from ...governance.retention import retention_archive_inactive
from ._retention import RetentionStepCommand


class Command(RetentionStepCommand):
    help = "Archive active sessions with no activity for more than N days (read-only afterwards)."
    step = "archive_inactive"
    days_setting = "CHATMEMORY_ARCHIVE_AFTER_DAYS"
    run_step = staticmethod(retention_archive_inactive)
