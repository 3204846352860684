#!/usr/bin/env bash
# Restart to first response, with and without the compiled-component cache
# on disk (SLUICE_COMPONENT_CACHE): a server with the example `hello`,
# `echo`, `misbehave` and the Python and JavaScript `hello` deployed is
# stopped and started again, and the time from `sluice serve` starting to
# its health check and then to the first answer of each operation (called
# one after the other) is measured: the median of RUNS restarts; each first
# call compiles its component when the cache is off. Settings: RUNS (default 5).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sluice/target}"
RUNS="${RUNS:-5}"
source scripts/bench-lib.sh
prepare
trap stop_all EXIT

ACTIONS=(hello echo misbehave hello-py hello-js)
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

# first_answers CACHE: one line of ms: start to health, then each
# operation's first answer (after the previous one's).
first_answers() {
  local started last now line
  started=$(date +%s%N)
  serve "$1"
  until curl -fsS -o /dev/null "$BASE/system/health" 2>/dev/null; do sleep 0.005; done
  last=$(date +%s%N)
  line=$(( (last - started) / 1000000 ))
  for action in "${ACTIONS[@]}"; do
    curl -fsS -o /dev/null "$BASE/$action/x"
    now=$(date +%s%N)
    line="$line $(( (now - last) / 1000000 ))"
    last=$now
  done
  kill "$SLUICE_PID"; wait "$SLUICE_PID" 2>/dev/null || true
  echo "$line $(( (last - started) / 1000000 ))"
}
for _ in $(seq 1 "$RUNS"); do first_answers true; done > "$WORK/with"
for _ in $(seq 1 "$RUNS"); do first_answers false; done > "$WORK/without"
echo "restart to first answers, ms (median of $RUNS restarts):" >&2
python3 - "$WORK/with" "$WORK/without" "${ACTIONS[@]}" <<'PY'
import statistics, sys
with_cache, without, *actions = sys.argv[1:]
rows = lambda path: [list(map(int, line.split())) for line in open(path)]
a, b = rows(with_cache), rows(without)
labels = ["health", *(f"first {x}" for x in actions), "total"]
print(f"{'':18} {'with cache':>11} {'compiling':>10}")
for i, label in enumerate(labels):
    w, c = statistics.median(r[i] for r in a), statistics.median(r[i] for r in b)
    print(f"{label:18} {w:11.0f} {c:10.0f}")
total_w, total_c = statistics.median(r[-1] for r in a), statistics.median(r[-1] for r in b)
print(f"with the cache: {total_w / total_c * 100:.1f} % of the time without")
PY
