"""``python manage.py apply_retention [--dry-run]``: run the whole retention policy once."""
from __future__ import annotations

from typing import Any

from ...governance.retention import retention_apply
from ._retention import RetentionCommand


class Command(RetentionCommand):
    help = "Apply the retention policy: delete expired, archive inactive, purge old archived, prune state."

    def handle(self, *args: Any, dry_run: bool, batch_size: int | None, verbosity: int, **options: Any) -> None:
        summary = retention_apply(
            actor="command:apply_retention", dry_run=dry_run, batch_size=batch_size,
            progress_factory=self.progress_factory(verbosity),
        )
        self.write_summary(summary.steps, dry_run=dry_run, seconds=summary.seconds)
