"""Conversations: the LangChain chat history, chat turns, the chat model, and their services.

``history`` (``DjangoChatMessageHistory``), ``chat`` (``ChatTurn``), ``sse`` (a turn as server-sent
events), ``llm`` (the configured chat model), ``serialization`` (LangChain's message dicts),
``sessions`` and ``messages`` (the write services), ``selectors`` (reads, and THE ownership gate),
``ratelimit`` (the per-user chat rate limit). May import storage (models, cache, db) and governance.
"""
