"""One conversation from a ShareGPT or ChatGPT export as a ``SessionDocument`` (for ``import_session``).

Parsing is ``sessions_app.transfer.importers``' (role mapping, ChatGPT's ``mapping`` tree → the branch
ending at ``current_node``, errors naming the conversation and message); this module only picks
one conversation of the file and shapes it like a native document, so ``services.session_import``
writes it in one transaction with the same id options (``--session-id`` / ``--new-id``).
"""
from __future__ import annotations

import uuid
from typing import IO

from django.utils import timezone
from langchain_core.messages import message_to_dict

from ..exceptions import InvalidInput
from ..models import TITLE_MAX_LENGTH, ChatSession
from .importers import ParsedConversation, iter_conversations
from .native import MessageRow, SessionDocument


def pick_conversation(fp: IO[bytes], *, source_format: str, index: int | None) -> ParsedConversation:
    """The ``index``-th conversation (1-based) of the file, or its only one when ``index`` is None.

    Streams the file (stops reading after the wanted conversation). Raises ``ImportFormatError``
    (naming the place) for a malformed file, ``InvalidInput`` when the file holds several
    conversations and no ``index`` was given, or fewer than ``index``.
    """
    chosen: ParsedConversation | None = None
    seen = 0
    for item in iter_conversations(fp, source_format=source_format):
        assert isinstance(item, ParsedConversation)
        seen += 1
        if index is None:
            if chosen is not None:
                raise InvalidInput("the file holds several conversations; choose one with --index N "
                                   "(or import them all with import_conversations)")
            chosen = item
        elif seen == index:
            return item
    if chosen is None:
        raise InvalidInput(f"the file holds {seen} conversation(s); there is no conversation #{index or 1}")
    return chosen


def document_from_parsed(parsed: ParsedConversation, *, owner: str) -> SessionDocument:
    """A native ``SessionDocument`` for one parsed foreign conversation (seq 1…n, its own times)."""
    now = timezone.now()
    created = parsed.created_at or now
    times = parsed.message_times or [None] * len(parsed.messages)
    rows = [
        MessageRow(seq=i, created_at=times[i - 1] or created, message=message_to_dict(m))
        for i, m in enumerate(parsed.messages, start=1)
    ]
    source = {"format": parsed.source_format, "id": parsed.source_id, **parsed.metadata}
    return SessionDocument(
        session_id=uuid.uuid4(),
        owner=owner,
        session={
            "title": parsed.title[:TITLE_MAX_LENGTH],
            "tenant": "",
            "status": ChatSession.Status.ACTIVE,
            "metadata": {"source": source},
            "created_at": created,
            "last_active_at": parsed.updated_at or created,
            "archived_at": None,
            "expires_at": None,
            "cache_ttl": None,
            "last_seq": len(rows),
        },
        messages=rows,
    )
