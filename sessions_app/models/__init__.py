"""chatmemory's models, one module per concern."""
from .audit import AuditLogEntry, AuditLogEntryQuerySet
from .checkpoints import Checkpoint, CheckpointBlob, CheckpointWrite
from .messages import ChatMessage, ChatMessageQuerySet
from .sessions import ChatSession, ChatSessionQuerySet
from .state import SessionState, SessionStateQuerySet

__all__ = [
    "AuditLogEntry",
    "AuditLogEntryQuerySet",
    "ChatMessage",
    "ChatMessageQuerySet",
    "ChatSession",
    "ChatSessionQuerySet",
    "Checkpoint",
    "CheckpointBlob",
    "CheckpointWrite",
    "SessionState",
    "SessionStateQuerySet",
]
