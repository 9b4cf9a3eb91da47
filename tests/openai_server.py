"""An OpenAI-compatible chat-completions server of ours, for tests and benchmarks, on a loopback port.

``POST /v1/chat/completions`` answers as OpenAI's API does: a ``chat.completion`` JSON object, or
with ``"stream": true`` server-sent events of ``chat.completion.chunk`` objects — a first chunk
with ``{"role": "assistant", "content": ""}``, one chunk per token, a chunk with
``finish_reason`` (``stop``, or ``length`` when ``max_tokens``/``max_completion_tokens`` cut the
answer), then with ``stream_options.include_usage`` a last chunk with ``choices: []`` and
``usage`` (every other chunk carries ``"usage": null`` then), then ``data: [DONE]``.

The answer is ``"stub saw N messages; last: <text>"`` (what tests check the sent context with),
padded with ``tokN`` words up to ``answer_tokens`` tokens when that is set (benchmarks). A token
is one word with its trailing space. Pacing: ``ttft_ms`` milliseconds before the first token,
then ``tokens_per_s`` (0 = as fast as possible), scheduled from the request's arrival so the
rates hold under load. Errors on demand, written in the last message: ``FAIL`` → 500,
``[[status:429]]`` → that status with OpenAI's error body, ``[[drop:5]]`` → the connection is
closed after 5 tokens, mid-stream. Every request is recorded in ``requests`` (``path``, ``body``,
``auth``; the last ``keep_requests``).

One asyncio event loop (uvloop when installed) serves every connection — thousands of concurrent
streams. In a test::

    with OpenAIServer(ttft_ms=0) as server:          # a thread of the test process
        env["OPENAI_BASE_URL"] = server.base_url      # http://127.0.0.1:<port>/v1

From a benchmark or a shell, its own process (prints ``listening http://127.0.0.1:PORT/v1``)::

    python -m tests.openai_server --port 0 --ttft-ms 500 --tokens-per-s 20 --answer-tokens 64
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import json
import re
import threading
import time
from typing import Any

_DIRECTIVE = re.compile(r"\[\[(status|drop):(\d+)\]\]")
_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 429: "Too Many Requests", 500: "Internal Server Error",
            503: "Service Unavailable"}


class OpenAIServer:
    """The server (see the module docstring). ``start()``/``stop()`` or a ``with`` block run it on a
    thread; ``serve()`` runs it in the current event loop."""

    def __init__(self, *, ttft_ms: int = 0, tokens_per_s: float = 0, answer_tokens: int = 0, port: int = 0,
                 host: str = "127.0.0.1", keep_requests: int = 10_000) -> None:
        self.ttft_ms, self.tokens_per_s, self.answer_tokens = ttft_ms, tokens_per_s, answer_tokens
        self.host, self.port = host, port
        self.requests: collections.deque[dict[str, Any]] = collections.deque(maxlen=keep_requests)
        self.active_streams = 0
        self.streams_completed = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    # -- running ---------------------------------------------------------------------------------
    async def serve(self, ready: asyncio.Future[None] | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        self._server = await asyncio.start_server(self._connection, self.host, self.port, backlog=4096,
                                                  limit=1 << 20)
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        if ready is not None:
            ready.set_result(None)
        async with self._server:
            try:
                await self._server.serve_forever()
            except asyncio.CancelledError:
                pass

    def start(self) -> OpenAIServer:
        self._thread = threading.Thread(target=self._run_thread, name="openai-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the OpenAI test server did not start within 10 s")
        return self

    def _run_thread(self) -> None:
        asyncio.run(self.serve())

    def stop(self) -> None:
        if self._loop is not None and self._server is not None:
            try:
                self._loop.call_soon_threadsafe(self._server.close)
                for task in list(asyncio.all_tasks(self._loop)) if self._thread else []:
                    self._loop.call_soon_threadsafe(task.cancel)
            except RuntimeError:  # the loop finished and closed meanwhile (closing the server ends it): stopped
                pass
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> OpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- HTTP/1.1 ----------------------------------------------------------------------------------
    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:  # keep-alive: one request after another
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                request_line, *header_lines = head.decode("latin-1").split("\r\n")
                method, path, _ = request_line.split(" ", 2)
                headers = {}
                for line in header_lines:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
                keep = await self._handle(method, path, headers, body, writer)
                if not keep or headers.get("connection", "").lower() == "close":
                    return
        except (ConnectionError, asyncio.CancelledError):
            return
        finally:
            writer.close()

    def _respond(self, writer: asyncio.StreamWriter, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        writer.write(f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {len(data)}\r\n\r\n".encode() + data)

    async def _handle(self, method: str, path: str, headers: dict[str, str], raw: bytes,
                      writer: asyncio.StreamWriter) -> bool:
        arrived = time.monotonic()
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._respond(writer, 400, _error("the body is not JSON", "invalid_request_error"))
            return True
        self.requests.append({"path": path, "body": body, "auth": headers.get("authorization")})
        if method != "POST" or path.split("?")[0].rstrip("/") != "/v1/chat/completions":
            self._respond(writer, 404, _error(f"unknown url {path}", "invalid_request_error"))
            return True
        messages = body.get("messages") or []
        last = _text(messages[-1].get("content")) if messages else ""
        directives = dict(_DIRECTIVE.findall(last))
        if "FAIL" in last or "status" in directives:
            status = int(directives.get("status", 500))
            self._respond(writer, status, _error("test server failure on demand", "server_error"))
            return True
        tokens = self._tokens(len(messages), last)
        limit = body.get("max_completion_tokens") or body.get("max_tokens")
        finish = "stop"
        if isinstance(limit, int) and 0 < limit < len(tokens):
            tokens, finish = tokens[:limit], "length"
        usage = {"prompt_tokens": sum(len(_text(m.get("content")).split()) + 4 for m in messages),
                 "completion_tokens": len(tokens)}
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        ident = f"chatcmpl-{id(writer):x}{int(arrived * 1000) % 100000}"
        model, created = body.get("model"), int(time.time())
        if not body.get("stream"):
            await self._pace(arrived, len(tokens))
            self._respond(writer, 200, {
                "id": ident, "object": "chat.completion", "created": created, "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "".join(tokens), "refusal": None},
                             "logprobs": None, "finish_reason": finish}],
                "usage": usage, "system_fingerprint": "fp_chatmemory",
            })
            return True
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        drop = int(directives["drop"]) if "drop" in directives else None
        self.active_streams += 1
        try:
            return await self._stream(writer, arrived, ident, model, created, tokens, finish, usage, include_usage,
                                      drop)
        finally:
            self.active_streams -= 1

    async def _stream(self, writer: asyncio.StreamWriter, arrived: float, ident: str, model: Any, created: int,
                      tokens: list[str], finish: str, usage: dict[str, int], include_usage: bool,
                      drop: int | None) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
                     b"Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n")
        head = {"id": ident, "object": "chat.completion.chunk", "created": created, "model": model,
                "system_fingerprint": "fp_chatmemory"}
        extra = {"usage": None} if include_usage else {}

        def event(choices: list[dict[str, Any]], **more: Any) -> bytes:
            data = b"data: " + json.dumps({**head, "choices": choices, **extra, **more}).encode() + b"\n\n"
            return b"%x\r\n%s\r\n" % (len(data), data)

        def delta(piece: dict[str, Any], reason: str | None = None) -> bytes:
            return event([{"index": 0, "delta": piece, "logprobs": None, "finish_reason": reason}])

        await self._pace(arrived, 0)
        writer.write(delta({"role": "assistant", "content": "", "refusal": None}))
        for index, token in enumerate(tokens):
            if drop is not None and index >= drop:
                writer.transport.abort()  # mid-stream failure on demand
                return False
            if index:
                await self._pace(arrived, index)
            writer.write(delta({"content": token}))
            if writer.transport.get_write_buffer_size() > 65536:
                await writer.drain()
        tail = delta({}, finish)
        if include_usage:
            tail += event([], usage=usage)
        data = b"data: [DONE]\n\n"
        writer.write(tail + b"%x\r\n%s\r\n0\r\n\r\n" % (len(data), data))
        await writer.drain()
        self.streams_completed += 1
        return True

    async def _pace(self, arrived: float, index: int) -> None:
        """Sleep until token ``index`` is due: ``ttft_ms`` after arrival, then ``1/tokens_per_s`` apart."""
        due = arrived + self.ttft_ms / 1000 + (index / self.tokens_per_s if self.tokens_per_s else 0)
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)

    def _tokens(self, count: int, last: str) -> list[str]:
        words = f"stub saw {count} messages; last: {last}".split(" ")
        words += [f"tok{i}" for i in range(len(words), self.answer_tokens)]
        return [w + " " for w in words[:-1]] + [words[-1]]


def _text(content: Any) -> str:
    if isinstance(content, list):
        return " ".join(part.get("text", "") for part in content if isinstance(part, dict))
    return content if isinstance(content, str) else ""


def _error(message: str, kind: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


def main() -> None:
    parser = argparse.ArgumentParser(description="OpenAI-compatible streaming test server (loopback)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--ttft-ms", type=int, default=0)
    parser.add_argument("--tokens-per-s", type=float, default=0)
    parser.add_argument("--answer-tokens", type=int, default=0)
    args = parser.parse_args()
    server = OpenAIServer(ttft_ms=args.ttft_ms, tokens_per_s=args.tokens_per_s, answer_tokens=args.answer_tokens,
                          port=args.port, host=args.host, keep_requests=0)

    async def run() -> None:
        ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        task = asyncio.create_task(server.serve(ready))
        await ready
        print(f"listening {server.base_url}", flush=True)
        await task

    try:
        import uvloop

        uvloop.run(run())
    except ImportError:
        asyncio.run(run())
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
