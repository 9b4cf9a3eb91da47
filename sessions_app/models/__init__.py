"""chatmemory's models, one module per concern."""
from .audit import AuditLogEntry, AuditLogEntryQuerySet
from .checkpoints import Checkpoint, CheckpointBlob, CheckpointThread, CheckpointWrite
from .messages import ChatMessage, ChatMessageQuerySet
from .sessions import TITLE_MAX_LENGTH, ChatSession, ChatSessionQuerySet
from .state import SessionState, SessionStateQuerySet
from .store import StoreItem, StoreItemQuerySet, StoreVector
from .tokens import ApiToken, ApiTokenQuerySet

__all__ = [
    "ApiToken",
    "ApiTokenQuerySet",
    "AuditLogEntry",
    "AuditLogEntryQuerySet",
    "ChatMessage",
    "ChatMessageQuerySet",
    "ChatSession",
    "ChatSessionQuerySet",
    "Checkpoint",
    "CheckpointBlob",
    "CheckpointThread",
    "CheckpointWrite",
    "SessionState",
    "SessionStateQuerySet",
    "StoreItem",
    "StoreItemQuerySet",
    "StoreVector",
    "TITLE_MAX_LENGTH",
]
