"""``python manage.py erase_user USERNAME [--dry-run]``: delete a user and everything they own."""
from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...governance.erasure import user_erase, user_erase_preview


class Command(BaseCommand):
    help = "Delete a user and everything they own (sessions, messages, state, checkpoints, tokens); audited."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--dry-run", action="store_true", help="Count what would be deleted; delete nothing.")

    def handle(self, *args: Any, username: str, dry_run: bool, **options: Any) -> None:
        user_model = get_user_model()
        user = user_model.objects.filter(**{user_model.USERNAME_FIELD: username}).first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        if dry_run:
            summary = user_erase_preview(user=user)
        else:
            summary = user_erase(user=user, actor="command:erase_user")
        verb = "Would erase" if dry_run else "Erased"
        self.stdout.write(
            f"{verb} user {username!r} (id {summary.user_id}): {summary.sessions} sessions, "
            f"{summary.messages} messages, {summary.state_versions} state versions, "
            f"{summary.checkpoints} checkpoints"
            + "".join(f", {n} {label}" for label, n in sorted(summary.other_rows.items()))
            + "."
        )
