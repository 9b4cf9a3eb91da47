"""Seed a PostgreSQL database for measuring ``apply_retention`` (not part of the test suite).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/chatmemory_lifecycle \
        .venv/bin/python scripts/seed_retention.py --sessions 100000 --messages 10 --reset
    /usr/bin/time -v .venv/bin/python manage.py apply_retention      # wall time, peak RSS
    .venv/bin/python manage.py apply_retention                       # a second run changes nothing

Rows are generated inside PostgreSQL with ``INSERT … SELECT generate_series`` (no Python loop,
no rows through the client), owned by one user ``retention-seed``. Per 10 sessions (by number):

=========  =======================================  ==============================
i % 10     state                                    what retention does
=========  =======================================  ==============================
0–3        active, idle 200 days                    archived (40 %)
4–5        archived 400 days ago                    purged with their messages (20 %)
6          active, ``expires_at`` yesterday         deleted as expired (10 %)
7–9        active, used today                       nothing (30 %)
=========  =======================================  ==============================

Messages are ``message_to_dict`` records (``{"type": …, "data": {…}}``) of ~120 characters,
alternating human / ai, ``seq`` 1…n.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatmemory.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from sessions_app.models import AuditLogEntry, ChatMessage, ChatSession, SessionState  # noqa: E402

SESSIONS = ChatSession._meta.db_table
MESSAGES = ChatMessage._meta.db_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=10, help="messages per session")
    parser.add_argument("--reset", action="store_true", help="delete every session and audit entry first")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("seed_retention.py needs PostgreSQL (set DATABASE_URL=postgres://…)")
    started = time.monotonic()
    user, _ = get_user_model().objects.get_or_create(username="retention-seed")
    with transaction.atomic(), connection.cursor() as cur:
        if args.reset:
            cur.execute(f"TRUNCATE {MESSAGES}, {SessionState._meta.db_table}, {AuditLogEntry._meta.db_table}")
            cur.execute(f"DELETE FROM {SESSIONS}")
        cur.execute(
            f"""
            INSERT INTO {SESSIONS} (id, owner_id, tenant, title, status, metadata, created_at, last_active_at,
                                    archived_at, expires_at, message_count, last_seq, cache_ttl)
            SELECT md5('seed-' || i)::uuid, %s, 'tenant-' || (i %% 7), 'Seeded conversation ' || i,
                   CASE WHEN i %% 10 IN (4, 5) THEN 'archived' ELSE 'active' END,
                   jsonb_build_object('channel', 'seed', 'n', i),
                   now() - interval '500 days',
                   CASE WHEN i %% 10 BETWEEN 0 AND 3 THEN now() - interval '200 days'
                        WHEN i %% 10 IN (4, 5) THEN now() - interval '450 days'
                        ELSE now() END,
                   CASE WHEN i %% 10 IN (4, 5) THEN now() - interval '400 days' END,
                   CASE WHEN i %% 10 = 6 THEN now() - interval '1 day' END,
                   %s, %s, NULL
            FROM generate_series(1, %s) AS i
            """,
            [user.pk, args.messages, args.messages, args.sessions],
        )
        cur.execute(
            f"""
            INSERT INTO {MESSAGES} (session_id, seq, type, message, content_text, created_at)
            SELECT md5('seed-' || i)::uuid, s,
                   CASE WHEN s %% 2 = 1 THEN 'human' ELSE 'ai' END,
                   jsonb_build_object(
                       'type', CASE WHEN s %% 2 = 1 THEN 'human' ELSE 'ai' END,
                       'data', jsonb_build_object(
                           'content', 'Message ' || s || ' of seeded conversation ' || i || ': '
                                      || repeat('lorem ipsum ', 8),
                           'additional_kwargs', '{{}}'::jsonb, 'response_metadata', '{{}}'::jsonb,
                           'type', CASE WHEN s %% 2 = 1 THEN 'human' ELSE 'ai' END,
                           'name', NULL, 'id', NULL)),
                   'Message ' || s || ' of seeded conversation ' || i || ': ' || repeat('lorem ipsum ', 8),
                   now() - interval '200 days'
            FROM generate_series(1, %s) AS i, generate_series(1, %s) AS s
            """,
            [args.sessions, args.messages],
        )
    with connection.cursor() as cur:
        cur.execute(f"ANALYZE {SESSIONS}")
        cur.execute(f"ANALYZE {MESSAGES}")
        cur.execute(f"SELECT count(*) FROM {SESSIONS}")
        sessions = cur.fetchone()[0]
        cur.execute(f"SELECT count(*) FROM {MESSAGES}")
        messages = cur.fetchone()[0]
    print(f"seeded: {sessions} sessions, {messages} messages in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
