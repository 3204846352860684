#!/usr/bin/env bash
# `sluice deploy` of the example project (examples/sluice.yaml): onto an
# empty server (cold: every component uploaded, every resource created) and
# again (a no-op: every resource unchanged), in seconds and in admin requests
# the CLI made, each the median of RUNS runs with a fresh server for the
# cold ones. The SMTP connection's test needs a server: one is started from
# the stand-ins on a free port.
#
#   scripts/bench-deploy.sh            RUNS=5 by default
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sluice/target}"
RUNS="${RUNS:-5}"
source scripts/bench-lib.sh
prepare
trap stop_all EXIT

PY=$(scripts/python-env.sh)
HTTP_PORT=$(free_port)
SMTP_PORT=$(free_port)
mkdir -p "$WORK/maildir/new" "$WORK/maildir/tmp" "$WORK/maildir/cur"
"$PY" scripts/standin.py --http-port "$HTTP_PORT" --api-key bench-key --smtp-port "$SMTP_PORT" \
  --maildir "$WORK/maildir" >/dev/null 2>&1 &
PIDS+=($!)
wait_up "http://127.0.0.1:$HTTP_PORT/echo"
export STANDIN_URL="http://127.0.0.1:$HTTP_PORT" WEATHER_API_URL="http://127.0.0.1:$HTTP_PORT"
export WEATHER_API_KEY=bench-key UPSTREAM_TOKEN=bench-token SMTP_PORT

# deploy: runs `sluice deploy` and prints "<seconds> <admin requests>".
deploy() {
  local err
  err=$(SLUICE_URL=$BASE SLUICE_TOKEN=$TOKEN "$BIN/sluice" deploy -f examples/sluice.yaml 2>&1 >/dev/null)
  sed -n 's/.* in \([0-9.]*\) s with \([0-9]*\) admin requests/\1 \2/p' <<<"$err"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

COLD=()
WARM=()
for _ in $(seq 1 "$RUNS"); do
  start_sluice
  COLD+=("$(deploy)")
  WARM+=("$(deploy)")
done
cold_s=$(printf '%s\n' "${COLD[@]}" | cut -d' ' -f1 | median)
cold_n=$(printf '%s\n' "${COLD[@]}" | cut -d' ' -f2 | median)
warm_s=$(printf '%s\n' "${WARM[@]}" | cut -d' ' -f1 | median)
warm_n=$(printf '%s\n' "${WARM[@]}" | cut -d' ' -f2 | median)
resources=$(SLUICE_URL=$BASE SLUICE_TOKEN=$TOKEN "$BIN/sluice" deploy -f examples/sluice.yaml --dry-run -o json | grep -c '"kind"')
echo "sluice deploy of examples/sluice.yaml ($resources resources, median of $RUNS):"
echo "  cold (empty server):  $cold_s s, $cold_n admin requests"
echo "  no-op (re-deploy):    $warm_s s, $warm_n admin requests"
