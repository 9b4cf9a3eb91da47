"""chatmemory's models, one module per concern."""
from .checkpoints import Checkpoint, CheckpointBlob, CheckpointWrite
from .messages import ChatMessage, ChatMessageQuerySet
from .sessions import ChatSession, ChatSessionQuerySet

__all__ = [
    "ChatMessage",
    "ChatMessageQuerySet",
    "ChatSession",
    "ChatSessionQuerySet",
    "Checkpoint",
    "CheckpointBlob",
    "CheckpointWrite",
]
