"""Memory beyond the context window, for the chat: summaries, recall, user memories.

``context`` (``TurnMemory``: the chat turn's one hook), ``summary`` (the rolling summary, versioned
in the store), ``recall`` (older messages relevant to the new one), ``user`` (the user's memories:
the Memory page, "remember …"), ``tools`` (the ``save_memory`` tool of a real model),
``background`` (tasks the turn does not wait for). See docs/memory.md.
"""
from __future__ import annotations

from .context import TurnMemory

__all__ = ["TurnMemory"]
