"""``python manage.py archive_inactive [--days N] [--dry-run]``: archive idle sessions."""
from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from sessions_app.services.retention import retention_archive_inactive, retention_candidates

from ._retention import RetentionCommand


class Command(RetentionCommand):
    help = "Archive active sessions with no activity for more than N days (read-only afterwards)."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--days", type=int, default=None, help="Default: CHATMEMORY_ARCHIVE_AFTER_DAYS.")

    def handle(self, *args: Any, days: int | None, dry_run: bool, batch_size: int | None, verbosity: int,
               **options: Any) -> None:
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1")
        started, now = time.monotonic(), timezone.now()
        effective = days if days is not None else settings.CHATMEMORY_ARCHIVE_AFTER_DAYS
        progress = None
        if effective > 0:
            total = retention_candidates("archive_inactive", days=effective, now=now).count()
            progress = self.progress_factory(verbosity)("archive_inactive", total)
        step = retention_archive_inactive(
            actor="command:archive_inactive", days=days, now=now, dry_run=dry_run, batch_size=batch_size,
            progress=progress,
        )
        self.write_summary([step], dry_run=dry_run, seconds=time.monotonic() - started)
