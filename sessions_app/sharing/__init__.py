"""Share links: a read-only, no-login page of one conversation as it was when shared.

``services`` writes (create / change expiry / revoke, audited), ``selectors`` reads (the owner's
list, the public lookup by token). The link shows the messages up to the conversation's
``last_seq`` at sharing (``ShareLink.max_seq``) — a snapshot *by bound*, not a copy, so deleting
a message, the conversation or the account takes it off the shared page too.
"""
