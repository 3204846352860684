#!/usr/bin/env bash
# What the edge costs, in one run: `GET /hello/x` over plain HTTP/1.1, over
# TLS with HTTP/1.1 and over TLS with HTTP/2 (one stream per connection,
# then ten), all driven by h2load so the client is the same; then a 20 KB
# JSON answer (echo of a long query) uncompressed and compressed with gzip,
# br and zstd, driven by wrk. Prints each as a ratio of its plain
# reference and fails when any answer is not a 2xx. Settings as in
# bench-lib.sh (DURATION, CONNECTIONS, THREADS).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sluice/target}"
source scripts/bench-lib.sh
command -v h2load >/dev/null || { apt-get update -qq && apt-get install -y -qq nghttp2-client >/dev/null; }
prepare
trap stop_all EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost \
  -addext "subjectAltName=IP:127.0.0.1" -keyout "$WORK/key.pem" -out "$WORK/cert.pem" >/dev/null 2>&1

deploy() {
  upload_action hello
  upload_action echo
  admin -X POST "$BASE/admin/operations" \
    -d '{"name":"greet","method":"GET","path":"/hello/:name","action":"hello","public":true}'
  admin -X POST "$BASE/admin/operations" \
    -d '{"name":"echo","method":"GET","path":"/echo","action":"echo","public":true}'
}

# h2 LABEL URL [H2LOAD ARGS...]: a 2 s warm-up, then h2load for DURATION;
# prints req/s on stdout and a summary on stderr; fails on any non-2xx.
h2() {
  local label=$1 url=$2 secs=${DURATION%s} out rps ok total
  shift 2
  h2load -c"$CONNECTIONS" -t"$THREADS" -D 2 "$@" "$url" >/dev/null 2>&1
  out=$(h2load -c"$CONNECTIONS" -t"$THREADS" -D "$secs" "$@" "$url" 2>&1)
  rps=$(awk '/^finished in/ {print $4}' <<<"$out")
  total=$(awk '/^requests:/ {print $2}' <<<"$out")
  ok=$(awk '/^status codes:/ {print $3}' <<<"$out")
  printf '  %-14s %12s req/s   (%s of %s answers 2xx)\n' "$label" "$rps" "$ok" "$total" >&2
  if [[ -z "$rps" || "$ok" != "$total" ]]; then
    echo "FAILED: $label: $out" >&2
    return 1
  fi
  echo "$rps"
}

echo "GET /hello/x, request log off (h2load -t$THREADS -c$CONNECTIONS -D $DURATION):" >&2
start_sluice
deploy
plain=$(h2 plain-h1 "$BASE/hello/x" --h1)
kill "$SLUICE_PID"
start_sluice_tls() {
  TOKEN="bench-token-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  local port
  port=$(free_port)
  env SLUICE_ADMIN_TOKEN="$TOKEN" RUST_LOG=warn SLUICE_REQUEST_LOG=false "$BIN/sluice" serve \
    --listen "127.0.0.1:$port" --data-dir "$WORK/data-$port" \
    --tls-cert "$WORK/cert.pem" --tls-key "$WORK/key.pem" 2>"$WORK/sluice-$port.log" &
  SLUICE_PID=$!
  PIDS+=($!)
  BASE="https://127.0.0.1:$port"
  export CURL_CA_BUNDLE="$WORK/cert.pem"
  wait_up "$BASE/system/health"
  curl -sS -o /dev/null -X DELETE -H "Authorization: Bearer $TOKEN" "$BASE/admin/rate-limits/default"
}
start_sluice_tls
deploy
tls_h1=$(h2 tls-h1 "$BASE/hello/x" --h1)
tls_h2=$(h2 tls-h2 "$BASE/hello/x" -m 1)
tls_h2m=$(h2 tls-h2-m10 "$BASE/hello/x" -m 10)
kill "$SLUICE_PID"
unset CURL_CA_BUNDLE

echo "GET /echo with a ~20 KB JSON answer (wrk -t$THREADS -c$CONNECTIONS -d$DURATION):" >&2
start_sluice
deploy
# Words drawn (seeded) from a small vocabulary: about as compressible as
# real JSON text, unlike one word repeated.
QUERY="q=$(python3 -c "
import random
random.seed(7)
words = 'order customer total price item quantity shipped pending address city street note id created updated status paid refund'.split()
print('%20'.join(random.choice(words) + str(random.randint(0, 999)) for _ in range(1500)))")"
URL="$BASE/echo?$QUERY"
for enc in identity gzip br zstd; do
  bytes=$(curl -sS -o /dev/null -w '%{size_download}' -H "Accept-Encoding: $enc" "$URL")
  echo "  $enc: $bytes bytes on the wire" >&2
done
raw=$(run identity "$URL" -H "Accept-Encoding: identity")
gz=$(run gzip "$URL" -H "Accept-Encoding: gzip")
br=$(run br "$URL" -H "Accept-Encoding: br")
zs=$(run zstd "$URL" -H "Accept-Encoding: zstd")

python3 - "$plain" "$tls_h1" "$tls_h2" "$tls_h2m" "$raw" "$gz" "$br" "$zs" <<'PY'
import sys
plain, h1, h2, h2m, raw, gz, br, zs = map(float, sys.argv[1:])
print(f"TLS, HTTP/1.1:             {h1 / plain * 100:6.1f} % of plain HTTP/1.1")
print(f"TLS, HTTP/2 (1 stream):    {h2 / plain * 100:6.1f} % of plain HTTP/1.1")
print(f"TLS, HTTP/2 (10 streams):  {h2m / plain * 100:6.1f} % of plain HTTP/1.1")
print(f"20 KB answer, gzip:        {gz / raw * 100:6.1f} % of uncompressed")
print(f"20 KB answer, br:          {br / raw * 100:6.1f} % of uncompressed")
print(f"20 KB answer, zstd:        {zs / raw * 100:6.1f} % of uncompressed")
PY
