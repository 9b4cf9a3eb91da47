"""ShareGPT JSON: ``[{"id": str, "conversations": [{"from": role, "value": text}, …]}, …]``.

Role names seen in real files (``ShareGPT_V3_unfiltered_cleaned_split.json``: human, gpt,
system, chatgpt, bing, bard, user) and in ShareGPT-style training sets (assistant, model,
function_call, observation, tool, function) map to LangChain messages:

==============================================  ===========================================
``from``                                        message
==============================================  ===========================================
human, user                                     ``HumanMessage``
gpt, chatgpt, bing, bard, assistant, model,     ``AIMessage`` (the original name is kept in
claude, llama                                   ``response_metadata["sharegpt_from"]`` unless
                                                it is ``gpt``)
system                                          ``SystemMessage``
function_call                                   ``AIMessage`` with one ``tool_calls`` entry from
                                                the JSON value ``{"name", "arguments"}``
observation, tool, function                     ``ToolMessage`` answering the latest call
==============================================  ===========================================

Role names are matched case-insensitively. Anything else is an ``ImportFormatError`` naming the
place. ``value`` must be a string (``null`` counts as empty). The title is the first line of the
first human message (at most 80 characters).
"""
from __future__ import annotations

import json
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

from .base import ImportFormatError, MessagePlace, ParsedConversation, clean_text, title_from

FORMAT = "sharegpt"

HUMAN_ROLES = frozenset({"human", "user"})
AI_ROLES = frozenset({"gpt", "chatgpt", "bing", "bard", "assistant", "model", "claude", "llama"})
SYSTEM_ROLES = frozenset({"system"})
CALL_ROLES = frozenset({"function_call"})
TOOL_RESULT_ROLES = frozenset({"observation", "tool", "function"})
KNOWN_ROLES = HUMAN_ROLES | AI_ROLES | SYSTEM_ROLES | CALL_ROLES | TOOL_RESULT_ROLES


def parse_sharegpt(record: Any, *, index: int) -> ParsedConversation:
    """Parse one ShareGPT record (a dict) at 1-based position ``index``.

    Returns a ``ParsedConversation`` (``source_format="sharegpt"``, no timestamps). Raises
    ``ImportFormatError`` for a record that is not an object, a missing/blank ``id``, a
    ``conversations`` that is not a list, a turn without ``from``, an unknown role, a ``value``
    that is not a string, or a ``function_call`` value that is not
    ``{"name": str, "arguments": …}`` JSON.
    """
    if not isinstance(record, dict):
        raise ImportFormatError(f"expected an object, got {_json_type(record)}", index=index)
    source_id = record.get("id")
    if isinstance(source_id, int) and not isinstance(source_id, bool):
        source_id = str(source_id)
    if not isinstance(source_id, str) or not source_id.strip():
        raise ImportFormatError('missing "id" (a non-empty string)', index=index)
    turns = record.get("conversations")
    if not isinstance(turns, list):
        raise ImportFormatError(
            f'"conversations" must be a list, got {_json_type(turns)}', index=index, source_id=source_id
        )
    messages: list[BaseMessage] = []
    pending_call: str | None = None
    for number, turn in enumerate(turns, start=1):
        where: MessagePlace = {"index": index, "source_id": source_id, "message": number}
        if not isinstance(turn, dict):
            raise ImportFormatError(f"expected an object, got {_json_type(turn)}", **where)
        role = turn.get("from")
        if not isinstance(role, str) or not role.strip():
            raise ImportFormatError('missing "from" (the role)', **where)
        key = role.strip().lower()
        text = clean_text(turn.get("value"), what='"value"', **where)
        if key in HUMAN_ROLES:
            messages.append(HumanMessage(content=text))
        elif key in AI_ROLES:
            meta = {} if key == "gpt" else {"sharegpt_from": role}
            messages.append(AIMessage(content=text, response_metadata=meta))
        elif key in SYSTEM_ROLES:
            messages.append(SystemMessage(content=text))
        elif key in CALL_ROLES:
            pending_call = f"call_{source_id}_{number}"
            messages.append(_function_call(text, call_id=pending_call, where=where))
        elif key in TOOL_RESULT_ROLES:
            messages.append(ToolMessage(content=text, tool_call_id=pending_call or f"call_{source_id}_{number}"))
            pending_call = None
        else:
            raise ImportFormatError(f'unknown role "{role}" (known: {", ".join(sorted(KNOWN_ROLES))})', **where)
    first_human = next((m.content for m in messages if isinstance(m, HumanMessage)), "")
    return ParsedConversation(
        source_format=FORMAT,
        source_id=source_id,
        index=index,
        title=title_from(str(first_human)),
        messages=messages,
    )


def _function_call(text: str, *, call_id: str, where: MessagePlace) -> AIMessage:
    try:
        call = json.loads(text)
    except ValueError:
        raise ImportFormatError('a "function_call" value must be JSON {"name", "arguments"}', **where) from None
    if not isinstance(call, dict) or not isinstance(call.get("name"), str):
        raise ImportFormatError('a "function_call" value must be JSON {"name", "arguments"}', **where)
    args = call.get("arguments", {})
    if isinstance(args, str):
        try:
            args = json.loads(args)
        except ValueError:
            args = {"input": args}
    if not isinstance(args, dict):
        args = {"input": args}
    return AIMessage(content="", tool_calls=[{"name": call["name"], "args": args, "id": call_id}])


def _json_type(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", type(None): "null", bool: "a boolean"}.get(
        type(value), "a number"
    )
