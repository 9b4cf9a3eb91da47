"""Versioned JSON state of a session (``sessions_app.governance.state``): save, read, versions, rollback, diff."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Schema
from pydantic import Field

from .common import InputSchema, JsonState, Text

Tag = Text


class StateSaveIn(InputSchema):
    """``POST /api/sessions/{session_id}/state``: a new version (any JSON value), optionally tagged."""

    state: JsonState = Field(..., examples=[{"step": "payment", "cart": ["book"]}])
    tag: Tag | None = Field(None, min_length=1, max_length=100, description="A snapshot name (not a number).",
                            examples=["checkout"])

    model_config = {"json_schema_extra": {"examples": [
        {"state": {"step": "payment", "cart": ["book"]}, "tag": "checkout"}]}}


class StateRollbackIn(InputSchema):
    """``POST /api/sessions/{session_id}/state/rollback``: save a new version equal to an old one."""

    version: int | Tag = Field(..., description="A version number or a tag.", examples=[1, "checkout"])
    tag: Tag | None = Field(None, min_length=1, max_length=100, examples=["before-refund"])

    model_config = {"json_schema_extra": {"examples": [{"version": 1}]}}


class StateVersionOut(Schema):
    version: int = Field(..., ge=1)
    tag: str | None
    source_version: int | None = Field(..., description="For a rollback: the version it copies.")
    created_at: datetime

    model_config = {"json_schema_extra": {"examples": [
        {"version": 2, "tag": "checkout", "source_version": None, "created_at": "2026-11-22T03:05:12Z"}]}}


class StateOut(Schema):
    """One version of the state with its payload."""

    version: int = Field(..., ge=1)
    tag: str | None
    state: Any
    created_at: datetime

    model_config = {"json_schema_extra": {"examples": [
        {"version": 2, "tag": "checkout", "state": {"step": "payment"}, "created_at": "2026-11-22T03:05:12Z"}]}}


class StateSavedOut(Schema):
    """The number of the version just written."""

    version: int = Field(..., ge=1, examples=[3])

    model_config = {"json_schema_extra": {"examples": [{"version": 3}]}}
