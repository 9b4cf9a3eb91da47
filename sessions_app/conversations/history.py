"""``DjangoChatMessageHistory``: LangChain chat history on the Django ORM.

Implements ``langchain_core.chat_history.BaseChatMessageHistory``: the ``messages`` property,
``add_messages`` and ``clear``, and their async twins ``aget_messages``, ``aadd_messages`` and
``aclear``. Use it from any LangChain app::

    from langchain_core.runnables.history import RunnableWithMessageHistory
    from sessions_app.history import DjangoChatMessageHistory

    def get_session_history(user_id: str, session_id: str) -> DjangoChatMessageHistory:
        return DjangoChatMessageHistory.for_user(user_id=user_id, session_id=session_id)

    chain = RunnableWithMessageHistory(runnable, get_session_history, ...)

The same factory serves ``invoke``/``stream`` and ``ainvoke``/``astream``: LangChain calls it
synchronously, on the event loop for the async ones, where Django refuses the ORM; there
``for_user`` returns a history that gates and creates the session on its first call (which the
async twins make in a thread). Async code that wants the history at once awaits ``afor_user``.

Messages are stored with LangChain's ``message_to_dict`` and returned in ``seq`` order.

Reads go through the active-session cache (``sessions_app.cache``) by default: a warm
history is built and its recent window read without any database query. Pass ``cache=False``
for the plain ORM behaviour (benchmarks, diagnostics). ``messages`` (the whole session) always
reads the database.
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

from .. import cache as session_cache
from ..cache.readthrough import WindowReader
from ..db.loop import event_loop_running
from ..exceptions import SessionNotFound
from ..models import ChatSession
from . import selectors
from .messages import messages_append, messages_append_and_read, messages_clear
from .serialization import from_records
from .sessions import session_create


def _check_window(window: int | None) -> int | None:
    if window is not None and (isinstance(window, bool) or not isinstance(window, int) or window < 1):
        raise ValueError(f"window must be a positive number of messages or None, not {window!r}")
    return window


class DjangoChatMessageHistory(BaseChatMessageHistory):
    """Chat history of one ``ChatSession``.

    Args:
        session_id: the conversation's id (``uuid.UUID`` or its string).
        user: if given, the session must be owned by this user (the ownership gate); otherwise
            any existing session is accepted (trusted server-side code).
        cache: read through the active-session cache (default) or always from the database.
        window: if set, ``messages`` (and ``aget_messages``) return only the last ``window``
            messages, read like ``get_recent_messages`` (O(window), from the cache when warm)
            instead of the whole session. For ``RunnableWithMessageHistory``, which reads
            ``messages`` on every invocation: the model's context stays bounded and the read
            stays cheap however long the conversation grows. ``None`` (default): the whole
            session, as ``BaseChatMessageHistory`` specifies.

    Raises:
        SessionNotFound: at construction, when no such session exists (or ``user`` does not
            own it). A history is never created implicitly for an unknown id; to create one
            owned by a user, use ``for_user(..., create=True)``.

    Writes raise ``SessionGone`` if the session is deleted meanwhile and ``SessionReadOnly`` if
    it is archived (see ``messages_append``); nothing is stored then. A deleted conversation never
    comes back: ``for_user(create=True)`` with its id raises ``SessionGone`` too, instead of creating
    it again (its tombstone, ``models.DeletedSession``).

    With ``cache=True`` (the default) a session found in the active-session cache is not read
    from the database: ``session`` is then a snapshot with ``id``, ``owner_id``, ``status``,
    ``title``, ``tenant``, ``cache_ttl`` and ``last_seq`` set (other fields at their defaults);
    ``refresh_session()`` reloads it.
    """

    _pending: dict[str, Any] | None = None  # for_user's arguments while it is deferred (in a loop)

    def __init__(self, session_id: uuid.UUID | str, *, user: Any = None, cache: bool = True,
                 window: int | None = None) -> None:
        self.use_cache = cache
        self.window = _check_window(window)
        pk = selectors.parse_session_id(session_id)
        self.session_id: uuid.UUID = pk
        epoch: str | None = None
        if cache and (user is None or getattr(user, "is_authenticated", False)):
            snapshot, epoch = selectors.session_peek_for_owner(
                session_id=pk, owner_id=None if user is None else user.pk
            )
            if snapshot is not None:
                self._reader = WindowReader(snapshot)  # epoch unknown: a miss re-reads the session
                return
        self._reader = WindowReader(self._load_session(user), epoch)

    @property
    def session(self) -> ChatSession:
        """The session this history reads and writes (a snapshot: see the class docstring)."""
        self._resolve()
        return self._reader.session

    @session.setter
    def session(self, session: ChatSession) -> None:
        self._reader.session = session

    @classmethod
    def from_session(cls, session: ChatSession, *, cache: bool = True) -> DjangoChatMessageHistory:
        """The history of a session the caller has already read through the ownership gate.

        For views and endpoints that hold the caller's ``ChatSession`` (``selectors.
        session_get_for_user``): no second gate, no query and no cache call here. ``session`` is
        used as given (a snapshot); writes still check the database (``SessionGone``/``SessionReadOnly``).
        """
        return cls._built(session, cache=cache, window=None)

    @classmethod
    def _built(cls, session: ChatSession, *, cache: bool, window: int | None) -> DjangoChatMessageHistory:
        """An instance around a session already gated by the caller (no query, no cache call).

        Its cache epoch is unknown, so a cache miss re-reads the session before filling.
        """
        history = cls.__new__(cls)
        history.use_cache, history.window, history.session_id = cache, window, session.pk
        history._reader = WindowReader(session)
        return history

    def _load_session(self, user: Any) -> ChatSession:
        if user is not None:
            return selectors.session_get_for_user(session_id=self.session_id, user=user)
        return selectors.session_get(session_id=self.session_id)

    # -- construction for third-party apps ----------------------------------------------------
    @classmethod
    def for_user(cls, *, user_id: Any, session_id: uuid.UUID | str, create: bool = True,
                 window: int | None = None) -> DjangoChatMessageHistory:
        """The history of ``session_id`` owned by the user with primary key or username ``user_id``.

        With ``create=True`` (the default, what ``RunnableWithMessageHistory`` factories want) a
        missing session is created *owned by that user*. A session that exists but belongs to
        another user raises ``SessionNotFound``, as does an unknown user.

        Called where an event loop runs (``RunnableWithMessageHistory.ainvoke``/``astream`` call
        their factory on the loop), it makes no query: the history gates (and creates) on its first
        call, so ``SessionNotFound`` comes from that call, e.g. ``aget_messages`` in a thread.

        ``RunnableWithMessageHistory`` calls its factory on every invocation, so the common case is
        fast: a primary key ``user_id`` whose session is in the active-session cache is gated on the
        cached owner id, with no query at all. ``window``: see the class (bounded ``messages``).
        """
        window = _check_window(window)  # before anything is created
        pk = selectors.parse_session_id(session_id)
        if event_loop_running():
            history = cls.__new__(cls)
            history.use_cache, history.window, history.session_id = True, window, pk
            history._pending = {"user_id": user_id, "pk": pk, "create": create, "window": window}
            return history
        return cls._for_user(user_id=user_id, pk=pk, create=create, window=window)

    @classmethod
    async def afor_user(cls, *, user_id: Any, session_id: uuid.UUID | str, create: bool = True,
                        window: int | None = None) -> DjangoChatMessageHistory:
        """Async ``for_user``: gates (and creates) now, in a thread; raises ``SessionNotFound`` here."""
        window = _check_window(window)
        pk = selectors.parse_session_id(session_id)
        return await sync_to_async(cls._for_user)(user_id=user_id, pk=pk, create=create, window=window)

    @classmethod
    def _for_user(cls, *, user_id: Any, pk: uuid.UUID, create: bool, window: int | None) -> DjangoChatMessageHistory:
        if str(user_id).isdigit():
            snapshot, _ = selectors.session_peek_for_owner(session_id=pk, owner_id=user_id)
            if snapshot is not None:
                return cls._built(snapshot, cache=True, window=window)
        user_model = get_user_model()
        user = user_model.objects.filter(pk=user_id).first() if str(user_id).isdigit() else None
        if user is None:
            user = user_model.objects.filter(**{user_model.USERNAME_FIELD: str(user_id)}).first()
        if user is None:
            raise SessionNotFound(f"no user {user_id!r}")
        if create and not ChatSession.objects.filter(pk=pk).exists():
            try:
                session_create(owner=user, session_id=pk)
            except IntegrityError:
                pass  # created concurrently; the ownership check below decides
        return cls(pk, user=user, window=window)

    def _resolve(self) -> None:
        """Run a deferred ``for_user`` (the ownership gate, the creation) before the first use."""
        if self._pending is not None:
            self._reader = self._for_user(**self._pending)._reader
            self._pending = None

    # -- BaseChatMessageHistory -----------------------------------------------------------------
    @property
    def messages(self) -> list[BaseMessage]:  # type: ignore[override]
        """Every message, oldest first (``seq`` order); only the last ``window`` if one was set."""
        self._resolve()
        if self.window is not None:
            return self.get_recent_messages(self.window)
        return selectors.messages_all(session_id=self.session_id)

    def add_messages(self, messages: Sequence[BaseMessage]) -> None:
        """Append the batch atomically, in one transaction and one multi-row INSERT."""
        self.session_append(messages)

    def session_append(self, messages: Sequence[BaseMessage]) -> list[int]:
        """``add_messages`` that returns the ``seq`` numbers given to the batch."""
        self._resolve()
        return messages_append(session_id=self.session_id, messages=list(messages))

    def add_messages_and_get_recent(self, messages: Sequence[BaseMessage], limit: int) -> list[BaseMessage]:
        """``add_messages`` then ``get_recent_messages(limit)``, with the cache update and the read
        done as one Redis operation (one round trip instead of two).

        For code that appends and immediately needs the new context, e.g. an agent loop adding its
        tool calls and results before the next model call. The same guarantees as the two calls:
        the batch is atomic and the window is read after it, from the cache when warm (a miss, an
        open transaction or a cache failure read the database instead). Raises what
        ``add_messages`` raises.
        """
        self._resolve()
        if limit <= 0 or not self.use_cache:
            self.add_messages(messages)
            return self.get_recent_messages(limit)
        _, window = messages_append_and_read(session_id=self.session_id, messages=list(messages),
                                                      limit=limit)
        if window is not None and window.records is not None:
            return from_records(window.records)
        return self.get_recent_messages(limit)

    def clear(self) -> None:
        """Delete the messages; the session itself stays (and keeps its ``last_seq``)."""
        self._resolve()
        messages_clear(session_id=self.session_id)

    # -- beyond the base class --------------------------------------------------------------
    def get_recent_messages(self, limit: int) -> list[BaseMessage]:
        """The last ``limit`` messages, oldest first: O(limit) whatever the session's length.

        Served from the cache when warm (no query); on a miss, one index range scan of the last
        ``max(limit, CHATMEMORY_CACHE_WINDOW)`` rows, which then repopulates the cache.
        """
        self._resolve()
        if limit <= 0:
            return []
        if not self.use_cache or session_cache.is_dirty(self.session_id):
            # Uncached, or this connection has uncommitted writes the cache cannot know yet.
            return selectors.messages_window(session_id=self.session_id, limit=limit)
        return from_records(self._reader.recent_records(limit))

    def refresh_session(self) -> ChatSession:
        """Reload ``session`` from the database (e.g. for ``message_count``)."""
        self._resolve()
        self.session = self._load_session(None)
        return self.session

    @property
    def cache_ttl_remaining(self) -> int | None:
        """Seconds until this session's cache entry expires; ``None`` when it is not cached."""
        self._resolve()
        return session_cache.ttl_remaining(self.session_id)

    # -- async twins: Django's ORM is sync, run it the way Django's own async ORM does ------------
    async def aget_messages(self) -> list[BaseMessage]:
        return await sync_to_async(lambda: self.messages)()

    async def aadd_messages(self, messages: Sequence[BaseMessage]) -> None:
        await sync_to_async(self.add_messages)(messages)

    async def aclear(self) -> None:
        await sync_to_async(self.clear)()

    async def aget_recent_messages(self, limit: int) -> list[BaseMessage]:
        return await sync_to_async(self.get_recent_messages)(limit)

    async def aadd_messages_and_get_recent(self, messages: Sequence[BaseMessage], limit: int) -> list[BaseMessage]:
        return await sync_to_async(self.add_messages_and_get_recent)(messages, limit)

    def __repr__(self) -> str:
        return f"DjangoChatMessageHistory(session_id={str(self.session_id)!r})"
