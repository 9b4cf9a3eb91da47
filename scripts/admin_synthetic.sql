-- Synthetic load for the admin: 100,000 conversations x 10 messages (1,000,000 messages) owned by
-- user "synthetic", plus one conversation of 100,000 messages. Not used by the test suite:
--   psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f scripts/admin_synthetic.sql
-- then: .venv/bin/python scripts/admin_page_times.py   (see docs/status/admin.md)
-- Messages are stored exactly as LangChain's message_to_dict() serializes Human/AI messages.
BEGIN;
INSERT INTO auth_user (username, password, is_superuser, is_staff, is_active, first_name, last_name, email, date_joined)
VALUES ('synthetic', '!', false, false, true, '', '', '', now()) ON CONFLICT (username) DO NOTHING;

CREATE TEMP TABLE syn AS
SELECT gen_random_uuid() AS id, n,
       now() - (random() * interval '365 days') AS created_at
FROM generate_series(1, 100000) AS n;

INSERT INTO sessions_app_chatsession
  (id, owner_id, tenant, title, status, metadata, created_at, last_active_at, archived_at, expires_at,
   message_count, last_seq, cache_ttl)
SELECT s.id, (SELECT id FROM auth_user WHERE username = 'synthetic'),
       (ARRAY['', 'acme', 'globex', 'initech'])[1 + n % 4],
       'Synthetic conversation ' || n,
       CASE WHEN n % 10 = 0 THEN 'archived' ELSE 'active' END,
       '{"channel": "synthetic"}'::jsonb, s.created_at, s.created_at + (random() * interval '30 days'),
       CASE WHEN n % 10 = 0 THEN now() ELSE NULL END, NULL, 10, 10, NULL
FROM syn s;

INSERT INTO sessions_app_chatmessage (session_id, seq, type, message, content_text, created_at)
SELECT s.id, k, t.type,
       jsonb_build_object('type', t.type, 'data',
         jsonb_build_object('content', txt.text, 'additional_kwargs', '{}'::jsonb, 'response_metadata', '{}'::jsonb,
                            'type', t.type, 'name', NULL, 'id', NULL)
         || CASE WHEN t.type = 'ai' THEN '{"tool_calls": [], "invalid_tool_calls": [], "usage_metadata": null}'::jsonb
                 ELSE '{}'::jsonb END),
       txt.text, s.created_at + k * interval '1 minute'
FROM syn s
CROSS JOIN generate_series(1, 10) AS k
CROSS JOIN LATERAL (SELECT CASE WHEN k % 2 = 1 THEN 'human' ELSE 'ai' END AS type) t
CROSS JOIN LATERAL (SELECT 'Synthetic message ' || k || ' of conversation ' || s.n || ' about topic '
                           || md5((s.n * 10 + k)::text) AS text) txt;

-- one very long conversation
INSERT INTO sessions_app_chatsession
  (id, owner_id, tenant, title, status, metadata, created_at, last_active_at, message_count, last_seq)
VALUES ('00000000-0000-4000-8000-000000100000', (SELECT id FROM auth_user WHERE username = 'synthetic'),
        'acme', 'Synthetic 100k-message conversation', 'active', '{}'::jsonb, now() - interval '1 day', now(), 100000, 100000);
INSERT INTO sessions_app_chatmessage (session_id, seq, type, message, content_text, created_at)
SELECT '00000000-0000-4000-8000-000000100000', k, CASE WHEN k % 2 = 1 THEN 'human' ELSE 'ai' END,
       jsonb_build_object('type', CASE WHEN k % 2 = 1 THEN 'human' ELSE 'ai' END, 'data',
         jsonb_build_object('content', 'Long conversation message ' || k, 'additional_kwargs', '{}'::jsonb,
                            'response_metadata', '{}'::jsonb, 'type', CASE WHEN k % 2 = 1 THEN 'human' ELSE 'ai' END,
                            'name', NULL, 'id', NULL)),
       'Long conversation message ' || k, now() - interval '1 day' + k * interval '1 second'
FROM generate_series(1, 100000) AS k;
COMMIT;
ANALYZE sessions_app_chatsession;
ANALYZE sessions_app_chatmessage;
