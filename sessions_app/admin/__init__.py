"""Django admin for staff, one module per model family."""
from . import audit, state, users  # noqa: F401
from . import checkpoints  # noqa: F401,E402  (LangGraph threads)
from . import messages, sessions  # noqa: F401  (registers ChatMessage and ChatSession)
from . import tokens  # noqa: F401,E402  (API tokens: list, revoke)
