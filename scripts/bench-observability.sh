#!/usr/bin/env bash
# What observability costs: `GET /hello/x` (request log on, as shipped)
# with metrics off, with metrics on (the default), and with every request
# traced and exported over OTLP/HTTP to a receiver on loopback, in one run.
# Prints each as a ratio of the first. Settings as in bench-lib.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sluice/target}"
source scripts/bench-lib.sh
prepare
trap stop_all EXIT

# An OTLP/HTTP receiver that reads each export and answers 200: the cost
# measured is Sluice's (spans, batching, encoding, sending), not a collector's.
RECEIVER_PORT=$(free_port)
python3 - "$RECEIVER_PORT" <<'PY' &
import http.server, sys
class Sink(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink).serve_forever()
PY
PIDS+=($!)

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
grep -i "export" "$WORK"/sluice-*.log | tail -3 >&2 || true

python3 - "$off" "$on" "$traced" <<'PY'
import sys
off, on, traced = map(float, sys.argv[1:])
print(f"metrics on:          {on / off * 100:6.1f} % of metrics off (aim >= 95 %)")
print(f"every request traced: {traced / off * 100:6.1f} % of metrics off (aim >= 85 %)")
PY
