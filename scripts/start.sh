#!/usr/bin/env bash
# Starts Sluice on its embedded default (SQLite in a data directory) with the
# example actions deployed, prints where, and serves until Ctrl-C.
#
# Beside it, local stand-ins (scripts/standin.py) play the services the
# examples call, so the demo works offline: a weather API and an echoing
# upstream on 127.0.0.1:8081 and an SMTP server on 127.0.0.1:2525 that
# stores mail in <data dir>/maildir.
#
#   scripts/start.sh
#   SLUICE_LISTEN=127.0.0.1:9000 SLUICE_DATA_DIR=/tmp/sluice scripts/start.sh
#   SLUICE_STANDIN_HTTP_PORT=9081 SLUICE_STANDIN_SMTP_PORT=9025 scripts/start.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sluice/target}"
export SLUICE_LISTEN="${SLUICE_LISTEN:-127.0.0.1:8080}"
export SLUICE_DATA_DIR="${SLUICE_DATA_DIR:-$PWD/data}"
STANDIN_HTTP_PORT="${SLUICE_STANDIN_HTTP_PORT:-8081}"
STANDIN_SMTP_PORT="${SLUICE_STANDIN_SMTP_PORT:-2525}"
command -v curl >/dev/null || { echo "start.sh needs curl" >&2; exit 1; }

echo "==> building the example actions and sluice (first run takes a few minutes)"
scripts/build-actions.sh >/dev/null
cargo build --release --quiet -p sluice
SLUICE="$CARGO_TARGET_DIR/release/sluice"

# The admin API takes access tokens with the admin scope. On first start the
# script creates the admin user `admin` (its generated password goes to
# <data dir>/admin-password, mode 0600) and then issues itself a token with
# `sluice token`; set SLUICE_ADMIN_TOKEN to use a bootstrap token instead.
mkdir -p "$SLUICE_DATA_DIR"
PASSWORD_FILE="$SLUICE_DATA_DIR/admin-password"
if [[ -z "${SLUICE_ADMIN_TOKEN:-}" && ! -s "$PASSWORD_FILE" ]]; then
  CREATED=$("$SLUICE" user add admin --admin --data-dir "$SLUICE_DATA_DIR")
  (umask 077; sed -n 's/.*"password": "\(.*\)".*/\1/p' <<<"$CREATED" > "$PASSWORD_FILE")
fi
TOKEN="${SLUICE_ADMIN_TOKEN:-$("$SLUICE" token --user admin --data-dir "$SLUICE_DATA_DIR")}"

PY=$(scripts/python-env.sh)
mkdir -p "$SLUICE_DATA_DIR/maildir/tmp" "$SLUICE_DATA_DIR/maildir/new" "$SLUICE_DATA_DIR/maildir/cur"
"$PY" scripts/standin.py --http-port "$STANDIN_HTTP_PORT" --api-key demo-weather-key \
  --smtp-port "$STANDIN_SMTP_PORT" --maildir "$SLUICE_DATA_DIR/maildir" \
  --webhook-secret-file "$SLUICE_DATA_DIR/webhook-secret" &
STANDIN=$!
"$SLUICE" serve &
SERVER=$!
trap 'kill -TERM $SERVER $STANDIN 2>/dev/null; wait $SERVER' INT TERM
BASE="http://$SLUICE_LISTEN"
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$STANDIN_HTTP_PORT/echo" >/dev/null 2>&1 && break
  kill -0 $STANDIN 2>/dev/null || { echo "the stand-ins exited (ports $STANDIN_HTTP_PORT, $STANDIN_SMTP_PORT taken?)" >&2; kill $SERVER; exit 1; }
  sleep 0.1
done
for _ in $(seq 1 100); do
  curl -fsS "$BASE/system/health" >/dev/null 2>&1 && break
  kill -0 $SERVER 2>/dev/null || { echo "sluice exited; see the log above" >&2; exit 1; }
  sleep 0.1
done

