#!/usr/bin/env bash
# `GET /hello/x` answered by the same `hello` written in Rust and in Python
# (actions-examples/python/hello, componentize-py), on one server, in one
# run: requests per second and p99, and the Python one as a ratio of Rust.
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
admin -X POST "$BASE/admin/operations" \
  -d '{"name":"rust","method":"GET","path":"/rust/hello/:name","action":"hello","public":true}'
admin -X POST "$BASE/admin/operations" \
  -d '{"name":"python","method":"GET","path":"/py/hello/:name","action":"hello-py","public":true}'

echo "GET /…/hello/x, request log off (wrk -t$THREADS -c$CONNECTIONS -d$DURATION):" >&2
rust=$(run rust "$BASE/rust/hello/x")
python=$(run python "$BASE/py/hello/x")
python3 - "$rust" "$python" "$(cat "$WORK/p99.rust")" "$(cat "$WORK/p99.python")" <<'PY'
import sys
rust, python, rust_p99, python_p99 = map(float, sys.argv[1:])
print(f"Python hello: {python / rust * 100:6.1f} % of Rust's requests per second; p99 {python_p99:.2f} ms vs {rust_p99:.2f} ms")
PY
