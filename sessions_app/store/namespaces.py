"""Namespaces: their text form, prefix matching, and the convention that ties items to users.

**The convention.** A namespace that belongs to a user starts with ``("users", "<user pk>")``;
one that belongs to a user *within a tenant* starts with ``("tenants", "<tenant>", "users",
"<user pk>")``. Everything after that is the application's (``("users", "42", "memories")`` is
where the chat keeps user memories; ``(…, "users", "42", "sessions", "<conversation uuid>", …)``
belongs to one conversation as well). Any other namespace is application data with no owner.

What the convention gives:

* every put records ``owner_id`` / ``tenant`` from the namespace (``owner_of``), so erasure of
  a user deletes exactly their items (``StoreItem.objects.owned_by``), retention and the admin
  can show whose items they are;
* our interfaces (the Memory page, ``/api/memories``) never take a namespace from the client:
  they build it from the authenticated user with ``user_namespace`` — another user's items
  cannot be named, so they cannot be read.

``DjangoStore`` itself is a storage class (LangGraph's contract): it stores whatever namespace
it is given. Code that serves end users must go through ``user_namespace``.
"""
from __future__ import annotations

import re
import uuid
from typing import Any

USERS = "users"
TENANTS = "tenants"
MEMORIES = "memories"
SESSIONS = "sessions"


def to_text(namespace: tuple[str, ...]) -> str:
    """``("a", "b")`` → ``"a.b"`` (labels are validated by ``BaseStore``: no ``"."``)."""
    return ".".join(namespace)


def from_text(prefix: str) -> tuple[str, ...]:
    return tuple(prefix.split("."))


def user_namespace(user: Any, *rest: str, tenant: str = "") -> tuple[str, ...]:
    """The namespace of ``user`` (a user or a primary key), followed by ``rest``.

    ``user_namespace(alice, "memories")`` → ``("users", "7", "memories")``; with
    ``tenant="acme"`` → ``("tenants", "acme", "users", "7", "memories")``.
    """
    pk = getattr(user, "pk", user)
    if not isinstance(pk, int) or isinstance(pk, bool) or pk <= 0:
        raise ValueError(f"a user namespace needs a saved user, not {user!r}")
    head = (TENANTS, tenant, USERS, str(pk)) if tenant else (USERS, str(pk))
    return (*head, *rest)


def owner_of(namespace: tuple[str, ...]) -> tuple[int | None, str]:
    """``(user pk, tenant)`` of a namespace under the convention, else ``(None, "")``."""
    if len(namespace) >= 2 and namespace[0] == USERS and _is_pk(namespace[1]):
        return int(namespace[1]), ""
    if len(namespace) >= 4 and namespace[0] == TENANTS and namespace[2] == USERS and _is_pk(namespace[3]):
        return int(namespace[3]), namespace[1][:64]
    return None, ""


def session_of(namespace: tuple[str, ...]) -> uuid.UUID | None:
    """The conversation of a user namespace ``(…, "users", pk, "sessions", "<uuid>", …)``, if any."""
    if owner_of(namespace)[0] is None:
        return None
    start = 2 if namespace[0] == USERS else 4
    if len(namespace) > start + 1 and namespace[start] == SESSIONS:
        try:
            return uuid.UUID(namespace[start + 1])
        except ValueError:
            return None
    return None


def session_namespace(session: Any, *rest: str) -> tuple[str, ...]:
    """The namespace of a conversation's own items: its owner's, then ``"sessions", "<uuid>"``."""
    return user_namespace(session.owner_id, SESSIONS, str(session.pk), *rest, tenant=session.tenant or "")


def _is_pk(label: str) -> bool:
    return label.isascii() and label.isdigit() and not label.startswith("0")


def match_pattern(path: tuple[str, ...], match_type: str) -> str:
    """A regular expression matching a dot-joined namespace on whole labels.

    ``"*"`` matches exactly one label. Prefix patterns are open-ended but end on a separator;
    suffix patterns are anchored at the end and begin on one. The same text works with
    PostgreSQL's ``~`` and Python's ``re.search`` (Django's SQLite ``REGEXP``).
    """
    body = r"\.".join("[^.]+" if part == "*" else re.escape(part) for part in path)
    if match_type == "suffix":
        return rf"(^|\.){body}\Z"
    if match_type == "prefix":
        return rf"^{body}(\.|\Z)"
    raise ValueError(f"unsupported match type {match_type!r}")


def truncate(namespace: tuple[str, ...], max_depth: int | None) -> tuple[str, ...]:
    return namespace if max_depth is None else namespace[:max_depth]
