"""Browser UI views (thin: forms validate, services write, ``conversations.selectors`` read)."""
from .accounts import signup
from .chat import conversation_branch, conversation_start, conversation_stop, conversation_stream
from .conversations import (
    chat_home,
    conversation_delete,
    conversation_detail,
    conversation_list,
    conversation_rename,
    conversation_updates,
)
from .memory import memory_delete, memory_edit, memory_list
from .sharing import shared_conversation
from .tokens import api_token_list, api_token_revoke

__all__ = [
    "api_token_list",
    "api_token_revoke",
    "chat_home",
    "conversation_branch",
    "conversation_delete",
    "conversation_detail",
    "conversation_list",
    "conversation_rename",
    "conversation_start",
    "conversation_stop",
    "conversation_stream",
    "conversation_updates",
    "memory_delete",
    "memory_edit",
    "memory_list",
    "shared_conversation",
    "signup",
]
