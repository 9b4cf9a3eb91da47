"""Whether the calling thread runs an event loop (where Django refuses the ORM).

One question asked by the storage layers and the history alike: on such a thread a sync ORM call
raises ``SynchronousOnlyOperation``, so the checkpoint saver hands its work to its own thread
(``checkpoint.dispatch``) and ``DjangoChatMessageHistory.for_user`` defers its query.
"""
from __future__ import annotations

import asyncio


def event_loop_running() -> bool:
    """True when an asyncio event loop is running on the current thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
