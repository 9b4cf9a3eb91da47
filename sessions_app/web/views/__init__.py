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
from .data import data_delete_account, data_delete_conversations, data_export, data_import, data_settings
from .find import search_page
from .memory import memory_delete, memory_edit, memory_list
from .organize import (
    conversation_archive,
    conversation_export,
    conversation_move,
    conversation_pin,
    conversation_unarchive,
    folder_list,
)
from .shares import conversation_share, conversation_unshare, share_list, share_revoke
from .sharing import shared_conversation
from .tokens import api_token_list, api_token_revoke

__all__ = [
    "api_token_list",
    "api_token_revoke",
    "chat_home",
    "conversation_archive",
    "conversation_branch",
    "conversation_delete",
    "conversation_detail",
    "conversation_export",
    "conversation_list",
    "conversation_move",
    "conversation_pin",
    "conversation_rename",
    "conversation_share",
    "conversation_start",
    "conversation_stop",
    "conversation_stream",
    "conversation_unarchive",
    "conversation_unshare",
    "conversation_updates",
    "data_delete_account",
    "data_delete_conversations",
    "data_export",
    "data_import",
    "data_settings",
    "folder_list",
    "memory_delete",
    "memory_edit",
    "memory_list",
    "search_page",
    "share_list",
    "share_revoke",
    "shared_conversation",
    "signup",
]
