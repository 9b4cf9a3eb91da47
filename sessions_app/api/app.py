"""The ``NinjaAPI`` instance: routers, authentication and error handlers, wired once."""
from __future__ import annotations

from ninja import NinjaAPI

from . import chat, messages, sessions
from .auth import API_AUTH
from .errors import install_error_handlers

DESCRIPTION = """\
Durable conversation memory for LLM chat applications.

**Authentication.** Send a personal API token (create one on the *API tokens* page) as
`Authorization: Bearer <token>`, or call from a logged-in browser with Django's CSRF token in the
`X-CSRFToken` header. You only ever reach your own sessions: anyone else's id is a 404. A token
bound to a tenant only reaches that tenant's sessions.

**Errors** always have the body `{"error": <code>, "detail": <text>}`: 400 `invalid`,
401 `unauthorized`, 403 `forbidden`/`csrf_failed`, 404 `not_found`, 409 `archived`, 410 `gone`,
413 `too_large`, 422 `validation` (with `errors`), 429 `rate_limited` (with `Retry-After`),
503 `unavailable`.

**Health** is at [`/health`](/health) (no login), outside this API.
"""

api = NinjaAPI(
    title="chatmemory API",
    version="1.0.0",
    description=DESCRIPTION,
    auth=API_AUTH,
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
install_error_handlers(api)
api.add_router("/sessions", sessions.router)
api.add_router("/sessions", chat.router)
api.add_router("/sessions", messages.router)
