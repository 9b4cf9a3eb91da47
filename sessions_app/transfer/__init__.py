"""Moving one session between systems: the documented JSON export format (``docs/export-format.md``).

``export`` writes a session as a ``chatmemory.session`` document (streamed, one message per
line); ``native`` validates such a document into a ``SessionDocument`` that
``services.session_import`` writes. ShareGPT and ChatGPT files go through ``sessions_app.importers``.
"""
from __future__ import annotations

from .export import FORMAT, FORMAT_VERSION, iter_session_document
from .native import SessionDocument, parse_session_document

__all__ = ["FORMAT", "FORMAT_VERSION", "SessionDocument", "iter_session_document", "parse_session_document"]
