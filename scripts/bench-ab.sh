#!/usr/bin/env bash
# A/B of two `sluice` binaries serving `GET /hello/x` as shipped (request
# log on, tracing at its default level), side by side, interleaved in
# rounds of A B B A so that neither is always first; prints each run's
# requests per second and the server's CPU time per request (user +
# system, from /proc/PID/stat). Fails loudly if any answer is not a 2xx.
#
#   scripts/bench-ab.sh OLD_SLUICE NEW_SLUICE [ROUNDS]
#   (DURATION=5s CONNECTIONS=8 THREADS=1 by default; build each binary
#   with `cargo build --release -p sluice` and copy it aside first; A_ENV
#   and B_ENV, "NAME=value ...", set more environment for one node, e.g.
#   B_ENV=SLUICE_REQUEST_LOG=false with the same binary twice)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sluice/target}"
export DURATION="${DURATION:-5s}" CONNECTIONS="${CONNECTIONS:-8}" THREADS="${THREADS:-1}"
. scripts/bench-lib.sh
[[ $# -ge 2 ]] || { sed -n '2,13p' "$0" >&2; exit 2; }
A=$1 B=$2 ROUNDS=${3:-3}
WORK=$(mktemp -d)
chmod 755 "$WORK"
PIDS=()
trap stop_all EXIT
print_machine
declare -A base pid
for x in A B; do
  BIN="$WORK/bin-$x"
  mkdir -p "$BIN"
  cp "${!x}" "$BIN/sluice"
  env_name="${x}_ENV"
  BENCH_NODE_ENV="${!env_name:-}" AS_SHIPPED=1 start_sluice
  deploy_hello
  base[$x]=$BASE
  pid[$x]=$SLUICE_PID
done
echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION, GET /hello/x, A = $A, B = $B" >&2
for _ in $(seq 1 "$ROUNDS"); do
  for x in A B B A; do
    CPU_PID=${pid[$x]} run "$x" "${base[$x]}/hello/x" >/dev/null
  done
done
