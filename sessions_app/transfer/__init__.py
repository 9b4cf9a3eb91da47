"""Moving conversations between systems: the one export format (``docs/export-format.md``) and importers.

``export`` writes a session as a ``chatmemory.session`` document (streamed, one message per
line; several sessions are a JSON array of them); ``native`` validates such a document into a
``SessionDocument`` that ``services.session_import`` writes; ``foreign`` turns one ShareGPT/ChatGPT
conversation into such a document. Whole export files go through ``importers`` (one parser per
format) and ``imports.conversations_import`` (batched, idempotent, audited).
"""
from __future__ import annotations

from .export import FORMAT, FORMAT_VERSION, iter_session_document
from .native import SessionDocument, parse_session_document

__all__ = ["FORMAT", "FORMAT_VERSION", "SessionDocument", "iter_session_document", "parse_session_document"]
