#!/usr/bin/env bash
# Events: how many an action can dispatch per second (wrk POSTs to the
# `misbehave` action in `dispatch` mode, one event per request, each
# written to the outbox before the answer) and the end-to-end delivery
# latency from dispatch to a webhook receiver (runtime/examples/
# webhook_receiver.rs) at p50 / p99, measured by the receiver from the
# CloudEvent's `time`: once after the saturating run (the backlog drains)
# and once at a steady rate the worker keeps up with (one connection). A
# plain `echo` POST on the same server is the reference for the cost of
# the outbox write.
#
#   scripts/bench-events.sh     (DURATION=8s CONNECTIONS=64 THREADS=2)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sluice/target}"
. scripts/bench-lib.sh

command -v sqlite3 >/dev/null || { apt-get update -qq && apt-get install -y -qq sqlite3 >/dev/null; }
prepare webhook_receiver
trap stop_all EXIT
RECV_PORT=$(free_port)
"$BIN/examples/webhook_receiver" "127.0.0.1:$RECV_PORT" &
PIDS+=($!)
start_sluice
wait_up "http://127.0.0.1:$RECV_PORT/stats"
upload_action misbehave
upload_action echo
admin -X POST -d '{"name":"mb","method":"POST","path":"/mb","action":"misbehave","public":true}' "$BASE/admin/operations"
admin -X POST -d '{"name":"echo","method":"POST","path":"/echo","action":"echo","public":true}' "$BASE/admin/operations"
admin -X POST -d '{"name":"bench_event","schema":{"type":"object","required":["n"]}}' "$BASE/admin/events"
admin -X POST -d "{\"name\":\"receiver\",\"event\":\"bench_event\",\"url\":\"http://127.0.0.1:$RECV_PORT/hook\"}" "$BASE/admin/webhooks"
BODY='{"event":"bench_event","payload":{"n":1}}'
cat >"$WORK/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [[$BODY]]
LUA
curl -fsS -X POST -H 'Content-Type: application/json' -d "$BODY" "$BASE/mb?do=dispatch" >/dev/null

echo "events: wrk -t$THREADS -c$CONNECTIONS -d$DURATION, one event per request" >&2
plain=$(run echo "$BASE/echo" -s "$WORK/post.lua")
events=$(run dispatch "$BASE/mb?do=dispatch" -s "$WORK/post.lua")
ratio "dispatching / plain POST throughput" "$events" "$plain"
# Let the worker drain the outbox, then read the receiver's figures.
for _ in $(seq 1 600); do
  pending=$(sqlite3 "$WORK"/data-*/sluice.db "SELECT COUNT(*) FROM deliveries WHERE state = 'pending'" 2>/dev/null || echo 0)
  [[ "$pending" == 0 ]] && break
  sleep 0.5
done
echo "  latency after saturation: $(curl -fsS "http://127.0.0.1:$RECV_PORT/stats")" >&2
curl -fsS -X POST "http://127.0.0.1:$RECV_PORT/reset"
wrk -t1 -c1 -d"$DURATION" -s "$WORK/post.lua" "$BASE/mb?do=dispatch" | awk '/Requests\/sec/ {print "  steady: " $2 " events/s (one connection)"}' >&2
sleep 2
echo "  latency at that rate: $(curl -fsS "http://127.0.0.1:$RECV_PORT/stats")" >&2
echo "  deliveries: $(sqlite3 "$WORK"/data-*/sluice.db "SELECT state, COUNT(*) FROM deliveries GROUP BY state" | tr '\n' ' ')" >&2
