"""``import_conversations PATH --format sharegpt|chatgpt --owner USERNAME``: bulk import a file."""
from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any, TextIO, cast

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import reset_queries
from tqdm import tqdm

from ...transfer.importers import FORMATS, ImportFormatError, ParsedConversation, iter_conversations
from ...transfer.imports import conversations_import

MAX_LISTED_ERRORS = 20


class Command(BaseCommand):
    help = "Import a ShareGPT JSON file or a ChatGPT export's conversations.json as conversations."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="The JSON file.")
        parser.add_argument("--format", required=True, choices=FORMATS, dest="source_format")
        parser.add_argument("--owner", required=True, help="Username that will own the conversations.")
        parser.add_argument("--batch-size", type=int, default=500, help="Conversations per transaction.")
        parser.add_argument("--limit", type=int, default=None, help="Import at most N conversations of the file.")
        parser.add_argument("--dry-run", action="store_true", help="Check and count, write nothing.")
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="Import the valid conversations and report the invalid ones (and a truncated end) "
            "instead of refusing the whole file.",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args: Any, **options: Any) -> str:
        path: Path = options["path"]
        source_format: str = options["source_format"]
        limit: int | None = options["limit"]
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        if limit is not None and limit < 0:
            raise CommandError("--limit must not be negative")
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        User = get_user_model()
        try:
            owner = User._default_manager.get_by_natural_key(options["owner"])
        except User.DoesNotExist:
            raise CommandError(f'no user "{options["owner"]}"') from None
        progress = not options["no_progress"] and options["verbosity"] > 0

        # Pass 1: parse the whole file (streaming) so that an invalid file writes nothing.
        errors: list[ImportFormatError] = []
        count = 0
        with path.open("rb") as fp, self._bar(progress, "checking", None) as bar:
            for item in islice(iter_conversations(fp, source_format=source_format, skip_invalid=True), limit):
                if isinstance(item, ImportFormatError):
                    errors.append(item)
                else:
                    count += 1
                bar.update(1)
        if errors and not options["skip_invalid"]:
            raise CommandError(self._error_text(path, errors, "nothing was imported"))

        # Pass 2: write, batch by batch (one transaction each). reset_queries() after each batch:
        # with DEBUG on, Django keeps every SQL text (with the message bodies) in memory.
        with path.open("rb") as fp, self._bar(progress, "importing", count) as bar:

            def on_progress(n: int) -> None:
                bar.update(n)
                reset_queries()

            summary = conversations_import(
                owner=owner,
                conversations=self._valid(fp, source_format, limit),
                batch_size=options["batch_size"],
                dry_run=options["dry_run"],
                actor="command:import_conversations",
                on_progress=on_progress,
            )
        if errors:
            self.stderr.write(self._error_text(path, errors, "skipped (--skip-invalid)"))
        verb = "Would import" if summary.dry_run else "Imported"
        line = (
            f"{verb} {summary.imported:,} conversations ({summary.messages:,} messages); skipped "
            f"{summary.skipped_existing:,} already imported, {summary.skipped_empty:,} empty, "
            f"{len(errors):,} invalid; {summary.seconds:.1f} s."
        )
        self.stdout.write(self.style.SUCCESS(line))
        return ""

    @staticmethod
    def _valid(fp: Any, source_format: str, limit: int | None) -> Iterator[ParsedConversation]:
        items = islice(iter_conversations(fp, source_format=source_format, skip_invalid=True), limit)
        return (item for item in items if isinstance(item, ParsedConversation))

    def _bar(self, enabled: bool, desc: str, total: int | None) -> tqdm:
        # The stream OutputWrapper wraps (its write() would end every tqdm refresh with a newline);
        # django-stubs types OutputWrapper's other attributes as Callable.
        stream = cast(TextIO, self.stderr._out)
        return tqdm(total=total, desc=desc, unit=" conv", disable=not enabled, file=stream, mininterval=0.5)

    @staticmethod
    def _error_text(path: Path, errors: list[ImportFormatError], outcome: str) -> str:
        lines = [f"{path}: {len(errors)} problem(s), {outcome}:"]
        lines += [f"  {error}" for error in errors[:MAX_LISTED_ERRORS]]
        if len(errors) > MAX_LISTED_ERRORS:
            lines.append(f"  … and {len(errors) - MAX_LISTED_ERRORS} more")
        return "\n".join(lines)
