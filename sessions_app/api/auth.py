"""Who is calling: a personal API token (``Authorization: Bearer``) or the browser's session.

Both return the ``User`` (``request.auth``). ``request.api_token`` is the ``ApiToken`` for token
callers and ``None`` for browser callers. The browser's session cookie is ambient authority,
so unsafe methods with it must carry Django's CSRF token (``X-CSRFToken`` header + ``csrftoken``
cookie); a bearer token is never sent by a browser on its own, so token calls need no CSRF.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja.errors import HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from ..accounts.tokens import api_token_authenticate
from ..conversations import selectors
from ..models import ApiToken, ChatSession
from ..web.http import AuthenticatedHttpRequest

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class ApiRequest(AuthenticatedHttpRequest):
    """The request an API operation receives, for annotations: ``API_AUTH`` already set ``auth``
    (the calling ``User``) and ``api_token`` (``None`` for a browser session). At run time it is
    the plain ``HttpRequest`` (see ``sessions_app.web.http``)."""

    auth: User
    api_token: ApiToken | None


class CsrfFailed(HttpError):
    """A browser-session call to an unsafe method without a valid CSRF token (403)."""

    def __init__(self) -> None:
        super().__init__(403, "CSRF check failed: send the csrftoken cookie's value in the X-CSRFToken header")


class BearerTokenAuth(HttpBearer):
    """``Authorization: Bearer cm_…``: a personal API token (see ``ApiToken``)."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        api_token = api_token_authenticate(plaintext=token)
        if api_token is None:
            return None
        request.api_token = api_token  # type: ignore[attr-defined]
        request.user = api_token.user
        return api_token.user


class SessionCookieAuth(APIKeyCookie):
    """The browser's Django session; CSRF is checked only once the session is known to be logged in.

    (ninja's own ``SessionAuth`` checks CSRF before anything else, which turns a bad *bearer*
    token on a POST into a misleading 403 CSRF error instead of a 401.)
    """

    param_name = settings.SESSION_COOKIE_NAME

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if self.csrf and not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise CsrfFailed()
        request.api_token = None  # type: ignore[attr-defined]
        return user

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:  # pragma: no cover - __call__ decides
        return None


def caller_tenant(request: HttpRequest) -> str | None:
    """The tenant the caller is confined to: the token's tenant, or ``None`` (all of the user's)."""
    token = getattr(request, "api_token", None)
    return token.tenant if token is not None and token.tenant else None


def caller_session(request: HttpRequest, session_id: Any) -> ChatSession:
    """The caller's session through the one ownership gate (owner, and tenant for bound tokens).

    Raises ``SessionNotFound`` (404) for an unknown id, someone else's session, or a session of
    another tenant when the token is bound to a tenant.
    """
    user = cast(ApiRequest, request).auth  # every operation runs behind API_AUTH
    return selectors.session_get_for_user(session_id=session_id, user=user, tenant=caller_tenant(request))


API_AUTH = [BearerTokenAuth(), SessionCookieAuth()]


def docs_login_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The OpenAPI document and the docs page need a logged-in browser or a valid token too
    (login is required everywhere but ``/health``). Anonymous: the docs page (HTML, for people)
    redirects to the login page and back; the OpenAPI document answers the API's 401 body."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            header = request.headers.get("Authorization", "")
            scheme, _, plaintext = header.partition(" ")
            if scheme.lower() != "bearer" or api_token_authenticate(plaintext=plaintext.strip()) is None:
                if not request.path.endswith(".json"):
                    return redirect_to_login(request.get_full_path())
                response = JsonResponse(
                    {"error": "unauthorized",
                     "detail": "log in, or send a personal API token as 'Authorization: Bearer <token>'"},
                    status=401,
                )
                response["WWW-Authenticate"] = 'Bearer realm="chatmemory"'
                return response
        return view(request, *args, **kwargs)

    return wrapper
