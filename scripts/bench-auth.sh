#!/usr/bin/env bash
# The cost of who-may-call-what: `GET /hello/:name` as a private operation
# (bearer token verified, scope checked, a rate-limit rule counting the
# caller, the request logged) vs the same operation public with rate limits
# and the request log off — two servers started by this script, measured
# alternately with the same wrk settings on loopback.
#
#   scripts/bench-auth.sh     (DURATION=8s CONNECTIONS=64 THREADS=2)
#
# With `signing`, the private operation twice instead: tokens signed with
# Ed25519 (EdDSA, the default) against the HS256 opt-in, same settings, in
# rounds of A B B A; prints the EdDSA / HS256 throughput ratio.
#
#   scripts/bench-auth.sh signing
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sluice/target}"
. scripts/bench-lib.sh

prepare
trap stop_all EXIT

# private_hello: the guarded `hello` on the server at $BASE and an app's
# token for it in ACCESS.
private_hello() {
  upload_action hello
  admin -X POST -d '{"name":"greet","description":"bench"}' "$BASE/admin/scopes"
  admin -X POST -d '{"name":"hello","method":"GET","path":"/hello/:name","action":"hello","public":false,"scopes":["greet"]}' "$BASE/admin/operations"
  local app id secret
  app=$(curl -fsS -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d '{"name":"bench","scopes":["greet"]}' "$BASE/admin/apps")
  id=$(sed -n 's/.*"client_id":"\([^"]*\)".*/\1/p' <<<"$app")
  secret=$(sed -n 's/.*"client_secret":"\([^"]*\)".*/\1/p' <<<"$app")
  ACCESS=$(curl -fsS -u "$id:$secret" -d grant_type=client_credentials "$BASE/authorization/token" |
    sed 's/.*"access_token":"\([^"]*\)".*/\1/')
  curl -fsS -H "Authorization: Bearer $ACCESS" "$BASE/hello/bench" >/dev/null
}

if [[ "${1:-}" == signing ]]; then
  start_sluice
  EDDSA="$BASE"
  private_hello
  EDDSA_TOKEN="$ACCESS"
  SLUICE_TOKEN_ALGORITHM=HS256 start_sluice
  HS256="$BASE"
  private_hello
  HS256_TOKEN="$ACCESS"
  echo "signing: wrk -t$THREADS -c$CONNECTIONS -d$DURATION, private GET /hello/bench" >&2
  e1=$(run EdDSA "$EDDSA/hello/bench" -H "Authorization: Bearer $EDDSA_TOKEN")
  h1=$(run HS256 "$HS256/hello/bench" -H "Authorization: Bearer $HS256_TOKEN")
  h2=$(run HS256 "$HS256/hello/bench" -H "Authorization: Bearer $HS256_TOKEN")
  e2=$(run EdDSA "$EDDSA/hello/bench" -H "Authorization: Bearer $EDDSA_TOKEN")
  python3 -c "
e = (float($e1) + float($e2)) / 2; h = (float($h1) + float($h2)) / 2
print(f'  EdDSA / HS256 throughput on a private hello: {e / h * 100:.1f} %')"
  exit 0
fi

# Plain: public, no rate-limit rules, no request log.
start_sluice
PLAIN="$BASE"
deploy_hello

# Guarded: private with a scope, a matching rule (high enough never to
# refuse: the cost of counting is measured, not of refusing), the log on.
SLUICE_REQUEST_LOG=true start_sluice
GUARDED="$BASE"
upload_action hello
admin -X POST -d '{"name":"greet","description":"bench"}' "$BASE/admin/scopes"
admin -X POST -d '{"name":"hello","method":"GET","path":"/hello/:name","action":"hello","public":false,"scopes":["greet"]}' "$BASE/admin/operations"
admin -X POST -d '{"name":"bench","priority":10,"requests":1000000000,"window_seconds":1}' "$BASE/admin/rate-limits"
APP=$(curl -fsS -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d '{"name":"bench","scopes":["greet"]}' "$BASE/admin/apps")
ID=$(sed -n 's/.*"client_id":"\([^"]*\)".*/\1/p' <<<"$APP")
SECRET=$(sed -n 's/.*"client_secret":"\([^"]*\)".*/\1/p' <<<"$APP")
ACCESS=$(curl -fsS -u "$ID:$SECRET" -d grant_type=client_credentials "$GUARDED/authorization/token" |
  sed 's/.*"access_token":"\([^"]*\)".*/\1/')
curl -fsS -H "Authorization: Bearer $ACCESS" "$GUARDED/hello/bench" >/dev/null
curl -fsS "$PLAIN/hello/bench" >/dev/null

echo "auth: wrk -t$THREADS -c$CONNECTIONS -d$DURATION, GET /hello/bench" >&2
plain=$(run public "$PLAIN/hello/bench")
guarded=$(run private "$GUARDED/hello/bench" -H "Authorization: Bearer $ACCESS")
plain2=$(run public "$PLAIN/hello/bench")
guarded2=$(run private "$GUARDED/hello/bench" -H "Authorization: Bearer $ACCESS")
LOGGED=$(curl -fsS -H "Authorization: Bearer $TOKEN" "$GUARDED/admin/logs?limit=1" | sed 's/.*"id":\([0-9]*\).*/\1/')
echo "  request log rows written on the private server: $LOGGED" >&2
python3 -c "
p = (float($plain) + float($plain2)) / 2; g = (float($guarded) + float($guarded2)) / 2
print(f'  private / public throughput: {g / p * 100:.1f} % (overhead {(1 - g / p) * 100:.1f} %)')"
