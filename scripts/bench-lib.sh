# Shared by the benchmark scripts: sourced, not run.
# Settings: DURATION (default 8s), CONNECTIONS (64), THREADS (2).
DURATION="${DURATION:-8s}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wait_up URL: waits until URL answers 2xx (10 s at most).
wait_up() { for _ in $(seq 1 100); do curl -fsS "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }

# run LABEL URL: a 2 s warm-up, then wrk; prints a summary line on stderr and
# the requests per second on stdout.
run() {
  wrk -t"$THREADS" -c"$CONNECTIONS" -d2s "$2" >/dev/null
  local out rps p99 errors
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$2")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errors=$(grep -E 'Non-2xx|Socket errors' <<<"$out" || true)
  printf '  %-7s %12s req/s   p99 %8s   %s\n' "$1" "$rps" "$p99" "$errors" >&2
  echo "$rps"
}

# ratio LABEL PART WHOLE: prints PART as a percentage of WHOLE.
ratio() { python3 -c "print(f'  $1: {float($2)/float($3)*100:.1f} %')"; }
