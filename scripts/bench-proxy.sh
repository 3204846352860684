#!/usr/bin/env bash
# `GET /proxy/items?x=1` through the `proxy` action (a fresh sandbox per
# request, the forward through an `http` connection with an injected bearer
# token) against a plain axum + reqwest handler doing the same forward
# (runtime/examples/plain_proxy.rs), both in front of the same small upstream
# on loopback, side by side with wrk.
#
#   scripts/bench-proxy.sh          (DURATION=8s CONNECTIONS=64 THREADS=2)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sluice/target}"
. scripts/bench-lib.sh

prepare plain_proxy
trap stop_all EXIT

UP_PORT=$(free_port)
"$BIN/examples/plain_proxy" upstream "127.0.0.1:$UP_PORT" &
PIDS+=($!)
PLAIN_PORT=$(free_port)
"$BIN/examples/plain_proxy" proxy "127.0.0.1:$PLAIN_PORT" "http://127.0.0.1:$UP_PORT" &
PIDS+=($!)

start_sluice
wait_up "http://127.0.0.1:$UP_PORT/"
upload_action proxy
admin -X POST -d "{\"name\":\"upstream\",\"class\":\"http\",\"config\":{\"base_url\":\"http://127.0.0.1:$UP_PORT\",\"auth\":{\"type\":\"bearer\",\"token\":\"bench-upstream-token\"}}}" "$BASE/admin/connections"
admin -X PATCH -d '{"connections":["upstream"]}' "$BASE/admin/actions/proxy"
admin -X POST -d '{"name":"proxy","method":"GET","path":"/proxy/*rest","action":"proxy","public":true}' "$BASE/admin/operations"
wait_up "$BASE/proxy/items"
wait_up "http://127.0.0.1:$PLAIN_PORT/proxy/items"

echo "proxy: wrk -t$THREADS -c$CONNECTIONS -d$DURATION, GET /proxy/items?x=1" >&2
upstream=$(run upstream "http://127.0.0.1:$UP_PORT/items?x=1")
plain=$(run plain "http://127.0.0.1:$PLAIN_PORT/proxy/items?x=1")
sluice=$(run sluice "$BASE/proxy/items?x=1")
ratio "plain proxy / upstream alone" "$plain" "$upstream"
ratio "sluice / plain proxy throughput" "$sluice" "$plain"
# With the upstream round trip, up to 1,000 instances are in flight at once,
# each holding a pool slot.
rss_under_load sluice "$BASE/proxy/items?x=1" "$SLUICE_PID"
