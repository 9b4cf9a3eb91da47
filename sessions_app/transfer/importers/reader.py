"""Streaming a JSON array of conversations from a file, with errors that say where.

Real exports are big (the ShareGPT file is 120 MB; a ChatGPT export grows with every chat), so
records are read one at a time with ``ijson`` (the yajl2 C backend) instead of ``json.load``:
memory stays bounded by the largest single conversation, not by the file.
"""
from __future__ import annotations

import io
from collections.abc import Iterator
from typing import IO, Any

import ijson

from .base import ImportFormatError

_HEAD = 4096  # bytes read to check that the file starts with a JSON array


class _Replay(io.RawIOBase):
    """A readable that first returns ``head`` and then the rest of ``fp`` (non-seekable inputs)."""

    def __init__(self, head: bytes, fp: IO[bytes]) -> None:
        self._head = head
        self._fp = fp

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._head:
            if size is None or size < 0:
                data, self._head = self._head + self._fp.read(), b""
                return data
            data, self._head = self._head[:size], self._head[size:]
            return data
        return self._fp.read(size)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _check_array(fp: IO[bytes]) -> IO[bytes]:
    head = fp.read(_HEAD)
    if isinstance(head, str):
        raise TypeError("open the file in binary mode ('rb')")
    if fp.seekable():
        fp.seek(fp.tell() - len(head))
        stream: IO[bytes] = fp
    else:
        stream = _Replay(head, fp)  # type: ignore[assignment]
    first = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if not first:
        raise ImportFormatError("the file is empty: expected a JSON array of conversations")
    if first != b"[":
        raise ImportFormatError(
            f"the file does not start with a JSON array (first character {first.decode(errors='replace')!r}): "
            "expected a list of conversations"
        )
    return stream


def iter_records(fp: IO[bytes]) -> Iterator[tuple[int, Any]]:
    """Yield ``(index, record)`` for each element of the top-level JSON array, index from 1.

    ``fp`` is a binary file object. Numbers are floats (not ``Decimal``). Raises
    ``ImportFormatError`` if the file is not a JSON array, or — when it is reached — for invalid
    JSON or a truncated file, naming the conversation being read and the byte position, e.g.
    ``conversation #17672: the file ends in the middle of this conversation (truncated at byte
    125509632; 17671 complete conversations before it)``.
    """
    stream = _check_array(fp)
    index = 0
    try:
        for index, record in enumerate(ijson.items(stream, "item", use_float=True), start=1):  # noqa: B007
            yield index, record
    except ijson.IncompleteJSONError as exc:
        position = _position(stream)
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else "invalid JSON"
        if "premature EOF" in detail:
            raise ImportFormatError(
                f"the file ends in the middle of this conversation (truncated at byte {position}; "
                f"{index} complete conversations before it)",
                index=index + 1,
            ) from None
        raise ImportFormatError(f"invalid JSON near byte {position}: {detail}", index=index + 1) from None
    except ijson.JSONError as exc:
        raise ImportFormatError(f"invalid JSON near byte {_position(stream)}: {exc}", index=index + 1) from None
    except UnicodeDecodeError as exc:  # a \\u escape of a lone surrogate (U+D800–U+DFFF), which UTF-8 cannot hold
        raise ImportFormatError(
            f"invalid text near byte {_position(stream)}: not UTF-8 or a lone surrogate ({exc.reason})",
            index=index + 1,
        ) from None


def _position(stream: IO[bytes]) -> int | str:
    try:
        return stream.tell()
    except (OSError, ValueError):
        return "?"
