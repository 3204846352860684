#!/usr/bin/env bash
# What observability costs: `GET /hello/x` (request log on, as shipped)
# with metrics off, with metrics on (the default), with every request
# traced and exported over OTLP/HTTP to a receiver on loopback, and with one
# trace in ten kept (OTEL_TRACES_SAMPLER=traceidratio, 0.1), in one run.
# Prints each as a ratio of the first. Settings as in bench-lib.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sluice/target}"
source scripts/bench-lib.sh
prepare otlp_sink
trap stop_all EXIT

# A receiver on loopback that decodes each export and counts its spans
# (runtime/examples/otlp_sink.rs): the figure is Sluice's cost of tracing,
# and the count shows every request was traced.
RECEIVER_PORT=$(free_port)
"$BIN/examples/otlp_sink" "127.0.0.1:$RECEIVER_PORT" &
PIDS+=($!)
wait_up "http://127.0.0.1:$RECEIVER_PORT/stats"

serve_hello() {
  AS_SHIPPED=1 start_sluice "$@"
  upload_action hello
  admin -X POST "$BASE/admin/operations" \
    -d '{"name":"greet","method":"GET","path":"/hello/:name","action":"hello","public":true}'
}

echo "GET /hello/x, request log on (wrk -t$THREADS -c$CONNECTIONS -d$DURATION):" >&2
serve_hello --metrics false
off=$(run metrics-off "$BASE/hello/x")
kill "$SLUICE_PID"
serve_hello
on=$(run metrics-on "$BASE/hello/x")
kill "$SLUICE_PID"
OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$RECEIVER_PORT" OTEL_SERVICE_NAME=bench serve_hello
traced=$(run traced "$BASE/hello/x")
served=$(curl -fsS -H "Authorization: Bearer $TOKEN" "$BASE/system/metrics" \
  | awk '/^sluice_requests_total/ && /operation="greet"/ {n += $NF} END {print n}')
kill "$SLUICE_PID"
wait "$SLUICE_PID" 2>/dev/null || true
echo "  the receiver: $(curl -fsS "http://127.0.0.1:$RECEIVER_PORT/stats") for $served requests served (warm-up included)" >&2
OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$RECEIVER_PORT" OTEL_SERVICE_NAME=bench \
  OTEL_TRACES_SAMPLER=traceidratio OTEL_TRACES_SAMPLER_ARG=0.1 serve_hello
sampled=$(run sampled "$BASE/hello/x")

python3 - "$off" "$on" "$traced" "$sampled" <<'PY'
import sys
off, on, traced, sampled = map(float, sys.argv[1:])
print(f"metrics on:          {on / off * 100:6.1f} % of metrics off (aim >= 95 %)")
print(f"every request traced: {traced / off * 100:6.1f} % of metrics off (aim >= 85 %)")
print(f"one trace in ten:     {sampled / off * 100:6.1f} % of metrics off")
PY
