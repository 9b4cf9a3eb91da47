# Sourced by run_saver_suites.sh and run_store_suites.sh (after $PY is set): PYTEST_ARGS split the way
# a shell splits a command line (Python's shlex), into the array PYTEST_ARGV, so that
# PYTEST_ARGS='-k "test_a or test_b"' passes "test_a or test_b" as one argument. No eval: the words
# come back NUL-separated. An unbalanced quote stops the run (exit 2) instead of running everything.
PYTEST_ARGV=()
if [ -n "${PYTEST_ARGS:-}" ]; then
  "$PY" -c 'import shlex, sys
try: shlex.split(sys.argv[1])
except ValueError as e: sys.exit(f"PYTEST_ARGS cannot be split ({e}): {sys.argv[1]}")' "$PYTEST_ARGS" || exit 2
  readarray -d '' -t PYTEST_ARGV < <("$PY" -c \
    'import shlex, sys; sys.stdout.write("".join(a + "\0" for a in shlex.split(sys.argv[1])))' "$PYTEST_ARGS")
fi
