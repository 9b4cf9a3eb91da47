"""chatmemory's app: conversations, their messages and everything that hangs off them."""
