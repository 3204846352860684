#!/usr/bin/env bash
# The MCP server's cost: `tools/call` of `hello` over MCP (a session of the
# Streamable HTTP transport, POST /mcp, the answer an SSE event) against
# `GET /hello/x` over HTTP, same server, same script, wrk on loopback;
# every answer of both is checked to be a 2xx, and a sample of each is
# checked to carry the greeting.
#
#   scripts/bench-mcp.sh     (DURATION=8s CONNECTIONS=64 THREADS=2)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sluice/target}"
. scripts/bench-lib.sh

prepare
trap stop_all EXIT
start_sluice
upload_action hello
admin -X POST -d '{"name":"hello","method":"GET","path":"/hello/:name","action":"hello","public":true,
  "mcp":{"enabled":true}}' "$BASE/admin/operations"

# An app's token (the bootstrap admin token is not an access token), and a
# session, as an agent opens one.
APP=$(curl -fsS -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d '{"name":"bench-agent"}' "$BASE/admin/apps")
AGENT=$(python3 -c "
import json, sys, urllib.parse, urllib.request
app = json.loads(sys.argv[1])
form = urllib.parse.urlencode({'grant_type': 'client_credentials', 'client_id': app['client_id'],
                               'client_secret': app['client_secret']}).encode()
print(json.load(urllib.request.urlopen('$BASE/authorization/token', form))['access_token'])" "$APP")
HEADERS=(-H "Authorization: Bearer $AGENT" -H 'Content-Type: application/json'
  -H 'Accept: application/json, text/event-stream')
SESSION=$(curl -fsS -D - -o /dev/null "${HEADERS[@]}" -d '{"jsonrpc":"2.0","id":1,"method":"initialize",
  "params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"wrk","version":"1"}}}' \
  "$BASE/mcp" | awk -F': ' 'tolower($1)=="mcp-session-id" {print $2}' | tr -d '\r')
[[ -n "$SESSION" ]] || { echo "FAILED: no MCP session" >&2; exit 1; }
curl -fsS "${HEADERS[@]}" -H "Mcp-Session-Id: $SESSION" -H 'MCP-Protocol-Version: 2025-06-18' \
  -d '{"jsonrpc":"2.0","method":"notifications/initialized"}' "$BASE/mcp"
CALL='{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"hello","arguments":{"name":"x"}}}'
answer=$(curl -fsS "${HEADERS[@]}" -H "Mcp-Session-Id: $SESSION" -H 'MCP-Protocol-Version: 2025-06-18' -d "$CALL" "$BASE/mcp")
grep -q 'Hello, x!' <<<"$answer" || { echo "FAILED: the tool call answered: $answer" >&2; exit 1; }
curl -fsS "$BASE/hello/x" | grep -q 'Hello, x!'

cat >"$WORK/call.lua" <<LUA
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $AGENT"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.headers["Mcp-Session-Id"] = "$SESSION"
wrk.headers["MCP-Protocol-Version"] = "2025-06-18"
wrk.body = [[$CALL]]
-- A tool error is a 200 too: count the answers that do not greet.
wrong = 0
response = function(status, headers, body)
  if not string.find(body, "Hello, x!", 1, true) then wrong = wrong + 1 end
end
done = function(summary, latency, requests)
  if wrong > 0 then io.write(string.format("Non-2xx or Socket errors: %d answers without the greeting\n", wrong)) end
end
LUA

echo "mcp: wrk -t$THREADS -c$CONNECTIONS -d$DURATION, hello over HTTP and as an MCP tool call" >&2
http=$(run http "$BASE/hello/x")
mcp=$(run mcp "$BASE/mcp" -s "$WORK/call.lua")
http2=$(run http "$BASE/hello/x")
mcp2=$(run mcp "$BASE/mcp" -s "$WORK/call.lua")
python3 -c "
h = (float($http) + float($http2)) / 2; m = (float($mcp) + float($mcp2)) / 2
print(f'  MCP tools/call / HTTP GET throughput: {m / h * 100:.1f} % (aim: at least 70 %)')"
