"""Chat: one user message in, the model's answer out (JSON), or a stream of events (SSE)."""
from __future__ import annotations

import uuid
from typing import Literal

from ninja import Schema
from pydantic import Field

from .common import InputSchema, Text


class ChatIn(InputSchema):
    """``POST /api/sessions/{session_id}/chat``: one user message (at most
    ``CHATMEMORY_MAX_MESSAGE_CHARS`` characters, not blank)."""

    message: Text = Field(..., min_length=1, examples=["What did I say my name was?"])

    model_config = InputSchema.model_config | {"json_schema_extra": {"examples": [{"message": "Hello, I am Ada."}]}}


class AnswerOut(Schema):
    type: Literal["ai"] = "ai"
    content: str


class ChatOut(Schema):
    """The stored answer and the ``seq`` numbers of the turn: ``[human_seq, ai_seq]``."""

    session_id: uuid.UUID
    answer: AnswerOut
    seqs: list[int] = Field(..., min_length=2, max_length=2)

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "session_id": "6f1c2d4e-8a9b-4c3d-9e7f-0a1b2c3d4e5f",
                    "answer": {"type": "ai", "content": "You said your name is Ada."},
                    "seqs": [7, 8],
                }
            ]
        }
    }
