#!/usr/bin/env bash
# `GET /hello/x` answered by the same `hello` written in Rust, in Python
# (actions-examples/python/hello, componentize-py) and in JavaScript
# (actions-examples/js/hello, componentize-js), on one server, in one run:
# requests per second and p99, Python's and JavaScript's as a ratio of Rust's.
# Settings as in bench-lib.sh (DURATION, CONNECTIONS, THREADS).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sluice/target}"
source scripts/bench-lib.sh
prepare
trap stop_all EXIT

start_sluice
upload_action hello
upload_action hello-py
upload_action hello-js
admin -X POST "$BASE/admin/operations" \
  -d '{"name":"rust","method":"GET","path":"/rust/hello/:name","action":"hello","public":true}'
admin -X POST "$BASE/admin/operations" \
  -d '{"name":"python","method":"GET","path":"/py/hello/:name","action":"hello-py","public":true}'
admin -X POST "$BASE/admin/operations" \
  -d '{"name":"javascript","method":"GET","path":"/js/hello/:name","action":"hello-js","public":true}'

echo "GET /…/hello/x, request log off (wrk -t$THREADS -c$CONNECTIONS -d$DURATION):" >&2
rust=$(run rust "$BASE/rust/hello/x")
python=$(run python "$BASE/py/hello/x")
javascript=$(run javascript "$BASE/js/hello/x")
python3 - "$rust" "$python" "$javascript" "$(cat "$WORK/p99.rust")" "$(cat "$WORK/p99.python")" "$(cat "$WORK/p99.javascript")" <<'PY'
import sys
rust, python, js, rust_p99, python_p99, js_p99 = map(float, sys.argv[1:])
print(f"Python hello:     {python / rust * 100:6.1f} % of Rust's requests per second; p99 {python_p99:.2f} ms vs {rust_p99:.2f} ms")
print(f"JavaScript hello: {js / rust * 100:6.1f} % of Rust's requests per second; p99 {js_p99:.2f} ms vs {rust_p99:.2f} ms")
PY
