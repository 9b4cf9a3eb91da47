"""``MessageField``: a ``JSONField`` that stores any LangChain message exactly on PostgreSQL.

Two kinds of character reach LangChain messages (a tool that returned binary-ish text, bytes
decoded with ``errors="surrogateescape"``) but cannot be stored in PostgreSQL: U+0000 (``jsonb``
refuses the ``\\u0000`` escape and ``text`` the byte: ``DataError: unsupported Unicode escape
sequence``) and the surrogate code points U+D800–U+DFFF (not Unicode scalar values: UTF-8 cannot
encode them, ``UnicodeEncodeError``). The history must keep messages exactly, so a record holding
either, in a key or a string, is stored *escaped*, reversibly:

- U+0000 becomes U+E000 ``"0"``; a lone surrogate (U+D800–U+DFFF) becomes U+E000 ``"u"`` and its four lowercase
  hex digits; U+E000 itself (a private-use character, rare in text) becomes U+E000 ``"e"``;
  nothing else changes;
- the record gets the top-level key ``"escaped": true`` (``message_to_dict`` records have only
  ``type`` and ``data``; ``messages_from_dict`` ignores the extra key).

A record without such characters is stored as it is, without the key, so every existing row reads
back unchanged. ``escape_record`` and ``unescape_record`` are exact inverses:
``unescape_record(escape_record(r))`` is ``r`` for every JSON record ``r``, and what the database
gives back is ``r`` as JSON reads it back (JSON itself turns a high surrogate followed by a low one
into the character the pair encodes, on both databases: the one case not kept code point for code
point, and one that bytes decoded with ``surrogateescape``, all low surrogates, never produce).

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
ESCAPED_MARKER = "escaped"
# What json.dumps (ensure_ascii, the default: lowercase hex) writes for U+0000 and for a lone
# surrogate: a high one not followed by a low one, or a low one not preceded by a high one. A
# character beyond the BMP (an emoji) is written as a valid pair and does not match. A literal
# backslash + "u0000" in a text also matches; escape_record then finds nothing and changes nothing.
_SUSPECT_JSON = re.compile(
    r"\\u(?:0000|d[89ab][0-9a-f]{2}(?!\\ud[c-f])|(?<!\\ud[89ab][0-9a-f]{2}\\u)d[c-f][0-9a-f]{2})"
)
# In a Python string: U+0000 and lone surrogates (what escape_record escapes; a high surrogate
# followed by a low one is left to JSON, which writes and reads it as the pair's character).
_LONE = "[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]"
_UNSTORABLE = re.compile(f"{NUL}|{_LONE}")
_ENCODE_RE = re.compile(f"[{NUL}{ESCAPE}]|{_LONE}")
# Not encodable as UTF-8 at all (display_text): U+0000 for PostgreSQL, and every surrogate.
_NOT_TEXT = re.compile(f"[{NUL}\ud800-\udfff]")
_DECODE_RE = re.compile(f"{ESCAPE}(0|e|u[0-9a-f]{{4}})")
# A character stored in place of the unstorable ones in display text (content_text).
REPLACEMENT = "\ufffd"


def _encode_char(match: re.Match[str]) -> str:
    char = match.group(0)
    if char == NUL:
        return ESCAPE + "0"
    if char == ESCAPE:
        return ESCAPE + "e"
    return f"{ESCAPE}u{ord(char):04x}"


def _decode_char(match: re.Match[str]) -> str:
    code = match.group(1)
    if code == "0":
        return NUL
    if code == "e":
        return ESCAPE
    return chr(int(code[1:], 16))


def _needs_escape(value: Any) -> bool:
    if isinstance(value, str):
        return bool(_UNSTORABLE.search(value))
    if isinstance(value, dict):
        return any(_needs_escape(k) or _needs_escape(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_needs_escape(v) for v in value)
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
    return _ENCODE_RE.sub(_encode_char, value)


def _decode_text(value: str) -> str:
    if ESCAPE not in value:
        return value
    if ESCAPE in _DECODE_RE.sub("", value):  # left over: an escape escape_record never writes
        raise ValueError("an escaped message record holds U+E000 not followed by '0', 'e' or 'u' + 4 hex digits")
    return _DECODE_RE.sub(_decode_char, value)


def json_may_need_escape(text: str) -> bool:
    """Whether ``json.dumps(record)`` text may hold U+0000 or a surrogate (a cheap test before the walk)."""
    return ("\\u0000" in text or "\\ud" in text) and _SUSPECT_JSON.search(text) is not None


def display_text(text: str) -> str:
    """``text`` with U+0000 and surrogates replaced by U+FFFD: storable in any ``text`` column."""
    if text.isascii() and NUL not in text:
        return text
    return _NOT_TEXT.sub(REPLACEMENT, text)


def escape_record(record: dict[str, Any]) -> dict[str, Any]:
    """The record as PostgreSQL stores it: itself if it holds nothing unstorable (the common case,
    no copy), else a copy with every string escaped and ``"escaped": true`` (module docstring).

    A record that is already escaped (it has the marker) is returned as it is."""
    if ESCAPED_MARKER in record or not _needs_escape(record):
        return record
    escaped = _map_strings(record, _encode_text)
    escaped[ESCAPED_MARKER] = True
    return escaped


def unescape_record(record: dict[str, Any]) -> dict[str, Any]:
    """The exact record ``escape_record`` was given: itself if it has no ``"escaped"`` key, else a
    copy without the marker and with every string unescaped. Raises ``ValueError`` for a marked
    record holding an escape that ``escape_record`` never writes (a corrupted row)."""
    if ESCAPED_MARKER not in record:
        return record
    plain = {k: v for k, v in record.items() if k != ESCAPED_MARKER}
    return _map_strings(plain, _decode_text)


class MessageField(models.JSONField):
    """``JSONField`` for ``message_to_dict`` records that keeps U+0000 and surrogates exactly.

    On PostgreSQL a record holding them is written ``escape_record``-ed; SQLite stores JSON's
    ``\\\\u0000`` / ``\\\\udc80`` escapes as they are, so there the record is written unchanged (no walk
    over it). Read back, a marked record is ``unescape_record``-ed on every database, so either form
    reads as the message that was written. Lookups see the stored form.
    """

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if connection.vendor == "postgresql" and isinstance(value, dict):
            value = escape_record(value)
        return super().get_db_prep_value(value, connection, prepared)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        value = super().from_db_value(value, expression, connection)
        if isinstance(value, dict) and ESCAPED_MARKER in value:
            return unescape_record(value)
        return value
