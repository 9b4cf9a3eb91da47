"""chatmemory's domain exceptions: one family, mapped once to HTTP status codes.

=========================  ======  =============================================================
exception                  status  raised when
=========================  ======  =============================================================
``SessionNotFound``        404     the session does not exist *or belongs to someone else*
``SessionGone``            410     the session was deleted while the caller was using it
``SessionReadOnly``        409     the session is archived (read-only until unarchived)
``InvalidInput``           400     input failed validation (message too large, bad role …)
``ServiceUnavailable``     503     the database (the source of truth) cannot be reached
``ChatRateLimited``        429     the user sent more chat turns than the rate limit allows
=========================  ======  =============================================================
"""
from __future__ import annotations


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


class SessionGone(ChatMemoryError):
    """The session was deleted."""

    status_code = 410
    code = "gone"


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


class ChatRateLimited(ChatMemoryError):
    """Too many chat turns: wait before sending the next message."""

    status_code = 429
    code = "rate_limited"

    def __init__(self, retry_after: int) -> None:
        self.retry_after = max(1, int(retry_after))  # seconds, for the Retry-After header
        super().__init__(f"you are sending messages too fast; try again in {self.retry_after} seconds")
