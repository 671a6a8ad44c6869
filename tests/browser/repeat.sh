#!/usr/bin/env bash
# Run the browser tests N times in a row while busy loops keep every core busy: bash tests/browser/repeat.sh [N=20] [pytest options, e.g. -n 2 --dist loadfile]
# Each round's output goes to $OUT/round-<i>.log (default: a new /tmp/gl-repeat-* folder; a
# failed round keeps tests/browser/failures/ as $OUT/failures-<i>/); the last line sums it up.
set -u
cd "$(dirname "$0")/../.."
N="${1:-20}"
shift || true
BIN="${BIN:-.venv/bin}"
BUSY="${BUSY:-$(nproc)}"
OUT="${OUT:-$(mktemp -d /tmp/gl-repeat-XXXXXX)}"
mkdir -p "$OUT"

pids=()
stop_busy() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done; }
trap stop_busy EXIT
for _ in $(seq "$BUSY"); do
  python3 -c 'while True: pass' &
  pids+=("$!")
done
echo "output in $OUT; busy loops (pids ${pids[*]}) on $(nproc) cores; engine ${TEST_ENGINE:-sqlite}; $N rounds of: pytest tests/browser -p no:randomly -x $*"

failed=0
total=0
for i in $(seq "$N"); do
  rm -rf tests/browser/failures
  start=$(date +%s)
  # (pyproject.toml adds -q already; a second -q would drop the "N passed" line)
  "$BIN/pytest" tests/browser -p no:randomly -x "$@" >"$OUT/round-$i.log" 2>&1
  rc=$?
  secs=$(( $(date +%s) - start ))
  total=$(( total + secs ))
  if [ "$rc" -ne 0 ]; then
    failed=$(( failed + 1 ))
    [ -d tests/browser/failures ] && cp -r tests/browser/failures "$OUT/failures-$i"
  fi
  echo "round $i: exit $rc, ${secs} s, $(grep -E '(passed|failed|error)' "$OUT/round-$i.log" | tail -1)"
done
echo "rounds $N, failed $failed, mean $(( total / N )) s per round"
[ "$failed" -eq 0 ]
