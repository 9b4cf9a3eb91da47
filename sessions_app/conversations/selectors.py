"""Reads (HackSoft styleguide "selectors"), including the one ownership gate.

Every view, API endpoint and history object that takes a session id from a caller goes through
``session_get_for_user``: it scopes by owner and raises ``SessionNotFound`` (→ 404, not 403)
for anyone else's session, so another user's data is never reachable.
"""
from __future__ import annotations

import json
import uuid
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from langchain_core.messages import BaseMessage

from ..cache.readthrough import cached_meta, session_snapshot
from ..db import pg_fetchall
from ..exceptions import SessionNotFound
from ..models import ChatMessage, ChatSession
from .serialization import from_records, gc_paused


def parse_session_id(value: Any) -> uuid.UUID:
    """A ``uuid.UUID`` from a UUID or its string; raises ``SessionNotFound`` for anything else."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (ValueError, AttributeError, TypeError):
        raise SessionNotFound(f"{value!r} is not a session id (a UUID)") from None


def session_get(*, session_id: Any) -> ChatSession:
    """The session with this id, whoever owns it (internal and staff use). Raises ``SessionNotFound``."""
    pk = parse_session_id(session_id)
    try:
        return ChatSession.objects.get(pk=pk)
    except ChatSession.DoesNotExist:
        raise SessionNotFound(f"no session {pk}") from None


def session_get_for_user(*, session_id: Any, user: Any, tenant: str | None = None) -> ChatSession:
    """The session if ``user`` owns it; ``SessionNotFound`` otherwise (also for anonymous users).

    ``tenant`` (an API token bound to a tenant passes it) narrows the gate further: a session of
    the same user under another tenant is not found either.
    """
    pk = parse_session_id(session_id)
    if user is None or not getattr(user, "is_authenticated", False):
        raise SessionNotFound(f"no session {pk}")
    scope: dict[str, Any] = {"pk": pk, "owner": user}
    if tenant is not None:
        scope["tenant"] = tenant
    try:
        return ChatSession.objects.get(**scope)
    except ChatSession.DoesNotExist:
        raise SessionNotFound(f"no session {pk}") from None


def session_peek_for_owner(
    *, session_id: uuid.UUID, owner_id: Any, tenant: str | None = None
) -> tuple[ChatSession | None, str]:
    """The ownership gate answered by the active-session cache, without a query.

    Returns ``(snapshot, epoch)``. ``snapshot`` is a ``ChatSession`` built from the cached meta
    (``cache.readthrough.session_snapshot``) when the session is cached, owned by the user whose
    primary key is ``owner_id`` and, if ``tenant`` is given, under that tenant; otherwise ``None``,
    and the caller asks the database gate (``session_get_for_user``), which raises
    ``SessionNotFound`` for someone else's session. ``owner_id=None`` is trusted server-side code:
    any owner passes. ``epoch`` is the cache's eviction epoch, read before anything else ("" when
    the cache did not answer). Never raises.
    """
    cached = cached_meta(session_id)
    meta = cached.meta
    if meta is None:
        return None, cached.epoch
    if owner_id is not None and str(meta.owner_id) != str(owner_id):
        return None, cached.epoch
    if tenant is not None and meta.tenant != tenant:
        return None, cached.epoch
    return session_snapshot(session_id, meta, cached.last_seq), cached.epoch


def session_list_for_user(*, user: Any) -> QuerySet[ChatSession]:
    """The user's sessions, most recently active first (uses ``chatsession_owner_recent_idx``)."""
    return ChatSession.objects.owned_by(user).order_by("-last_active_at", "-created_at")


def messages_all(*, session_id: uuid.UUID) -> list[BaseMessage]:
    """Every message of the session in ``seq`` order (the ``messages`` property's read).

    One index scan of ``(session_id, seq)``. On PostgreSQL the column is read as text
    (``message::text``) over a prepared statement (``sessions_app.db``), and the rows are decoded by
    ONE ``json.loads`` of their JSON array instead of one call per row; then LangChain's
    ``messages_from_dict``. Elsewhere the ORM's ``JSONField``.
    """
    if connection.vendor == "postgresql":
        rows = pg_fetchall(f"SELECT message::text FROM {ChatMessage._meta.db_table} WHERE session_id = %s "
                           "ORDER BY seq", [parse_session_id(session_id)], prepare=True)
        with gc_paused():  # one big decode and build: see serialization.gc_paused
            return from_records(json.loads("[" + ",".join(row[0] for row in rows) + "]"))
    return from_records(ChatMessage.objects.for_session(session_id).order_by("seq").values_list("message", flat=True))


def messages_window(*, session_id: uuid.UUID, limit: int) -> list[BaseMessage]:
    """The last ``limit`` messages in ``seq`` order: one index range scan, O(limit) not O(session)."""
    if limit <= 0:
        return []
    records = list(
        ChatMessage.objects.for_session(session_id).order_by("-seq").values_list("message", flat=True)[:limit]
    )
    records.reverse()
    return from_records(records)


def messages_page(
    *, session_id: uuid.UUID, limit: int, before_seq: int | None = None, after_seq: int | None = None,
    newest_first: bool = False,
) -> QuerySet[ChatMessage]:
    """A page of ``ChatMessage`` rows for display, by ``seq`` cursor (keyset pagination)."""
    qs = ChatMessage.objects.for_session(session_id)
    if before_seq is not None:
        qs = qs.filter(seq__lt=before_seq)
    if after_seq is not None:
        qs = qs.filter(seq__gt=after_seq)
    return qs.order_by("-seq" if newest_first else "seq")[:limit]


def session_page_for_user(
    *,
    user: Any,
    limit: int,
    scope_tenant: str | None = None,
    status: str | None = None,
    tenant: str | None = None,
    updated_since: Any = None,
    after: tuple[Any, uuid.UUID] | None = None,
    folder_id: int | None = None,
    pinned: bool | None = None,
) -> list[ChatSession]:
    """One page of the user's sessions, most recently active first (keyset pagination).

    Ordered by ``(last_active_at, id)`` descending; ``after`` is the ``(last_active_at, id)`` of
    the previous page's last row, so a page costs one index range scan
    (``chatsession_owner_recent_idx``) however deep it is, and no ``COUNT(*)``. ``scope_tenant``
    confines the list to one tenant (a tenant-bound token); ``tenant`` is the caller's filter
    and can only narrow it. ``updated_since`` keeps sessions active at or after that instant;
    ``folder_id`` those of one folder, ``pinned`` the pinned (or unpinned) ones.
    Returns at most ``limit`` sessions. A session that becomes active while a client pages moves
    to the front: it is not repeated further down, but the client only sees it on a new listing.
    """
    qs = ChatSession.objects.owned_by(user)
    if scope_tenant is not None:
        qs = qs.filter(tenant=scope_tenant)
    if tenant is not None:
        qs = qs.filter(tenant=tenant)
    if status is not None:
        qs = qs.filter(status=status)
    if updated_since is not None:
        qs = qs.filter(last_active_at__gte=updated_since)
    if folder_id is not None:
        qs = qs.filter(folder_id=folder_id)
    if pinned is not None:
        qs = qs.filter(pinned_at__isnull=not pinned)
    if after is not None:
        at, pk = after
        qs = qs.filter(Q(last_active_at__lt=at) | Q(last_active_at=at, id__lt=pk))
    return list(qs.order_by("-last_active_at", "-id")[:limit])
