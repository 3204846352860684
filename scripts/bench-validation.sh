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

prepare
trap stop_all EXIT
start_sluice
upload_action echo
admin -X POST -d '{"name":"line","schema":{"type":"object","required":["sku","quantity","price"],"additionalProperties":false,
  "properties":{"sku":{"type":"string","pattern":"^[A-Z]{3}-[0-9]{4}$"},"quantity":{"type":"integer","minimum":1},
  "price":{"type":"number","minimum":0},"note":{"type":"string","maxLength":200}}}}' "$BASE/admin/schemas"
admin -X POST -d '{"name":"order","schema":{"type":"object","required":["customer","email","lines"],
  "properties":{"customer":{"type":"string","minLength":1},"email":{"type":"string","format":"email"},
  "lines":{"type":"array","minItems":1,"items":{"$ref":"line"}},"paid":{"type":"boolean"}}}}' "$BASE/admin/schemas"
admin -X POST -d '{"name":"plain","method":"POST","path":"/plain/:id","action":"echo","public":true}' "$BASE/admin/operations"
admin -X POST -d '{"name":"checked","method":"POST","path":"/checked/:id","action":"echo","public":true,"incoming":"order",
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

echo "validation: wrk -t$THREADS -c$CONNECTIONS -d$DURATION, POST 1 KB JSON to echo" >&2
plain=$(run plain "$BASE/plain/7?dry=true" -s "$WORK/post.lua")
checked=$(run validated "$BASE/checked/7?dry=true" -s "$WORK/post.lua")
plain2=$(run plain "$BASE/plain/7?dry=true" -s "$WORK/post.lua")
checked2=$(run validated "$BASE/checked/7?dry=true" -s "$WORK/post.lua")
python3 -c "
p = (float($plain) + float($plain2)) / 2; c = (float($checked) + float($checked2)) / 2
print(f'  validated / plain throughput: {c / p * 100:.1f} % (overhead {(1 - c / p) * 100:.1f} %)')"
