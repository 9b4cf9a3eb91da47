"""Recall benchmark: does a fact said long ago reach the context the model is sent?

Usage: ``python bench/recall_bench.py [--out docs/benchmarks-recall.md] [--sizes 100,1000,10000]
[--conversations 4]`` (``make bench-recall``, part of ``make bench``). One invocation, on this
machine's PostgreSQL (database ``chatmemory_bench_recall``, dropped and re-created;
``BENCH_RECALL_PG_URL``).

For each size, ``--conversations`` seeded synthetic conversations (``bench/recall_data.py``: filler
with 5 planted facts each, LongMemEval style) are stored, the "remember that …" facts kept as user
memories (what the chat does on such a turn) and the rolling summary written once (what the
background task does; the offline model's extractive summary). Then every question is asked —
the prompt ``ChatTurn`` would send is built (``prompt_inputs``; nothing is stored, no model is
called) — under four strategies, cumulative:

* **window only** — the last ``CHATMEMORY_CONTEXT_WINDOW`` messages trimmed by ``trim_messages``
  to ``CHATMEMORY_CONTEXT_MAX_TOKENS``: what ``RunnableWithMessageHistory`` + trimming gives with
  any LangChain chat history;
* **+ summary**, **+ recall**, **+ memories** (``sessions_app.memory``).

Reported: recall@context (the answer string is in the prompt), context tokens per turn (approximate
count of the whole prompt), and the turn latency the memory adds (time in ``TurnMemory.before_window``,
p50/p95 over every question × 3 repetitions). Recall runs twice: with the conversation search index
of issue 13 (``sessions_app.search``: a stored ``tsvector`` + GIN on messages, in the schema), then
without it (the column dropped in this benchmark's database): what recall costs on a database that
lacks it. With ``OPENAI_API_KEY``/``OPENAI_BASE_URL`` set, the model is also asked and answer
accuracy (the answer string in its reply) reported.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_URL = os.environ.get("BENCH_RECALL_PG_URL", "postgres://postgres@127.0.0.1:5432/chatmemory_bench_recall")
STRATEGIES = [  # name, summary, recall, user memories
    ("window only", False, False, False),
    ("+ summary", True, False, False),
    ("+ recall", True, True, False),
    ("+ memories", True, True, True),
]


def _setup_db() -> None:
    base, name = PG_URL.rsplit("/", 1)
    admin = f"{base}/postgres"
    subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {name}", "-c", f"CREATE DATABASE {name}"],
                   check=True, capture_output=True)
    os.environ["DATABASE_URL"] = PG_URL
    for var in ("REDIS_URL", "CELERY_BROKER_URL"):
        os.environ.pop(var, None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatmemory.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _seed(sizes: list[int], conversations: int) -> dict[int, list[tuple[Any, Any]]]:
    from django.contrib.auth import get_user_model
    from langchain_core.messages import AIMessage, HumanMessage

    from bench.recall_data import conversation
    from sessions_app.conversations.messages import messages_append
    from sessions_app.conversations.sessions import session_create
    from sessions_app.memory.summary import summary_update
    from sessions_app.memory.user import memory_add, remembered_fact

    seeded: dict[int, list[tuple[Any, Any]]] = {}
    for size in sizes:
        seeded[size] = []
        for c in range(conversations):
            user = get_user_model().objects.create(username=f"u{size}-{c}")
            session = session_create(owner=user, title=f"{size} messages #{c}")
            conv = conversation(size, seed=size * 1000 + c)
            msgs = [HumanMessage(t) if k == "human" else AIMessage(t) for k, t in conv.messages]
            for i in range(0, len(msgs), 1000):
                messages_append(session_id=session.pk, messages=msgs[i: i + 1000])
            for kind, text in conv.messages:
                if kind == "human" and (fact := remembered_fact(text)):
                    memory_add(user=user, text=fact, source="user", session_id=session.pk)
            summary_update(session.pk)
            session.refresh_from_db()
            seeded[size].append((session, conv))
    return seeded


def _measure(seeded: dict[int, list[tuple[Any, Any]]], label: str, strategies: list[tuple[str, bool, bool, bool]],
             model: Any) -> list[dict[str, Any]]:
    from django.conf import settings
    from langchain_core.messages.utils import count_tokens_approximately

    from sessions_app.conversations.chat import PROMPT, ChatTurn
    from sessions_app.conversations.history import DjangoChatMessageHistory
    from sessions_app.conversations.llm import OfflineChatModel

    rows = []
    for size, items in seeded.items():
        for name, summary, recall, user in strategies:
            settings.CHATMEMORY_MEMORY_SUMMARY, settings.CHATMEMORY_MEMORY_RECALL = summary, recall
            settings.CHATMEMORY_MEMORY_USER = user
            hits, tokens, added, correct, asked = 0, [], [], 0, 0
            for session, conv in items:
                history = DjangoChatMessageHistory.from_session(session, cache=False)
                window = history.get_recent_messages(settings.CHATMEMORY_CONTEXT_WINDOW)
                for q in conv.questions:
                    for _rep in range(3):
                        turn = ChatTurn(history=history, text=q.text, model=OfflineChatModel())
                        started = time.perf_counter()
                        turn.memory.before_window(window)
                        added.append((time.perf_counter() - started) * 1000)
                    messages = PROMPT.format_messages(**turn.prompt_inputs())
                    context = "\n".join(m.text for m in messages).lower()
                    hits += q.answer.lower() in context
                    tokens.append(count_tokens_approximately(messages))
                    if model is not None:
                        asked += 1
                        correct += q.answer.lower() in model.invoke(messages).text.lower()
            n = sum(len(conv.questions) for _, conv in items)
            added.sort()
            rows.append({
                "size": size, "strategy": name, "index": label, "questions": n, "recall": hits / n,
                "tokens_p50": statistics.median(tokens), "tokens_max": max(tokens),
                "added_p50": statistics.median(added), "added_p95": added[int(0.95 * (len(added) - 1))],
                "accuracy": (correct / asked) if asked else None,
            })
            print(f"{size:>6} {name:<12} {label:<10} recall {hits}/{n}  tokens p50 {rows[-1]['tokens_p50']:.0f}  "
                  f"added p95 {rows[-1]['added_p95']:.2f} ms", flush=True)
    return rows


def _table(rows: list[dict[str, Any]]) -> str:
    out = ["| messages | strategy | recall index | recall@context | context tokens p50 / max "
           "| added latency p50 / p95 (ms) | answer accuracy |", "|---:|---|---|---:|---:|---:|---:|"]
    for r in rows:
        acc = "—" if r["accuracy"] is None else f"{r['accuracy']:.2f}"
        out.append(f"| {r['size']:,} | {r['strategy']} | {r['index']} | {r['recall']:.2f} ({r['questions']} q) | "
                   f"{r['tokens_p50']:.0f} / {r['tokens_max']} | {r['added_p50']:.2f} / {r['added_p95']:.2f} | {acc} |")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="docs/benchmarks-recall.md")
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--conversations", type=int, default=4)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    _setup_db()
    from django.conf import settings
    from django.db import connection

    from sessions_app.conversations.llm import get_chat_model, openai_configured
    from sessions_app.memory import recall as recall_module

    model = get_chat_model() if openai_configured() else None
    started = time.time()
    seeded = _seed(sizes, args.conversations)
    seed_s = time.time() - started
    rows = _measure(seeded, "issue 13", STRATEGIES, model)  # the schema as migrated: the search index
    with connection.cursor() as cur:  # then without it (this benchmark's own database only)
        cur.execute("ALTER TABLE sessions_app_chatmessage DROP COLUMN IF EXISTS search_vector")
    recall_module._index_by_db.clear()
    rows += _measure(seeded, "none", [s for s in STRATEGIES if s[2]], model)
    rows.sort(key=lambda r: (r["size"], [s[0] for s in STRATEGIES].index(r["strategy"]), r["index"]))
    body = f"""# Recall benchmark: memory beyond the context window

