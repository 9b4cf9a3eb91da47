"""The ``NinjaAPI`` instance: routers, authentication and error handlers, wired once."""
from __future__ import annotations

from typing import Any

from ninja import NinjaAPI

from . import branches, chat, exports, folders, memories, messages, search, sessions, sharing, state, stats, transfer
from .auth import API_AUTH, docs_login_required
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

class ChatMemoryAPI(NinjaAPI):
    """``NinjaAPI`` whose OpenAPI document also lists the answers the HTTP layer gives before a
    view runs: 414 (request line too long, from gunicorn/the proxy, not JSON) on every
    operation, and 413 (body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``, JSON) on those with a body."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
        for operations in schema["paths"].values():
            for operation in operations.values():
                responses = operation["responses"]
                responses.setdefault(414, {"description": "URI too long (answered by the HTTP server)"})
                if "requestBody" in operation:
                    responses.setdefault(413, {"description": "Request body too large", "content": error})
        return schema


api = ChatMemoryAPI(
    title="chatmemory API",
    version="1.0.0",
    description=DESCRIPTION,
    auth=API_AUTH,
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    docs_decorator=docs_login_required,
)
install_error_handlers(api)
api.add_router("/sessions", transfer.router)  # first: POST /sessions/import before /sessions/{session_id}
api.add_router("/sessions", sessions.router)
api.add_router("/sessions", chat.router)
api.add_router("/sessions", messages.router)
api.add_router("/sessions", state.router)
api.add_router("/sessions", sharing.router)
api.add_router("/sessions", branches.router)
api.add_router("/stats", stats.router)
api.add_router("/memories", memories.router)
api.add_router("/search", search.router)
api.add_router("/folders", folders.router)
api.add_router("", exports.router)
api.add_router("/shares", sharing.links_router)
