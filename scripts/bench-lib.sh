# Shared by the benchmark scripts: sourced, not run.
# Settings: DURATION (default 8s), CONNECTIONS (64), THREADS (2).
DURATION="${DURATION:-8s}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wait_up URL: waits until URL answers 2xx (10 s at most).
wait_up() { for _ in $(seq 1 100); do curl -fsS "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }

# run LABEL URL [WRK ARGS...]: a 2 s warm-up, then wrk (e.g. `-s post.lua`
# for a request script); prints a summary line on stderr and the requests per
# second on stdout.
run() {
  local label=$1 url=$2
  shift 2
  wrk -t"$THREADS" -c"$CONNECTIONS" -d2s "$@" "$url" >/dev/null
  local out rps p99 errors
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@" "$url")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errors=$(grep -E 'Non-2xx|Socket errors' <<<"$out" || true)
  printf '  %-9s %12s req/s   p99 %8s   %s\n' "$label" "$rps" "$p99" "$errors" >&2
  echo "$rps"
}

# prepare [EXAMPLE...]: builds the example actions, `sluice` and the named
# cargo examples in release mode; sets BIN and WORK (a temporary directory)
# and starts PIDS, which `stop_all` kills.
prepare() {
  scripts/build-actions.sh >/dev/null
  cargo build --release --quiet -p sluice --bin sluice
  local example
  for example in "$@"; do cargo build --release --quiet -p sluice --example "$example"; done
  BIN="$CARGO_TARGET_DIR/release"
  WORK=$(mktemp -d)
  chmod 755 "$WORK"
  PIDS=()
}

stop_all() { kill "${PIDS[@]}" 2>/dev/null || true; rm -rf "$WORK"; }

# start_sluice [SERVE ARGS...]: `sluice serve` on a free port with data in
# $WORK/data-<port> and a fresh bootstrap admin token; sets BASE, TOKEN and
# DATA (the data directory).
# The request log is off unless SLUICE_REQUEST_LOG=true, and the `default`
# rate-limit rule is deleted, so that these figures measure the gateway and
# the sandbox; scripts/bench-auth.sh measures tokens, limits and the log.
start_sluice() {
  TOKEN="bench-token-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  local port
  port=$(free_port)
  RUST_LOG=warn SLUICE_ADMIN_TOKEN=$TOKEN SLUICE_REQUEST_LOG="${SLUICE_REQUEST_LOG:-false}" \
    "$BIN/sluice" serve --listen "127.0.0.1:$port" --data-dir "$WORK/data-$port" "$@" &
  PIDS+=($!)
  BASE="http://127.0.0.1:$port"
  DATA="$WORK/data-$port"
  wait_up "$BASE/system/health"
  curl -fsS -X DELETE -H "Authorization: Bearer $TOKEN" "$BASE/admin/rate-limits/default" >/dev/null
}

# admin CURL-ARGS...: an admin API call with a JSON body, output dropped.
admin() { curl -fsS -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' "$@" >/dev/null; }

# upload_action NAME: uploads actions-examples/dist/NAME.wasm as action NAME.
upload_action() {
  curl -fsS -X PUT -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/wasm' \
    --data-binary "@actions-examples/dist/$1.wasm" "$BASE/admin/actions/$1" >/dev/null
}

# ratio LABEL PART WHOLE: prints PART as a percentage of WHOLE.
ratio() { python3 -c "print(f'  $1: {float($2)/float($3)*100:.1f} %')"; }
