#!/usr/bin/env bash
# Starts and stops a private PostgreSQL 15 cluster and Redis 7 under DIR, on loopback only.
#
#   scripts/services.sh start DIR [PG_PORT REDIS_PORT]   (ports default to free ones)
#   scripts/services.sh stop DIR
#
# DIR/env.sh then exports NEXANEST_DATABASE_URL (the cluster's superuser, for migrations),
# NEXANEST_DB_SERVICE_PASSWORD (the service roles' password) and NEXANEST_REDIS_URL, plus the
# NEXANEST_TEST_* twins the test suites read. Passwords are generated once and kept in DIR.
# PostgreSQL refuses to run as root: as root the cluster runs as the 'postgres' system user
# (created by the Debian package), otherwise as the calling user.
set -euo pipefail
# Everything written here (passwords, env.sh, configs, logs) is readable by its owner only.
umask 077
PGBIN=/usr/lib/postgresql/15/bin

cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR [PG_PORT REDIS_PORT]" >&2; exit 2; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  local p
  for _ in $(seq 1 200); do
    # Below the kernel's ephemeral range (32768-60999): a port in it can be taken by any outgoing
    # connection (pgbouncer to PostgreSQL, a client) between this choice and the bind.
    p=$((20000 + RANDOM % 12000))
    if ! ss -ltnH "sport = :$p" 2>/dev/null | grep -q .; then echo "$p"; return; fi
  done
  echo "no free port found" >&2; exit 1
}

secret() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

start() {
  local pg_port=${1:-} redis_port=${2:-}
  if [ -f "$dir/ports" ]; then
    # shellcheck disable=SC1091
    . "$dir/ports"
  fi
  pg_port=${pg_port:-${PG_PORT:-$(free_port)}}
  redis_port=${redis_port:-${REDIS_PORT:-$(free_port)}}
  printf 'PG_PORT=%s\nREDIS_PORT=%s\n' "$pg_port" "$redis_port" >"$dir/ports"
  [ -f "$dir/pg.password" ] || (umask 077; secret >"$dir/pg.password")
  [ -f "$dir/service.password" ] || (umask 077; secret >"$dir/service.password")
  [ -f "$dir/redis.password" ] || (umask 077; secret >"$dir/redis.password")
  local pgpw svpw rpw
  pgpw=$(cat "$dir/pg.password"); svpw=$(cat "$dir/service.password"); rpw=$(cat "$dir/redis.password")

  mkdir -p "$dir/pg" "$dir/run" "$dir/log"
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres:postgres "$dir/pg" "$dir/run"
    chmod 700 "$dir/pg"
    # the postgres user must be able to reach DIR
    local d=$dir
    while [ "$d" != "/" ]; do chmod o+x "$d" 2>/dev/null || true; d=$(dirname "$d"); done
  fi
  if [ ! -f "$dir/pg/data/PG_VERSION" ]; then
    local pwfile
    # initdb runs as postgres: the file is handed to that user, never made world-readable
    pwfile=$(mktemp); echo "$pgpw" >"$pwfile"; chmod 600 "$pwfile"
    if [ "$(id -u)" -eq 0 ]; then chown postgres "$pwfile"; fi
    as_pg "$PGBIN/initdb" -D "$dir/pg/data" -U postgres --pwfile="$pwfile" -A scram-sha-256 \
      -E UTF8 --locale=C.UTF-8 >"$dir/log/initdb.log" 2>&1 || { cat "$dir/log/initdb.log"; rm -f "$pwfile"; exit 1; }
    rm -f "$pwfile"
    cat >>"$dir/pg/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir/run'
shared_preload_libraries = 'pg_partman_bgw'
max_connections = 300
shared_buffers = 256MB
max_wal_size = 1GB
fsync = on
synchronous_commit = on
log_min_messages = warning
log_min_duration_statement = -1
CONF
  fi
  # the port may change between runs (tests pick a free one)
  if ! as_pg "$PGBIN/pg_ctl" -D "$dir/pg/data" status >/dev/null 2>&1; then
    as_pg "$PGBIN/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/server.log" -o "-p $pg_port" -w -t 60 start >/dev/null \
      || { tail -30 "$dir/pg/server.log" >&2; exit 1; }
  fi

  if ! { [ -f "$dir/run/redis.pid" ] && kill -0 "$(cat "$dir/run/redis.pid")" 2>/dev/null; }; then
    mkdir -p "$dir/redis"
    cat >"$dir/redis/redis.conf" <<CONF
bind 127.0.0.1
port $redis_port
protected-mode yes
daemonize yes
pidfile $dir/run/redis.pid
dir $dir/redis
logfile $dir/log/redis.log
appendonly yes
appendfsync everysec
requirepass $rpw
CONF
    redis-server "$dir/redis/redis.conf"
    for _ in $(seq 1 100); do
      # REDISCLI_AUTH, not -a: a password in argv shows in ps
      REDISCLI_AUTH="$rpw" redis-cli -p "$redis_port" ping 2>/dev/null | grep -q PONG && break
      sleep 0.1
    done
  fi

  local pgurl="postgresql://postgres:$pgpw@127.0.0.1:$pg_port/postgres"
  local redisurl="redis://default:$rpw@127.0.0.1:$redis_port/0"
  (umask 077; cat >"$dir/env.sh" <<ENV
export NEXANEST_DATABASE_URL='$pgurl'
export NEXANEST_DB_SERVICE_PASSWORD='$svpw'
export NEXANEST_REDIS_URL='$redisurl'
export NEXANEST_TEST_PG_URL='$pgurl'
export NEXANEST_TEST_REDIS_URL='$redisurl'
export NEXANEST_TEST_PG_DATA='$dir/pg/data'
export NEXANEST_TEST_REDIS_CONF='$dir/redis/redis.conf'
export PGPASSWORD='$pgpw'
export PGHOST=127.0.0.1
export PGPORT=$pg_port
export PGUSER=postgres
ENV
  )
}

stop() {
  if [ -f "$dir/run/redis.pid" ]; then
    local pid; pid=$(cat "$dir/run/redis.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  if [ -f "$dir/pg/data/postmaster.pid" ]; then
    as_pg "$PGBIN/pg_ctl" -D "$dir/pg/data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
  fi
}

case "$cmd" in
  start) start "${3:-}" "${4:-}" ;;
  stop) stop ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