Generated by `make bench-recall` (`python bench/recall_bench.py --sizes {args.sizes} --conversations
{args.conversations}`) on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.processor() or platform.machine()},
{os.cpu_count()} cores, PostgreSQL (`{PG_URL.rsplit('/', 1)[1]}`), Python {platform.python_version()}.
Seeding took {seed_s:.0f} s. Method: see the docstring of `bench/recall_bench.py`; data:
`bench/recall_data.py` (seeded: the same conversations on every run).

Settings: `CHATMEMORY_CONTEXT_WINDOW={settings.CHATMEMORY_CONTEXT_WINDOW}`,
`CHATMEMORY_CONTEXT_MAX_TOKENS={settings.CHATMEMORY_CONTEXT_MAX_TOKENS}`, budgets summary
{settings.CHATMEMORY_MEMORY_SUMMARY_TOKENS} / recall {settings.CHATMEMORY_MEMORY_RECALL_TOKENS} / memories
{settings.CHATMEMORY_MEMORY_USER_TOKENS} tokens. Target (issue 16): recall ≥ 0.9 at 10,000 messages within
4,000 context tokens, added p95 ≤ 20 ms per turn.

{_table(rows)}

* *recall index* `issue 13`: the conversation search index (`sessions_app.search`: stored `tsvector`
  + GIN), as migrated; `none`: the same with that column dropped, recall computing `to_tsvector` of
  the conversation's older messages per query. The strategies without recall do not search.
* *answer accuracy*: only with a real model configured (`OPENAI_*`); `—` = not measured.
* Latency is the time the memory adds to a turn (building the memory message: memories, summary and
  recall queries), not the model's. The summary itself is written by a background task, never in a turn.
* Caveats: the filler is template-based (with generated names, places, codes so that it is full of
  rare words, as real chats are); the questions share at least one content word with their fact, as
  LongMemEval's single-session-user questions mostly do — questions that share none (paraphrase only)
  are what recall misses here ("What colour is my car?" against "My car is a teal …": "car" is in a
  hundred filler lines). A semantic index (`DjangoStore` with embeddings) is the way past that; this
  benchmark does not measure it. The machine is shared: latency figures move with its load.
"""
    Path(args.out).write_text(body)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