admin() { curl -fsS -H "Authorization: Bearer $TOKEN" "$@"; }
deploy_action() {
  admin -X PUT -H 'Content-Type: application/wasm' --data-binary "@actions-examples/dist/$1.wasm" \
    "$BASE/admin/actions/$1" >/dev/null
}
deploy_operation() { # name method path action [scope: private, else public]
  local access='"public":true'
  [[ -n "${5:-}" ]] && access="\"public\":false,\"scopes\":[\"$5\"]"
  local body="{\"name\":\"$1\",\"method\":\"$2\",\"path\":\"$3\",\"action\":\"$4\",\"stability\":\"stable\",$access}"
  if admin "$BASE/admin/operations/$1" >/dev/null 2>&1; then
    admin -X PUT -H 'Content-Type: application/json' -d "$body" "$BASE/admin/operations/$1" >/dev/null
  else
    admin -X POST -H 'Content-Type: application/json' -d "$body" "$BASE/admin/operations" >/dev/null
  fi
}
# ensure PATH NAME JSON: creates /admin/PATH/NAME from JSON unless it exists
# (later starts keep what an admin changed); prints what a creation answered.
ensure() {
  admin "$BASE/admin/$1/$2" >/dev/null 2>&1 ||
    admin -X POST -H 'Content-Type: application/json' -d "$3" "$BASE/admin/$1"
}
grant() { # action connections-json
  admin -X PATCH -H 'Content-Type: application/json' -d "{\"connections\":$2}" "$BASE/admin/actions/$1" >/dev/null
}
deploy_action hello
deploy_action echo
deploy_action todo
deploy_operation hello GET /hello/:name hello
deploy_operation echo POST /echo/:thing echo

# todo: a CRUD API over SQLite (data/todo.db) through the connection todo-db.
ensure connections todo-db '{"name":"todo-db","class":"sql","config":{"driver":"sqlite","path":"todo.db"}}' >/dev/null
grant todo '["todo-db"]'
# The todo API is private: its operations need the scope `todo`, which the
# app `demo` holds (its credentials go to <data dir>/demo-app.json, 0600).
ensure scopes todo '{"name":"todo","description":"The todo API"}' >/dev/null
deploy_operation todo-list GET /todos todo todo
deploy_operation todo-get GET /todos/:id todo todo
deploy_operation todo-create POST /todos todo todo
deploy_operation todo-update PUT /todos/:id todo todo
deploy_operation todo-delete DELETE /todos/:id todo todo
DEMO_APP="$SLUICE_DATA_DIR/demo-app.json"
if ! admin "$BASE/admin/apps/demo" >/dev/null 2>&1; then
  (umask 077; admin -X POST -H 'Content-Type: application/json' \
    -d '{"name":"demo","description":"The README examples","scopes":["todo"]}' \
    "$BASE/admin/apps" > "$DEMO_APP")
fi
CLIENT_ID=$(sed -n 's/.*"client_id":"\([^"]*\)".*/\1/p' "$DEMO_APP")
CLIENT_SECRET=$(sed -n 's/.*"client_secret":"\([^"]*\)".*/\1/p' "$DEMO_APP")
DEMO_TOKEN=$("$SLUICE" token --app demo --data-dir "$SLUICE_DATA_DIR")
# Connections are created once; later starts keep what an admin changed
# (e.g. weather-api pointed at the real service, see the README).
STANDIN="http://127.0.0.1:$STANDIN_HTTP_PORT"

# proxy: every method under /proxy/ goes to the echoing stand-in, with a
# bearer token the host adds.
deploy_action proxy
ensure connections upstream "{\"name\":\"upstream\",\"class\":\"http\",\"config\":{\"base_url\":\"$STANDIN/echo\",\"auth\":{\"type\":\"bearer\",\"token\":\"demo-upstream-token\"}}}" >/dev/null
grant proxy '["upstream"]'
for m in GET POST PUT PATCH DELETE; do
  deploy_operation "proxy-${m,,}" "$m" '/proxy/*rest' proxy
done

# weather: an OpenWeatherMap-style API (the stand-in) with its key injected
# as ?appid=, answers cached in memory for 10 minutes.
deploy_action weather
ensure connections weather-api "{\"name\":\"weather-api\",\"class\":\"http\",\"config\":{\"base_url\":\"$STANDIN\",\"auth\":{\"type\":\"api_key\",\"in\":\"query\",\"name\":\"appid\",\"value\":\"demo-weather-key\"}}}" >/dev/null
ensure connections weather-cache '{"name":"weather-cache","class":"kv","config":{"backend":"memory"}}' >/dev/null
grant weather '["weather-api","weather-cache"]'
deploy_operation weather-current GET /weather/current weather

