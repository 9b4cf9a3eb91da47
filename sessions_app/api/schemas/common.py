"""Shared schema pieces: the error body and the text / JSON validators every input uses.

Text that reaches the database must be storable everywhere: no NUL characters (PostgreSQL
``text`` and ``jsonb`` refuse them) and no lone surrogates such as ``"\\ud800"`` (valid in a
JSON string, not encodable as UTF-8). Both are rejected with a 422 before any write.
"""
from __future__ import annotations

import json
import math
import re
from typing import Annotated, Any

from django.conf import settings
from ninja import Schema
from pydantic import AfterValidator, AwareDatetime, BeforeValidator, ConfigDict, Field

# A JSON-schema pattern excluding NUL, so generated clients (and schemathesis) know the rule
# too; it is documentation only (json_schema_extra): ``check_text`` is what enforces it.
TEXT_PATTERN = r"^[^\x00]*$"


def check_text(value: str) -> str:
    """``value`` unchanged if it has no NUL and is valid Unicode; ``ValueError`` otherwise."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (no lone surrogates)") from None
    return value


def _check_json(value: Any, depth: int, max_depth: int | None = None) -> None:
    max_depth = max_depth or settings.CHATMEMORY_API_MAX_METADATA_DEPTH
    if depth > max_depth:
        raise ValueError(f"is nested deeper than {max_depth} levels")
    if isinstance(value, str):
        check_text(value)
    elif isinstance(value, float) and not math.isfinite(value):
        raise ValueError("must not contain NaN or Infinity")
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(key)
            _check_json(item, depth + 1, max_depth)
    elif isinstance(value, list):
        for item in value:
            _check_json(item, depth + 1, max_depth)


def check_metadata(value: dict[str, Any]) -> dict[str, Any]:
    """A JSON object storable in a ``jsonb`` column, at most ``CHATMEMORY_API_MAX_METADATA_BYTES``
    bytes once encoded and ``CHATMEMORY_API_MAX_METADATA_DEPTH`` levels deep."""
    _check_json(value, 1)
    size = len(json.dumps(value, ensure_ascii=False).encode("utf-8"))
    if size > settings.CHATMEMORY_API_MAX_METADATA_BYTES:
        raise ValueError(f"is {size} bytes of JSON; at most {settings.CHATMEMORY_API_MAX_METADATA_BYTES} are accepted")
    return value


_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def iso_datetime_only(value: Any) -> Any:
    """Refuse what pydantic would otherwise read as a Unix timestamp (``0.5``): ISO 8601 only."""
    if isinstance(value, str) and not _ISO_DATETIME.match(value):
        raise ValueError("must be an ISO 8601 date-time with a time zone, e.g. 2026-11-22T03:00:00Z")
    return value


IsoDatetime = Annotated[AwareDatetime, BeforeValidator(iso_datetime_only)]
STATE_MAX_DEPTH = 32


def check_state(value: Any) -> Any:
    """Any JSON value storable in ``jsonb``: no NUL / lone surrogates / NaN, at most 32 levels deep.
    (Its size is bounded by ``DATA_UPLOAD_MAX_MEMORY_SIZE``, the request body limit.)"""
    _check_json(value, 1, STATE_MAX_DEPTH)
    return value


JsonState = Annotated[Any, AfterValidator(check_state)]
Text = Annotated[str, AfterValidator(check_text), Field(json_schema_extra={"pattern": TEXT_PATTERN})]
Metadata = Annotated[dict[str, Any], AfterValidator(check_metadata)]
Tenant = Annotated[str, AfterValidator(check_text), Field(max_length=64, json_schema_extra={"pattern": TEXT_PATTERN})]


class InputSchema(Schema):
    """Base of request bodies: unknown fields are an error (422), not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class ErrorOut(Schema):
    """The body of every error response."""

    error: str = Field(..., description="A stable machine-readable code.", examples=["not_found"])
    detail: str = Field(..., description="What went wrong, for humans.", examples=["no session 6f1c…"])
