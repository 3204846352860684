#!/usr/bin/env bash
# What observability costs: `GET /hello/x` (request log on, as shipped)
# with metrics off, with metrics on (the default), with every request
# traced and exported over OTLP/HTTP to a receiver on loopback, with one
# trace in ten kept (OTEL_TRACES_SAMPLER=traceidratio, 0.1), and with every
# request traced and the metrics pushed over OTLP as well (what
# OTEL_EXPORTER_OTLP_ENDPOINT alone turns on). The two traced-only nodes set
# OTEL_METRICS_EXPORTER=none, so that their metrics are those of the
# untraced node and the ratio is tracing's cost alone.
#
# The five nodes run side by side (one loaded at a time) and are measured
# in ROUNDS interleaved rounds (default 4), each starting at the next
# setting: each round's ratios compare runs made seconds apart, and the
# median is printed, so a machine that slows down halfway moves every
# figure alike instead of one. Beside the throughput ratio, each line gives
# the server's CPU time per request (user + system, /proc/PID/stat) against
# the same reference: wrk shares the two cores, so throughput also moves
# with how wrk is scheduled, while CPU per request is the feature's own
# cost. Settings as in bench-lib.sh; CONNECTIONS=8 THREADS=1 DURATION=5s
# gives the steadiest figures on a shared two-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sluice/target}"
ROUNDS="${ROUNDS:-4}"
source scripts/bench-lib.sh
prepare otlp_sink
trap stop_all EXIT

# Receivers on loopback that decode each export and count its spans
# (runtime/examples/otlp_sink.rs): the figure is Sluice's cost of tracing,
# and the count shows every request was traced. One per traced node.
start_receiver() {
  local port
  port=$(free_port)
  "$BIN/examples/otlp_sink" "127.0.0.1:$port" &
  PIDS+=($!)
  wait_up "http://127.0.0.1:$port/stats"
  RECEIVER="http://127.0.0.1:$port"
}

# serve_hello LABEL [SERVE ARGS...]: a node serving `hello` at /hello/:name;
# keeps its base URL, token and pid under LABEL.
declare -A URL_OF TOKEN_OF PID_OF
serve_hello() {
  local label=$1
  shift
  AS_SHIPPED=1 start_sluice "$@"
  upload_action hello
  admin -X POST "$BASE/admin/operations" \
    -d '{"name":"greet","method":"GET","path":"/hello/:name","action":"hello","public":true}'
  URL_OF[$label]=$BASE
  TOKEN_OF[$label]=$TOKEN
  PID_OF[$label]=$SLUICE_PID
}

serve_hello metrics-off --metrics false
serve_hello metrics-on
start_receiver
TRACED_RECEIVER=$RECEIVER
OTEL_EXPORTER_OTLP_ENDPOINT="$TRACED_RECEIVER" OTEL_SERVICE_NAME=bench OTEL_METRICS_EXPORTER=none \
  serve_hello traced
start_receiver
OTEL_EXPORTER_OTLP_ENDPOINT="$RECEIVER" OTEL_SERVICE_NAME=bench OTEL_METRICS_EXPORTER=none \
  OTEL_TRACES_SAMPLER=traceidratio OTEL_TRACES_SAMPLER_ARG=0.1 serve_hello sampled
start_receiver
OTEL_EXPORTER_OTLP_ENDPOINT="$RECEIVER" OTEL_SERVICE_NAME=bench serve_hello both-pushed

LABELS=(metrics-off metrics-on traced sampled both-pushed)
echo "GET /hello/x, request log on (wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $ROUNDS rounds):" >&2
results=()
costs=()
for round in $(seq 1 "$ROUNDS"); do
  echo " round $round" >&2
  # Each round starts one further along the list, so that no setting is
  # always measured first (or right after the heaviest one).
  declare -A rps=() cpu=()
  for i in "${!LABELS[@]}"; do
    label=${LABELS[$(((i + round - 1) % ${#LABELS[@]}))]}
    rps[$label]=$(CPU_PID=${PID_OF[$label]} run "$label" "${URL_OF[$label]}/hello/x")
    cpu[$label]=$(cat "$WORK/cpu.$label")
  done
  results+=("${rps[metrics-off]} ${rps[metrics-on]} ${rps[traced]} ${rps[sampled]} ${rps[both-pushed]}")
  costs+=("${cpu[metrics-off]} ${cpu[metrics-on]} ${cpu[traced]} ${cpu[sampled]} ${cpu[both-pushed]}")
done

served=$(curl -fsS -H "Authorization: Bearer ${TOKEN_OF[traced]}" "${URL_OF[traced]}/system/metrics" \
  | awk '/^sluice_requests_total/ && /operation="greet"/ {n += $NF} END {print n}')
# Ending the node flushes its last spans.
kill "${PID_OF[traced]}"
wait "${PID_OF[traced]}" 2>/dev/null || true
echo "  the traced node's receiver: $(curl -fsS "$TRACED_RECEIVER/stats") for $served requests served (warm-ups included)" >&2

python3 - "${#results[@]}" "${results[@]}" "${costs[@]}" <<'PY'
import statistics, sys
n = int(sys.argv[1])
rounds = [list(map(float, r.split())) for r in sys.argv[2:2 + n]]
costs = [list(map(float, r.split())) for r in sys.argv[2 + n:]]
# Each aim isolates one feature: metrics on against off (tracing off in
# both), tracing on against off (metrics on in both, as shipped, scraped
# and not pushed). Every request traced with the metrics pushed over OTLP
# too, and the traced node against metrics off (both features' cost
# together), are printed as well.
OFF, METRICS, TRACED, SAMPLED, BOTH = range(5)
for name, i, base, aim in [("metrics on", METRICS, OFF, ">= 95 % of metrics off"),
                           ("every request traced", TRACED, METRICS, ">= 85 % of tracing off"),
                           ("one trace in ten", SAMPLED, METRICS, ""),
                           ("traced, metrics pushed", BOTH, METRICS, ""),
                           ("traced, metrics on", TRACED, OFF, "")]:
    ratios = [r[i] / r[base] * 100 for r in rounds]
    against = "metrics off" if base == OFF else "tracing off"
    per_round = ", ".join(f"{x:.1f}" for x in ratios)
    print(f"{name + ':':<25}{statistics.median(ratios):6.1f} % of {against} (median of {per_round})"
          + (f"  aim {aim}" if aim else ""))
    # The server's own CPU time per request answered: the feature's cost
    # without wrk's share of the two cores, and the throughput it leaves a
    # server that has its cores to itself (the reciprocal).
    extra = [(c[i] / c[base] - 1) * 100 for c in costs]
    cost = statistics.median(extra)
    print(f"{'':<25}CPU per request {cost:+6.1f} % (median of {', '.join(f'{x:+.1f}' for x in extra)};"
          f" {statistics.median(c[base] for c in costs):.1f} -> {statistics.median(c[i] for c in costs):.1f} µs),"
          f" i.e. {100 / (1 + cost / 100):.1f} % of {against}'s throughput on cores of its own")
PY
