"""LangGraph checkpoints on the Django ORM: ``DjangoSaver`` and its helpers.

``saver`` (the ``BaseCheckpointSaver``), ``sql`` (per-vendor statements), ``maintenance``
(delete / copy / prune), ``delta`` (``get_delta_channel_history``), ``dispatch`` (which thread and
connection run the queries).
"""
from __future__ import annotations

from .dispatch import close_db_thread
from .saver import DjangoSaver

__all__ = ["DjangoSaver", "close_db_thread"]
