"""Request types for annotations: what authentication has already guaranteed about a request.

At run time these are Django's plain ``HttpRequest``; the classes only tell mypy what
``@login_required`` (``AuthenticatedHttpRequest``) and the API's ``API_AUTH``
(``sessions_app.api.auth.ApiRequest``) ensured before the view runs — django-stubs' recipe for
views that only logged-in users reach.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """A request behind ``@login_required``: ``user`` is a ``User``, never ``AnonymousUser``."""

    user: User


def is_asgi(request: HttpRequest) -> bool:
    """Whether ``request`` came through the ASGI handler (uvicorn), not WSGI (gunicorn gthread)."""
    return isinstance(request, ASGIRequest)
