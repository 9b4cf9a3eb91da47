"""Django admin for staff, one module per model family."""
