"""Reading a ``chatmemory.session`` document: validate everything, name the place of any error.

``parse_session_document(data)`` checks the whole document before anything is written and
returns a ``SessionDocument``; a problem raises ``ExportFormatError`` (``InvalidInput``, 400)
whose message starts with the JSON path of the offending value, e.g.
``messages[3].message.type: unknown message type "robot"``.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from langchain_core.messages import messages_from_dict

from ..exceptions import InvalidInput
from ..models import TITLE_MAX_LENGTH, ChatSession
from ..models.fields import ESCAPED_MARKER
from .export import FORMAT, FORMAT_VERSION

KNOWN_TYPES = {"human", "ai", "system", "tool", "function", "chat", "remove"}
KNOWN_TYPES |= {f"{t}Chunk" for t in ("AIMessage", "HumanMessage", "SystemMessage", "ToolMessage",
                                     "FunctionMessage", "ChatMessage")}


class ExportFormatError(InvalidInput):
    """The file is not a valid ``chatmemory.session`` document; the message names the place."""

    def __init__(self, place: str, reason: str) -> None:
        self.place, self.reason = place, reason
        super().__init__(f"{place}: {reason}" if place else reason)


@dataclass
class MessageRow:
    seq: int
    created_at: datetime
    message: dict[str, Any]


@dataclass
class StateRow:
    version: int
    tag: str | None
    source_version: int | None
    created_at: datetime
    state: Any


@dataclass
class SessionDocument:
    """A validated document: ``session`` holds the model fields, ``owner`` the exported username."""

    session_id: uuid.UUID
    owner: str
    session: dict[str, Any]
    messages: list[MessageRow] = field(default_factory=list)
    states: list[StateRow] = field(default_factory=list)


def _type_name(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
            type(None): "null"}.get(type(value), "a number" if isinstance(value, int | float) else type(value).__name__)


def _expect(value: Any, kind: type | tuple[type, ...], place: str, what: str) -> Any:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ExportFormatError(place, f"expected {what}, got {_type_name(value)}")
    return value


def _int(value: Any, place: str, *, minimum: int = 0, nullable: bool = False) -> int | None:
    if value is None and nullable:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ExportFormatError(place, f"expected an integer ≥ {minimum}{' or null' if nullable else ''}, "
                                       f"got {value!r}")
    return value


def _increasing(value: Any, place: str, last: int, plural: str) -> int:
    """An integer ≥ 1 above ``last``, the previous row's (message seqs, state versions)."""
    number = _int(value, place, minimum=1)
    assert number is not None
    if number <= last:
        raise ExportFormatError(place, f"{number} does not follow {last} ({plural} must increase)")
    return number


