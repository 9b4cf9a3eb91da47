"""User memories: short facts a user keeps, in every prompt of all their conversations.

Kept in ``DjangoStore`` under the user's namespace (``store.namespaces``):
``("users", "<pk>", "memories")`` — or ``("tenants", "<t>", "users", "<pk>", "memories")`` for
conversations of a tenant — one item per fact, key a random hex id, value
``{"text": str, "source": "user" | "page" | "model" | "api", "session_id": str | None}``.

Written when the user says "remember …" in a chat (``remembered_fact``), from the Memory page
and ``/api/memories``, and by a real model through the ``save_memory`` tool
(``memory.tools``). Every function takes the *user* (never a namespace from the client), so a
user can only ever read or change their own memories; someone else's key is ``MemoryNotFound``
(404). Deletes are audited (``governance.store``).
"""
from __future__ import annotations

import re
import uuid
from typing import Any

from django.db.models import Q
from langchain_core.messages.utils import count_tokens_approximately

from ..exceptions import InvalidInput, MemoryNotFound

__all__ = ["MemoryNotFound", "memories_list", "memory_add", "memory_delete", "memory_update"]
from ..models import StoreItem
from ..store import DjangoStore, user_namespace
from ..store.namespaces import MEMORIES, to_text

MAX_CHARS = 500
MAX_MEMORIES = 500
_REMEMBER = re.compile(r"^\s*(?:please\s+)?(?:remember|note)(?:\s+that)?\s*[:,]?\s+(?P<fact>.+)$",
                       re.IGNORECASE | re.DOTALL)


def memory_namespace(user: Any, tenant: str = "") -> tuple[str, ...]:
    return user_namespace(user, MEMORIES, tenant=tenant)


def remembered_fact(text: str) -> str | None:
    """The fact of a "remember …" message (``"Remember that my dog is Biscuit"`` → ``"my dog is
    Biscuit"``), or ``None``."""
    match = _REMEMBER.match(text)
    if not match:
        return None
    fact = " ".join(match.group("fact").split()).rstrip(".!") or None
    return fact[:MAX_CHARS] if fact else None


def _clean(text: Any) -> str:
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("a memory is a non-empty string")
    if "\x00" in text:
        raise InvalidInput("a memory must not contain NUL characters")
    text = " ".join(text.split())
    if len(text) > MAX_CHARS:
        raise InvalidInput(f"a memory is at most {MAX_CHARS} characters")
    return text


def _mine(user: Any) -> Q:
    """Every memory namespace of ``user`` (a user or a pk; all tenants)."""
    plain = to_text(memory_namespace(user))
    tenants = Q(prefix__startswith="tenants.", prefix__endswith=f".{plain}")
    return Q(owner_id=getattr(user, "pk", user)) & (Q(prefix=plain) | tenants)


def memories_list(*, user: Any, tenant: str | None = None) -> list[dict[str, Any]]:
    """The user's memories, newest first: ``[{"key", "text", "source", "tenant", "updated_at"}]``.

    ``tenant`` (a tenant-bound API token) narrows them to that tenant's.
    """
    qs = StoreItem.objects.live().filter(_mine(user))
    if tenant is not None:
        qs = qs.filter(tenant=tenant)
    return [
        {"key": r["key"], "text": str(r["value"].get("text", "")), "source": r["value"].get("source", ""),
         "tenant": r["tenant"], "updated_at": r["updated_at"]}
        for r in qs.order_by("-updated_at", "-id").values("key", "value", "tenant", "updated_at")[:MAX_MEMORIES]
    ]


def memory_add(*, user: Any, text: Any, source: str = "page", tenant: str = "", session_id: Any = None) -> str:
    """Store a new memory for ``user``; return its key. The same text twice is stored once."""
    text = _clean(text)
    store = DjangoStore()
    ns = memory_namespace(user, tenant)
    existing = StoreItem.objects.filter(prefix=to_text(ns), value__text=text).values_list("key", flat=True).first()
    if existing:
        return existing
    if StoreItem.objects.filter(_mine(user)).count() >= MAX_MEMORIES:
        raise InvalidInput(f"at most {MAX_MEMORIES} memories; delete some first")
    key = uuid.uuid4().hex
    store.put(ns, key, {"text": text, "source": source, "session_id": str(session_id) if session_id else None},
              index=False)
    return key


def _get(user: Any, key: Any) -> StoreItem:
    item = StoreItem.objects.live().filter(_mine(user), key=str(key)).first()
    if item is None:
        raise MemoryNotFound("no such memory")
    return item


def memory_update(*, user: Any, key: Any, text: Any) -> None:
    """Replace the text of one of ``user``'s memories. ``MemoryNotFound`` for anyone else's key."""
    item = _get(user, key)
    DjangoStore().put(item.namespace, item.key, {**item.value, "text": _clean(text)}, index=False)


def memory_delete(*, user: Any, key: Any, actor: Any = None) -> None:
    """Delete one of ``user``'s memories (audited). ``MemoryNotFound`` for anyone else's key."""
    from ..governance.store import store_items_delete

    store_items_delete(items=[_get(user, key)], actor=actor or user, details={"via": "memory"})


def memories_for_prompt(*, user_id: int, tenant: str, max_tokens: int) -> list[str]:
    """The texts of the memories a conversation of ``tenant`` sees, newest first, within budget."""
    ns = to_text(user_namespace(user_id, MEMORIES, tenant=tenant))
    rows = StoreItem.objects.live().filter(prefix=ns).order_by("-updated_at", "-id").values_list("value", flat=True)
    return fit_memories(rows[:MAX_MEMORIES], max_tokens)


def fit_memories(values: Any, max_tokens: int) -> list[str]:
    """The texts of memory values (newest first), as many as fit ``max_tokens``."""
    texts: list[str] = []
    used = 0
    for value in values:
        text = str(value.get("text", ""))
        cost = count_tokens_approximately([text]) + 2
        if used + cost > max_tokens:
            break
        texts.append(text)
        used += cost
    return texts
