"""``ChatMessage``: one LangChain message of a conversation, stored as LangChain serializes it."""
from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.db import models
from django.utils import timezone

from .fields import MessageField, unescape_record

if TYPE_CHECKING:
    from langchain_core.messages import BaseMessage


class ChatMessageQuerySet(models.QuerySet["ChatMessage"]):
    def for_session(self, session_id: uuid.UUID) -> ChatMessageQuerySet:
        return self.filter(session_id=session_id)

    def in_order(self) -> ChatMessageQuerySet:
        return self.order_by("seq")


class ChatMessage(models.Model):
    """A message of a ``ChatSession``.

    ``message`` is exactly ``langchain_core.messages.message_to_dict(m)`` — ``{"type": …,
    "data": {…}}`` — so tool calls, ``additional_kwargs``, ``response_metadata``, names and ids
    round-trip through ``messages_from_dict``. ``type`` repeats the LangChain message type
    (``human``, ``ai``, ``system``, ``tool``, ``function``, ``chat``) for filtering;
    ``content_text`` is the plain text for display and search (U+0000 and surrogates shown as U+FFFD
    there; the record keeps them exactly, see ``models.fields.MessageField``). The conversation's order is
    ``seq`` (1, 2, 3 … per session, unique with the session, assigned by
    ``conversations.messages.messages_append``), never ``created_at``.
    """

    # No index of its own: the (session, seq) unique constraint's index leads with it and serves every
    # per-session lookup; a second index would only cost every append (and storage).
    session = models.ForeignKey(
        "sessions_app.ChatSession", on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    seq = models.PositiveBigIntegerField()
    type = models.CharField(max_length=32)
    message = MessageField()  # U+0000 and surrogates kept exactly: see models.fields
    content_text = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ChatMessageQuerySet.as_manager()

    class Meta:
        verbose_name = "message"
        constraints = [
            # The order of the conversation; also the index every window read walks backwards.
            models.UniqueConstraint(fields=["session", "seq"], name="chatmessage_session_seq_uniq"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.type}: {self.content_text[:60]}"

    def to_langchain(self) -> BaseMessage:
        from langchain_core.messages import messages_from_dict

        return messages_from_dict([unescape_record(self.message)])[0]
