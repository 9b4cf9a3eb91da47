#!/usr/bin/env bash
# Back up and restore a chatmemory PostgreSQL database once, with figures (docs/deploy.md "Backups").
# Seeds SRC (migrated; SESSIONS conversations × MESSAGES messages of ~300 characters), dumps it with
# pg_dump -Fc, restores into DST with pg_restore -j 2, compares row counts and the messages' checksum,
# then runs `manage.py check` against the restored copy. Drops both databases at the end.
# Usage: scripts/backup_restore_check.sh  (PGHOST/PGUSER as for psql; SESSIONS, MESSAGES to size it)
set -euo pipefail
cd "$(dirname "$0")/.."
PGHOST=${PGHOST:-127.0.0.1} PGUSER=${PGUSER:-postgres}
export PGHOST PGUSER
SRC=${SRC:-chatmemory_backup_src} DST=${DST:-chatmemory_backup_dst}
SESSIONS=${SESSIONS:-2000} MESSAGES=${MESSAGES:-100}
DUMP=$(mktemp -d)/chatmemory.dump
PY=${PY:-.venv/bin/python}
now() { date +%s.%N; }
for db in "$SRC" "$DST"; do psql -qAtc "DROP DATABASE IF EXISTS $db" postgres; done
psql -qAtc "CREATE DATABASE $SRC" postgres
DATABASE_URL="postgres://$PGUSER@$PGHOST:5432/$SRC" DJANGO_SETTINGS_MODULE=chatmemory.settings \
  env -u REDIS_URL -u CELERY_BROKER_URL "$PY" manage.py migrate --noinput -v 0
psql -qAt -d "$SRC" <<SQL
INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined)
VALUES ('!', false, 'backup-check', '', '', '', false, true, now());
INSERT INTO sessions_app_chatsession (id, tenant, title, status, metadata, created_at, last_active_at, message_count,
                                      last_seq, owner_id)
SELECT gen_random_uuid(), '', 'conversation ' || s, 'active', '{}', now(), now(), $MESSAGES, $MESSAGES,
       (SELECT id FROM auth_user WHERE username = 'backup-check')
FROM generate_series(1, $SESSIONS) s;
INSERT INTO sessions_app_chatmessage (seq, type, message, content_text, created_at, session_id)
SELECT m, CASE WHEN m % 2 = 1 THEN 'human' ELSE 'ai' END,
       jsonb_build_object('type', CASE WHEN m % 2 = 1 THEN 'human' ELSE 'ai' END,
                          'data', jsonb_build_object('content', repeat(md5(s.id::text || m), 9))),
       repeat(md5(s.id::text || m), 9), now(), s.id
FROM sessions_app_chatsession s, generate_series(1, $MESSAGES) m;
ANALYZE;
SQL
size=$(psql -qAtc "SELECT pg_size_pretty(pg_database_size('$SRC'))" postgres)
t0=$(now); pg_dump -Fc -d "$SRC" -f "$DUMP"; t1=$(now)
psql -qAtc "CREATE DATABASE $DST" postgres
t2=$(now); pg_restore -j 2 --no-owner -d "$DST" "$DUMP"; t3=$(now)
count() { psql -qAt -d "$1" -c "SELECT (SELECT count(*) FROM sessions_app_chatsession) || ' sessions, ' ||
  (SELECT count(*) FROM sessions_app_chatmessage) || ' messages, checksum ' ||
  (SELECT md5(string_agg(md5(content_text), '' ORDER BY session_id, seq)) FROM sessions_app_chatmessage)"; }
src=$(count "$SRC"); dst=$(count "$DST")
DATABASE_URL="postgres://$PGUSER@$PGHOST:5432/$DST" DJANGO_SETTINGS_MODULE=chatmemory.settings \
  env -u REDIS_URL -u CELERY_BROKER_URL "$PY" manage.py migrate --check -v 0 && migrations=current || migrations=PENDING
printf 'database %s: %s\n' "$SRC" "$size"
printf 'pg_dump -Fc: %.1f s, %s\n' "$(echo "$t1 - $t0" | bc)" "$(du -h "$DUMP" | cut -f1)"
printf 'pg_restore -j 2: %.1f s\n' "$(echo "$t3 - $t2" | bc)"
printf 'source:   %s\nrestored: %s\nmigrations on the copy: %s\n' "$src" "$dst" "$migrations"
for db in "$SRC" "$DST"; do psql -qAtc "DROP DATABASE IF EXISTS $db" postgres; done
rm -rf "$(dirname "$DUMP")"
[ "$src" = "$dst" ]
