"""``/api/memories``: the caller's user memories (what all their conversations are told).

Always the authenticated user's (``memory.user``): no namespace is ever taken from the request,
someone else's key is a 404. A token bound to a tenant sees and writes that tenant's memories.
"""
from __future__ import annotations

from datetime import datetime

from ninja import Router, Schema
from pydantic import Field

from ..memory import user as memories
from .auth import ApiRequest, caller_tenant
from .schemas.common import ErrorOut, InputSchema, Text

router = Router(tags=["memories"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class MemoryIn(InputSchema):
    """A fact about the caller that all their conversations are told."""

    text: Text = Field(..., min_length=1, max_length=memories.MAX_CHARS, description="The fact to remember.",
                       examples=["I am vegetarian"])

    model_config = {"json_schema_extra": {"examples": [{"text": "I am vegetarian"}]}}


class MemoryOut(Schema):
    key: str = Field(description="The memory's id (for PUT / DELETE).")
    text: str
    source: str = Field(description="user (\"remember …\" in a chat), page, api or model (its save_memory tool).")
    tenant: str = Field(description="The tenant it belongs to (\"\" = none).")
    updated_at: datetime

    model_config = {"json_schema_extra": {"examples": [{
        "key": "3f2c9e0a8b4d4c1e9a7b6d5c4b3a2f10", "text": "I am vegetarian", "source": "page", "tenant": "",
        "updated_at": "2026-12-02T12:00:00Z"}]}}


@router.get("", response={200: list[MemoryOut], **ERRORS}, operation_id="memories_list", summary="List my memories")
def list_memories(request: ApiRequest) -> list[dict[str, object]]:
    """Newest first (at most 500)."""
    return memories.memories_list(user=request.auth, tenant=caller_tenant(request))


@router.post("", response={201: MemoryOut, **ERRORS}, operation_id="memories_add", summary="Add a memory")
def add(request: ApiRequest, payload: MemoryIn) -> tuple[int, dict[str, object]]:
    """The same text twice is stored once (the existing memory is returned)."""
    tenant = caller_tenant(request) or ""
    key = memories.memory_add(user=request.auth, text=payload.text, source="api", tenant=tenant)
    return 201, _one(request, key)


@router.put("/{key}", response={200: MemoryOut, **ERRORS}, operation_id="memories_update", summary="Edit a memory")
def update(request: ApiRequest, key: str, payload: MemoryIn) -> dict[str, object]:
    _one(request, key)  # the tenant scope of the caller, then the write
    memories.memory_update(user=request.auth, key=key, text=payload.text)
    return _one(request, key)


@router.delete("/{key}", response={204: None, **ERRORS}, operation_id="memories_delete", summary="Forget a memory")
def delete(request: ApiRequest, key: str) -> tuple[int, None]:
    _one(request, key)
    memories.memory_delete(user=request.auth, key=key)
    return 204, None


def _one(request: ApiRequest, key: str) -> dict[str, object]:
    for m in memories.memories_list(user=request.auth, tenant=caller_tenant(request)):
        if m["key"] == key:
            return m
    raise memories.MemoryNotFound("no such memory")
