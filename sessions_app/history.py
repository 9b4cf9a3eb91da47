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

from . import cache as session_cache
from . import selectors, services
from .exceptions import SessionNotFound
from .models import ChatMessage, ChatSession
from .serialization import from_records


def _session_from_meta(session_id: uuid.UUID, meta: session_cache.SessionMeta, last_seq: int | None) -> ChatSession:
    """A ``ChatSession`` built from cached meta (no query): id, owner, status, title, tenant, TTL."""
    session = ChatSession(
        id=session_id, owner_id=meta.owner_id, status=meta.status, title=meta.title, tenant=meta.tenant,
        cache_ttl=meta.cache_ttl, last_seq=last_seq or 0,
    )
    session._state.adding = False
    session._state.db = "default"
    return session


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
    it is archived (see ``services.messages_append``).

    With ``cache=True`` (the default) a session found in the active-session cache is not read
    from the database: ``session`` is then a snapshot with ``id``, ``owner_id``, ``status``,
    ``title``, ``tenant``, ``cache_ttl`` and ``last_seq`` set (other fields at their defaults);
    ``refresh_session()`` reloads it.
    """

    def __init__(self, session_id: uuid.UUID | str, *, user: Any = None, cache: bool = True,
                 window: int | None = None) -> None:
        self.use_cache = cache
        self.window = _check_window(window)
        pk = selectors.parse_session_id(session_id)
        self.session_id: uuid.UUID = pk
        self._epoch: str | None = None  # cache epoch read before ``self.session`` came from the DB
        if cache and not session_cache.is_dirty(pk):
            cached = session_cache.read_window(pk, 0)
            meta = cached.meta
            if meta is not None and (user is None or (
                getattr(user, "is_authenticated", False) and str(meta.owner_id) == str(user.pk)
            )):
                self.session: ChatSession = _session_from_meta(pk, meta, cached.last_seq)
                return
            self._epoch = cached.epoch
        self.session = self._load_session(user)

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
        history._epoch = None
        history.session = session
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

        ``RunnableWithMessageHistory`` calls its factory on every invocation, so the common case is
        fast: a primary key ``user_id`` whose session is in the active-session cache is gated on the
        cached owner id, with no query at all. ``window``: see the class (bounded ``messages``).
        """
        window = _check_window(window)  # before anything is created
        pk = selectors.parse_session_id(session_id)
        if str(user_id).isdigit() and not session_cache.is_dirty(pk):
            cached = session_cache.read_window(pk, 0)
            if cached.meta is not None and str(cached.meta.owner_id) == str(user_id):
                return cls._built(_session_from_meta(pk, cached.meta, cached.last_seq), cache=True, window=window)
        user_model = get_user_model()
        user = user_model.objects.filter(pk=user_id).first() if str(user_id).isdigit() else None
        if user is None:
            user = user_model.objects.filter(**{user_model.USERNAME_FIELD: str(user_id)}).first()
        if user is None:
            raise SessionNotFound(f"no user {user_id!r}")
        if create and not ChatSession.objects.filter(pk=pk).exists():
            try:
                services.session_create(owner=user, session_id=pk)
            except IntegrityError:
                pass  # created concurrently; the ownership check below decides
        return cls(pk, user=user, window=window)

    # -- BaseChatMessageHistory -----------------------------------------------------------------
    @property
    def messages(self) -> list[BaseMessage]:  # type: ignore[override]
        """Every message, oldest first (``seq`` order); only the last ``window`` if one was set."""
        if self.window is not None:
            return self.get_recent_messages(self.window)
        return selectors.messages_all(session_id=self.session_id)

    def add_messages(self, messages: Sequence[BaseMessage]) -> None:
        """Append the batch atomically, in one transaction and one multi-row INSERT."""
        self.session_append(messages)

    def session_append(self, messages: Sequence[BaseMessage]) -> list[int]:
        """``add_messages`` that returns the ``seq`` numbers given to the batch."""
        return services.messages_append(session_id=self.session_id, messages=list(messages))

    def add_messages_and_get_recent(self, messages: Sequence[BaseMessage], limit: int) -> list[BaseMessage]:
        """``add_messages`` then ``get_recent_messages(limit)``, with the cache update and the read
        done as one Redis operation (one round trip instead of two).

        For code that appends and immediately needs the new context, e.g. an agent loop adding its
        tool calls and results before the next model call. The same guarantees as the two calls:
        the batch is atomic and the window is read after it, from the cache when warm (a miss, an
        open transaction or a cache failure read the database instead). Raises what
        ``add_messages`` raises.
        """
        if limit <= 0 or not self.use_cache:
            self.add_messages(messages)
            return self.get_recent_messages(limit)
        _, window = services.messages_append_and_read(session_id=self.session_id, messages=list(messages),
                                                      limit=limit)
        if window is not None and window.records is not None:
            return from_records(window.records)
        return self.get_recent_messages(limit)

    def clear(self) -> None:
        """Delete the messages; the session itself stays (and keeps its ``last_seq``)."""
        services.messages_clear(session_id=self.session_id)

    # -- beyond the base class --------------------------------------------------------------
    def get_recent_messages(self, limit: int) -> list[BaseMessage]:
        """The last ``limit`` messages, oldest first: O(limit) whatever the session's length.

        Served from the cache when warm (no query); on a miss, one index range scan of the last
        ``max(limit, CHATMEMORY_CACHE_WINDOW)`` rows, which then repopulates the cache.
        """
        if limit <= 0:
            return []
        if not self.use_cache or session_cache.is_dirty(self.session_id):
            # Uncached, or this connection has uncommitted writes the cache cannot know yet.
            return selectors.messages_window(session_id=self.session_id, limit=limit)
        window = session_cache.read_window(self.session_id, limit)
        if window.records is not None:
            return from_records(window.records)
        if window.epoch and window.epoch != self._epoch:
            # Something was evicted since ``self.session`` was read (or it came from the cache):
            # re-read it after this epoch, so the fill below describes the current session.
            self.session = self._load_session(None)
            self._epoch = window.epoch
        fetch = max(limit, session_cache.window_cap())
        rows = list(
            ChatMessage.objects.for_session(self.session_id).order_by("-seq").values_list("seq", "message")[:fetch]
        )
        rows.reverse()
        session_cache.fill_window(self.session_id, epoch=window.epoch, session=self.session, records=rows)
        return from_records([record for _, record in rows[-limit:]])

    def refresh_session(self) -> ChatSession:
        """Reload ``session`` from the database (e.g. for ``message_count``)."""
        self.session = self._load_session(None)
        return self.session

    @property
    def cache_ttl_remaining(self) -> int | None:
        """Seconds until this session's cache entry expires; ``None`` when it is not cached."""
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
