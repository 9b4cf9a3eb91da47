"""``DeletedSession``: the tombstone a deleted or erased conversation leaves behind.

Why it exists: a deleted conversation must never come back, whatever arrives late — the
factory of a ``RunnableWithMessageHistory`` asked for the same id again (``for_user(create=True)``),
a graph still running on the conversation's LangGraph thread (``thread_id == str(session.id)``)
writing checkpoints or pending writes, an import of the same document. Appends need no
tombstone (they update the session row, which is gone); creating a row and writing a thread do,
because both are legitimate for an id that never existed.

It holds no personal content: the id (random), when, and why (the audit action of the delete:
``delete``, ``purge``, ``expire``, ``erase``). It is written in the transaction of the delete:
by ``governance.lifecycle.sessions_delete`` / ``governance.erasure.user_erase`` with their
reason, and by a database trigger on the session table (migration ``0014``) for any other
delete (a cascade from a user row, the shell, raw SQL) with the reason ``delete`` — so a session
row and its tombstone never exist together, and every delete leaves one.

Kept ``CHATMEMORY_TOMBSTONE_DAYS`` (retention's ``delete_tombstones`` step); after that the id
is free again, like any id nobody ever used.
"""
from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from ..exceptions import SessionGone


class DeletedSession(models.Model):
    """A conversation id that was deleted (see the module docstring). No content, no owner."""

    session_id = models.UUIDField(primary_key=True, help_text="The deleted conversation's id.")
    deleted_at = models.DateTimeField(default=timezone.now, help_text="When it was deleted.")
    reason = models.CharField(max_length=20, default="delete",
                              help_text="The audit action that deleted it (delete, purge, expire, erase).")

    class Meta:
        verbose_name = "deleted conversation"
        indexes = [
            # Retention deletes tombstones by age.
            models.Index(fields=["deleted_at"], name="deletedsession_deleted_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.session_id} ({self.reason} {self.deleted_at:%Y-%m-%d})"

    @classmethod
    def refuse(cls, session_id: uuid.UUID) -> None:
        """Raise ``SessionGone`` if ``session_id`` was deleted (one primary-key lookup).

        Call it *after* inserting a row with a caller-chosen id, in the same transaction: an insert
        that waited for a concurrent delete of the same id then sees that delete's tombstone (READ
        COMMITTED takes a new snapshot per statement), so a create can never slip past a delete.
        """
        if cls.objects.filter(pk=session_id).exists():
            raise SessionGone(f"session {session_id} was deleted; a deleted conversation cannot be re-created")

    @classmethod
    def record(cls, session_ids: list[uuid.UUID] | tuple[uuid.UUID, ...], *, reason: str) -> None:
        """Write the tombstones of ``session_ids`` (one multi-row INSERT; existing ones are kept)."""
        now = timezone.now()
        rows = [DeletedSession(session_id=pk, deleted_at=now, reason=reason) for pk in session_ids]
        DeletedSession.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
