"""Browser UI views (thin: forms validate, ``services`` write, ``selectors`` read)."""
from .accounts import signup
from .chat import conversation_stream
from .conversations import (
    conversation_create,
    conversation_delete,
    conversation_detail,
    conversation_list,
    conversation_rename,
)

__all__ = [
    "conversation_create",
    "conversation_delete",
    "conversation_detail",
    "conversation_list",
    "conversation_rename",
    "conversation_stream",
    "signup",
]
