"""Accounts: personal API tokens (``tokens``: create, authenticate, revoke)."""
