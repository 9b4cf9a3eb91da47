"""``python manage.py export_session SESSION_ID [-o FILE]``: write one session as a JSON document."""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sessions_app.exceptions import SessionNotFound

from ...conversations import selectors
from ...transfer.services import session_export


class Command(BaseCommand):
    help = "Export one session (metadata, messages, state versions) as a chatmemory.session JSON document."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("session_id")
        parser.add_argument("-o", "--output", help="File to write (default: standard output).")

    def handle(self, *args: Any, session_id: str, output: str | None, **options: Any) -> None:
        try:
            session = selectors.session_get(session_id=session_id)
        except SessionNotFound as exc:
            raise CommandError(exc.detail) from None
        if not output or output == "-":
            session_export(session=session, fp=self.stdout, actor="command:export_session", destination="stdout")
            return
        target = Path(output)
        # Write a temporary file beside the target and rename it: never a half-written export.
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or ".")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fp:
                n = session_export(session=session, fp=fp, actor="command:export_session", destination=str(target))
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        print(f"Exported session {session.pk}: {n} messages to {target}.", file=sys.stderr)
