"""The streaming chat endpoint of the page: one user message in, the answer out as server-sent events.

``POST /c/<session_id>/messages`` (form field ``message``, CSRF-protected like every form) answers
``text/event-stream`` in the format of ``conversations.sse`` (``token``… then ``done`` or ``error``).
Problems found before the model is called — another user's or an unknown session (404), an
archived one (409), an empty or too long message (400), a user over the chat rate limit (429 with
``Retry-After``) — are plain HTTP errors with a JSON body ``{"error", "detail"}`` (``web.views.errors``).

The turn itself is ``conversations.chat.ChatTurn``: it stores the human+AI pair atomically when
the answer is complete, and still completes and stores it if the browser goes away mid-stream.
"""
from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.http import StreamingHttpResponse
from django.views.decorators.http import require_POST

from ...conversations.chat import ChatTurn
from ...conversations.history import DjangoChatMessageHistory
from ...conversations.ratelimit import chat_rate_limit_check
from ...conversations.sse import sse_response, turn_events
from ..http import AuthenticatedHttpRequest
from .errors import domain_errors


@login_required
@require_POST
@domain_errors
def conversation_stream(request: AuthenticatedHttpRequest, session_id: uuid.UUID) -> StreamingHttpResponse:
    """Send ``message`` to the conversation and stream the answer (see the module docstring).

    The per-user chat rate limit is the API's (``conversations.ratelimit``): over it, 429 with
    ``Retry-After`` and the JSON error the page shows; nothing is stored.
    """
    history = DjangoChatMessageHistory(session_id, user=request.user)  # the gate first: 404 before 429
    chat_rate_limit_check(user_id=request.user.pk)
    text = request.POST.get("message", "").replace("\r\n", "\n")
    return sse_response(turn_events(ChatTurn(history=history, text=text)))
