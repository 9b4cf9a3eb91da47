"""The chat page's streaming endpoints: a message in, the answer out as server-sent events; Stop.

``POST /c/<session_id>/messages/`` (form field ``message``) and ``POST /c/new/messages/`` (the
same, starting a new conversation: there is no separate "create" step) answer
``text/event-stream`` in the format of ``conversations.sse``, with the page's additions::

    event: session   data: {"id", "url", "title", "display_title", …, "urls": {…}}   (only /c/new/…)
    event: turn      data: {"turn": "<id>"}     (what Stop refers to)
    event: token     data: {"text": "…"}        (repeated)
    event: done      data: {"seqs", "answer", "stopped", "usage", "created_at", "session": {…, "needs_title"}}
    event: error     data: {"error", "detail", "discarded"}   (nothing stored; discarded: the new
                                                                conversation was removed again)

Problems found before the model is called — another user's or an unknown session (404), an
archived one (409), an empty or too long message (400), the chat rate limit (429 with
``Retry-After``) — are plain HTTP errors with a JSON body ``{"error", "detail"}``; a new
conversation is only created once the message passed those checks.

The turn is ``conversations.chat.ChatTurn`` (atomic; a disconnect still completes and stores
it). While it runs it is visible to other requests (``conversations.live``): a page opened
mid-answer shows the question and the answer so far, and ``POST /c/<id>/stop/`` (field
``turn``) stops it — the answer written until then is stored, marked stopped.

The two streaming views are async: under ASGI the answer streams from ``ChatTurn.astream()`` on
the event loop (no thread per stream) and every database or cache step runs on the storage
executor (``conversations.chat.storage_call``); under WSGI (gunicorn gthread) they stream the
sync twin, since Django would buffer an async stream whole there.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse, StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ... import tasks
from ...conversations import selectors
from ...conversations.branches import branch_versions, session_branch
from ...conversations.chat import ChatTurn, validate_user_text
from ...conversations.executor import start_turn, storage_call
from ...conversations.history import DjangoChatMessageHistory
from ...conversations.live import LiveTurn, turn_request_stop
from ...conversations.ratelimit import chat_rate_limit_check
from ...conversations.sessions import session_create, session_delete
from ...conversations.sse import aturn_events, sse, sse_response, turn_events
from ...exceptions import InvalidInput
from ...models import ChatMessage, ChatSession
from ..http import AuthenticatedHttpRequest, is_asgi
from ..presenters import branch_origin, session_json, session_urls, versions_json
from .errors import domain_errors

logger = logging.getLogger("sessions_app.chat")


def _message(request: AuthenticatedHttpRequest) -> str:
    return request.POST.get("message", "").replace("\r\n", "\n")


class PageTurn:
    """One turn of the chat page: the ``ChatTurn``, its ``LiveTurn`` and what the page is told."""

    def __init__(self, request: AuthenticatedHttpRequest, history: DjangoChatMessageHistory, text: str, *,
                 created: ChatSession | None = None) -> None:
        self.user = request.user
        self.created = created
        self.live = LiveTurn(session_id=history.session_id, text=text)
        self.turn = ChatTurn(history=history, text=text, listener=self.live).prepare()

    def done_extra(self, turn: ChatTurn) -> dict[str, Any]:
        # The turn is stored: no longer pending for a page opened from now on, before the browser
        # hears ``done`` (and maybe reloads). ``end`` is idempotent; the ``finally`` below covers disconnects.
        self.live.end()
        session = ChatSession.objects.filter(pk=turn.history.session_id).first()
        if session is None:
            return {"created_at": timezone.now().isoformat(), "session": None}
        extra: dict[str, Any] = {"created_at": timezone.now().isoformat(),
                                 "session": {**session_json(session), "needs_title": not session.title}}
        if session.branched_at_seq is not None and self.created is not None:
            versions = branch_versions(session=session).get(session.branched_at_seq)
            extra["versions"] = versions_json(versions) if versions else None
        return extra

    def error_extra(self, turn: ChatTurn) -> dict[str, Any]:
        self.live.end()
        if self.created is None:
            return {}
        # The conversation was made for this turn only: nothing of it is kept.
        session_delete(session_id=self.created.pk, actor=self.user)
        return {"discarded": True}

    def _session_event(self) -> str:
        assert self.created is not None
        return sse("session", {**session_json(self.created), "urls": session_urls(self.created),
                               "parent": branch_origin(self.created)})

    def events(self) -> Iterator[str]:
        if self.created is not None:
            yield self._session_event()
        self.live.begin()
        yield sse("turn", {"turn": self.live.turn_id})
        try:
            yield from turn_events(self.turn, done_extra=self.done_extra, error_extra=self.error_extra)
        finally:
            # Also when the browser went away (right after ``done``, or mid-answer: the turn was
            # still completed and stored by then).
            self.live.end()
            if self.turn.saved_seqs:
                self._title_if_untitled()

    async def aevents(self) -> AsyncIterator[str]:
        """Async twin of ``events`` (ASGI)."""
        if self.created is not None:
            yield await storage_call(self._session_event)()
        await storage_call(self.live.begin)()
        yield sse("turn", {"turn": self.live.turn_id})
        try:
            async for event in aturn_events(self.turn, done_extra=self.done_extra, error_extra=self.error_extra):
                yield event
        finally:
            await storage_call(self._finish)()

    def _finish(self) -> None:
        self.live.end()
        if self.turn.saved_seqs:
            self._title_if_untitled()

    def _title_if_untitled(self) -> None:
        # After ``done`` was sent: with eager Celery (no broker) the title is made right here,
        # while the page already shows the answer; with a broker, a worker makes it.
        session_id = self.turn.history.session_id
        try:
            if ChatSession.objects.filter(pk=session_id, title="").exists():
                tasks.make_session_title.delay(str(session_id))
        except Exception:  # noqa: BLE001 - a missing title is not worth failing anything
            logger.warning("could not make the title of session %s", session_id, exc_info=True)

    def response(self, request: AuthenticatedHttpRequest) -> StreamingHttpResponse:
        return sse_response(self.aevents() if is_asgi(request) else self.events())


@login_required
@require_POST
@domain_errors
async def conversation_stream(request: AuthenticatedHttpRequest, session_id: uuid.UUID) -> StreamingHttpResponse:
    """Send ``message`` to the conversation and stream the answer (see the module docstring)."""
    text = _message(request)
    request.user = await request.auser()  # type: ignore[assignment]  # resolved once, on the executor
    page = await start_turn(_continue, request, session_id, text)
    return page.response(request)


def _continue(request: AuthenticatedHttpRequest, session_id: uuid.UUID, text: str) -> PageTurn:
    history = DjangoChatMessageHistory(session_id, user=request.user)  # the gate first: 404 before 429
    chat_rate_limit_check(user_id=request.user.pk)
    return PageTurn(request, history, text)


@login_required
@require_POST
@domain_errors
async def conversation_start(request: AuthenticatedHttpRequest) -> StreamingHttpResponse:
    """Start a conversation with its first message and stream the answer (a ``session`` event first)."""
    text = _message(request)
    request.user = await request.auser()  # type: ignore[assignment]
    page = await start_turn(_start, request, text)
    return page.response(request)


def _start(request: AuthenticatedHttpRequest, text: str) -> PageTurn:
    chat_rate_limit_check(user_id=request.user.pk)
    text = validate_user_text(text)  # a bad message creates nothing
    session = session_create(owner=request.user, metadata={"channel": "web"})
    history = DjangoChatMessageHistory.from_session(session)
    return PageTurn(request, history, text, created=session)


@login_required
@require_POST
@domain_errors
def conversation_stop(request: AuthenticatedHttpRequest, session_id: uuid.UUID) -> JsonResponse:
    """Stop the answer being written (field ``turn``: the id of the stream's ``turn`` event).

    ``{"stopping": true}`` when that turn was running (its stream then ends with ``done`` and
    ``"stopped": true``), ``{"stopping": false}`` when it had already finished.
    """
    session = selectors.session_get_for_user(session_id=session_id, user=request.user)
    return JsonResponse({"stopping": turn_request_stop(session_id=session.pk, turn_id=request.POST.get("turn", ""))})


def _seq_field(request: AuthenticatedHttpRequest) -> int:
    raw = request.POST.get("seq", "")
    if not raw.isdigit() or int(raw) < 1:
        raise InvalidInput("'seq' must be a message number (an integer of at least 1)")
    return int(raw)


@login_required
@require_POST
@domain_errors
async def conversation_branch(request: AuthenticatedHttpRequest, session_id: uuid.UUID) -> StreamingHttpResponse:
    """Edit your message at ``seq`` (``action=edit``, ``message``: the new text) or regenerate the
    answer at ``seq`` (``action=regenerate``): a branch (``conversations.branches``) with the
    messages before it, then the turn, streamed like a first message (``session`` event first).

    The conversation itself is left as it is. 400 when ``seq`` is not your message (edit) or an
    answer to your message (regenerate), or the new text is not valid; a branch whose turn fails
    is removed again (``discarded``).
    """
    request.user = await request.auser()  # type: ignore[assignment]
    page = await start_turn(_branch, request, session_id)
    return page.response(request)


def _branch(request: AuthenticatedHttpRequest, session_id: uuid.UUID) -> PageTurn:
    session = selectors.session_get_for_user(session_id=session_id, user=request.user)
    chat_rate_limit_check(user_id=request.user.pk)
    seq = _seq_field(request)
    action = request.POST.get("action", "")
    target = ChatMessage.objects.for_session(session.pk).filter(seq=seq).only("type").first()
    if action == "edit":
        if target is None or target.type != "human":
            raise InvalidInput(f"message {seq} is not one of your messages")
        text = validate_user_text(_message(request))
        branched = session_branch(session=session, before_seq=seq)
    elif action == "regenerate":
        question = ChatMessage.objects.for_session(session.pk).filter(seq=seq - 1).first()
        if target is None or target.type != "ai" or question is None or question.type != "human":
            raise InvalidInput(f"message {seq} is not an answer to one of your messages")
        text = question.content_text
        branched = session_branch(session=session, before_seq=seq - 1, versions_at=seq)
    else:
        raise InvalidInput("'action' must be 'edit' or 'regenerate'")
    history = DjangoChatMessageHistory.from_session(branched.session)
    return PageTurn(request, history, text, created=branched.session)
