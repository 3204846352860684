#!/usr/bin/env bash
# Starts Sluice on its embedded default (SQLite in a data directory) with the
# example project (examples/sluice.yaml) deployed, prints where, and serves
# until Ctrl-C.
#
# Beside it, local stand-ins (scripts/standin.py) play the services the
# examples call, so the demo works offline: a weather API and an echoing
# upstream on 127.0.0.1:8081 and an SMTP server on 127.0.0.1:2525 that
# stores mail in <data dir>/maildir.
#
#   scripts/start.sh
#   SLUICE_LISTEN=127.0.0.1:9000 SLUICE_DATA_DIR=/tmp/sluice scripts/start.sh
#   SLUICE_STANDIN_HTTP_PORT=9081 SLUICE_STANDIN_SMTP_PORT=9025 scripts/start.sh
#   WEATHER_API_URL=https://api.openweathermap.org WEATHER_API_KEY=... scripts/start.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sluice/target}"
export SLUICE_LISTEN="${SLUICE_LISTEN:-127.0.0.1:8080}"
export SLUICE_DATA_DIR="${SLUICE_DATA_DIR:-$PWD/data}"
STANDIN_HTTP_PORT="${SLUICE_STANDIN_HTTP_PORT:-8081}"
STANDIN_SMTP_PORT="${SLUICE_STANDIN_SMTP_PORT:-2525}"
CALENDAR_PORT="${SLUICE_STANDIN_CALENDAR_PORT:-8083}"
command -v curl >/dev/null || { echo "start.sh needs curl" >&2; exit 1; }

echo "==> building the example actions, the console, the portal and sluice (the first run takes about 15 minutes on 2 cores)"
scripts/build-actions.sh >/dev/null
scripts/build-console.sh >/dev/null
scripts/build-portal.sh >/dev/null
cargo build --release --quiet -p sluice
SLUICE="$CARGO_TARGET_DIR/release/sluice"

# What examples/sluice.yaml takes from the environment: where the stand-ins
# are, and the secrets they expect.
export STANDIN_URL="http://127.0.0.1:$STANDIN_HTTP_PORT"
export WEATHER_API_URL="${WEATHER_API_URL:-$STANDIN_URL}"
export WEATHER_API_KEY="${WEATHER_API_KEY:-demo-weather-key}"
export UPSTREAM_TOKEN="${UPSTREAM_TOKEN:-demo-upstream-token}"
export SMTP_PORT="$STANDIN_SMTP_PORT"
export CALENDAR_URL="${CALENDAR_URL:-http://127.0.0.1:$CALENDAR_PORT}"
export CALENDAR_CLIENT_SECRET="${CALENDAR_CLIENT_SECRET:-demo-calendar-secret}"

PY=$(scripts/python-env.sh)
# What examples/tools.yaml runs and reads: the report tool and the CSV files.
export EXAMPLES_DIR="$PWD/examples" PYTHON="$PY"
mkdir -p "$SLUICE_DATA_DIR/maildir/tmp" "$SLUICE_DATA_DIR/maildir/new" "$SLUICE_DATA_DIR/maildir/cur"
SECRETS="$SLUICE_DATA_DIR/secrets"
"$PY" scripts/standin.py --http-port "$STANDIN_HTTP_PORT" --api-key "$WEATHER_API_KEY" \
  --smtp-port "$STANDIN_SMTP_PORT" --maildir "$SLUICE_DATA_DIR/maildir" \
  --webhook-secret-file "$SECRETS/webhooks.todo-notify.json" &
STANDIN=$!
# The calendar API behind OAuth2 that calendar-digest reads (an Authlib
# provider standing in for Google Calendar).
"$PY" scripts/oauth2_provider.py --port "$CALENDAR_PORT" --client-secret "$CALENDAR_CLIENT_SECRET" \
  >/dev/null 2>&1 &
STANDIN="$STANDIN $!"
trap 'kill -TERM $STANDIN 2>/dev/null' EXIT
for _ in $(seq 1 100); do
  curl -fsS "$STANDIN_URL/echo" >/dev/null 2>&1 && curl -fsS "$CALENDAR_URL/control/stats" >/dev/null 2>&1 && break
  for pid in $STANDIN; do
    kill -0 "$pid" 2>/dev/null || { echo "the stand-ins exited (ports $STANDIN_HTTP_PORT, $STANDIN_SMTP_PORT, $CALENDAR_PORT taken?)" >&2; exit 1; }
  done
  sleep 0.1
done

# `sluice up` serves, creates the admin user on first start (password in
# <data dir>/admin-password) and deploys the project in one transaction;
# secrets it creates (the demo app's, the webhook's) go to <data dir>/secrets.
"$SLUICE" up -f examples/sluice.yaml &
SERVER=$!
trap 'kill -TERM $SERVER $STANDIN 2>/dev/null; wait $SERVER' INT TERM EXIT
BASE="http://$SLUICE_LISTEN"
# The deploy is atomic: once /hello answers, everything is there.
for _ in $(seq 1 600); do
  curl -fsS "$BASE/hello/x" >/dev/null 2>&1 && break
  kill -0 $SERVER 2>/dev/null || { echo "sluice exited; see the log above" >&2; exit 1; }
  sleep 0.1
done

