"""Browser UI views (thin: forms validate, services write, ``conversations.selectors`` read)."""
from .accounts import signup
from .chat import conversation_stream
from .conversations import (
    conversation_create,
    conversation_delete,
    conversation_detail,
    conversation_list,
    conversation_rename,
)
from .memory import memory_delete, memory_edit, memory_list
from .tokens import api_token_list, api_token_revoke

__all__ = [
    "api_token_list",
    "api_token_revoke",
    "conversation_create",
    "conversation_delete",
    "conversation_detail",
    "conversation_list",
    "conversation_rename",
    "conversation_stream",
    "memory_delete",
    "memory_edit",
    "memory_list",
    "signup",
]
