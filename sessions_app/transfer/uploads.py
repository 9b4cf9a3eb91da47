"""Import of an uploaded ShareGPT / ChatGPT file (the page and ``POST /api/imports``), with progress.

The same guarantees as ``manage.py import_conversations`` (``docs/import.md``), because it is the
same two passes over the same parts:

1. **check** the whole file, streaming (``importers.iter_conversations``): with any invalid
   conversation and without ``skip_invalid``, *nothing* is written and every problem is listed
   with its place (``conversation #12 (id "abc"), message 3: unknown role "foo"``);
2. **write** the valid conversations with ``imports.conversations_import``, ``BATCH`` per
   transaction — a conversation is in the database whole or not at all, the ids are
   deterministic (re-uploading the same file imports nothing twice), each batch is audited.

``import_events`` yields ``(event, data)`` pairs as it goes — ``progress`` (``phase`` "checking"
with ``done``, or "importing" with ``done``/``total`` conversations), then ``done`` (the summary)
or ``error`` (``invalid`` with ``problems``; nothing written) — so an interface can stream them
(server-sent events) or just take the last one (``import_file``).
"""
from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import IO, Any

from ..governance.audit import Actor
from .importers import FORMATS, ImportFormatError, ParsedConversation, iter_conversations
from .imports import conversations_import

BATCH = 200  # conversations per transaction (and per progress event while writing)
CHECK_EVERY = 500  # conversations between progress events while checking
MAX_LISTED = 20  # problems listed in an answer


def _problems(errors: list[ImportFormatError]) -> list[str]:
    listed = [str(e) for e in errors[:MAX_LISTED]]
    if len(errors) > MAX_LISTED:
        listed.append(f"… and {len(errors) - MAX_LISTED} more")
    return listed


def import_events(*, owner: Any, fp: IO[bytes], source_format: str, actor: Actor, skip_invalid: bool = False,
                  tenant: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Check, then write ``fp`` (seekable, binary) as ``owner``'s conversations; yield the events.

    ``source_format`` is ``"sharegpt"`` or ``"chatgpt"`` (anything else: an ``error`` event).
    The sessions are created in ``tenant``. Database errors propagate (a batch already written
    stays: it is whole and the next upload skips it).
    """
    if source_format not in FORMATS:
        yield "error", {"error": "invalid", "detail": f"format must be one of {', '.join(FORMATS)}", "problems": []}
        return
    errors: list[ImportFormatError] = []
    count = 0
    for item in iter_conversations(fp, source_format=source_format, skip_invalid=True):
        if isinstance(item, ImportFormatError):
            errors.append(item)
        else:
            count += 1
        if (count + len(errors)) % CHECK_EVERY == 0:
            yield "progress", {"phase": "checking", "done": count + len(errors)}
    yield "progress", {"phase": "checking", "done": count + len(errors)}
    if errors and not skip_invalid:
        yield "error", {"error": "invalid", "problems": _problems(errors),
                        "detail": f"{len(errors)} problem(s) in the file; nothing was imported"}
        return
    fp.seek(0)
    valid = (item for item in iter_conversations(fp, source_format=source_format, skip_invalid=True)
             if isinstance(item, ParsedConversation))
    totals = {"imported": 0, "skipped_existing": 0, "skipped_empty": 0, "messages": 0, "seconds": 0.0}
    done = 0
    yield "progress", {"phase": "importing", "done": 0, "total": count}
    while batch := list(islice(valid, BATCH)):
        summary = conversations_import(owner=owner, conversations=batch, batch_size=BATCH, actor=actor, tenant=tenant)
        for key in totals:
            totals[key] += getattr(summary, key)
        done += len(batch)
        yield "progress", {"phase": "importing", "done": done, "total": count}
    yield "done", {**totals, "seconds": round(totals["seconds"], 2), "invalid": len(errors),
                   "problems": _problems(errors)}


def import_file(**kwargs: Any) -> tuple[str, dict[str, Any]]:
    """``import_events`` run to the end: its last event, ``("done", summary)`` or ``("error", …)``."""
    events = list(import_events(**kwargs))
    return events[-1] if events else ("error", {"error": "invalid", "detail": "empty file", "problems": []})
