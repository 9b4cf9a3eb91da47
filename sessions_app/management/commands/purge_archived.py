"""``python manage.py purge_archived [--days N] [--dry-run]``: delete long-archived sessions."""
from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from sessions_app.services.retention import retention_candidates, retention_purge_archived

from ._retention import RetentionCommand


class Command(RetentionCommand):
    help = "Delete sessions archived more than N days ago, with their messages, state and checkpoints."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--days", type=int, default=None, help="Default: CHATMEMORY_PURGE_ARCHIVED_AFTER_DAYS.")

    def handle(self, *args: Any, days: int | None, dry_run: bool, batch_size: int | None, verbosity: int,
               **options: Any) -> None:
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1")
        started, now = time.monotonic(), timezone.now()
        effective = days if days is not None else settings.CHATMEMORY_PURGE_ARCHIVED_AFTER_DAYS
        progress = None
        if effective > 0:
            total = retention_candidates("purge_archived", days=effective, now=now).count()
            progress = self.progress_factory(verbosity)("purge_archived", total)
        step = retention_purge_archived(
            actor="command:purge_archived", days=days, now=now, dry_run=dry_run, batch_size=batch_size,
            progress=progress,
        )
        self.write_summary([step], dry_run=dry_run, seconds=time.monotonic() - started)
