"""Every API error has one body, ``{"error": <code>, "detail": <human text>}``, mapped here once.

=================================  ======  ==================  ====================================
raised                             status  ``error``           when
=================================  ======  ==================  ====================================
``sessions_app.exceptions.*``      4xx/5xx its ``code``        domain errors (404/409/410/400/429/503;
                                                               ``Retry-After`` on 429)
``ninja.errors.ValidationError``   422     ``validation``      the body/query/path breaks the schema
                                                               (``errors`` lists ``loc``/``msg``)
body too large                     413     ``too_large``       over ``DATA_UPLOAD_MAX_MEMORY_SIZE``
body not JSON / not UTF-8          400     ``invalid``
no or bad credentials              401     ``unauthorized``    (with ``WWW-Authenticate: Bearer``)
session call without CSRF token    403     ``csrf_failed``
not staff                          403     ``forbidden``
ninja's own throttling             429     ``rate_limited``    (with ``Retry-After`` in seconds)
``django.db.DataError``            400     ``invalid``         a value the database refuses
``OperationalError``/``Interface…``503     ``unavailable``     the database cannot be reached
=================================  ======  ==================  ====================================
"""
from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import DataError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from ..exceptions import ChatMemoryError
from .auth import CsrfFailed

logger = logging.getLogger("sessions_app.api")

_HTTP_CODES = {400: "invalid", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
               409: "conflict", 413: "too_large", 429: "rate_limited"}


def error_response(api: NinjaAPI, request: HttpRequest, status: int, code: str, detail: str,
                   **extra: Any) -> HttpResponse:
    return api.create_response(request, {"error": code, "detail": detail, **extra}, status=status)


def _text(value: Any, limit: int = 200) -> str:
    """Echo of user input in error messages: bounded, and printable (no NUL / lone surrogates)."""
    text = repr(value) if not isinstance(value, str) else value
    return text[:limit].encode("utf-8", "backslashreplace").decode("utf-8")


def _validation_errors(exc: ValidationError) -> list[dict[str, Any]]:
    errors = []
    for err in exc.errors:
        loc = [str(part) for part in err.get("loc", ())]
        errors.append(
            {"loc": [_text(p, 100) for p in loc], "msg": _text(err.get("msg", "")), "type": str(err.get("type", ""))}
        )
    return errors


def install_error_handlers(api: NinjaAPI) -> None:
    """Register the handlers on ``api`` (replacing ninja's defaults, which have other bodies)."""

    @api.exception_handler(ChatMemoryError)
    def domain_error(request: HttpRequest, exc: ChatMemoryError) -> HttpResponse:
        response = error_response(api, request, exc.status_code, exc.code, _text(exc.detail, 1000))
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:  # ChatRateLimited
            response["Retry-After"] = str(retry_after)
        return response

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = _validation_errors(exc)
        summary = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors[:5]) or "invalid input"
        return error_response(api, request, 422, "validation", summary, errors=errors)

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if isinstance(exc.__cause__, RequestDataTooBig):
            return too_big(request, exc.__cause__)
        if isinstance(exc, CsrfFailed):
            return error_response(api, request, 403, "csrf_failed", exc.message)
        if isinstance(exc, AuthenticationError):
            response = error_response(
                api, request, 401, "unauthorized",
                "log in, or send a personal API token as 'Authorization: Bearer <token>'",
            )
            response["WWW-Authenticate"] = 'Bearer realm="chatmemory"'
            return response
        if isinstance(exc, Throttled):
            wait = getattr(exc, "wait", None) or 1
            response = error_response(api, request, 429, "rate_limited", exc.message)
            response["Retry-After"] = str(int(wait))
            return response
        status = exc.status_code
        return error_response(api, request, status, _HTTP_CODES.get(status, "error"), _text(exc.message, 1000))

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc: Exception) -> HttpResponse:
        return error_response(api, request, 413, "too_large", "the request body is larger than the server accepts")

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(api, request, 404, "not_found", "not found")

    @api.exception_handler(DataError)
    def data_error(request: HttpRequest, exc: DataError) -> HttpResponse:
        logger.warning("database refused a value: %s", exc)
        return error_response(api, request, 400, "invalid", "a value was refused by the database")

    @api.exception_handler(OperationalError)
    @api.exception_handler(InterfaceError)
    def unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.error("database unavailable: %s", exc)
        return error_response(api, request, 503, "unavailable", "the database is unavailable; retry later")
