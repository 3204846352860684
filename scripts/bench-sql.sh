#!/usr/bin/env bash
# `GET /todos?limit=20` through the `todo` action (a fresh sandbox per
# request, SQL through the host), through the API the `sql-table` generator
# makes from the same table (builtin:sql-table, with its schemas), and
# through a plain axum + sqlx handler running the same queries
# (runtime/examples/plain_todo.rs), on SQLite and on a throwaway
# PostgreSQL, side by side with wrk on loopback.
#
#   scripts/bench-sql.sh          (DURATION=8s CONNECTIONS=64 THREADS=2)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sluice/target}"
. scripts/bench-lib.sh

prepare plain_todo
cleanup() { scripts/test-databases.sh --stop "$WORK/db"; stop_all; }
trap cleanup EXIT
DB_ENV=$(scripts/test-databases.sh "$WORK/db")
eval "$DB_ENV"
start_sluice
upload_action todo

bench_backend() { # label connection-config-json plain-url
  admin -X POST -d "{\"name\":\"db-$1\",\"class\":\"sql\",\"config\":$2}" "$BASE/admin/connections"
  admin -X PATCH -d "{\"config\":{\"connection\":\"db-$1\"},\"connections\":[\"db-$1\"]}" "$BASE/admin/actions/todo"
  admin -X POST -d "{\"name\":\"list-$1\",\"method\":\"GET\",\"path\":\"/$1/todos\",\"action\":\"todo\",\"public\":true}" "$BASE/admin/operations"
  admin -X POST -d "{\"name\":\"create-$1\",\"method\":\"POST\",\"path\":\"/$1/todos\",\"action\":\"todo\",\"public\":true}" "$BASE/admin/operations"
  # A public operation: no token (the gateway refuses the bootstrap admin
  # token, which is no access token).
  for i in $(seq 1 50); do
    curl -fsS -H 'Content-Type: application/json' -d "{\"title\":\"todo $i\"}" "$BASE/$1/todos" >/dev/null
  done
  local plain_port; plain_port=$(free_port)
  "$BIN/examples/plain_todo" "127.0.0.1:$plain_port" "$3" &
  PIDS+=($!)
  wait_up "http://127.0.0.1:$plain_port/todos"
  echo "$1: wrk -t$THREADS -c$CONNECTIONS -d$DURATION, GET /todos?limit=20" >&2
  admin -X POST -d "{\"connection\":\"db-$1\",\"table\":\"todos\",\"path\":\"/$1/generated/todos\",\"public\":true}" \
    "$BASE/admin/generators/sql-table"
  local plain sluice generated
  plain=$(run plain "http://127.0.0.1:$plain_port/todos?limit=20")
  sluice=$(run sluice "$BASE/$1/todos?limit=20")
  generated=$(run generated "$BASE/$1/generated/todos?limit=20")
  ratio "todo action / plain throughput" "$sluice" "$plain"
  ratio "generated API / plain throughput" "$generated" "$plain"
  # The next backend's table has the same name: its generated API takes the names.
  for op in list get create update delete; do
    admin -X DELETE "$BASE/admin/operations/todos-$op"
  done
  admin -X DELETE "$BASE/admin/actions/todos"
  for schema in page row input patch; do
    admin -X DELETE "$BASE/admin/schemas/todos-$schema"
  done
}

bench_backend sqlite '{"driver":"sqlite","path":"bench.db"}' "sqlite://$DATA/bench.db"
bench_backend postgres "{\"driver\":\"postgres\",\"url\":\"$SLUICE_TEST_POSTGRES_URL\"}" "$SLUICE_TEST_POSTGRES_URL"
