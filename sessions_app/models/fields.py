"""``MessageField``: a ``JSONField`` that stores any LangChain message exactly, NUL (U+0000) included.

PostgreSQL cannot store U+0000: ``jsonb`` refuses the ``\\u0000`` escape and ``text`` refuses the
byte (``DataError: unsupported Unicode escape sequence``). LangChain messages may carry it (a tool
that returned binary-ish text), and the history must keep them exactly. So a record that contains
U+0000 anywhere, in a key or a string, is stored *escaped*, reversibly:

- U+0000 becomes U+E000 followed by ``"0"``; U+E000 itself (a private-use character, so rare in
  text) becomes U+E000 followed by ``"e"``; nothing else changes;
- the record gets the top-level key ``"nul_escape": true`` (``message_to_dict`` records have only
  ``type`` and ``data``; ``messages_from_dict`` ignores the extra key).

A record without U+0000 is stored as it is, without the key, so every existing row, and every
row written before this existed, reads back unchanged. ``escape_nul`` and ``unescape_nul`` are
exact inverses: ``unescape_nul(escape_nul(r)) == r`` for every JSON record ``r``.

``MessageField`` applies them on the ORM's way in (PostgreSQL) and out; the raw-SQL paths (the
one-statement append, the ``message::text`` read, the COPY of imports, the cache entries) go
through ``sessions_app.conversations.serialization``: ``stored_json`` escapes, ``from_records``
unescapes.
"""
from __future__ import annotations

import re
from typing import Any

from django.db import models

NUL = "\x00"
ESCAPE = "\ue000"
NUL_MARKER = "nul_escape"
# json.dumps always writes U+0000 as this escape (with or without ensure_ascii): a cheap test on the
# serialized record tells whether it needs escaping (a literal backslash + "u0000" in a text is
# written "\\\\u0000", which also matches; escape_nul then finds no NUL and changes nothing).
NUL_IN_JSON = "\\u0000"

_ENCODE = {NUL: ESCAPE + "0", ESCAPE: ESCAPE + "e"}
_DECODE = {"0": NUL, "e": ESCAPE}
_ENCODE_RE = re.compile(f"[{NUL}{ESCAPE}]")
_DECODE_RE = re.compile(f"{ESCAPE}([0e])")


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(NUL in k or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _map_strings(value: Any, text: Any) -> Any:
    """``value`` with ``text`` applied to every string in it, keys included (JSON types only)."""
    if isinstance(value, str):
        return text(value)
    if isinstance(value, dict):
        return {text(k): _map_strings(v, text) for k, v in value.items()}
    if isinstance(value, list):
        return [_map_strings(v, text) for v in value]
    return value


def _encode_text(value: str) -> str:
    return _ENCODE_RE.sub(lambda m: _ENCODE[m.group(0)], value) if NUL in value or ESCAPE in value else value


def _decode_text(value: str) -> str:
    if ESCAPE not in value:
        return value
    if ESCAPE in _DECODE_RE.sub("", value):  # left over: an escape escape_nul never writes
        raise ValueError("a nul-escaped record holds U+E000 not followed by '0' or 'e'")
    return _DECODE_RE.sub(lambda m: _DECODE[m.group(1)], value)


def escape_nul(record: dict[str, Any]) -> dict[str, Any]:
    """The record as it is stored: itself if it holds no U+0000 (the common case, no copy), else a
    copy with every string escaped and ``"nul_escape": true`` (see the module docstring).

    A record that is already escaped (it has the marker) is returned as it is."""
    if NUL_MARKER in record or not _has_nul(record):
        return record
    escaped = _map_strings(record, _encode_text)
    escaped[NUL_MARKER] = True
    return escaped


def unescape_nul(record: dict[str, Any]) -> dict[str, Any]:
    """The exact record ``escape_nul`` was given: itself if it has no ``"nul_escape"`` key, else a
    copy with the marker removed and every string unescaped. Raises ``ValueError`` for a marked
    record holding an escape that ``escape_nul`` never writes (a corrupted row)."""
    if NUL_MARKER not in record:
        return record
    plain = {k: v for k, v in record.items() if k != NUL_MARKER}
    return _map_strings(plain, _decode_text)


class MessageField(models.JSONField):
    """``JSONField`` for ``message_to_dict`` records that keeps U+0000 exactly.

    On PostgreSQL a record holding U+0000 is written ``escape_nul``-ed; SQLite stores JSON's
    ``\\u0000`` escape as it is, so there the record is written unchanged (no walk over it). Read
    back, a marked record is ``unescape_nul``-ed on every database, so either form reads as the
    message that was written. Lookups see the stored form.
    """

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if connection.vendor == "postgresql" and isinstance(value, dict):
            value = escape_nul(value)
        return super().get_db_prep_value(value, connection, prepared)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        value = super().from_db_value(value, expression, connection)
        if isinstance(value, dict) and NUL_MARKER in value:
            return unescape_nul(value)
        return value
