"""LangGraph checkpoints on the Django ORM: ``DjangoSaver`` and its helpers.

``saver`` (the ``BaseCheckpointSaver``), ``rows`` (reading rows, the ``list`` query), ``writes``
(``put`` / ``put_writes`` statements), ``sql`` (per-vendor statements), ``maintenance`` (delete /
copy), ``prune`` (what a pruned thread keeps), ``delta`` (``get_delta_channel_history``),
``dispatch`` (which thread and connection run the queries), ``selectors`` (threads of a
conversation, timelines), ``services`` (fork, copy, prune, delete for the admin and commands),
``versions`` (channel version strings).
"""
from __future__ import annotations

from .dispatch import close_db_thread
from .saver import DjangoSaver

__all__ = ["DjangoSaver", "close_db_thread"]
