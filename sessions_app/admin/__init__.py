"""Django admin for staff, one module per model family."""
from . import audit, state, users  # noqa: F401
