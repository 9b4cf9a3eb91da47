"""``DjangoChatMessageHistory``: LangChain chat history on the Django ORM.

Implements ``langchain_core.chat_history.BaseChatMessageHistory``: the ``messages`` property,
``add_messages`` and ``clear``, and their async twins ``aget_messages``, ``aadd_messages`` and
``aclear``. Use it from any LangChain app::

    from langchain_core.runnables.history import RunnableWithMessageHistory
    from sessions_app.history import DjangoChatMessageHistory

    def get_session_history(user_id: str, session_id: str) -> DjangoChatMessageHistory:
        return DjangoChatMessageHistory.for_user(user_id=user_id, session_id=session_id)

    chain = RunnableWithMessageHistory(runnable, get_session_history, ...)

Messages are stored with LangChain's ``message_to_dict`` and returned in ``seq`` order.
"""
from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.db import IntegrityError
from langchain_core.chat_history import BaseChatMessageHistory
from langchain_core.messages import BaseMessage

from . import selectors, services
from .exceptions import SessionNotFound
from .models import ChatSession


class DjangoChatMessageHistory(BaseChatMessageHistory):
    """Chat history of one ``ChatSession``.

    Args:
        session_id: the conversation's id (``uuid.UUID`` or its string).
        user: if given, the session must be owned by this user (the ownership gate); otherwise
            any existing session is accepted (trusted server-side code).

    Raises:
        SessionNotFound: at construction, when no such session exists (or ``user`` does not
            own it). A history is never created implicitly for an unknown id; to create one
            owned by a user, use ``for_user(..., create=True)``.

    Writes raise ``SessionGone`` if the session is deleted meanwhile and ``SessionReadOnly`` if
    it is archived (see ``services.messages_append``).
    """

    def __init__(self, session_id: uuid.UUID | str, *, user: Any = None) -> None:
        if user is not None:
            session = selectors.session_get_for_user(session_id=session_id, user=user)
        else:
            session = selectors.session_get(session_id=session_id)
        self.session: ChatSession = session
        self.session_id: uuid.UUID = session.pk

    # -- construction for third-party apps ----------------------------------------------------
    @classmethod
    def for_user(cls, *, user_id: Any, session_id: uuid.UUID | str, create: bool = True) -> DjangoChatMessageHistory:
        """The history of ``session_id`` owned by the user with primary key or username ``user_id``.

        With ``create=True`` (the default, what ``RunnableWithMessageHistory`` factories want) a
        missing session is created *owned by that user*. A session that exists but belongs to
        another user raises ``SessionNotFound``, as does an unknown user.
        """
        user_model = get_user_model()
        user = user_model.objects.filter(pk=user_id).first() if str(user_id).isdigit() else None
        if user is None:
            user = user_model.objects.filter(**{user_model.USERNAME_FIELD: str(user_id)}).first()
        if user is None:
            raise SessionNotFound(f"no user {user_id!r}")
        pk = selectors.parse_session_id(session_id)
        if create and not ChatSession.objects.filter(pk=pk).exists():
            try:
                services.session_create(owner=user, session_id=pk)
            except IntegrityError:
                pass  # created concurrently; the ownership check below decides
        return cls(pk, user=user)

    # -- BaseChatMessageHistory -----------------------------------------------------------------
    @property
    def messages(self) -> list[BaseMessage]:  # type: ignore[override]
        """Every message, oldest first (``seq`` order)."""
        return selectors.messages_all(session_id=self.session_id)

    def add_messages(self, messages: Sequence[BaseMessage]) -> None:
        """Append the batch atomically, in one transaction and one multi-row INSERT."""
        self.session_append(messages)

    def session_append(self, messages: Sequence[BaseMessage]) -> list[int]:
        """``add_messages`` that returns the ``seq`` numbers given to the batch."""
        return services.messages_append(session_id=self.session_id, messages=list(messages))

    def clear(self) -> None:
        """Delete the messages; the session itself stays (and keeps its ``last_seq``)."""
        services.messages_clear(session_id=self.session_id)

    # -- beyond the base class --------------------------------------------------------------
    def get_recent_messages(self, limit: int) -> list[BaseMessage]:
        """The last ``limit`` messages, oldest first: O(limit) whatever the session's length."""
        return selectors.messages_window(session_id=self.session_id, limit=limit)

    # -- async twins: Django's ORM is sync, run it the way Django's own async ORM does ------------
    async def aget_messages(self) -> list[BaseMessage]:
        return await sync_to_async(lambda: self.messages)()

    async def aadd_messages(self, messages: Sequence[BaseMessage]) -> None:
        await sync_to_async(self.add_messages)(messages)

    async def aclear(self) -> None:
        await sync_to_async(self.clear)()

    async def aget_recent_messages(self, limit: int) -> list[BaseMessage]:
        return await sync_to_async(self.get_recent_messages)(limit)

    def __repr__(self) -> str:
        return f"DjangoChatMessageHistory(session_id={str(self.session_id)!r})"
