"""The one place where browser views turn domain errors into HTTP responses.

``@domain_errors`` wraps a view: a ``ChatMemoryError`` raised inside it (``SessionNotFound`` →
404, ``SessionGone`` → 410, ``SessionReadOnly`` → 409, ``InvalidInput`` → 400,
``ServiceUnavailable`` → 503, ``ChatRateLimited`` → 429 with ``Retry-After``) becomes

* JSON ``{"error": <code>, "detail": <human text>}`` (the API contract's error shape) when the
  request asks for ``application/json`` or ``text/event-stream`` (the chat page's ``fetch``), or
* the product's error page (``templates/error.html``) with that status otherwise.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render

from ...exceptions import ChatMemoryError

TITLES = {
    400: "That did not work",
    404: "Conversation not found",
    409: "This conversation is read-only",
    410: "This conversation was deleted",
    429: "Slow down",
    503: "chatmemory is unavailable",
}

HINTS = {
    404: "It does not exist, or it is not yours.",
    409: "Archived conversations can be read but not changed.",
    410: "It was deleted while you were using it.",
    503: "The database cannot be reached right now. Try again in a moment.",
}


def wants_json(request: HttpRequest) -> bool:
    """Whether the client asked for a machine-readable answer (``fetch`` from the chat page)."""
    accept = request.headers.get("Accept", "")
    return "application/json" in accept or "text/event-stream" in accept


def error_response(request: HttpRequest, exc: ChatMemoryError) -> HttpResponse:
    """The response for a domain error: JSON or the error page, with ``exc.status_code``."""
    status = exc.status_code
    response = _error_response(request, exc, status)
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def _error_response(request: HttpRequest, exc: ChatMemoryError, status: int) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"error": exc.code, "detail": exc.detail}, status=status)
    context = {
        "status": status,
        "title": TITLES.get(status, "Something went wrong"),
        "hint": HINTS.get(status, ""),
        # A 404 says nothing more than "not yours or not there"; other errors explain themselves.
        "detail": "" if status == 404 else exc.detail,
    }
    return render(request, "error.html", context, status=status)


def domain_errors(view: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a view (sync or async) so that ``ChatMemoryError`` maps to its status (see the
    module docstring); an async view's error page is rendered on the executor (it reads the user)."""
    if iscoroutinefunction(view):

        @functools.wraps(view)
        async def awrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            try:
                return await view(request, *args, **kwargs)
            except ChatMemoryError as exc:
                return await sync_to_async(error_response)(request, exc)

        return awrapper

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except ChatMemoryError as exc:
            return error_response(request, exc)

    return wrapper
