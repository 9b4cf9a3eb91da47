"""LangGraph long-term memory on the Django ORM: ``DjangoStore`` and its helpers.

``store`` (the ``BaseStore``), ``ops`` (the SQL of a batch), ``filters`` (search filters → SQL),
``fts`` (full-text search), ``vectors`` (semantic search: pgvector or the portable scorer),
``ttl`` (the sweeper), ``namespaces`` (text form, matching, and the user/tenant convention).
"""
from __future__ import annotations

from .namespaces import owner_of, session_namespace, session_of, user_namespace
from .store import DjangoStore

__all__ = ["DjangoStore", "owner_of", "session_namespace", "session_of", "user_namespace"]