# Authorize the calendar connection as an admin would in a browser: the
# admin route sends to the provider, which approves at once and sends back
# to the callback (a real provider would ask the user first).
ADMIN_TOKEN=$("$SLUICE" token --user admin --data-dir "$SLUICE_DATA_DIR")
if curl -fsS -H "Authorization: Bearer $ADMIN_TOKEN" "$BASE/admin/connections/calendar" | grep -q '"status":"not_authorized"\|"status":"needs_authorization"'; then
  TO_PROVIDER=$(curl -sS -o /dev/null -w '%{redirect_url}' -H "Authorization: Bearer $ADMIN_TOKEN" "$BASE/admin/connections/calendar/authorize")
  BACK=$(curl -sS -o /dev/null -w '%{redirect_url}' "$TO_PROVIDER")
  curl -fsS -o /dev/null "$BACK" || echo "warning: the calendar connection could not be authorized" >&2
fi

field() { sed -n "s/.*\"$1\": \"\\([^\"]*\\)\".*/\\1/p" "$SECRETS/apps.demo.json"; }
CLIENT_ID=$(field client_id)
CLIENT_SECRET=$(field secret)
DEMO_TOKEN=$("$SLUICE" token --app demo --data-dir "$SLUICE_DATA_DIR")
if curl -fsS -H "Authorization: Bearer $DEMO_TOKEN" "$BASE/todos" | grep -q '"total":0'; then
  for title in "Read the README" "Upload an action" "Map an operation to it"; do
    curl -fsS -X POST -H "Authorization: Bearer $DEMO_TOKEN" -H 'Content-Type: application/json' \
      -d "{\"title\":\"$title\"}" "$BASE/todos" >/dev/null
  done
fi

cat <<EOT

Sluice is running at $BASE (data in $SLUICE_DATA_DIR), serving examples/sluice.yaml

  The console: $BASE/console   (user admin, password in $SLUICE_DATA_DIR/admin-password)

  curl '$BASE/hello/world?greeting=Hi'
  curl '$BASE/py/hello/world'   '$BASE/js/hello/world'     # the same action in Python, JavaScript
  curl -X POST -H 'content-type: application/json' -d '{"a":1}' '$BASE/echo/x?y=z'

  # The todo API needs a token with scope todo (OAuth2 client credentials of app demo):
  TOKEN=\$(curl -s -u '$CLIENT_ID:$CLIENT_SECRET' -d grant_type=client_credentials \\
          $BASE/authorization/token | sed 's/.*"access_token":"\\([^"]*\\)".*/\\1/')
  curl -H "Authorization: Bearer \$TOKEN" '$BASE/todos?limit=10'
  curl -X POST -H "Authorization: Bearer \$TOKEN" -H 'content-type: application/json' \\
       -d '{"title":"try Sluice"}' '$BASE/todos'

  # AI agents: the todo operations and hello are tools of the MCP server (docs/mcp.md)
  #   $BASE/mcp  with the same token; for a desktop agent (Claude Desktop):
  SLUICE_TOKEN=\$TOKEN $SLUICE mcp --url $BASE

  curl '$BASE/proxy/anything?x=1'
  curl '$BASE/weather/current?city=Berlin'
  curl '$BASE/reports/sales.csv'   '$BASE/cli-data?city=Berlin'   # a files and a command connection
  curl -X POST -H 'content-type: application/json' \\
       -d '{"name":"Ada","email":"ada@example.com","message":"Hello"}' '$BASE/contact'
       (mail lands in $SLUICE_DATA_DIR/maildir/new)

The CLI (user admin, password in $SLUICE_DATA_DIR/admin-password):
  $SLUICE login $BASE --password-stdin < $SLUICE_DATA_DIR/admin-password
  $SLUICE get operations
  export STANDIN_URL=$STANDIN_URL WEATHER_API_URL=$WEATHER_API_URL SMTP_PORT=$SMTP_PORT \\
         WEATHER_API_KEY=$WEATHER_API_KEY UPSTREAM_TOKEN=$UPSTREAM_TOKEN \\
         EXAMPLES_DIR=$EXAMPLES_DIR PYTHON=$PYTHON \\
         CALENDAR_URL=$CALENDAR_URL CALENDAR_CLIENT_SECRET=$CALENDAR_CLIENT_SECRET   # what the file reads
  $SLUICE deploy -f examples/sluice.yaml --dry-run     # after editing the file: the plan
  $SLUICE logs --follow
Request log: $BASE/admin/logs   API docs: $BASE/system/docs
Events: creating a todo writes an audit row (GET $BASE/audit with the todo token) and the
stand-in prints the verified webhook; the weather digest cronjob runs daily at 07:00 UTC or now:
  curl -X POST -H "Authorization: Bearer \$($SLUICE token --user admin --data-dir $SLUICE_DATA_DIR)" $BASE/admin/cronjobs/weather-digest/run
  (mail in $SLUICE_DATA_DIR/maildir/new); the calendar digest (OAuth2, authorized above) likewise:
  curl -X POST -H "Authorization: Bearer \$($SLUICE token --user admin --data-dir $SLUICE_DATA_DIR)" $BASE/admin/cronjobs/calendar-digest/run

Press Ctrl-C to stop.
EOT
wait $SERVER
