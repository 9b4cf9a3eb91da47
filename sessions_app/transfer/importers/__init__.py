"""Importing conversations from other systems' exports.

One parser per format turns a record into the common ``ParsedConversation``; ``iter_conversations``
streams a file through it; ``sessions_app.transfer.imports.conversations_import`` writes the result.

    with open(path, "rb") as fp:
        for item in iter_conversations(fp, source_format="sharegpt"):
            ...  # ParsedConversation (or ImportFormatError with skip_invalid=True)

Formats: ``sharegpt`` (``importers.sharegpt``) and ``chatgpt`` (``conversations.json`` of a
ChatGPT data export, ``importers.chatgpt``). See ``docs/import.md``.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import IO, Any

from .base import ImportFormatError, ParsedConversation
from .chatgpt import parse_chatgpt
from .reader import iter_records
from .sharegpt import parse_sharegpt

PARSERS: dict[str, Callable[..., ParsedConversation]] = {
    "sharegpt": parse_sharegpt,
    "chatgpt": parse_chatgpt,
}
FORMATS = tuple(PARSERS)


def get_parser(source_format: str) -> Callable[..., ParsedConversation]:
    """The record parser of a format; ``ImportFormatError`` for an unknown format name."""
    try:
        return PARSERS[source_format]
    except KeyError:
        raise ImportFormatError(f'unknown format "{source_format}" (known: {", ".join(FORMATS)})') from None


def parse_records(records: Any, *, source_format: str) -> list[ParsedConversation]:
    """Parse an already loaded JSON value (a list of records) completely; raise on the first error.

    For small inputs (one uploaded file, a test). Raises ``ImportFormatError``.
    """
    parser = get_parser(source_format)
    if not isinstance(records, list):
        raise ImportFormatError("expected a JSON array of conversations")
    return [parser(record, index=i) for i, record in enumerate(records, start=1)]


def iter_conversations(
    fp: IO[bytes], *, source_format: str, skip_invalid: bool = False
) -> Iterator[ParsedConversation | ImportFormatError]:
    """Stream the conversations of a binary file, one ``ParsedConversation`` at a time.

    With ``skip_invalid=False`` (the default) the first problem raises ``ImportFormatError``.
    With ``skip_invalid=True`` an invalid conversation is *yielded* as its ``ImportFormatError``
    (so the caller can report it) and reading goes on; a file-level problem (not an array,
    invalid JSON, truncation) is yielded last and ends the stream — every complete conversation
    before it has been yielded. Memory is bounded by the largest conversation.
    """
    parser = get_parser(source_format)
    records = iter_records(fp)
    while True:
        try:
            index, record = next(records)
        except StopIteration:
            return
        except ImportFormatError as exc:
            if not skip_invalid:
                raise
            yield exc
            return
        try:
            yield parser(record, index=index)
        except ImportFormatError as exc:
            if not skip_invalid:
                raise
            yield exc


__all__ = [
    "FORMATS",
    "ImportFormatError",
    "ParsedConversation",
    "get_parser",
    "iter_conversations",
    "parse_records",
]
