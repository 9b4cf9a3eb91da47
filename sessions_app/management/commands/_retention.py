"""Shared plumbing of the retention commands: options, tqdm progress bars, the closing summary."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from tqdm import tqdm

from ...governance.retention import Progress, StepSummary, retention_candidates


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

    def progress_factory(self, verbosity: int) -> Callable[[str, int], Progress | None]:
        def factory(step: str, total: int) -> Progress | None:
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
            if s.step == "delete_tombstones":  # tombstones of conversations deleted long ago
                self.stdout.write(f"{s.step}: {'would delete' if dry_run else 'deleted'} {s.tombstones} tombstones")
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


class RetentionStepCommand(RetentionCommand):
    """One retention step with ``--days N`` (default: a setting; 0 there switches the step off).

    Subclasses name the ``step`` (also the command's name, hence the audit actor
    ``command:<step>``), the ``days_setting`` and the service that runs the step (``run_step``,
    e.g. ``staticmethod(retention_archive_inactive)``).
    """

    step: str
    days_setting: str
    run_step: Callable[..., StepSummary]

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--days", type=int, default=None, help=f"Default: {self.days_setting}.")

    def handle(self, *args: Any, days: int | None, dry_run: bool, batch_size: int | None, verbosity: int,
               **options: Any) -> None:
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1")
        started, now = time.monotonic(), timezone.now()
        effective = days if days is not None else getattr(settings, self.days_setting)
        progress = None
        if effective > 0:
            total = retention_candidates(self.step, days=effective, now=now).count()
            progress = self.progress_factory(verbosity)(self.step, total)
        step = self.run_step(
            actor=f"command:{self.step}", days=days, now=now, dry_run=dry_run, batch_size=batch_size,
            progress=progress,
        )
        self.write_summary([step], dry_run=dry_run, seconds=time.monotonic() - started)
