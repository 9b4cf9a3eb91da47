"""Database faults become a clear, fast 503 instead of a 500.

PostgreSQL is the source of truth: when it cannot be reached (``OperationalError`` — refused,
timed out, terminated — or ``InterfaceError`` — connection already closed) there is nothing
useful to serve. ``/api/…`` gets the contract's JSON error ``{"error": "unavailable", "detail":
…}``, other pages a short 503 page; both with ``Retry-After``. No turn is half-written: a turn's
writes are one transaction (one statement on PostgreSQL), so a failure stores nothing.

``DatabaseUnavailableMiddleware`` handles errors raised by views; ``server_error`` (the
project's ``handler500``) handles the same errors raised by middleware (e.g. loading the user),
where ``process_exception`` is not called.
"""
from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views import defaults

from ..exceptions import ServiceUnavailable

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError, ServiceUnavailable)
RETRY_AFTER = "5"  # seconds


def unavailable_response(request: HttpRequest, exc: BaseException) -> HttpResponse:
    """The 503 for ``exc``: JSON under ``/api/``, the ``503.html`` page elsewhere."""
    detail = "The database is unavailable; nothing was saved. Try again shortly."
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"error": ServiceUnavailable.code, "detail": detail}, status=503)
    else:
        # No request context: rendering must not touch the database (the user, the session).
        response = HttpResponse(render_to_string("503.html", {"detail": detail}), status=503)
    response["Retry-After"] = RETRY_AFTER
    return response


class DatabaseUnavailableMiddleware:
    """Map ``OperationalError`` / ``InterfaceError`` / ``ServiceUnavailable`` from views to 503."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DATABASE_ERRORS):
            logger.error("database unavailable on %s %s: %s", request.method, request.path, exception)
            return unavailable_response(request, exception)
        return None


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: a database fault anywhere (also in middleware) is a 503, the rest a 500."""
    exc = sys.exc_info()[1]
    if isinstance(exc, DATABASE_ERRORS):
        return unavailable_response(request, exc)
    if request.path.startswith("/api/"):
        return JsonResponse({"error": "error", "detail": "Internal server error."}, status=500)
    return defaults.server_error(request)
