#!/usr/bin/env bash
# Upstream's store suites (langgraph-checkpoint-postgres 3.2.0 tests/test_store.py and
# tests/test_async_store.py), unchanged, against DjangoStore and against PostgresStore in the same
# run. Needs DATABASE_URL=postgres://… (the server both targets use). Writes a summary per target to
# $OUT (default var/upstream/store-results.txt). See upstream/store_plugin.py for what is replaced.
# Extra pytest arguments in PYTEST_ARGS, split like a shell command line (upstream/pytest_args.sh):
# PYTEST_ARGS='-k "test_batch_order or test_search"'. RUNS narrows the targets.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="${PY:-$ROOT/.venv/bin/python}"
. "$ROOT/upstream/pytest_args.sh"
VERSION=3.2.0
WORK="${UPSTREAM_DIR:-$ROOT/var/upstream}"
OUT="${OUT:-$WORK/store-results.txt}"
SUITES=(tests/test_store.py tests/test_async_store.py)
mkdir -p "$WORK"
SDIST="$WORK/langgraph_checkpoint_postgres-$VERSION"
if [ ! -d "$SDIST" ]; then
  "$PY" -m pip download --quiet --no-deps --no-binary :all: "langgraph-checkpoint-postgres==$VERSION" -d "$WORK"
  tar -xzf "$WORK/langgraph_checkpoint_postgres-$VERSION.tar.gz" -C "$WORK"
fi
cd "$SDIST"
: > "$OUT"
status=0
for run in ${RUNS:-django-pgvector django-python postgres}; do
  target=${run%%-*}; scorer=${run#*-}
  echo "=== upstream store suites against $run"
  if [ "$target" = django ]; then extra=(-p store_plugin); export DJANGO_SETTINGS_MODULE=chatmemory.settings
  else extra=(-p store_plugin -p no:django); unset DJANGO_SETTINGS_MODULE; fi
  CHATMEMORY_UPSTREAM_TARGET=$target CHATMEMORY_UPSTREAM_SCORER=$scorer PYTHONPATH="$ROOT/upstream:$ROOT" \
    "$PY" -m pytest "${SUITES[@]}" "${extra[@]}" -q -p no:cacheprovider -o addopts="" -o asyncio_mode=auto \
      -o asyncio_default_fixture_loop_scope=function --junitxml="$WORK/store-$run.xml" "${PYTEST_ARGV[@]}" \
      | tee "$WORK/store-$run.log" | tail -n 40
  rc=${PIPESTATUS[0]}
  echo "$run: $(tail -n 1 "$WORK/store-$run.log")" >> "$OUT"
  # pytest's 2-5 (interrupted, internal error, usage error, nothing collected) fail every target: a run
  # that ran nothing is not a pass (a split PYTEST_ARGS used to end here as "no tests ran", exit 0).
  if [ "$rc" -ge 2 ]; then echo "  pytest exited $rc" >> "$OUT"; status=1; fi
  # A DjangoStore failure fails the target (known differences are strict xfails: store_expected_failures.txt).
  if [ "$target" = django ]; then
    "$PY" "$ROOT/upstream/check_expected.py" "$WORK/store-$run.xml" \
      >> "$OUT" || status=1
  fi
done
cat "$OUT"
exit $status
