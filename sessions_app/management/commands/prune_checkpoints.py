"""``python manage.py prune_checkpoints --keep N [--older-than DAYS] [--dry-run]``."""
from __future__ import annotations

from typing import Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from sessions_app.exceptions import InvalidInput

from ...checkpoint.services import checkpoints_prune


class Command(BaseCommand):
    help = "Prune LangGraph threads to their latest N checkpoints per namespace (writes and unused blobs too)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--keep", type=int, required=True, help="Checkpoints to keep per thread namespace (>= 1).")
        parser.add_argument("--older-than", type=int, default=None, metavar="DAYS",
                            help="Only delete checkpoints created more than DAYS days ago.")
        parser.add_argument("--dry-run", action="store_true", help="Count what would be deleted; delete nothing.")

    def handle(self, *args: Any, keep: int, older_than: int | None, dry_run: bool, **options: Any) -> None:
        # The stream OutputWrapper wraps (its write() would end every tqdm refresh with a newline);
        # django-stubs types OutputWrapper's other attributes as Callable.
        stream = cast(TextIO, self.stderr._out)
        bar = tqdm(unit="thread", desc="pruning", file=stream, disable=options.get("verbosity", 1) < 1)
        try:
            result = checkpoints_prune(
                keep=keep, older_than_days=older_than, dry_run=dry_run,
                on_total=lambda n: bar.reset(total=n), progress=bar.update,
            )
        except InvalidInput as exc:
            raise CommandError(exc.detail) from None
        finally:
            bar.close()
        verb = "Would delete" if dry_run else "Deleted"
        blobs = "" if dry_run else f", {result.blobs} blobs"
        self.stdout.write(
            f"{verb} {result.checkpoints} checkpoints, {result.writes} pending writes{blobs} "
            f"in {result.threads} threads (keeping {keep} per namespace)."
        )
        if result.skipped_delta_threads:
            self.stdout.write(
                f"Skipped {len(result.skipped_delta_threads)} threads using a DeltaChannel: "
                + ", ".join(result.skipped_delta_threads[:20])
            )
