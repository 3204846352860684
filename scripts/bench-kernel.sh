#!/usr/bin/env bash
# Where the kernel time of `GET /hello/x` goes: plain axum and Sluice as
# shipped, each under the same wrk load, measured with perf. Prints per
# request answered: context switches, futex calls, ioctls (wasmtime's
# PAGEMAP_SCAN of a reused instance slot), page faults, madvise and
# mprotect calls, reschedule IPIs (`perf stat`), then the kernel symbols whose time per request differs
# most between the two (`perf record`, cpu-clock). Last, who preempts the
# servers: both are run again, interleaved, with wrk as it is and with wrk
# under SCHED_BATCH (`chrt -b 0`), whose threads the kernel does not let
# preempt a running thread when they wake (a remote client's would not
# either); the table shows what a co-located load generator's wake-ups
# cost each server. Fails loudly if any answer is not a 2xx.
#
#   scripts/bench-kernel.sh     (DURATION=5s CONNECTIONS=64 THREADS=2)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sluice/target}"
export DURATION="${DURATION:-5s}"
. scripts/bench-lib.sh
command -v perf >/dev/null || { apt-get update -qq && apt-get install -y -qq linux-perf >/dev/null; }

prepare plain_hello
trap stop_all EXIT
AS_SHIPPED=1 start_sluice
deploy_hello
PLAIN_PORT=$(free_port)
"$BIN/examples/plain_hello" "127.0.0.1:$PLAIN_PORT" &
PLAIN_PID=$!
PIDS+=($!)
wait_up "http://127.0.0.1:$PLAIN_PORT/hello/x"

# measure LABEL PID URL: perf stat, then perf record, each over one wrk run.
measure() {
  local label=$1 pid=$2 url=$3 out requests perf
  wrk -t"$THREADS" -c"$CONNECTIONS" -d2s "$url" >/dev/null
  perf stat -x, -o "$WORK/stat.$label" -p "$pid" -e \
    task-clock,context-switches,page-faults,syscalls:sys_enter_futex,syscalls:sys_enter_ioctl,syscalls:sys_enter_madvise,syscalls:sys_enter_mprotect,irq_vectors:reschedule_entry &
  perf=$!
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" "$url")
  kill -INT "$perf"
  wait "$perf" || true
  grep -qE 'Non-2xx|Socket errors' <<<"$out" && { echo "FAILED: $label: not every answer was a 2xx" >&2; exit 1; }
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  echo "$requests" >"$WORK/requests.$label"
  perf record -q -F 2999 -o "$WORK/perf.$label" -p "$pid" 2>/dev/null &
  perf=$!
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" "$url")
  kill -INT "$perf"
  wait "$perf" || true
  grep -qE 'Non-2xx|Socket errors' <<<"$out" && { echo "FAILED: $label: not every answer was a 2xx" >&2; exit 1; }
  awk '/requests in/ {print $1}' <<<"$out" >"$WORK/recorded.$label"
  perf report -i "$WORK/perf.$label" --no-children --sort sym --stdio -g none 2>/dev/null \
    | awk '/\[k\]/ {gsub("%", "", $1); print $1, $3}' >"$WORK/kernel.$label"
  perf report -i "$WORK/perf.$label" --stdio -g none 2>/dev/null \
    | awk '/Event count/ {print $NF}' >"$WORK/total.$label"
}
echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION, GET /hello/x" >&2
measure plain "$PLAIN_PID" "http://127.0.0.1:$PLAIN_PORT/hello/x"
measure sluice "$SLUICE_PID" "$BASE/hello/x"

python3 - "$WORK" <<'PY'
import sys
work = sys.argv[1]
stat, kernel = {}, {}
for who in ("plain", "sluice"):
    requests = int(open(f"{work}/requests.{who}").read())
    for line in open(f"{work}/stat.{who}"):
        fields = line.strip().split(",")
        if len(fields) > 2 and fields[0].replace(".", "").isdigit():
            stat.setdefault(fields[2], {})[who] = float(fields[0]) / requests
    recorded = int(open(f"{work}/recorded.{who}").read())
    per_request = float(open(f"{work}/total.{who}").read()) / recorded  # ns
    for line in open(f"{work}/kernel.{who}"):
        share, symbol = line.split()
        kernel.setdefault(symbol, {})[who] = float(share) / 100 * per_request
print(f"  {'per request answered':<36}{'plain':>10}{'sluice':>10}")
for name, v in stat.items():
    scale, unit = (1000, " µs") if name == "task-clock" else (1, "")
    print(f"  {name + unit:<36}{v.get('plain', 0) * scale:>10.3f}{v.get('sluice', 0) * scale:>10.3f}")
total = {w: sum(v.get(w, 0) for v in kernel.values()) for w in ("plain", "sluice")}
print(f"  {'kernel time, ns (perf, cpu-clock)':<36}{total['plain']:>10.0f}{total['sluice']:>10.0f}")
print("  kernel symbols that cost Sluice most more per request, ns:")
rows = sorted(kernel.items(), key=lambda kv: kv[1].get("plain", 0) - kv[1].get("sluice", 0))
for symbol, v in rows[:15]:
    print(f"    {symbol:<44}{v.get('plain', 0):>8.0f}{v.get('sluice', 0):>8.0f}")
PY

# The same two servers under wrk as it is and under SCHED_BATCH, in rounds
# of normal then batch; requests per second and each server's CPU time per
# request (/proc/PID/stat, like scripts/bench.sh).
echo "wrk as it is vs under SCHED_BATCH (chrt -b 0), two rounds:" >&2
declare -A rates
WRK=$(type -P wrk)
for round in 1 2; do
  for policy in normal batch; do
    for who in plain sluice; do
      if [[ $who == plain ]]; then url="http://127.0.0.1:$PLAIN_PORT/hello/x" CPU_PID=$PLAIN_PID
      else url="$BASE/hello/x" CPU_PID=$SLUICE_PID; fi
      # `run` calls wrk by name: a function of that name puts chrt before it.
      [[ $policy == batch ]] && wrk() { chrt -b 0 "$WRK" "$@"; }
      rates[$policy.$who.$round]=$(run "$policy-$who" "$url")
      unset -f wrk
    done
  done
done
for policy in normal batch; do
  for round in 1 2; do
    ratio "Sluice / plain axum, wrk $policy, round $round" "${rates[$policy.sluice.$round]}" "${rates[$policy.plain.$round]}"
  done
done
