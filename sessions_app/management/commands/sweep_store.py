"""``python manage.py sweep_store [--dry-run]``: delete expired long-term memory items."""
from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from sessions_app.governance.store import retention_sweep_store
from sessions_app.store.ttl import BATCH_SIZE


class Command(BaseCommand):
    help = "Delete the store items (DjangoStore) whose TTL has expired."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count what would be deleted; delete nothing.")
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="Items per transaction.")

    def handle(self, *args: Any, dry_run: bool, batch_size: int, **options: Any) -> None:
        n = retention_sweep_store(actor="command:sweep_store", dry_run=dry_run, batch_size=max(1, batch_size))
        verb = "would delete" if dry_run else "deleted"
        self.stdout.write(f"{verb} {n} expired store item(s)")
