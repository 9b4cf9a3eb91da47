#!/usr/bin/env bash
# Upstream's saver and chat-history test files, unchanged, against DjangoSaver / DjangoChatMessageHistory
# (target django) and against upstream's own class (target upstream) in the same run. Needs
# DATABASE_URL=postgres://… (the server both targets use; target django runs on pytest-django's test
# database). Summary per suite and target in $OUT (default var/upstream/results.txt). See
# upstream/saver_plugin.py for what is replaced, upstream/saver_expected.txt for the known failures.
# Extra pytest arguments in PYTEST_ARGS, split like a shell command line (upstream/pytest_args.sh):
# PYTEST_ARGS='-k "test_a or test_b"'. SUITES and TARGETS narrow the run.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="${PY:-$ROOT/.venv/bin/python}"
. "$ROOT/upstream/pytest_args.sh"
WORK="${UPSTREAM_DIR:-$ROOT/var/upstream}"
OUT="${OUT:-$WORK/results.txt}"
mkdir -p "$WORK"

# suite -> "distribution==version"; the versions pinned in requirements*.txt.
declare -A DIST=(
  [checkpoint-postgres]="langgraph-checkpoint-postgres==3.2.0"
  [checkpoint-sqlite]="langgraph-checkpoint-sqlite==3.1.2"
  [checkpoint-memory]="langgraph-checkpoint==4.3.2"
  [langgraph]="langgraph==1.2.22"
  [langchain-postgres]="langchain-postgres==0.0.19"
)
SUITE_LIST=(${SUITES:-checkpoint-postgres checkpoint-sqlite checkpoint-memory langgraph langchain-postgres})

sdist() {  # the extracted sdist of $1 (downloaded once, cached in $WORK)
  local name=${1%%==*} version=${1##*==} dir
  dir="$WORK/${name//-/_}-$version"
  [ -d "$dir" ] || dir="$WORK/$name-$version"
  if [ ! -d "$dir" ]; then
    "$PY" -m pip download --quiet --no-deps --no-binary :all: "$1" -d "$WORK" >&2
    local archive
    archive=$(ls "$WORK"/{"${name//-/_}","$name"}-"$version".tar.gz 2>/dev/null | head -n 1)
    tar -xzf "$archive" -C "$WORK"
    dir="$WORK/${name//-/_}-$version"
    [ -d "$dir" ] || dir="$WORK/$name-$version"
  fi
  echo "$dir"
}

files() {  # the test files of suite $1, relative to its sdist
  case $1 in
    checkpoint-postgres) echo tests --ignore=tests/test_store.py --ignore=tests/test_async_store.py ;;
    checkpoint-sqlite) echo tests --ignore=tests/test_store.py --ignore=tests/test_async_store.py --ignore=tests/test_ttl.py ;;
    checkpoint-memory) echo tests/test_memory.py ;;
    langgraph) grep -l -E "sync_checkpointer|async_checkpointer" tests/test_*.py ;;
    langchain-postgres) echo tests/unit_tests/v1/test_chat_histories.py ;;
  esac
}

status=0
start=$(date +%s)
for suite in "${SUITE_LIST[@]}"; do
  dir=$(sdist "${DIST[$suite]}") || { echo "cannot fetch ${DIST[$suite]}"; exit 2; }
  for target in ${TARGETS:-django upstream}; do
    echo "=== $suite against $target"
    if [ "$target" = django ]; then extra=(); export DJANGO_SETTINGS_MODULE=chatmemory.settings
    else extra=(-p no:django); unset DJANGO_SETTINGS_MODULE; fi
    if [ "$suite" = langgraph ]; then
      # langgraph's async tests are anyio tests (pytestmark = pytest.mark.anyio), run as upstream runs them:
      # by anyio's plugin alone (with pytest-asyncio too, an async fixture can get another loop than its test).
      extra+=(--snapshot-warn-unused -p no:asyncio)
    else
      extra+=(-o asyncio_mode=auto -o asyncio_default_fixture_loop_scope=function -o asyncio_default_test_loop_scope=function)
    fi
    (cd "$dir" && NO_DOCKER=true CHATMEMORY_UPSTREAM_SUITE=$suite CHATMEMORY_UPSTREAM_TARGET=$target \
      PYTHONPATH="$ROOT/upstream:$ROOT" "$PY" -m pytest $(files "$suite") -p saver_plugin "${extra[@]}" \
        -q -p no:cacheprovider -o addopts="" --junitxml="$WORK/$suite-$target.xml" "${PYTEST_ARGV[@]}") \
      > "$WORK/$suite-$target.log" 2>&1 || status=1
    tail -n 25 "$WORK/$suite-$target.log"
  done
done
"$PY" "$ROOT/upstream/summarize.py" "$WORK" "$(( $(date +%s) - start ))" "${SUITE_LIST[@]}" | tee "$OUT"
exit $status
