#!/usr/bin/env bash
# Test-only: build pgvector (third_party/pgvector, vendored source) against the local PostgreSQL's
# server headers and install it into that server, unless the extension is already there.
# Needs root (apt-get, the server's extension directory). Idempotent.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VERSION=0.8.6
PG_CONFIG="${PG_CONFIG:-pg_config}"
major="$(psql -h 127.0.0.1 -U postgres -tAc 'SHOW server_version_num' | cut -c1-2)"
sharedir="/usr/share/postgresql/$major/extension"
if [ -f "$sharedir/vector--$VERSION.sql" ]; then
  echo "pgvector $VERSION is installed for PostgreSQL $major"; exit 0
fi
# pgxs.mk alone can be there without the server headers (seen on a fresh machine): test for both.
if [ ! -f "/usr/lib/postgresql/$major/lib/pgxs/src/makefiles/pgxs.mk" ] || [ ! -f "/usr/include/postgresql/$major/server/postgres.h" ]; then
  apt-get update -qq && apt-get install -y -qq "postgresql-server-dev-$major" >/dev/null
fi
build="$(mktemp -d)"
tar -xzf "$ROOT/third_party/pgvector/pgvector-$VERSION.tar.gz" -C "$build"
make -s -C "$build/pgvector-$VERSION" PG_CONFIG="/usr/lib/postgresql/$major/bin/pg_config" OPTFLAGS="" >/dev/null
make -s -C "$build/pgvector-$VERSION" PG_CONFIG="/usr/lib/postgresql/$major/bin/pg_config" install >/dev/null
rm -rf "$build"
echo "pgvector $VERSION built and installed for PostgreSQL $major"
