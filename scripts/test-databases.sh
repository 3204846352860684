#!/usr/bin/env bash
# Starts throwaway servers for the tests on free loopback ports with data
# under $1: PostgreSQL, MariaDB and Redis from Debian's packages (installed
# if missing, with Chromium for the docs page test) and SMTP servers
# (aiosmtpd from PyPI, storing what they accept in a Maildir). Prints the
# environment the tests read:
#
#   eval "$(scripts/test-databases.sh /tmp/dir)"   # sets SLUICE_TEST_*
#   scripts/test-databases.sh --stop /tmp/dir
#
# It never touches servers already running on the standard ports.
set -euo pipefail

if [[ "${1:-}" == "--stop" ]]; then
  DIR=$2
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  [[ -d "$DIR/pg" ]] && runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$DIR/pg" -m immediate stop >/dev/null 2>&1 || true
  [[ -f "$DIR/my.pid" ]] && kill "$(cat "$DIR/my.pid")" 2>/dev/null || true
  [[ -f "$DIR/redis.pid" ]] && kill "$(cat "$DIR/redis.pid")" 2>/dev/null || true
  for f in smtp smtp-starttls smtps; do
    [[ -f "$DIR/$f.pid" ]] && kill "$(cat "$DIR/$f.pid")" 2>/dev/null || true
  done
  exit 0
fi

DIR=$1
mkdir -p "$DIR"
chmod 755 "$DIR"
SUDO=""
[[ $(id -u) -eq 0 ]] || SUDO=sudo
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ! command -v mariadbd >/dev/null \
   || ! command -v openssl >/dev/null || ! command -v redis-server >/dev/null \
   || ! command -v chromium >/dev/null || ! command -v haproxy >/dev/null \
   || ! command -v promtool >/dev/null; then
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql mariadb-server openssl \
    redis-server chromium haproxy >&2
  # promtool checks /system/metrics; the package's server is not used.
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends prometheus >&2
fi
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# PostgreSQL refuses to run as root: it runs as the postgres user.
PG_PORT=$(free_port)
install -d -o postgres "$DIR/pg" "$DIR/pgsock"
runuser -u postgres -- "$PG_BIN/initdb" -D "$DIR/pg" -U sluice --auth=trust >/dev/null
# A self-signed certificate, so connections can be tested with TLS required.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
  -keyout "$DIR/pg/server.key" -out "$DIR/pg/server.crt" >/dev/null 2>&1
chown postgres "$DIR/pg/server.key" "$DIR/pg/server.crt"
chmod 600 "$DIR/pg/server.key"
# Room for every test's pools at once: in the PostgreSQL pass each test's
# control plane is a database here too, beside its sql connections.
runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$DIR/pg" -l "$DIR/pgsock/server.log" -w \
  -o "-p $PG_PORT -k $DIR/pgsock -c listen_addresses=127.0.0.1 -c fsync=off -c ssl=on -c max_connections=500" start >/dev/null
runuser -u postgres -- "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U sluice sluice_test

MY_PORT=$(free_port)
install -d -o mysql "$DIR/my" 2>/dev/null || install -d "$DIR/my"
mariadb-install-db --no-defaults --datadir="$DIR/my" --user=root --auth-root-authentication-method=normal >/dev/null 2>&1
mariadbd --no-defaults --datadir="$DIR/my" --port="$MY_PORT" --bind-address=127.0.0.1 \
  --socket="$DIR/my.sock" --pid-file="$DIR/my.pid" --user=root --skip-log-bin \
  --innodb-flush-log-at-trx-commit=0 >"$DIR/my.log" 2>&1 &
for _ in $(seq 1 100); do
  mariadb --no-defaults -uroot -h127.0.0.1 -P"$MY_PORT" -e 'SELECT 1' >/dev/null 2>&1 && break
  sleep 0.1
