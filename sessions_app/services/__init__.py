"""Writes with side effects, one module per concern (HackSoft styleguide "services").

Functions are named ``<entity>_<action>``, take keyword-only typed arguments and run in a
transaction. Reads live in ``sessions_app.selectors``.
"""
from .messages import messages_append, messages_clear
from .sessions import (
    session_archive,
    session_create,
    session_delete,
    session_rename,
    session_unarchive,
)

__all__ = [
    "messages_append",
    "messages_clear",
    "session_archive",
    "session_create",
    "session_delete",
    "session_rename",
    "session_unarchive",
]
