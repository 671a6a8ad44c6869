#!/usr/bin/env bash
# Run the whole suite on SQLite, then on PostgreSQL (a database the run creates and drops).
set -uo pipefail
BIN=.venv/bin
PG_URL="${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
WORKERS="${TEST_WORKERS:-2}"
status=0

echo "=== Test run 1/2: SQLite ==="
TEST_ENGINE=sqlite $BIN/pytest -n "$WORKERS" --dist loadfile "$@" || status=1

echo "=== Test run 2/2: PostgreSQL ($PG_URL) ==="
if $BIN/python -c "import psycopg,sys; psycopg.connect(sys.argv[1], connect_timeout=3).close()" "$PG_URL" 2>/dev/null; then
  TEST_ENGINE=postgres TEST_DATABASE_URL="$PG_URL" $BIN/pytest -n "$WORKERS" --dist loadfile "$@" || status=1
else
  if [ "${CI:-}" = "true" ]; then
    echo "FAILED: no PostgreSQL server at $PG_URL (CI requires both runs)."
    status=1
  else
    echo "SKIPPED the PostgreSQL run: no server at $PG_URL (set TEST_DATABASE_URL to use another)."
  fi
fi
exit $status