done
mariadb --no-defaults -uroot -h127.0.0.1 -P"$MY_PORT" -e \
  "DELETE FROM mysql.global_priv WHERE User = ''; FLUSH PRIVILEGES;
   CREATE DATABASE sluice_test;
   CREATE USER 'sluice'@'localhost' IDENTIFIED BY 'sluice-pw';
   CREATE USER 'sluice'@'127.0.0.1' IDENTIFIED BY 'sluice-pw';
   GRANT ALL ON sluice_test.* TO 'sluice'@'localhost';
   GRANT ALL ON sluice_test.* TO 'sluice'@'127.0.0.1';"

REDIS_PORT=$(free_port)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
  --daemonize yes --pidfile "$DIR/redis.pid" --dir "$DIR" --logfile "$DIR/redis.log"
for _ in $(seq 1 100); do
  redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
  sleep 0.1
done

PY=$(scripts/python-env.sh)
SMTP_PORT=$(free_port)
mkdir -p "$DIR/maildir/tmp" "$DIR/maildir/new" "$DIR/maildir/cur"
"$PY" -m aiosmtpd -n -l "127.0.0.1:$SMTP_PORT" -c aiosmtpd.handlers.Mailbox "$DIR/maildir" \
  >"$DIR/smtp.log" 2>&1 &
echo $! >"$DIR/smtp.pid"
# The same Maildir behind a STARTTLS-only server and an implicit-TLS (SMTPS)
# server, with a certificate for 127.0.0.1 from a throwaway CA the tests trust.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=sluice-test-ca \
  -keyout "$DIR/ca.key" -out "$DIR/ca.crt" >/dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 \
  -keyout "$DIR/smtp.key" -out "$DIR/smtp.csr" >/dev/null 2>&1
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
  >"$DIR/smtp.ext"
openssl x509 -req -in "$DIR/smtp.csr" -CA "$DIR/ca.crt" -CAkey "$DIR/ca.key" -CAcreateserial \
  -days 2 -extfile "$DIR/smtp.ext" -out "$DIR/smtp.crt" >/dev/null 2>&1
STARTTLS_PORT=$(free_port)
"$PY" -m aiosmtpd -n -l "127.0.0.1:$STARTTLS_PORT" --tlscert "$DIR/smtp.crt" --tlskey "$DIR/smtp.key" \
  -c aiosmtpd.handlers.Mailbox "$DIR/maildir" >"$DIR/smtp-starttls.log" 2>&1 &
echo $! >"$DIR/smtp-starttls.pid"
SMTPS_PORT=$(free_port)
"$PY" -m aiosmtpd -n -l "127.0.0.1:$SMTPS_PORT" --smtpscert "$DIR/smtp.crt" --smtpskey "$DIR/smtp.key" \
  -c aiosmtpd.handlers.Mailbox "$DIR/maildir" >"$DIR/smtps.log" 2>&1 &
echo $! >"$DIR/smtps.pid"
for port in "$SMTP_PORT" "$STARTTLS_PORT" "$SMTPS_PORT"; do
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
done

echo "export SLUICE_TEST_PYTHON=$PY"
echo "export SLUICE_TEST_CHROMIUM=$(command -v chromium)"
echo "export SLUICE_TEST_HAPROXY=$(command -v haproxy)"
echo "export SLUICE_TEST_PROMTOOL=$(command -v promtool)"
echo "export SLUICE_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT"
echo "export SLUICE_TEST_SMTP_PORT=$SMTP_PORT"
echo "export SLUICE_TEST_MAILDIR=$DIR/maildir"
echo "export SLUICE_TEST_SMTP_STARTTLS_PORT=$STARTTLS_PORT"
echo "export SLUICE_TEST_SMTPS_PORT=$SMTPS_PORT"
echo "export SLUICE_TEST_SMTP_CA=$DIR/ca.crt"
echo "export SLUICE_TEST_POSTGRES_URL=postgres://sluice@127.0.0.1:$PG_PORT/sluice_test"
echo "export SLUICE_TEST_MYSQL_URL=mysql://sluice:sluice-pw@127.0.0.1:$MY_PORT/sluice_test"
