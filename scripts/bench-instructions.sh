#!/usr/bin/env bash
# Instructions per `GET /hello/x` (as shipped, request log on), counted by
# valgrind's callgrind over every thread of `sluice serve`: far steadier
# than requests per second, so a change's effect can be told from noise.
# Run it on an otherwise idle machine: repeat runs there agree within about
# ±1 %, but the background threads' timers (the epoch ticker, batched
# writes) run per unit of wall time, so a busy machine, which slows the
# run, counts a few per cent more per request. Extra environment for
# the node in EXTRA ("NAME=value ..."); OTLP=1 exports traces (and, unless
# EXTRA says OTEL_METRICS_EXPORTER=none, metrics) to a receiver on loopback.
# N requests are counted (default 1000) after 300 to warm up; KEEP=FILE
# keeps the callgrind profile for callgrind_annotate.
#
# The pool is 4 instances (SLUICE_POOL_INSTANCES): valgrind cannot reserve
# the default pool's address space. The driver sends one request at a time,
# so this counts work, not contention.
#
# The reference, counted the same way after it: the plain axum handler
# (runtime/examples/plain_hello.rs). The last lines give Sluice's count as
# a multiple of it, and the part spent in `Engine::invoke` (the sandbox:
# the slot, instantiation, lowering the request, the guest, the store's
# drop), inclusive, per request. Callgrind counts each byte of a `rep stos`
# as an instruction, so the slot reset's page zeroing (about 12 000 per
# request) weighs more here than in cycles (BENCHMARKS.md, eleventh pass).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sluice/target}"
N="${N:-1000}"
command -v valgrind >/dev/null || { apt-get update -qq && apt-get install -y -qq valgrind >/dev/null; }
source scripts/bench-lib.sh
prepare otlp_sink plain_hello
trap stop_all EXIT
if [[ "${OTLP:-0}" == 1 ]]; then
  port=$(free_port)
  "$BIN/examples/otlp_sink" "127.0.0.1:$port" &
  PIDS+=($!)
  wait_up "http://127.0.0.1:$port/stats"
  export OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$port" OTEL_SERVICE_NAME=bench
fi
# shellcheck disable=SC2086 # EXTRA is a list of NAME=value words
[[ -n "${EXTRA:-}" ]] && export ${EXTRA}
TOKEN="bench-token-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
port=$(free_port)
env -u RUST_LOG -u SLUICE_REQUEST_LOG SLUICE_POOL_INSTANCES=4 SLUICE_ADMIN_TOKEN="$TOKEN" \
  valgrind --tool=callgrind --callgrind-out-file="$WORK/callgrind.out" \
  "$BIN/sluice" serve --listen "127.0.0.1:$port" --data-dir "$WORK/data" 2>"$WORK/valgrind.log" &
VALGRIND=$!
PIDS+=($VALGRIND)
BASE="http://127.0.0.1:$port"
for _ in $(seq 1 600); do curl -fsS "$BASE/system/health" >/dev/null 2>&1 && break; sleep 0.5; done
curl -fsS -o /dev/null -X DELETE -H "Authorization: Bearer $TOKEN" "$BASE/admin/rate-limits/default"
upload_action hello
admin -X POST "$BASE/admin/operations" \
  -d '{"name":"greet","method":"GET","path":"/hello/:name","action":"hello","public":true}'

# drive PORT COUNT: COUNT requests over four keep-alive connections, one at
# a time; fails on any answer but 200.
drive() {
  python3 - "$1" "$2" <<'PY'
import http.client, sys
port, count = int(sys.argv[1]), int(sys.argv[2])
connections = [http.client.HTTPConnection("127.0.0.1", port) for _ in range(4)]
for i in range(count):
    connection = connections[i % 4]
    connection.request("GET", "/hello/x")
    answer = connection.getresponse()
    answer.read()
    assert answer.status == 200, f"answer {i} was {answer.status}"
PY
}

# count PID PORT OUT: 300 requests to warm up, then the instructions of N
# requests to the server under callgrind PID, whose profile is copied to OUT;
# prints the total.
count() {
  drive "$2" 300
  # The warm-up's deferred work (the request log's batched writes, the first
  # timers) is left out of the count.
  sleep 5
  callgrind_control -z "$1" >/dev/null
  drive "$2" "$N"
  callgrind_control -d "$1" >/dev/null
  cp "$(ls -t "$WORK"/callgrind.out* | head -1)" "$3"
  callgrind_annotate "$3" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}'
}

sluice=$(count "$VALGRIND" "$port" "$WORK/sluice.profile")
invoke=$(callgrind_annotate --inclusive=yes --threshold=100 --auto=no "$WORK/sluice.profile" 2>/dev/null |
  awk '/sluice::engine::Engine::invoke::\{\{closure\}\}::\{\{closure\}\} \[/ && !found {gsub(",", "", $1); print $1; found = 1}')
[[ -n "$invoke" ]] || { echo "FAILED: the profile has no Engine::invoke (was the operation served?)" >&2; exit 1; }
kill "$VALGRIND" 2>/dev/null || true
wait "$VALGRIND" 2>/dev/null || true
rm -f "$WORK"/callgrind.out*

port=$(free_port)
valgrind --tool=callgrind --callgrind-out-file="$WORK/callgrind.out" \
  "$BIN/examples/plain_hello" "127.0.0.1:$port" 2>"$WORK/valgrind-plain.log" &
PLAIN=$!
PIDS+=($PLAIN)
for _ in $(seq 1 600); do curl -fsS "http://127.0.0.1:$port/hello/x" >/dev/null 2>&1 && break; sleep 0.5; done
plain=$(count "$PLAIN" "$port" "$WORK/plain.profile")
# valgrind writes a last profile as it exits: let it finish before the
# work directory is removed.
kill "$PLAIN" 2>/dev/null || true
wait "$PLAIN" 2>/dev/null || true

echo "GET /hello/x: $((sluice / N)) instructions per request (${EXTRA:-as shipped}${OTLP:+, OTLP=$OTLP}; $N requests)"
python3 -c "
n, plain, sluice, invoke = $N, $plain, $sluice, $invoke
print(f'  plain axum: {plain // n} per request; Sluice {sluice / plain:.2f}x plain')
print(f'  of Sluice, Engine::invoke (the sandbox): {invoke // n} per request, {invoke / plain:.2f}x plain axum\'s whole request')"
if [[ -n "${KEEP:-}" ]]; then cp "$WORK/sluice.profile" "$KEEP"; fi
