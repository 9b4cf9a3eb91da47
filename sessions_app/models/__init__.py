"""chatmemory's models, one module per concern."""
from .messages import ChatMessage, ChatMessageQuerySet
from .sessions import ChatSession, ChatSessionQuerySet

__all__ = ["ChatMessage", "ChatMessageQuerySet", "ChatSession", "ChatSessionQuerySet"]
