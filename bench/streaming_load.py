"""The streaming benchmark's load generator: N concurrent streamed turns, one per session (aiohttp).

``python bench/streaming_load.py BASE_URL TOKEN SESSIONS_FILE N OUT.json [--ramp S] [--timeout S]``:
starts N clients over ``--ramp`` seconds (evenly), each sending one ``POST /api/sessions/{id}/chat``
with ``Accept: text/event-stream`` for its own session (the first N ids of SESSIONS_FILE), and
writes per turn: seconds to the first ``token`` event, to the end, tokens received, whether it
ended with ``done``, the error if any. It reads raw chunks and counts events (no JSON parsing),
so its own CPU per token stays small; it runs in its own process (``bench/streaming_bench.py``).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

import aiohttp


async def turn(session: aiohttp.ClientSession, url: str, token: str, delay: float, timeout: float) -> dict[str, Any]:
    await asyncio.sleep(delay)
    result: dict[str, Any] = {"headers": None, "ttft": None, "total": None, "tokens": 0, "done": False, "error": None}
    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeout):
            async with session.post(url, json={"message": "benchmark turn: tell me a story"},
                                    headers={"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}) as r:
                result["headers"] = time.perf_counter() - started
                if r.status != 200:
                    result["error"] = f"HTTP {r.status}"
                    await r.read()
                    return result
                tail = b""
                async for chunk in r.content.iter_any():
                    data = tail + chunk
                    count = data.count(b"event: token")
                    if count and result["ttft"] is None:
                        result["ttft"] = time.perf_counter() - started
                    result["tokens"] += count
                    if b"event: done" in data:
                        result["done"] = True
                    if b"event: error" in data:
                        result["error"] = "error event"
                    tail = data[-16:]
                    if count:
                        tail = data[data.rfind(b"event: token") + 12:][-16:]
    except TimeoutError:
        result["error"] = "timeout"
    except (aiohttp.ClientError, OSError) as exc:
        result["error"] = type(exc).__name__
    result["total"] = time.perf_counter() - started
    return result


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("token")
    parser.add_argument("sessions")
    parser.add_argument("n", type=int)
    parser.add_argument("out")
    parser.add_argument("--ramp", type=float, default=2.0)
    parser.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args()
    ids = json.loads(open(args.sessions).read())[: args.n]
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=None)) as session:
        started = time.perf_counter()
        results = await asyncio.gather(*[
            turn(session, f"{args.base}/api/sessions/{sid}/chat", args.token, args.ramp * i / max(len(ids), 1),
                 args.timeout)
            for i, sid in enumerate(ids)
        ])
        wall = time.perf_counter() - started
    with open(args.out, "w") as out:
        json.dump({"wall": wall, "turns": [dict(r, session=sid) for r, sid in zip(results, ids, strict=True)]}, out)


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.run(main())
    except ImportError:
        asyncio.run(main())
