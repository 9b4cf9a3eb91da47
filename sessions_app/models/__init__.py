"""chatmemory's models, one module per concern."""
from .audit import AuditLogEntry, AuditLogEntryQuerySet
from .checkpoints import Checkpoint, CheckpointBlob, CheckpointThread, CheckpointWrite
from .folders import FOLDER_NAME_MAX_LENGTH, Folder, FolderQuerySet
from .messages import ChatMessage, ChatMessageQuerySet
from .schedule import BeatLease
from .sessions import TITLE_MAX_LENGTH, ChatSession, ChatSessionQuerySet
from .sharing import ShareLink, ShareLinkQuerySet
from .state import SessionState, SessionStateQuerySet
from .store import StoreItem, StoreItemQuerySet, StoreVector
from .tokens import ApiToken, ApiTokenQuerySet
from .tombstones import DeletedSession

__all__ = [
    "ApiToken",
    "ApiTokenQuerySet",
    "BeatLease",
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
    "DeletedSession",
    "FOLDER_NAME_MAX_LENGTH",
    "Folder",
    "FolderQuerySet",
    "SessionState",
    "SessionStateQuerySet",
    "ShareLink",
    "ShareLinkQuerySet",
    "StoreItem",
    "StoreItemQuerySet",
    "StoreVector",
    "TITLE_MAX_LENGTH",
]
