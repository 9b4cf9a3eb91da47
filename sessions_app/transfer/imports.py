"""Bulk import of parsed conversations (ShareGPT, ChatGPT export) as sessions and messages."""
from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from ..conversations.serialization import plain_text, stored_json, to_record
from ..db import pg_copy_rows
from ..exceptions import InvalidInput
from ..governance.audit import Actor, audit_record
from ..models import TITLE_MAX_LENGTH, AuditLogEntry, ChatMessage, ChatSession, DeletedSession
from ..models.fields import display_text
from .importers.base import ParsedConversation

if TYPE_CHECKING:
    from django.contrib.auth.models import User

#: Namespace of the deterministic ids of imported sessions (uuid5; never change it: re-imports
#: of the same conversation must map to the same session id).
IMPORT_NAMESPACE = uuid.UUID("5b0c8a8e-2f6a-4c1e-9a53-6f1d3f1c0a11")
MESSAGE_INSERT_BATCH = 1000  # rows per INSERT statement


def import_session_id(*, owner_id: Any, source_format: str, source_id: str) -> uuid.UUID:
    """The session id an imported conversation gets: ``uuid5(IMPORT_NAMESPACE, "owner:format:id")``.

    Deterministic, so importing the same file again for the same owner finds the same ids and
    skips them; two owners importing one file get distinct sessions.
    """
    return uuid.uuid5(IMPORT_NAMESPACE, f"{owner_id}:{source_format}:{source_id}")


@dataclass
class ImportSummary:
    """What an import did. Counts are conversations unless named ``messages``; ``seconds`` is wall time."""

    imported: int = 0
    skipped_existing: int = 0
    skipped_empty: int = 0
    messages: int = 0
    seconds: float = 0.0
    dry_run: bool = False

    @property
    def seen(self) -> int:
        return self.imported + self.skipped_existing + self.skipped_empty


def conversations_import(
    *,
    owner: User,
    conversations: Iterable[ParsedConversation],
    batch_size: int = 500,
    dry_run: bool = False,
    actor: Actor = None,
    on_progress: Callable[[int], object] | None = None,
    tenant: str = "",
) -> ImportSummary:
    """Write ``conversations`` as sessions owned by ``owner``, in batches; return an ``ImportSummary``.

    Each batch of ``batch_size`` conversations is one transaction: one query for the ids that
    already exist, one ``bulk_create`` of the sessions (``message_count = last_seq = n``), then
    their messages (``seq`` 1..n, stored with ``message_to_dict``) in statements of
    ``MESSAGE_INSERT_BATCH`` rows (``COPY`` on PostgreSQL, see ``_insert_messages``). A
    conversation is therefore written whole or not at all.

    Idempotent: the session id is ``import_session_id(owner, format, source id)`` and the source
    is recorded in ``metadata["source"] = {"format", "id", …}``; a conversation whose id already
    exists (imported before, or repeated in the same input) is skipped, as is one without
    messages; so is one imported before and deleted since (counted in ``skipped_existing``: a
    deleted conversation never comes back, ``models.DeletedSession``). If a concurrent import of
    the same conversations wins a race (``IntegrityError``), the batch is rolled back and retried
    once, skipping what the other import wrote.

    The input is consumed lazily (memory is bounded by one batch), so this function does not
    validate a whole file before writing: callers that promise "nothing from an invalid file" —
    the ``import_conversations`` command — parse the whole file first. ``dry_run`` writes
    nothing and reports what would be imported. ``on_progress(n)`` is called after each batch
    with the number of conversations it consumed. Each batch that wrote something writes one
    ``AuditLogEntry`` (action ``import``, ``actor`` = who or which job imports, the batch's
    session ids and row counts) in its transaction.
    ``tenant`` is the tenant of the new sessions (a tenant-bound token imports into its tenant).
    Raises ``InvalidInput`` for a ``batch_size`` below 1.
    """
    if batch_size < 1:
        raise InvalidInput("batch_size must be at least 1")
    started = time.monotonic()
    summary = ImportSummary(dry_run=dry_run)
    dry_seen: set[uuid.UUID] = set()
    for batch in _batches(conversations, batch_size):
        try:
            result = _import_batch(owner=owner, batch=batch, dry_run=dry_run, dry_seen=dry_seen, actor=actor,
                                   tenant=tenant)
        except IntegrityError:
            result = _import_batch(owner=owner, batch=batch, dry_run=dry_run, dry_seen=dry_seen, actor=actor,
                                   tenant=tenant)
        summary.imported += result.imported
        summary.skipped_existing += result.skipped_existing
        summary.skipped_empty += result.skipped_empty
        summary.messages += result.messages
        if on_progress is not None:
            on_progress(len(batch))
    summary.seconds = time.monotonic() - started
    return summary


