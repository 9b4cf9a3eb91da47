"""The ``save_memory`` tool: a real chat model may keep a fact about the user, mid-turn.

``with_memory_tool(model, save)`` wraps the turn's chat model (``BaseChatModel``) when a real
model is configured: the wrapped model is called with the tool bound (``bind_tools``); if its
answer calls ``save_memory(text)``, ``save(text)`` stores the fact (``memory.user.memory_add``
under the turn's user) and the model is called once more, with the tool results, for the answer
the user sees. Streaming streams both calls' text. The stored turn is
``[HumanMessage, AIMessage(final text)]``: tool calls are not kept in the conversation.

``_agenerate`` / ``_astream`` are the async twins (ASGI: without them LangChain would run the
sync stream in a thread of a small pool for the whole answer); ``save`` touches the database, so
they run it on Django's thread-sensitive executor.
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from asgiref.sync import sync_to_async
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict

SAVE_MEMORY = {
    "type": "function",
    "function": {
        "name": "save_memory",
        "description": "Save one short fact about the user (a name, a preference, a plan …) so that it is "
                       "remembered in all their future conversations. Use it when the user tells you "
                       "something about themselves worth remembering.",
        "parameters": {"type": "object", "properties": {"text": {"type": "string", "description": "The fact."}},
                       "required": ["text"]},
    },
}


class MemoryToolModel(BaseChatModel):
    """``inner`` with ``save_memory`` bound; runs the tool and asks ``inner`` again (module doc)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    inner: BaseChatModel
    save: Callable[[str], object]

    @property
    def _llm_type(self) -> str:
        return f"memory-tools({self.inner._llm_type})"

    def _tool_results(self, message: AIMessage) -> list[BaseMessage]:
        results: list[BaseMessage] = []
        for call in message.tool_calls:
            if call["name"] == "save_memory" and isinstance(call["args"].get("text"), str):
                try:
                    self.save(call["args"]["text"])
                    content = "saved"
                except Exception as exc:  # a refused memory is the model's business, not a failed turn
                    content = f"not saved: {exc}"
            else:
                content = f"unknown tool {call['name']}"
            results.append(ToolMessage(content=content, tool_call_id=call.get("id") or ""))
        return results

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        first = self.inner.bind_tools([SAVE_MEMORY]).invoke(messages, stop=stop, **kwargs)
        if not isinstance(first, AIMessage) or not first.tool_calls:
            return ChatResult(generations=[ChatGeneration(message=first)])
        final = self.inner.invoke([*messages, first, *self._tool_results(first)], stop=stop, **kwargs)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=final.content))])

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        # Chunks pass through with their metadata (finish_reason, usage, id) but without tool-call
        # chunks, which are held back until the first call is complete.
        total: AIMessageChunk | None = None
        held: list[AIMessageChunk] = []
        for chunk in self.inner.bind_tools([SAVE_MEMORY]).stream(messages, stop=stop, **kwargs):
            if not isinstance(chunk, AIMessageChunk):
                continue
            total = chunk if total is None else total + chunk
            if total.tool_call_chunks:
                held.append(chunk)
                if chunk.text:
                    yield ChatGenerationChunk(message=AIMessageChunk(content=chunk.text))
                continue
            yield ChatGenerationChunk(message=chunk)
        if total is None or not total.tool_calls:
            for chunk in held:  # tool-call chunks that did not make a tool call: keep their metadata
                yield ChatGenerationChunk(message=AIMessageChunk(content="", response_metadata=chunk.response_metadata))
            return
        first = AIMessage(content=total.content, tool_calls=total.tool_calls)
        for chunk in self.inner.stream([*messages, first, *self._tool_results(first)], stop=stop, **kwargs):
            if isinstance(chunk, AIMessageChunk):
                yield ChatGenerationChunk(message=chunk)



    async def _agenerate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                         run_manager: AsyncCallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        first = await self.inner.bind_tools([SAVE_MEMORY]).ainvoke(messages, stop=stop, **kwargs)
        if not isinstance(first, AIMessage) or not first.tool_calls:
            return ChatResult(generations=[ChatGeneration(message=first)])
        results = await sync_to_async(self._tool_results)(first)
        final = await self.inner.ainvoke([*messages, first, *results], stop=stop, **kwargs)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=final.content))])

    async def _astream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                       run_manager: AsyncCallbackManagerForLLMRun | None = None,
                       **kwargs: Any) -> AsyncIterator[ChatGenerationChunk]:
        total: AIMessageChunk | None = None
        held: list[AIMessageChunk] = []
        async for chunk in self.inner.bind_tools([SAVE_MEMORY]).astream(messages, stop=stop, **kwargs):
            if not isinstance(chunk, AIMessageChunk):
                continue
            total = chunk if total is None else total + chunk
            if total.tool_call_chunks:
                held.append(chunk)
                if chunk.text:
                    yield ChatGenerationChunk(message=AIMessageChunk(content=chunk.text))
                continue
            yield ChatGenerationChunk(message=chunk)
        if total is None or not total.tool_calls:
            for chunk in held:
                yield ChatGenerationChunk(message=AIMessageChunk(content="", response_metadata=chunk.response_metadata))
            return
        first = AIMessage(content=total.content, tool_calls=total.tool_calls)
        results = await sync_to_async(self._tool_results)(first)
        async for chunk in self.inner.astream([*messages, first, *results], stop=stop, **kwargs):
            if isinstance(chunk, AIMessageChunk):
                yield ChatGenerationChunk(message=chunk)


def with_memory_tool(model: BaseChatModel, save: Callable[[str], object]) -> BaseChatModel:
    return MemoryToolModel(inner=model, save=save)
