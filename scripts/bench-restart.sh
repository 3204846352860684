#!/usr/bin/env bash
# Restart to first response, with and without the compiled-component cache
# on disk (SLUICE_COMPONENT_CACHE): a server with the example `hello`,
# `echo` and `misbehave` deployed is stopped and started again, and the
# time from `sluice serve` starting to the first answer of each operation
# is measured (the median of RUNS restarts; each first call compiles its
# component when the cache is off). Settings: RUNS (default 5).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sluice/target}"
RUNS="${RUNS:-5}"
source scripts/bench-lib.sh
prepare
trap stop_all EXIT

ACTIONS=(hello echo misbehave)
TOKEN="bench-token-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
DATA="$WORK/data"
serve() {
  SLUICE_ADMIN_TOKEN="$TOKEN" RUST_LOG=warn "$BIN/sluice" serve --listen "127.0.0.1:$PORT" \
    --data-dir "$DATA" --component-cache "$1" 2>>"$WORK/sluice.log" &
  SLUICE_PID=$!
}
serve true
wait_up "$BASE/system/health"
for action in "${ACTIONS[@]}"; do
  upload_action "$action"
  admin -X POST "$BASE/admin/operations" \
    -d "{\"name\":\"$action\",\"method\":\"GET\",\"path\":\"/$action/:name\",\"action\":\"$action\",\"public\":true}"
done
kill "$SLUICE_PID"; wait "$SLUICE_PID" 2>/dev/null || true

# first_answers CACHE: ms from start to the health check, then to the first
# answer of every operation (called one after the other).
first_answers() {
  local started now
  started=$(date +%s%N)
  serve "$1"
  until curl -fsS -o /dev/null "$BASE/system/health" 2>/dev/null; do sleep 0.005; done
  for action in "${ACTIONS[@]}"; do
    curl -sS -o /dev/null "$BASE/$action/x"
  done
  now=$(date +%s%N)
  kill "$SLUICE_PID"; wait "$SLUICE_PID" 2>/dev/null || true
  echo $(( (now - started) / 1000000 ))
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
with=$(for _ in $(seq 1 "$RUNS"); do first_answers true; done | median)
without=$(for _ in $(seq 1 "$RUNS"); do first_answers false; done | median)
echo "restart to the first answer of ${#ACTIONS[@]} operations (median of $RUNS):" >&2
echo "  with the disk cache:    $with ms" >&2
echo "  without (compiling):    $without ms" >&2
python3 -c "print(f'with the cache: {$with / $without * 100:.1f} % of the time without')"
