"""Writing the ``chatmemory.session`` export document (format version 1), streamed.

Layout (exact bytes; see ``docs/export-format.md``)::

    {
    "format": "chatmemory.session",
    "format_version": 1,
    "exported_at": "2026-11-22T03:10:00.123456+00:00",
    "session": {…one line…},
    "messages": [
    {"seq": 1, "created_at": "…", "message": {"data": {…}, "type": "human"}},
    …
    ],
    "state_versions": [
    {"version": 1, "tag": null, "source_version": null, "created_at": "…", "state": {…}},
    …
    ]
    }

Several sessions (the admin's "export selected", a user's "export all") are a *bundle*: a JSON
array of such documents, ``[\n<document>,\n<document>\n]\n`` — the one export format, repeated.

Every JSON value is written with sorted keys, ``ensure_ascii=False`` and ``allow_nan=False``, so
the same data always gives the same bytes (the round-trip test relies on it). Messages are read
with ``iterator()`` in ``seq`` order: memory holds one chunk, not the session.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone

from ..models import ChatMessage, ChatSession, SessionState

FORMAT = "chatmemory.session"
FORMAT_VERSION = 1
CHUNK = 2000  # rows per database round trip
BUNDLE_CHUNK = 100  # sessions per pair of queries in a bundle


def dumps(value: Any) -> str:
    """The canonical JSON text of a value in this format."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, allow_nan=False, separators=(", ", ": "))


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with microseconds (``2026-11-22T03:10:00.000000+00:00``), or ``None``."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def session_fields(session: ChatSession) -> dict[str, Any]:
    """The ``session`` object of the document."""
    return {
        "id": str(session.pk),
        "owner": session.owner.get_username(),
        "title": session.title,
        "tenant": session.tenant,
        "status": session.status,
        "metadata": session.metadata,
        "created_at": iso(session.created_at),
        "last_active_at": iso(session.last_active_at),
        "archived_at": iso(session.archived_at),
        "expires_at": iso(session.expires_at),
        "cache_ttl": session.cache_ttl,
        "last_seq": session.last_seq,
    }


def iter_session_document(
    session: ChatSession, *, exported_at: datetime | None = None, counts: dict[str, int] | None = None
) -> Iterator[str]:
    """Yield the document for ``session`` as text pieces (concatenate them, or write each).

    Consistent prefix: only messages with ``seq <= session.last_seq`` as read in ``session``
    are written, so an append racing the export never makes the body run past the header's
    ``last_seq``. ``counts`` (if given) receives ``messages`` and ``state_versions`` written.
    Nothing is written to the database here (``transfer.services.session_export`` audits).
    """
    messages = (
        ChatMessage.objects.filter(session_id=session.pk, seq__lte=session.last_seq)
        .order_by("seq").values_list("seq", "created_at", "message").iterator(chunk_size=CHUNK)
    )
    states = (
        SessionState.objects.filter(session_id=session.pk).order_by("version")
        .values_list("version", "tag", "source_version", "created_at", "state").iterator(chunk_size=CHUNK)
    )
    yield from _document(session, messages, states, exported_at or timezone.now(), counts)


def _document(session: ChatSession, messages: Iterable[tuple[Any, ...]], states: Iterable[tuple[Any, ...]],
              exported_at: datetime, counts: dict[str, int] | None) -> Iterator[str]:
    """The document's text from its rows: messages ``(seq, created_at, message)`` in seq order and
    state versions ``(version, tag, source_version, created_at, state)`` in version order."""
    counts = counts if counts is not None else {}
    counts.update(messages=0, state_versions=0)
    yield "{\n"
    yield f'"format": {dumps(FORMAT)},\n'
    yield f'"format_version": {FORMAT_VERSION},\n'
    yield f'"exported_at": {dumps(iso(exported_at))},\n'
    yield f'"session": {dumps(session_fields(session))},\n'
    yield '"messages": ['
    separator = "\n"
    for seq, created_at, message in messages:
        yield separator + dumps({"seq": seq, "created_at": iso(created_at), "message": message})
        separator = ",\n"
        counts["messages"] += 1
    yield "\n],\n"
    yield '"state_versions": ['
    separator = "\n"
    for version, tag, source_version, created_at, state in states:
        item = {"version": version, "tag": tag, "source_version": source_version,
                "created_at": iso(created_at), "state": state}
        yield separator + dumps(item)
        separator = ",\n"
        counts["state_versions"] += 1
    yield "\n]\n}\n"


def _rows_by_session(rows: Iterator[tuple[Any, ...]], session_ids: list[Any]) -> Iterator[list[tuple[Any, ...]]]:
    """Split rows ordered by ``(session_id, …)`` into one list per id of ``session_ids`` (that order)."""
    pending = next(rows, None)
    for session_id in session_ids:
        group: list[tuple[Any, ...]] = []
        while pending is not None and pending[0] == session_id:
            group.append(pending[1:])
            pending = next(rows, None)
        yield group


def iter_session_bundle(sessions: Sequence[ChatSession], *, exported_at: datetime | None = None,
                        counts: dict[str, int] | None = None) -> Iterator[str]:
    """Yield a JSON array of ``chatmemory.session`` documents, one per session (ordered by id).

    Sessions are read in chunks of ``BUNDLE_CHUNK``: per chunk one query for all their messages and
    one for all their state versions (2 queries per chunk, not per session); memory holds one
    chunk's rows. ``counts`` (if given) receives ``sessions``, ``messages`` and ``state_versions``.
    """
    totals = counts if counts is not None else {}
    totals.update(sessions=0, messages=0, state_versions=0)
    stamp = exported_at or timezone.now()
    ordered = sorted(sessions, key=lambda s: s.pk)  # the database's uuid order is the same
    yield "["
    separator = "\n"
    for start in range(0, len(ordered), BUNDLE_CHUNK):
        chunk = ordered[start:start + BUNDLE_CHUNK]
        ids = [s.pk for s in chunk]
        messages = _rows_by_session(iter(
            ChatMessage.objects.filter(session_id__in=ids).order_by("session_id", "seq")
            .values_list("session_id", "seq", "created_at", "message")
        ), ids)
        states = _rows_by_session(iter(
            SessionState.objects.filter(session_id__in=ids).order_by("session_id", "version")
            .values_list("session_id", "version", "tag", "source_version", "created_at", "state")
        ), ids)
        for session, session_messages, session_states in zip(chunk, messages, states, strict=True):
            one: dict[str, int] = {}
            kept = [m for m in session_messages if m[0] <= session.last_seq]
            yield separator
            yield from _document(session, kept, session_states, stamp, one)
            totals["sessions"] += 1
            totals["messages"] += one["messages"]
            totals["state_versions"] += one["state_versions"]
            separator = ",\n"
    yield "]\n"