# contact: mails the form through the SMTP stand-in.
deploy_action contact
ensure connections mail "{\"name\":\"mail\",\"class\":\"smtp\",\"config\":{\"host\":\"127.0.0.1\",\"port\":$STANDIN_SMTP_PORT,\"tls\":\"none\",\"from\":\"Sluice demo <noreply@sluice.localhost>\"}}" >/dev/null
grant contact '["mail"]'
admin -X PATCH -H 'Content-Type: application/json' -d '{"config":{"to":"team@sluice.localhost"}}' \
  "$BASE/admin/actions/contact" >/dev/null
deploy_operation contact POST /contact contact

# Fusio's tutorial: todo dispatches todo_created; the trigger todo-audit runs
# audit (a row per event, GET /audit); the webhook todo-notify posts it to
# the stand-in, which checks the signature; the cronjob weather-digest mails
# the day's weather every morning at 7 (UTC).
deploy_action audit
grant audit '["todo-db"]'
deploy_operation audit GET /audit audit todo
deploy_action digest
grant digest '["weather-api","mail"]'
admin -X PATCH -H 'Content-Type: application/json' \
  -d '{"config":{"to":"me@sluice.localhost","cities":["Berlin","Paris","Lagos"]}}' \
  "$BASE/admin/actions/digest" >/dev/null
ensure events todo_created '{"name":"todo_created","description":"A todo was created; the payload is the todo."}' >/dev/null
ensure triggers todo-audit '{"name":"todo-audit","event":"todo_created","action":"audit"}' >/dev/null
HOOK=$(ensure webhooks todo-notify "{\"name\":\"todo-notify\",\"event\":\"todo_created\",\"url\":\"$STANDIN/webhook\"}")
if [[ -n "$HOOK" ]]; then
  (umask 077; sed -n 's/.*"secret":"\([^"]*\)".*/\1/p' <<<"$HOOK" > "$SLUICE_DATA_DIR/webhook-secret")
fi
ensure cronjobs weather-digest '{"name":"weather-digest","schedule":"0 7 * * *","action":"digest","description":"Every morning at 7, mail me the day'"'"'s weather"}' >/dev/null

if curl -fsS -H "Authorization: Bearer $DEMO_TOKEN" "$BASE/todos" | grep -q '"total":0'; then
  for title in "Read the README" "Upload an action" "Map an operation to it"; do
    curl -fsS -X POST -H "Authorization: Bearer $DEMO_TOKEN" -H 'Content-Type: application/json' \
      -d "{\"title\":\"$title\"}" "$BASE/todos" >/dev/null
  done
fi

cat <<EOT

Sluice is running at $BASE (data in $SLUICE_DATA_DIR)

  curl '$BASE/hello/world?greeting=Hi'
  curl -X POST -H 'content-type: application/json' -d '{"a":1}' '$BASE/echo/x?y=z'

  # The todo API needs a token with scope todo (OAuth2 client credentials of app demo):
  TOKEN=\$(curl -s -u '$CLIENT_ID:$CLIENT_SECRET' -d grant_type=client_credentials \\
          $BASE/authorization/token | sed 's/.*"access_token":"\\([^"]*\\)".*/\\1/')
  curl -H "Authorization: Bearer \$TOKEN" '$BASE/todos?limit=10'
  curl -X POST -H "Authorization: Bearer \$TOKEN" -H 'content-type: application/json' \\
       -d '{"title":"try Sluice"}' '$BASE/todos'

  curl '$BASE/proxy/anything?x=1'
  curl '$BASE/weather/current?city=Berlin'
  curl -X POST -H 'content-type: application/json' \
       -d '{"name":"Ada","email":"ada@example.com","message":"Hello"}' '$BASE/contact'
       (mail lands in $SLUICE_DATA_DIR/maildir/new)

Admin API ($BASE/admin): user admin (password in $PASSWORD_FILE), or a token for scripts:
  curl -H "Authorization: Bearer \$($SLUICE token --user admin --data-dir $SLUICE_DATA_DIR)" $BASE/admin/operations
Request log: $BASE/admin/logs   API docs: $BASE/system/docs
Events: creating a todo writes an audit row (GET $BASE/audit with the todo token) and the
stand-in prints the verified webhook; the weather digest cronjob runs daily at 07:00 UTC or now:
  curl -X POST -H "Authorization: Bearer \$($SLUICE token --user admin --data-dir $SLUICE_DATA_DIR)" $BASE/admin/cronjobs/weather-digest/run
  (mail in $SLUICE_DATA_DIR/maildir/new)

Press Ctrl-C to stop.
EOT
wait $SERVER
