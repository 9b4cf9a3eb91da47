"""The old name of our OpenAI-compatible test server: ``tests.openai_server.OpenAIServer``.

``OpenAIStubServer()`` is that server with no pacing (``ttft_ms=0``, ``tokens_per_s=0``) and the
same answer, ``"stub saw N messages; last: <text>"``; ``FAIL`` in the last message gets a 500.
New tests should import ``OpenAIServer`` from ``tests.openai_server``.
"""
from __future__ import annotations

from .openai_server import OpenAIServer as OpenAIStubServer

__all__ = ["OpenAIStubServer"]