MESSAGE_COLUMNS = ("session_id", "seq", "type", "message", "content_text", "created_at")


def _insert_messages(rows: list[tuple[Any, ...]]) -> None:
    """Insert message rows ``MESSAGE_COLUMNS`` (``message`` a ``message_to_dict`` record).

    PostgreSQL: one ``COPY`` per ``MESSAGE_INSERT_BATCH`` rows (``db.pg_copy_rows``; 2× faster than
    ``bulk_create`` for the ShareGPT file, whose client-side quoting of the ``UNNEST`` arrays was
    most of the import's Python time), each record NUL-escaped where it needs it
    (``serialization.stored_json``). Elsewhere ``bulk_create``. Either way the search index is
    maintained by the database (generated column / FTS5 triggers, see ``sessions_app.search``).
    """
    if connection.vendor == "postgresql":
        for start in range(0, len(rows), MESSAGE_INSERT_BATCH):
            chunk = rows[start:start + MESSAGE_INSERT_BATCH]
            pg_copy_rows(ChatMessage._meta.db_table, MESSAGE_COLUMNS,
                         [(sid, seq, kind, stored_json(record)[1], text, at)
                          for sid, seq, kind, record, text, at in chunk])
        return
    ChatMessage.objects.bulk_create(
        [ChatMessage(session_id=sid, seq=seq, type=kind, message=record, content_text=text, created_at=at)
         for sid, seq, kind, record, text, at in rows],
        batch_size=MESSAGE_INSERT_BATCH,
    )


def _batches(items: Iterable[ParsedConversation], size: int) -> Iterator[list[ParsedConversation]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


@transaction.atomic
def _import_batch(
    *, owner: User, batch: list[ParsedConversation], dry_run: bool, dry_seen: set[uuid.UUID],
    actor: Actor, tenant: str = "",
) -> ImportSummary:
    result = ImportSummary()
    wanted: dict[uuid.UUID, ParsedConversation] = {}
    for conversation in batch:
        if not conversation.messages:
            result.skipped_empty += 1
            continue
        session_id = import_session_id(
            owner_id=owner.pk, source_format=conversation.source_format, source_id=conversation.source_id
        )
        if session_id in wanted or session_id in dry_seen:
            result.skipped_existing += 1  # repeated in the same input
            continue
        wanted[session_id] = conversation
    existing = set(ChatSession.objects.filter(pk__in=list(wanted)).values_list("pk", flat=True))
    existing |= set(DeletedSession.objects.filter(pk__in=list(wanted)).values_list("pk", flat=True))
    result.skipped_existing += len(existing)
    now = timezone.now()
    sessions: list[ChatSession] = []
    messages: list[tuple[Any, ...]] = []  # (session_id, seq, type, record, content_text, created_at)
    for session_id, conversation in wanted.items():
        if session_id in existing:
            continue
        created = conversation.created_at or now
        sessions.append(
            ChatSession(
                id=session_id,
                owner=owner,
                tenant=tenant,
                title=display_text(conversation.title)[:TITLE_MAX_LENGTH],
                metadata={
                    "source": {
                        "format": conversation.source_format,
                        "id": conversation.source_id,
                        **conversation.metadata,
                    }
                },
                created_at=created,
                last_active_at=conversation.updated_at or created,
                message_count=len(conversation.messages),
                last_seq=len(conversation.messages),
            )
        )
        times = conversation.message_times or []
        for seq, message in enumerate(conversation.messages, start=1):
            record = to_record(message)
            stamp = times[seq - 1] if seq - 1 < len(times) else None
            messages.append((session_id, seq, record["type"], record, plain_text(message), stamp or created))
    result.imported = len(sessions)
    result.messages = len(messages)
    if dry_run:
        dry_seen.update(s.id for s in sessions)
        return result
    if not sessions:
        return result
    ChatSession.objects.bulk_create(sessions)
    _insert_messages(messages)
    audit_record(
        action=AuditLogEntry.Action.IMPORT,
        actor=actor,
        session_ids=[s.id for s in sessions],
        sessions=len(sessions),
        messages=len(messages),
        details={"format": sessions[0].metadata["source"]["format"], "owner_id": owner.pk},
    )
    return result
