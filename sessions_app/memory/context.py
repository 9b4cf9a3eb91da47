"""``TurnMemory``: what one chat turn knows beyond its window, and what it leaves for later.

``ChatTurn`` (``conversations.chat``) makes one per turn and calls three methods:

* ``model(model)`` → the turn's model, with the ``save_memory`` tool bound when it can call tools
  (``memory.tools``; the offline model cannot);

* ``before_window(window)`` → ``[SystemMessage]`` or ``[]``: one system message put before the
  recent window, with up to three parts, each switchable and with its own token budget
  (settings ``CHATMEMORY_MEMORY_*``):

  1. *the user's memories* (``memory.user``), newest first;
  2. *the rolling summary* of the conversation before the window (``memory.summary``);
  3. *recalled messages*: older messages relevant to the new one (``memory.recall``), from before
     the part of the window the prompt will keep.

  The turn then trims ``[that message] + window`` with ``trim_messages`` under
  ``CHATMEMORY_CONTEXT_MAX_TOKENS`` as before (the system message is always kept; the window
  gives way). Nothing here calls a model: a turn costs a few indexed queries.
* ``after_turn()``: saves the fact of a "remember …" message as a user memory, and queues the
  summary task (``memory.background``) when enough messages left the window — the turn never
  waits for it.
"""
from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, SystemMessage, trim_messages
from langchain_core.messages.utils import count_tokens_approximately

from ..models import StoreItem
from ..store import session_namespace, user_namespace
from ..store.namespaces import MEMORIES, to_text
from . import background
from .recall import Recalled, recall
from .summary import KEY as SUMMARY_KEY
from .summary import Summary, summary_due, summary_get
from .tools import with_memory_tool
from .user import MAX_MEMORIES, fit_memories, memory_add, remembered_fact

logger = logging.getLogger("sessions_app.memory")
SUMMARY_TASK = "sessions_app.update_summary"
ROLE = {"human": "user", "ai": "assistant"}


class TurnMemory:
    """Memory for one turn of ``session`` whose new user message is ``text`` (see module doc)."""

    def __init__(self, session: Any, text: str) -> None:
        self.session = session
        self.text = text
        self.summary: Summary | None = None
        self.recalled: list[Recalled] = []
        self.memories: list[str] = []
        self._summary_read = False

    def before_window(self, window: list[BaseMessage]) -> list[BaseMessage]:
        parts: list[str] = []
        used = 0
        self._read_store()
        if self.memories:
            parts.append("What you know about the user (their saved memories):\n"
                         + "\n".join(f"- {m}" for m in self.memories))
        if settings.CHATMEMORY_MEMORY_SUMMARY:
            if self.summary and self.summary["text"]:
                parts.append("Summary of the conversation before the recent messages:\n" + self.summary["text"])
        if settings.CHATMEMORY_MEMORY_RECALL:
            used = count_tokens_approximately([SystemMessage("\n\n".join(parts))]) if parts else 0
            kept = len(trim_messages(
                window, max_tokens=max(1, settings.CHATMEMORY_CONTEXT_MAX_TOKENS - used
                                       - settings.CHATMEMORY_MEMORY_RECALL_TOKENS),
                token_counter=count_tokens_approximately, strategy="last", start_on="human", allow_partial=False,
            ))
            self.recalled = recall(session_id=self.session.pk, text=self.text, keep_last=kept,
                                   max_tokens=settings.CHATMEMORY_MEMORY_RECALL_TOKENS)
            if self.recalled:
                parts.append("Earlier messages of this conversation relevant to the new message:\n" + "\n".join(
                    f"[#{r.seq} {ROLE.get(r.type, r.type)}] {r.text}" for r in self.recalled))
        return [SystemMessage("\n\n".join(parts), additional_kwargs={"chatmemory": "memory"})] if parts else []

    def _read_store(self) -> None:
        """The user's memories and the conversation's summary, in one query."""
        want_summary, want_memories = settings.CHATMEMORY_MEMORY_SUMMARY, settings.CHATMEMORY_MEMORY_USER
        if not (want_summary or want_memories):
            return
        summary_ns = to_text(session_namespace(self.session))
        memories_ns = to_text(user_namespace(self.session.owner_id, MEMORIES, tenant=self.session.tenant or ""))
        where = Q()
        if want_summary:
            where |= Q(prefix=summary_ns, key=SUMMARY_KEY)
        if want_memories:
            where |= Q(prefix=memories_ns)
        rows = list(StoreItem.objects.live().filter(where).order_by("-updated_at", "-id")
                    .values_list("prefix", "value")[: MAX_MEMORIES + 1])
        self.summary = next((v for p, v in rows if p == summary_ns), None) if want_summary else None
        self._summary_read = want_summary
        if want_memories:
            self.memories = fit_memories((v for p, v in rows if p == memories_ns),
                                         settings.CHATMEMORY_MEMORY_USER_TOKENS)

    def model(self, model: BaseChatModel) -> BaseChatModel:
        """``model`` with the ``save_memory`` tool when it can call tools (a real model), else as is."""
        if settings.CHATMEMORY_MEMORY_USER and type(model).bind_tools is not BaseChatModel.bind_tools:
            return with_memory_tool(model, lambda text: self._save(text, "model"))
        return model

    def after_turn(self, saved_seqs: list[int]) -> None:
        """After the turn was stored (``saved_seqs``: the seqs of its messages). Never raises: the
        turn is stored; a memory that could not be kept is logged."""
        try:
            if settings.CHATMEMORY_MEMORY_USER and (fact := remembered_fact(self.text)):
                self._save(fact, "user")
            if settings.CHATMEMORY_MEMORY_SUMMARY and saved_seqs:
                summary = self.summary if self._summary_read else summary_get(self.session)
                if summary_due(self.session, summary, max(saved_seqs)):
                    session_id = str(self.session.pk)
                    transaction.on_commit(lambda: background.submit(SUMMARY_TASK, session_id))
        except Exception:
            logger.exception("memory after the turn of session %s failed", self.session.pk)

    def _save(self, text: str, source: str) -> str:
        return memory_add(user=self.session.owner_id, text=text, source=source, tenant=self.session.tenant or "",
                          session_id=self.session.pk)
