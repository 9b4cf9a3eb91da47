"""chatmemory's domain exceptions: one family, mapped once to HTTP status codes.

=========================  ======  =============================================================
exception                  status  raised when
=========================  ======  =============================================================
``SessionNotFound``        404     the session does not exist *or belongs to someone else*
``SessionGone``            410     the session was deleted while the caller was using it, or is
                                  being re-created/imported under a deleted id (a tombstone)
``ThreadGone``             410     a LangGraph write (``put`` / ``put_writes`` / ``copy_thread``) on
                                  the thread of a deleted conversation; nothing was stored
``SessionReadOnly``        409     the session is archived (read-only until unarchived)
``InvalidInput``           400     input failed validation (message too large, bad role …)
``ServiceUnavailable``     503     the database (the source of truth) cannot be reached
``ModelFailed``            503     the chat model (or the network to it) failed; nothing stored
``ChatRateLimited``        429     the user sent more chat turns than the rate limit allows
``ShareLinkNotFound``      404     no such share link (or its conversation was deleted)
``ShareLinkGone``          410     the share link was revoked or has expired
``FolderNotFound``         404     the folder does not exist *or belongs to someone else*
``NameTaken``              409     a folder of that name (ignoring case) exists already
=========================  ======  =============================================================

The browser views (``web.views.errors``) and the API (``api.errors``) both answer a domain error
with ``{"error": code, "detail": text}`` and its status (a ``Retry-After`` header when the error has
``retry_after``); a chat stream that fails after it started sends the same pair as its ``error``
event (``conversations.sse``). ``from_exception`` maps anything else a turn can raise onto the family.
"""
from __future__ import annotations

from django.db import DatabaseError, DataError


class ChatMemoryError(Exception):
    """Base class of every chatmemory domain error."""

    status_code = 500
    code = "error"

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail or self.__class__.__doc__ or self.code)
        self.detail = detail or (self.__class__.__doc__ or self.code).strip()


class SessionNotFound(ChatMemoryError, LookupError):
    """No such session for this caller."""

    status_code = 404
    code = "not_found"


class MemoryNotFound(ChatMemoryError, LookupError):
    """No such user memory for this user (someone else's key included: 404, never 403)."""

    status_code = 404
    code = "not_found"


class SessionGone(ChatMemoryError):
    """The session was deleted."""

    status_code = 410
    code = "gone"


class ThreadGone(SessionGone):
    """The conversation this LangGraph thread belongs to was deleted; nothing was stored.

    Raised by ``DjangoSaver.put`` / ``put_writes`` / ``copy_thread`` (and their ``a*`` twins) for a
    ``thread_id`` that is the id of a deleted conversation (``models.DeletedSession``), e.g. a graph
    still running when its conversation was deleted or erased. A ``SessionGone``: 410, code ``gone``.
    """


class SessionReadOnly(ChatMemoryError):
    """The session is archived and read-only."""

    status_code = 409
    code = "archived"


class InvalidInput(ChatMemoryError, ValueError):
    """The input is not valid."""

    status_code = 400
    code = "invalid"


class ServiceUnavailable(ChatMemoryError):
    """The database is unavailable."""

    status_code = 503
    code = "unavailable"


class ModelFailed(ChatMemoryError):
    """The chat model failed to answer; nothing was stored."""

    status_code = 503
    code = "model_error"


class ChatRateLimited(ChatMemoryError):
    """Too many chat turns: wait before sending the next message."""

    status_code = 429
    code = "rate_limited"

    def __init__(self, retry_after: int) -> None:
        self.retry_after = max(1, int(retry_after))  # seconds, for the Retry-After header
        super().__init__(f"you are sending messages too fast; try again in {self.retry_after} seconds")


def from_exception(exc: BaseException) -> ChatMemoryError:
    """The domain error for anything a chat turn can raise: itself if it already is one; the
    database's errors as ``ServiceUnavailable`` (unreachable, 503) or ``InvalidInput`` (a value it
    refused, 400); anything else — the model, its client, the network to it — as ``ModelFailed``."""
    if isinstance(exc, ChatMemoryError):
        return exc
    if isinstance(exc, DataError):
        return InvalidInput("a value was refused by the database; nothing was stored")
    if isinstance(exc, DatabaseError):
        return ServiceUnavailable("the database is unavailable; nothing was stored")
    return ModelFailed(f"The model failed to answer ({type(exc).__name__}). Nothing was stored; try again.")


class ShareLinkNotFound(ChatMemoryError, LookupError):
    """No such share link (never existed, or its conversation was deleted)."""

    status_code = 404
    code = "not_found"


class ShareLinkGone(ChatMemoryError):
    """The share link was revoked by its owner or has expired."""

    status_code = 410
    code = "gone"


class FolderNotFound(ChatMemoryError, LookupError):
    """No such folder for this caller."""

    status_code = 404
    code = "not_found"


class NameTaken(ChatMemoryError):
    """The name is in use already (a folder of the same name, ignoring case)."""

    status_code = 409
    code = "conflict"
