"""``python manage.py import_session FILE [--owner USERNAME] [--session-id UUID | --new-id] [--format …]``."""
from __future__ import annotations

import json
import uuid
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sessions_app.exceptions import InvalidInput, SessionGone
from sessions_app.transfer.native import SessionDocument, parse_session_document

from ...transfer.services import session_import

FORMATS = ("native", "sharegpt", "chatgpt")


class Command(BaseCommand):
    help = "Import one session from a chatmemory.session document, a ShareGPT or a ChatGPT export (all or nothing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--owner", help="Username of the owner (default: the native document's owner).")
        ids = parser.add_mutually_exclusive_group()
        ids.add_argument("--session-id", help="Import under this session id (UUID).")
        ids.add_argument("--new-id", action="store_true", help="Import under a fresh random id.")
        parser.add_argument("--format", choices=FORMATS, default="native",
                            help="native (chatmemory.session), sharegpt, or chatgpt (conversations.json).")
        parser.add_argument("--index", type=int, default=None,
                            help="sharegpt/chatgpt: which conversation of the file (1-based).")

    def handle(self, *args: Any, file: str, owner: str | None, session_id: str | None, new_id: bool,
               format: str, index: int | None, **options: Any) -> None:
        user = None
        if owner:
            user_model = get_user_model()
            user = user_model.objects.filter(**{user_model.USERNAME_FIELD: owner}).first()
            if user is None:
                raise CommandError(f"--owner: no user {owner!r}")
        elif format != "native":
            raise CommandError(f"--owner is required with --format {format}")
        if index is not None and (format == "native" or index < 1):
            raise CommandError("--index N (N ≥ 1) only applies to --format sharegpt/chatgpt")
        pk = None
        if session_id:
            try:
                pk = uuid.UUID(session_id)
            except ValueError:
                raise CommandError(f"--session-id: {session_id!r} is not a UUID") from None
        try:
            document = self._read(file, format, index, owner or "")
            if format != "native" and pk is None:
                new_id = True  # foreign files carry no session id of ours
            session = session_import(document=document, owner=user, session_id=pk, new_id=new_id,
                                     actor="command:import_session", source=file)
        except (InvalidInput, SessionGone) as exc:  # SessionGone: the id of a deleted conversation
            raise CommandError(f"{file}: {exc.detail}") from None
        self.stdout.write(self.style.SUCCESS(
            f"Imported session {session.pk} for {session.owner.get_username()}: {len(document.messages)} messages, "
            f"{len(document.states)} state versions."
        ))

    def _read(self, file: str, format: str, index: int | None, owner: str) -> SessionDocument:
        try:
            if format == "native":
                with open(file, encoding="utf-8") as fp:
                    return parse_session_document(json.load(fp))
            from sessions_app.transfer.foreign import document_from_parsed, pick_conversation

            with open(file, "rb") as bfp:
                parsed = pick_conversation(bfp, source_format=format, index=index)
            return document_from_parsed(parsed, owner=owner)
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror}") from None
        except UnicodeDecodeError as exc:
            raise CommandError(f"{file}: not UTF-8 text (byte {exc.start})") from None
        except json.JSONDecodeError as exc:
            raise CommandError(f"{file}: line {exc.lineno} column {exc.colno}: invalid JSON ({exc.msg})") from None
