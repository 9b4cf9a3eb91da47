"""Turns in progress, seen from other requests: the page opened mid-answer, and Stop.

While the chat page's turn runs, ``LiveTurn`` (a ``ChatTurn`` listener) keeps an entry in the
``default`` cache (Redis when ``REDIS_URL`` is set, so every worker sees it)::

    chatmemory:live:<session_id>  →  {"turn": id, "text": question, "partial": answer so far,
                                      "started_at": ISO 8601}

The answer so far is written at most every ``PUBLISH_INTERVAL`` seconds (and at the end); the
entry expires ``ttl()`` seconds after its last write, so a worker that died leaves nothing behind
for long. ``turn_pending`` reads it (the conversation page and its updates endpoint);
``turn_request_stop`` sets ``chatmemory:live:stop:<turn id>``, which the running turn checks at
most every ``STOP_CHECK_INTERVAL`` seconds and then stops (``ChatTurn``'s stop semantics).

The database stays the truth: the entry is removed only after the turn was stored (or failed),
so a reader that sees no entry finds the stored messages. A cache failure is logged and costs
only these two features (no resume, no Stop), never the turn. Two turns at once in one
conversation (two tabs): the latest one is the entry; each removes only its own.
"""
from __future__ import annotations

import secrets
import time
import uuid
from typing import Any, TypedDict

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache
from django.utils import timezone

from ..cache import outage

PUBLISH_INTERVAL = 0.4  # seconds between two writes of the answer so far
STOP_CHECK_INTERVAL = 0.2  # seconds between two looks at the stop flag


class PendingTurn(TypedDict):
    turn: str
    text: str
    partial: str
    started_at: str


def ttl() -> int:
    """Seconds an entry outlives its last write: longer than the model may stay silent."""
    return int(settings.CHATMEMORY_MODEL_TIMEOUT) + 30


def _key(session_id: uuid.UUID) -> str:
    return f"chatmemory:live:{session_id}"


def _stop_key(turn_id: str) -> str:
    return f"chatmemory:live:stop:{turn_id}"


def turn_pending(*, session_id: uuid.UUID) -> PendingTurn | None:
    """The turn being answered in this conversation now, or ``None`` (also when the cache fails).

    The caller has gated the session (``selectors.session_get_for_user``)."""
    try:
        value: Any = cache.get(_key(session_id))
    except Exception as exc:  # noqa: BLE001 - a cache outage only hides the pending answer
        outage.failed(DEFAULT_CACHE_ALIAS, "live turn read", exc)
        return None
    outage.succeeded(DEFAULT_CACHE_ALIAS)
    if not isinstance(value, dict) or not value.get("turn"):
        return None
    return PendingTurn(turn=str(value["turn"]), text=str(value.get("text", "")), partial=str(value.get("partial", "")),
                       started_at=str(value.get("started_at", "")))


def turn_request_stop(*, session_id: uuid.UUID, turn_id: str) -> bool:
    """Ask the running turn ``turn_id`` of this conversation to stop; whether it was running.

    The caller has gated the session. A turn id of another conversation is not running here."""
    pending = turn_pending(session_id=session_id)
    if pending is None or not secrets.compare_digest(pending["turn"], str(turn_id)):
        return False
    try:
        cache.set(_stop_key(pending["turn"]), True, ttl())
    except Exception as exc:  # noqa: BLE001
        outage.failed(DEFAULT_CACHE_ALIAS, "live turn stop flag write", exc)
        return False
    return True


class LiveTurn:
    """The ``ChatTurn`` listener that publishes a turn while it runs (see the module docstring).

    ``begin()`` before the turn streams, ``end()`` once it was stored or failed; ``heard()`` is
    called by ``ChatTurn`` for every piece and returns true when someone asked to stop.
    """

    def __init__(self, *, session_id: uuid.UUID, text: str) -> None:
        self.session_id = session_id
        self.turn_id = secrets.token_urlsafe(12)
        self.text = text
        self.partial = ""
        self.started_at = timezone.now().isoformat()
        self._published = 0.0
        self._checked = 0.0
        self._stop = False
        self._broken = False  # the cache failed once: stop using it for this turn (no slow retries per piece)

    def _entry(self) -> PendingTurn:
        return {"turn": self.turn_id, "text": self.text, "partial": self.partial, "started_at": self.started_at}

    def _publish(self) -> None:
        self._published = time.monotonic()
        if self._broken:
            return
        try:
            cache.set(_key(self.session_id), self._entry(), ttl())
        except Exception as exc:  # noqa: BLE001 - the turn goes on without being visible elsewhere
            self._broken = True
            outage.failed(DEFAULT_CACHE_ALIAS, "live turn write", exc)
            return
        outage.succeeded(DEFAULT_CACHE_ALIAS)

    def begin(self) -> None:
        self._publish()

    def heard(self, text: str) -> bool:
        self.partial += text
        now = time.monotonic()
        if now - self._published >= PUBLISH_INTERVAL:
            self._publish()
        if not self._stop and not self._broken and now - self._checked >= STOP_CHECK_INTERVAL:
            self._checked = now
            try:
                self._stop = bool(cache.get(_stop_key(self.turn_id)))
            except Exception as exc:  # noqa: BLE001
                self._broken = True
                outage.failed(DEFAULT_CACHE_ALIAS, "live turn stop flag read", exc)
        return self._stop

    async def aheard(self, text: str) -> bool:
        """Async twin of ``heard``: the cache is touched (on Django's executor) only when one of
        the two intervals has passed, so most pieces cost no thread hop."""
        now = time.monotonic()
        if now - self._published >= PUBLISH_INTERVAL or (
                not self._stop and not self._broken and now - self._checked >= STOP_CHECK_INTERVAL):
            return bool(await sync_to_async(self.heard)(text))
        self.partial += text
        return self._stop

    def end(self) -> None:
        """Remove the entry (if it is still this turn's) and the stop flag; the turn is stored or failed.

        Tried even after a cache failure during the turn: a left-over entry would show the
        answer as still being written until it expires."""
        try:
            current = cache.get(_key(self.session_id))
            if isinstance(current, dict) and current.get("turn") == self.turn_id:
                cache.delete(_key(self.session_id))
            cache.delete(_stop_key(self.turn_id))
        except Exception as exc:  # noqa: BLE001 - the entry expires by itself
            outage.failed(DEFAULT_CACHE_ALIAS, "live turn cleanup", exc)
