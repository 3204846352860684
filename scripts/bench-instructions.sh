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
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sluice/target}"
N="${N:-1000}"
command -v valgrind >/dev/null || { apt-get update -qq && apt-get install -y -qq valgrind >/dev/null; }
source scripts/bench-lib.sh
prepare otlp_sink
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

# drive COUNT: COUNT requests over four keep-alive connections, one at a
# time; fails on any answer but 200.
drive() {
  python3 - "$port" "$1" <<'PY'
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
drive 300
# The warm-up's deferred work (the request log's batched writes, the first
# timers) is left out of the count.
sleep 5
callgrind_control -z "$VALGRIND" >/dev/null
drive "$N"
callgrind_control -d "$VALGRIND" >/dev/null
profile=$(ls -t "$WORK"/callgrind.out* | head -1)
total=$(callgrind_annotate "$profile" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
echo "GET /hello/x: $((total / N)) instructions per request (${EXTRA:-as shipped}${OTLP:+, OTLP=$OTLP}; $N requests)"
if [[ -n "${KEEP:-}" ]]; then cp "$profile" "$KEEP"; fi
