#!/usr/bin/env bash
# The control plane on PostgreSQL against SQLite, side by side with wrk on
# loopback: `GET /hello/x` and `GET /todos?limit=20` (todo data in SQLite
# either way), Sluice as shipped (the request log is written to the control
# plane). Then how long a change made through one node takes to be served
# by another (p50/p99 over 100 new operations), with two nodes on one
# throwaway PostgreSQL.
#
#   scripts/bench-cluster.sh      (DURATION=8s CONNECTIONS=64 THREADS=2)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sluice/target}"
. scripts/bench-lib.sh

prepare
cleanup() { scripts/test-databases.sh --stop "$WORK/db"; stop_all; }
trap cleanup EXIT
DB_ENV=$(scripts/test-databases.sh "$WORK/db")
eval "$DB_ENV"
PG_SERVER=${SLUICE_TEST_POSTGRES_URL%/*}
psql "$SLUICE_TEST_POSTGRES_URL" -qc "CREATE DATABASE bench_cp"

# deploy BASE: hello and todo (todo's data in a SQLite file of that node).
deploy() {
  BASE=$1
  deploy_hello
  upload_action todo
  admin -X POST -d '{"name":"db","class":"sql","config":{"driver":"sqlite","path":"todo.db"}}' "$BASE/admin/connections"
  admin -X PATCH -d '{"config":{"connection":"db"},"connections":["db"]}' "$BASE/admin/actions/todo"
  admin -X POST -d '{"name":"todo-list","method":"GET","path":"/todos","action":"todo","public":true}' "$BASE/admin/operations"
  admin -X POST -d '{"name":"todo-create","method":"POST","path":"/todos","action":"todo","public":true}' "$BASE/admin/operations"
  for i in $(seq 1 50); do
    curl -fsS -H 'Content-Type: application/json' -d "{\"title\":\"todo $i\"}" "$BASE/todos" >/dev/null
  done
}

AS_SHIPPED=1 start_sluice
SQLITE_BASE=$BASE
deploy "$SQLITE_BASE"

export SLUICE_SECRET_KEY=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
export SLUICE_JWT_KEY=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
export SLUICE_DATABASE_URL="$PG_SERVER/bench_cp"
AS_SHIPPED=1 start_sluice
PG_BASE=$BASE
PG_TOKEN=$TOKEN
deploy "$PG_BASE"

echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION, control plane SQLite vs PostgreSQL" >&2
hello_sqlite=$(run hello-sqlite "$SQLITE_BASE/hello/x")
hello_pg=$(run hello-pg "$PG_BASE/hello/x")
todo_sqlite=$(run todo-sqlite "$SQLITE_BASE/todos?limit=20")
todo_pg=$(run todo-pg "$PG_BASE/todos?limit=20")
ratio "GET /hello/x, PostgreSQL / SQLite control plane" "$hello_pg" "$hello_sqlite"
ratio "GET /todos?limit=20, PostgreSQL / SQLite control plane" "$todo_pg" "$todo_sqlite"

# A second node on the same control plane: every change made through the
# first is timed until the second serves it.
TOKEN=$PG_TOKEN
AS_SHIPPED=1 start_sluice
SECOND=$BASE
python3 - "$PG_BASE" "$SECOND" "$PG_TOKEN" <<'PY'
import json, statistics, sys, time, urllib.request, urllib.error
first, second, token = sys.argv[1:]
def call(method, url, body=None, auth=True):
    req = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body else None)
    req.add_header("Content-Type", "application/json")
    if auth:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
took = []
for i in range(100):
    status = call("POST", f"{first}/admin/operations",
                  {"name": f"p{i}", "method": "GET", "path": f"/p{i}/:name", "action": "hello", "public": True})
    assert status == 201, status
    start = time.perf_counter()
    while call("GET", f"{second}/p{i}/x", auth=False) != 200:
        if time.perf_counter() - start > 5:
            sys.exit(f"change {i} not served by the second node within 5 s")
    took.append((time.perf_counter() - start) * 1000)
took.sort()
print(f"  change propagation over 100 new operations: p50 {statistics.median(took):.1f} ms, "
      f"p99 {took[98]:.1f} ms, max {took[-1]:.1f} ms")
PY
