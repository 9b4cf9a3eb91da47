"""Writes with side effects, one module per concern (HackSoft styleguide "services").

Functions are named ``<entity>_<action>``, take keyword-only typed arguments and run in a
transaction. Reads live in ``sessions_app.selectors``.
"""
from .audit import audit_record
from .checkpoints import checkpoints_prune, thread_copy, thread_fork, thread_prune, threads_delete
from .erasure import user_erase, user_erase_preview
from .imports import ImportSummary, conversations_import, import_session_id
from .lifecycle import sessions_archive, sessions_delete, sessions_unarchive
from .messages import messages_append, messages_append_and_read, messages_clear
from .sessions import (
    session_archive,
    session_create,
    session_delete,
    session_rename,
    session_set_cache_ttl,
    session_set_expiry,
    session_set_metadata,
    session_unarchive,
)
from .state import state_prune, state_rollback, state_save
from .tokens import api_token_authenticate, api_token_create, api_token_revoke
from .transfer import SessionExists, session_export, session_export_chunks, session_import

__all__ = [
    "ImportSummary",
    "SessionExists",
    "api_token_authenticate",
    "api_token_create",
    "api_token_revoke",
    "audit_record",
    "checkpoints_prune",
    "conversations_import",
    "import_session_id",
    "messages_append",
    "messages_append_and_read",
    "messages_clear",
    "session_archive",
    "session_create",
    "session_delete",
    "session_export",
    "session_export_chunks",
    "session_import",
    "session_rename",
    "session_set_cache_ttl",
    "session_set_expiry",
    "session_set_metadata",
    "session_unarchive",
    "sessions_archive",
    "sessions_delete",
    "sessions_unarchive",
    "state_prune",
    "state_rollback",
    "state_save",
    "thread_copy",
    "thread_fork",
    "thread_prune",
    "threads_delete",
    "user_erase",
    "user_erase_preview",
]
