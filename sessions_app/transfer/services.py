"""Export and import of one session (``chatmemory.session`` documents), both audited."""
from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from ..conversations.serialization import from_records, plain_text
from ..exceptions import InvalidInput, SessionGone
from ..governance.audit import Actor, audit_record
from ..models import AuditLogEntry, ChatMessage, ChatSession, DeletedSession, SessionState
from .export import FORMAT_VERSION, iter_session_bundle, iter_session_document
from .markdown import iter_session_markdown
from .native import SessionDocument

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

INSERT_BATCH = 1000  # rows per INSERT


class SessionExists(InvalidInput):
    """The session id to import into is already taken."""

    status_code = 409
    code = "conflict"


def session_export(*, session: ChatSession, fp: SupportsWrite[str], actor: Actor, destination: str = "") -> int:
    """Write ``session`` as a ``chatmemory.session`` document to ``fp`` (anything with ``write(str)``).

    Streams (one message in memory at a time); returns the number of messages written. Writes an
    ``AuditLogEntry`` (action ``export``; ``details.destination`` names the file or "download")
    once the document was written completely. Ownership is the caller's job (a selector).
    """
    counts: dict[str, int] = {}
    for piece in iter_session_document(session, counts=counts):
        fp.write(piece)
    _audit_export(session, actor, counts, destination)
    return counts["messages"]


def _audit_export(session: ChatSession, actor: Actor, counts: dict[str, int], destination: str) -> None:
    details: dict[str, Any] = {"format_version": FORMAT_VERSION, "destination": destination}
    if counts["state_versions"] >= 0:
        details["state_versions"] = counts["state_versions"]
    audit_record(
        action=AuditLogEntry.Action.EXPORT, actor=actor, session_id=session.pk, sessions=1,
        messages=counts["messages"], details=details,
    )


def session_export_chunks(*, session: ChatSession, actor: Actor, destination: str = "download") -> Iterator[str]:
    """``session_export`` for a streaming HTTP response: audits now, returns the document's pieces.

    The audit entry is written before streaming starts (a download the client aborts was still
    an export), with the session's ``message_count`` as the row count.
    """
    _audit_export(session, actor, {"messages": session.message_count, "state_versions": -1}, destination)
    return iter_session_document(session)


def session_export_markdown_chunks(*, session: ChatSession, actor: Actor, destination: str = "download"
                                   ) -> Iterator[str]:
    """The session as Markdown (``transfer.markdown``) for a streaming response; audited now
    (action ``export``, ``details.format = "markdown"``), like ``session_export_chunks``."""
    audit_record(
        action=AuditLogEntry.Action.EXPORT, actor=actor, session_id=session.pk, sessions=1,
        messages=session.message_count, details={"format": "markdown", "destination": destination},
    )
    return iter_session_markdown(session)


def sessions_export_chunks(*, sessions: Sequence[ChatSession], actor: Actor, destination: str = "download"
                           ) -> Iterator[str]:
    """A bundle of ``chatmemory.session`` documents (``transfer.export.iter_session_bundle``) for a
    streaming response; one audit entry for all of them, written before streaming starts."""
    audit_record(
        action=AuditLogEntry.Action.EXPORT, actor=actor, session_ids=[s.pk for s in sessions], sessions=len(sessions),
        messages=sum(s.message_count for s in sessions),
        details={"format_version": FORMAT_VERSION, "destination": destination, "bundle": True},
    )
    return iter_session_bundle(sessions)


def _resolve_owner(owner: Any, document: SessionDocument) -> Any:
    if owner is not None:
        return owner
    user_model = get_user_model()
    found = user_model.objects.filter(**{user_model.USERNAME_FIELD: document.owner}).first()
    if found is None:
        raise InvalidInput(f"session.owner: no user {document.owner!r} here; give an owner (--owner USERNAME)")
    return found


@transaction.atomic
def session_import(
    *,
    document: SessionDocument,
    actor: Actor,
    owner: Any = None,
    session_id: uuid.UUID | None = None,
    new_id: bool = False,
    source: str = "",
) -> ChatSession:
    """Write a validated document as one new session, in one transaction; audited.

    The id is ``session_id`` if given, a fresh UUID4 with ``new_id``, else the document's own id.
    ``owner`` defaults to the user named in the document. Messages keep their ``seq`` and
    timestamps, state versions their numbers, tags and timestamps, the session its status and
    times, so exporting the import gives the same document apart from ``session.id``,
    ``session.owner`` (when imported for someone else) and ``exported_at``. Raises
    ``SessionExists`` (409) when the id is taken, ``SessionGone`` (410) when it is the id of a
    deleted conversation (a deleted conversation never comes back; import it with ``new_id``) and
    ``InvalidInput`` for an unknown owner; either way nothing is written.
    """
    if session_id is not None and new_id:
        raise InvalidInput("give either a session id or new_id, not both")
    pk = uuid.uuid4() if new_id else (session_id or document.session_id)
    owner = _resolve_owner(owner, document)
    if ChatSession.objects.filter(pk=pk).exists():
        raise SessionExists(f"session {pk} already exists; import with a new id (--new-id) or --session-id")
    fields = dict(document.session)
    fields["last_seq"] = max(fields["last_seq"], document.messages[-1].seq if document.messages else 0)
    try:
        with transaction.atomic():
            session = ChatSession.objects.create(id=pk, owner=owner, message_count=len(document.messages), **fields)
    except IntegrityError:
        raise SessionExists(f"session {pk} already exists") from None
    try:
        DeletedSession.refuse(pk)  # after the INSERT: see DeletedSession.refuse
    except SessionGone:
        raise SessionGone(f"session {pk} was deleted; import it with a new id (--new-id)") from None
    messages = from_records(m.message for m in document.messages)
    ChatMessage.objects.bulk_create(
        (
            ChatMessage(
                session=session, seq=row.seq, type=row.message["type"], message=row.message,
                content_text=plain_text(message), created_at=row.created_at,
            )
            for row, message in zip(document.messages, messages, strict=True)
        ),
        batch_size=INSERT_BATCH,
    )
    SessionState.objects.bulk_create(
        (
            SessionState(
                session=session, version=s.version, tag=s.tag, source_version=s.source_version,
                created_at=s.created_at, state=s.state,
            )
            for s in document.states
        ),
        batch_size=INSERT_BATCH,
    )
    audit_record(
        action=AuditLogEntry.Action.IMPORT, actor=actor, session_id=pk, sessions=1,
        messages=len(document.messages),
        details={"format": "native", "source": source, "state_versions": len(document.states),
                 "from_session_id": str(document.session_id), "owner_id": owner.pk},
    )
    return session
