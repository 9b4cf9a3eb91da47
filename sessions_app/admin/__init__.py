"""Django admin for staff, one module per model family (importing a module registers its models).

audit, checkpoints (LangGraph threads), messages + sessions (ChatMessage, ChatSession), state,
store (long-term memory items), tokens (API tokens: list, revoke), users.
"""
from . import audit, checkpoints, messages, sessions, state, store, tokens, users  # noqa: F401
