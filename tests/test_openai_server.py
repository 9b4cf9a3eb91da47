"""Our OpenAI-compatible test server speaks OpenAI's wire format, paces, fails on demand, and scales.

Checked with raw HTTP (the exact chunks), with ``ChatOpenAI`` (the real client path: usage,
errors, a stream cut mid-way) and with 1,000 concurrent streams on one loop.
"""
from __future__ import annotations

import asyncio
import json
import time
import urllib.request

import pytest
from langchain_openai import ChatOpenAI

from .openai_server import OpenAIServer


def _post(base_url: str, body: dict) -> tuple[int, str]:
    request = urllib.request.Request(f"{base_url}/chat/completions", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _events(text: str) -> list:
    data = [line[len("data: "):] for line in text.split("\n\n") if line.startswith("data: ")]
    assert data[-1] == "[DONE]"
    return [json.loads(d) for d in data[:-1]]


def test_stream_chunks_are_openai_chat_completion_chunks_with_usage_last():
    with OpenAIServer() as server:
        status, text = _post(server.base_url, {"model": "m", "stream": True, "stream_options": {"include_usage": True},
                                               "messages": [{"role": "user", "content": "hello there"}]})
    assert status == 200
    chunks = _events(text)
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    assert len({c["id"] for c in chunks}) == 1
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": "", "refusal": None}
    content = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert content == "stub saw 1 messages; last: hello there"
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop" and chunks[-2]["usage"] is None
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] == 7
    assert all("usage" in c for c in chunks)


def test_stream_without_include_usage_has_no_usage_field_and_max_tokens_cuts_with_length():
    with OpenAIServer(answer_tokens=50) as server:
        status, text = _post(server.base_url, {"model": "m", "stream": True, "max_tokens": 10,
                                               "messages": [{"role": "user", "content": "x"}]})
    chunks = _events(text)
    assert status == 200 and all("usage" not in c for c in chunks)
    assert sum(1 for c in chunks if c["choices"][0]["delta"].get("content")) == 10
    assert chunks[-1]["choices"][0]["finish_reason"] == "length"


def test_chat_openai_streams_with_usage_through_base_url_and_paces_first_token():
    with OpenAIServer(ttft_ms=300, tokens_per_s=50, answer_tokens=10) as server:
        model = ChatOpenAI(model="m", api_key="sk-test", base_url=server.base_url, stream_usage=True)
        started = time.monotonic()
        stream = model.stream("hi")
        first = next(c for c in stream if c.content)
        ttft = time.monotonic() - started
        total = first
        for chunk in stream:
            total += chunk
        elapsed = time.monotonic() - started
        assert server.requests[-1]["auth"] == "Bearer sk-test"
    assert 0.3 <= ttft < 1.0
    assert elapsed >= 0.3 + 9 / 50
    assert total.content.startswith("stub saw 1 messages; last: hi tok")
    assert total.usage_metadata["output_tokens"] == 10


@pytest.mark.parametrize(("text", "status"), [("please FAIL", 500), ("[[status:429]]", 429), ("[[status:503]]", 503)])
def test_errors_on_demand_are_openai_error_bodies(text, status):
    with OpenAIServer() as server:
        code, body = _post(server.base_url, {"model": "m", "messages": [{"role": "user", "content": text}]})
    assert code == status
    assert json.loads(body)["error"]["type"] == "server_error"


def test_drop_directive_cuts_the_stream_and_the_client_sees_an_error():
    with OpenAIServer() as server:
        model = ChatOpenAI(model="m", api_key="k", base_url=server.base_url, max_retries=0)
        received = []
        with pytest.raises(Exception) as failure:
            for chunk in model.stream("go [[drop:3]]"):
                received.append(chunk.content)
    assert "".join(received) == "stub saw 1 "
    assert "connection" in type(failure.value).__name__.lower() or "incomplete" in str(failure.value).lower()


def test_a_thousand_concurrent_streams_on_one_loop():
    async def one(port: int) -> int:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        body = json.dumps({"model": "m", "stream": True, "messages": [{"role": "user", "content": "x"}]}).encode()
        writer.write(b"POST /v1/chat/completions HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                     b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        data = await reader.read()
        writer.close()
        return data.count(b"chat.completion.chunk")

    async def run(port: int) -> list[int]:
        return await asyncio.wait_for(asyncio.gather(*[one(port) for _ in range(1000)]), 60)

    with OpenAIServer(ttft_ms=500, tokens_per_s=20, answer_tokens=0) as server:
        started = time.monotonic()
        counts = asyncio.run(run(server.port))
        elapsed = time.monotonic() - started
        assert server.streams_completed == 1000
    assert counts == [8] * 1000  # role chunk + 6 tokens ("stub saw 1 messages; last: x") + finish chunk
    assert elapsed < 0.5 + 5 / 20 + 5  # all at once, not one after another
