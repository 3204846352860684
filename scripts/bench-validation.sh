#!/usr/bin/env bash
# The cost of request validation: `POST` with a 1 KB JSON body to the
# `echo` action through an operation with an `incoming` schema (and typed
# path and query parameters) vs the same action through an operation
# without a contract, same server, same script, wrk on loopback.
#
#   scripts/bench-validation.sh     (DURATION=8s CONNECTIONS=64 THREADS=2)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sluice/target}"
. scripts/bench-lib.sh

scripts/build-actions.sh >/dev/null
cargo build --release --quiet -p sluice --bin sluice
BIN="$CARGO_TARGET_DIR/release"
WORK=$(mktemp -d)
PIDS=()
cleanup() { kill "${PIDS[@]}" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

TOKEN="bench-token-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
PORT=$(free_port)
RUST_LOG=warn SLUICE_ADMIN_TOKEN=$TOKEN "$BIN/sluice" serve --listen "127.0.0.1:$PORT" --data-dir "$WORK/data" &
PIDS+=($!)
BASE="http://127.0.0.1:$PORT"
wait_up "$BASE/system/health"
admin() { curl -fsS -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' "$@" >/dev/null; }
curl -fsS -X PUT -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/wasm' \
  --data-binary @actions-examples/dist/echo.wasm "$BASE/admin/actions/echo" >/dev/null
admin -X POST -d '{"name":"line","schema":{"type":"object","required":["sku","quantity","price"],"additionalProperties":false,
  "properties":{"sku":{"type":"string","pattern":"^[A-Z]{3}-[0-9]{4}$"},"quantity":{"type":"integer","minimum":1},
  "price":{"type":"number","minimum":0},"note":{"type":"string","maxLength":200}}}}' "$BASE/admin/schemas"
admin -X POST -d '{"name":"order","schema":{"type":"object","required":["customer","email","lines"],
  "properties":{"customer":{"type":"string","minLength":1},"email":{"type":"string","format":"email"},
  "lines":{"type":"array","minItems":1,"items":{"$ref":"line"}},"paid":{"type":"boolean"}}}}' "$BASE/admin/schemas"
admin -X POST -d '{"name":"plain","method":"POST","path":"/plain/:id","action":"echo"}' "$BASE/admin/operations"
admin -X POST -d '{"name":"checked","method":"POST","path":"/checked/:id","action":"echo","incoming":"order",
  "parameters":[{"name":"id","in":"path","type":"integer"},{"name":"dry","in":"query","type":"boolean"}]}' "$BASE/admin/operations"

# A 1 KB order: 10 lines.
BODY=$(python3 -c '
import json
lines = [{"sku": f"ABC-{1000+i}", "quantity": i + 1, "price": 9.99 + i, "note": "gift wrap, leave at the door"} for i in range(10)]
print(json.dumps({"customer": "Ada Lovelace", "email": "ada@example.com", "lines": lines, "paid": True}))')
echo "body: ${#BODY} bytes" >&2
cat >"$WORK/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [[$BODY]]
LUA
curl -fsS -X POST -H 'Content-Type: application/json' -d "$BODY" "$BASE/checked/7?dry=true" >/dev/null

run_post() { # label url
  wrk -t"$THREADS" -c"$CONNECTIONS" -d2s -s "$WORK/post.lua" "$2" >/dev/null
  local out rps p99 errors
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$WORK/post.lua" "$2")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errors=$(grep -E 'Non-2xx|Socket errors' <<<"$out" || true)
  printf '  %-9s %12s req/s   p99 %8s   %s\n' "$1" "$rps" "$p99" "$errors" >&2
  echo "$rps"
}
echo "validation: wrk -t$THREADS -c$CONNECTIONS -d$DURATION, POST 1 KB JSON to echo" >&2
plain=$(run_post plain "$BASE/plain/7?dry=true")
checked=$(run_post validated "$BASE/checked/7?dry=true")
plain2=$(run_post plain "$BASE/plain/7?dry=true")
checked2=$(run_post validated "$BASE/checked/7?dry=true")
python3 -c "
p = (float($plain) + float($plain2)) / 2; c = (float($checked) + float($checked2)) / 2
print(f'  validated / plain throughput: {c / p * 100:.1f} % (overhead {(1 - c / p) * 100:.1f} %)')"
