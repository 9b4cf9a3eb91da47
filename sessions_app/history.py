"""The public import path of the LangChain chat history: ``from sessions_app.history import
DjangoChatMessageHistory``. It lives in ``sessions_app.conversations.history``."""
from __future__ import annotations

from .conversations.history import DjangoChatMessageHistory

__all__ = ["DjangoChatMessageHistory"]