def _when(value: Any, place: str, *, nullable: bool = False) -> datetime | None:
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise ExportFormatError(place, f"expected an ISO 8601 timestamp, got {_type_name(value)}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ExportFormatError(place, f"{value!r} is not an ISO 8601 timestamp") from None
    if parsed.tzinfo is None:
        raise ExportFormatError(place, f"{value!r} has no UTC offset")
    return parsed


def _str(value: Any, place: str, *, max_length: int, nullable: bool = False) -> str | None:
    if value is None and nullable:
        return None
    _expect(value, str, place, "a string")
    if len(value) > max_length or "\x00" in value:
        raise ExportFormatError(place, f"must be at most {max_length} characters, without NUL")
    return value


def _session(raw: Any) -> tuple[uuid.UUID, str, dict[str, Any]]:
    _expect(raw, dict, "session", "an object")
    try:
        session_id = uuid.UUID(_expect(raw.get("id"), str, "session.id", "a UUID string"))
    except ValueError:
        raise ExportFormatError("session.id", f"{raw.get('id')!r} is not a UUID") from None
    owner = _str(raw.get("owner"), "session.owner", max_length=150) or ""
    status = raw.get("status")
    if status not in ChatSession.Status.values:
        raise ExportFormatError("session.status", f"unknown status {status!r} (known: active, archived)")
    metadata = _expect(raw.get("metadata", {}), dict, "session.metadata", "an object")
    fields = {
        "title": _str(raw.get("title", ""), "session.title", max_length=TITLE_MAX_LENGTH),
        "tenant": _str(raw.get("tenant", ""), "session.tenant", max_length=64),
        "status": status,
        "metadata": metadata,
        "created_at": _when(raw.get("created_at"), "session.created_at"),
        "last_active_at": _when(raw.get("last_active_at"), "session.last_active_at"),
        "archived_at": _when(raw.get("archived_at"), "session.archived_at", nullable=True),
        "expires_at": _when(raw.get("expires_at"), "session.expires_at", nullable=True),
        "cache_ttl": _int(raw.get("cache_ttl"), "session.cache_ttl", nullable=True),
        "last_seq": _int(raw.get("last_seq", 0), "session.last_seq"),
    }
    if status == ChatSession.Status.ARCHIVED and fields["archived_at"] is None:
        raise ExportFormatError("session.archived_at", "an archived session needs archived_at")
    return session_id, owner, fields


def _messages(raw: Any) -> list[MessageRow]:
    _expect(raw, list, "messages", "an array")
    rows: list[MessageRow] = []
    last = 0
    for i, item in enumerate(raw):
        place = f"messages[{i}]"
        _expect(item, dict, place, "an object")
        seq = last = _increasing(item.get("seq"), f"{place}.seq", last, "seqs")
        created_at = _when(item.get("created_at"), f"{place}.created_at")
        message = _expect(item.get("message"), dict, f"{place}.message", "an object (message_to_dict)")
        mtype = message.get("type")
        if mtype not in KNOWN_TYPES:
            raise ExportFormatError(f"{place}.message.type", f"unknown message type {mtype!r}")
        _expect(message.get("data"), dict, f"{place}.message.data", "an object")
        if ESCAPED_MARKER in message:  # our storage's own key (models.fields): an export never has it
            raise ExportFormatError(f"{place}.message", f'"{ESCAPED_MARKER}" is reserved')
        try:
            messages_from_dict([message])
        except Exception as exc:  # noqa: BLE001 - LangChain raises ValueError/ValidationError/KeyError…
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ExportFormatError(f"{place}.message", f"LangChain cannot read it: {reason}") from None
        assert created_at is not None
        rows.append(MessageRow(seq=seq, created_at=created_at, message=message))
    return rows


def _states(raw: Any) -> list[StateRow]:
    _expect(raw, list, "state_versions", "an array")
    rows: list[StateRow] = []
    last = 0
    tags: set[str] = set()
    for i, item in enumerate(raw):
        place = f"state_versions[{i}]"
        _expect(item, dict, place, "an object")
        version = last = _increasing(item.get("version"), f"{place}.version", last, "versions")
        tag = _str(item.get("tag"), f"{place}.tag", max_length=100, nullable=True)
        if tag is not None:
            if tag in tags:
                raise ExportFormatError(f"{place}.tag", f"tag {tag!r} is used twice")
            tags.add(tag)
        if "state" not in item:
            raise ExportFormatError(f"{place}.state", "missing")
        created_at = _when(item.get("created_at"), f"{place}.created_at")
        assert created_at is not None
        rows.append(StateRow(
            version=version, tag=tag,
            source_version=_int(item.get("source_version"), f"{place}.source_version", minimum=1, nullable=True),
            created_at=created_at, state=item["state"],
        ))
    return rows


def parse_session_document(data: Any) -> SessionDocument:
    """Validate a loaded JSON value as a ``chatmemory.session`` document (format version 1).

    Raises ``ExportFormatError`` naming the first bad place. Nothing is written.
    """
    _expect(data, dict, "(document)", "a JSON object")
    if data.get("format") != FORMAT:
        raise ExportFormatError("format", f"expected {FORMAT!r}, got {data.get('format')!r}")
    version = data.get("format_version")
    if version != FORMAT_VERSION:
        raise ExportFormatError("format_version", f"unsupported version {version!r} (this chatmemory reads "
                                                   f"{FORMAT_VERSION})")
    session_id, owner, fields = _session(data.get("session"))
    messages = _messages(data.get("messages", []))
    if messages and fields["last_seq"] < messages[-1].seq:
        raise ExportFormatError("session.last_seq", f"{fields['last_seq']} is below the last message's seq "
                                                     f"{messages[-1].seq}")
    return SessionDocument(
        session_id=session_id, owner=owner, session=fields, messages=messages,
        states=_states(data.get("state_versions", [])),
    )
