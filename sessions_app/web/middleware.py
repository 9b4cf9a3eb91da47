"""Middleware: database faults become a 503; request metrics; static files (WhiteNoise).

Every class here works in both modes (sync under WSGI, async under ASGI): a sync-only
middleware would make Django run the whole chain, and every request, through a thread.

Database faults become a clear, fast 503 instead of a 500.

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
import time
from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.deprecation import MiddlewareMixin
from django.views import defaults
from whitenoise.middleware import WhiteNoiseMiddleware

from ..exceptions import ServiceUnavailable
from ..observability.metrics import HTTP_DURATION, HTTP_REQUESTS

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


class DatabaseUnavailableMiddleware(MiddlewareMixin):
    """Map ``OperationalError`` / ``InterfaceError`` / ``ServiceUnavailable`` from views to 503."""

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


class MetricsMiddleware:
    """Count and time every request (``chatmemory_http_*``), labelled by the URL pattern's name."""

    sync_capable = async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if iscoroutinefunction(self):
            return self._acall(request)
        start = time.perf_counter()
        response = self.get_response(request)
        self._observe(request, response, start)
        return response

    async def _acall(self, request: HttpRequest) -> Any:
        start = time.perf_counter()
        response = await self.get_response(request)
        self._observe(request, response, start)
        return response

    @staticmethod
    def _observe(request: HttpRequest, response: HttpResponse, start: float) -> None:
        match = getattr(request, "resolver_match", None)
        route = (match.view_name or match.route or "unnamed") if match is not None else "unmatched"
        HTTP_DURATION.labels(request.method, route).observe(time.perf_counter() - start)
        HTTP_REQUESTS.labels(request.method, route, str(response.status_code)).inc()


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    """WhiteNoise (compressed, hashed static files from ``STATIC_ROOT``), async-capable.

    WhiteNoise's middleware is sync-only; this one answers a static file the same way in both
    modes (a file response, streamed by the server) and otherwise passes the request on without
    a thread hop under ASGI.
    """

    sync_capable = async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        super().__init__(get_response)
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if iscoroutinefunction(self):
            return self._acall(request)
        return super().__call__(request)

    async def _acall(self, request: HttpRequest) -> Any:
        static_file = self.find_file(request.path_info) if self.autorefresh else self.files.get(request.path_info)
        if static_file is not None:
            return self.serve(static_file, request)
        return await self.get_response(request)
