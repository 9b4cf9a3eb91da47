"""Shared plumbing of the retention commands: options, tqdm progress bars, the closing summary."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from sessions_app.services.retention import StepSummary


class RetentionCommand(BaseCommand):
    """Base class: ``--dry-run``, ``--batch-size``, a progress bar per step on stderr."""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count what would change; change nothing.")
        parser.add_argument(
            "--batch-size", type=int, default=None,
            help="Sessions per batch/transaction (default CHATMEMORY_RETENTION_BATCH_SIZE).",
        )

    def execute(self, *args: Any, **options: Any) -> Any:
        self._bars: list[tqdm] = []
        try:
            return super().execute(*args, **options)
        finally:
            for bar in self._bars:
                bar.close()

    def progress_factory(self, verbosity: int) -> Callable[[str, int], Callable[[int], None] | None]:
        def factory(step: str, total: int) -> Callable[[int], None] | None:
            bar = tqdm(total=total, desc=step, unit="session", file=self.stderr, disable=verbosity < 1,
                       dynamic_ncols=True, leave=True)
            self._bars.append(bar)
            return bar.update

        return factory

    def write_summary(self, steps: list[StepSummary], *, dry_run: bool, seconds: float | None = None) -> None:
        verb = "would affect" if dry_run else "affected"
        for s in steps:
            if s.skipped:
                self.stdout.write(f"{s.step}: skipped ({s.skipped})")
                continue
            line = f"{s.step}: {verb} {s.sessions} sessions, {s.messages} messages"
            if s.state_versions or s.step == "prune_state":
                line += f", {s.state_versions} state versions"
            if s.checkpoints:
                line += f", {s.checkpoints} checkpoints"
            self.stdout.write(line + (f" in {s.batches} batches" if s.batches and not dry_run else ""))
        tail = " (dry run: nothing changed)" if dry_run else ""
        if seconds is not None:
            tail = f" in {seconds:.1f} s" + tail
        self.stdout.write(self.style.SUCCESS(f"Done{tail}."))
