"""The chat model: ``ChatOpenAI`` when configured, otherwise the offline model.

``get_chat_model()`` returns ``langchain_openai.ChatOpenAI`` when ``OPENAI_API_KEY`` or
``OPENAI_BASE_URL`` is set (any OpenAI-compatible server: OpenAI, vLLM, Ollama, llama.cpp),
with the model name from ``CHATMEMORY_MODEL``. Otherwise it returns ``OfflineChatModel``, a
LangChain ``BaseChatModel`` that needs no network and answers *from the memory it was given*,
so a newcomer sees the conversation memory working without a key.
"""
from __future__ import annotations

import asyncio
import re
import time
import weakref
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
from django.conf import settings
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from .serialization import plain_text

_TOKEN_RE = re.compile(r"\S+\s*|\s+")


def _quote(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _best_memory_line(messages: list[BaseMessage], text: str) -> str | None:
    """The line of the memory system message (``sessions_app.memory``: marked in its
    ``additional_kwargs``) sharing the most words with ``text``, if any shares one."""
    words = {w.lower() for w in re.findall(r"\w{3,}", text)}
    best, score = None, 0
    for m in messages:
        if isinstance(m, SystemMessage) and m.additional_kwargs.get("chatmemory") == "memory":
            for line in plain_text(m).splitlines():
                shared = len(words & {w.lower() for w in re.findall(r"\w{3,}", line)})
                if shared > score and not line.endswith(":"):
                    best, score = line.lstrip("- "), shared
    return best


class OfflineChatModel(BaseChatModel):
    """A deterministic chat model that works without any network or key.

    Its answer says plainly that it is the offline model, how many earlier messages of the
    conversation it was given and what the user said first, the line of memory from beyond the
    window (``sessions_app.memory``) closest to the new message, then echoes the new message. It
    streams word by word (``_stream``), sleeping ``token_delay_ms`` milliseconds between words
    so the browser shows the answer arriving.
    """

    token_delay_ms: int = 0

    @property
    def _llm_type(self) -> str:
        return "chatmemory-offline"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model": "chatmemory-offline"}

    def compose_answer(self, messages: list[BaseMessage]) -> str:
        """The full answer for this prompt (what ``_generate`` returns and ``_stream`` streams)."""
        conversation = [m for m in messages if not isinstance(m, SystemMessage)]
        if not conversation:
            return "I am the offline model of chatmemory. Say something and I will remember it."
        current = conversation[-1]
        earlier = conversation[:-1]
        humans = [m for m in earlier if isinstance(m, HumanMessage)]
        parts = ["I am the offline model (no OPENAI_API_KEY is set), answering from memory."]
        if not earlier:
            parts.append("This is the start of our conversation: I see no earlier messages.")
        else:
            noun = "message" if len(earlier) == 1 else "messages"
            parts.append(f"I can see {len(earlier)} earlier {noun} in this conversation.")
            if humans:
                parts.append(f'The first thing you said that I can see was: "{_quote(plain_text(humans[0]))}".')
        if recalled := _best_memory_line(messages, plain_text(current)):
            parts.append(f'From memory beyond our recent messages: "{_quote(recalled, 160)}".')
        parts.append(f'You just said: "{_quote(plain_text(current), 200)}".')
        return " ".join(parts)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = self.compose_answer(messages)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        text = self.compose_answer(messages)
        for index, token in enumerate(_TOKEN_RE.findall(text)):
            if index and self.token_delay_ms:
                time.sleep(self.token_delay_ms / 1000)
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=token))
            if run_manager:
                run_manager.on_llm_new_token(token, chunk=chunk)
            yield chunk

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        """``_stream`` on the event loop (``asyncio.sleep`` between words, no thread)."""
        text = self.compose_answer(messages)
        for index, token in enumerate(_TOKEN_RE.findall(text)):
            if index and self.token_delay_ms:
                await asyncio.sleep(self.token_delay_ms / 1000)
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=token))
            if run_manager:
                await run_manager.on_llm_new_token(token, chunk=chunk)
            yield chunk


class _PerLoopAsyncClient(httpx.AsyncClient):
    """The async HTTP client of ``ChatOpenAI``: one connection pool per event loop, sized for
    thousands of concurrent streams (``CHATMEMORY_MODEL_MAX_CONNECTIONS``; the OpenAI SDK's own
    default pool stops at 1,000). A pooled connection belongs to the loop that opened it, and a
    model is built in a worker thread before the loop that streams it is known, so ``send`` picks
    the running loop's pool."""

    def __init__(self) -> None:
        super().__init__()
        self._pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
            weakref.WeakKeyDictionary()
        )

    async def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        loop = asyncio.get_running_loop()
        pool = self._pools.get(loop)
        if pool is None:
            size = settings.CHATMEMORY_MODEL_MAX_CONNECTIONS
            limits = httpx.Limits(max_connections=size, max_keepalive_connections=size, keepalive_expiry=30)
            pool = self._pools[loop] = httpx.AsyncClient(limits=limits, follow_redirects=True)
        return await pool.send(request, **kwargs)


_ASYNC_CLIENT: _PerLoopAsyncClient | None = None


def openai_configured() -> bool:
    return bool(settings.OPENAI_API_KEY or settings.OPENAI_BASE_URL)


def get_chat_model(
    *, timeout: float | None = None, max_retries: int = 1, max_tokens: int | None = None
) -> BaseChatModel:
    """The configured chat model (see the module docstring).

    ``timeout`` (seconds, default ``CHATMEMORY_MODEL_TIMEOUT``), ``max_retries`` and
    ``max_tokens`` (the answer's limit) bound a call, e.g. the small one that titles a
    conversation. Streams ask for the token usage (``stream_usage``): OpenAI-compatible servers
    then send it in the last chunk and the stored answer carries it as ``usage_metadata``.
    """
    if openai_configured():
        from langchain_openai import ChatOpenAI

        kwargs: dict[str, Any] = {
            "model": settings.CHATMEMORY_MODEL,
            "api_key": settings.OPENAI_API_KEY or "not-needed",
            "timeout": timeout or settings.CHATMEMORY_MODEL_TIMEOUT,
            "max_retries": max_retries,
            "stream_usage": True,
        }
        if max_tokens is not None:
            kwargs["max_tokens"] = max_tokens
        if settings.OPENAI_BASE_URL:
            kwargs["base_url"] = settings.OPENAI_BASE_URL
        global _ASYNC_CLIENT
        if _ASYNC_CLIENT is None:
            _ASYNC_CLIENT = _PerLoopAsyncClient()
        return ChatOpenAI(**kwargs, http_async_client=_ASYNC_CLIENT)
    return OfflineChatModel(token_delay_ms=settings.CHATMEMORY_OFFLINE_TOKEN_DELAY_MS)


def model_label() -> str:
    """A short human label for the configured model (shown in the UI)."""
    return settings.CHATMEMORY_MODEL if openai_configured() else "offline model"
