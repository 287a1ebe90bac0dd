#!/usr/bin/env bash
# A scaled-out NexaNest on loopback, on the engines operators already run (docs/scale-out.md):
#
#   PostgreSQL 15 primary ── streaming replica (pg_basebackup -R)
#        └── pgbouncer 1.18, transaction mode (the services' connections)
#   Redis 7 (with --redis-cluster: a Redis Cluster of 3 masters + 3 replicas, scripts/redis-cluster.sh)
#   3 × `nexanest serve` (one event loop each) ── haproxy 2.6 (health checks on /readyz)
#   with --services: a 4th instance `--services auth,market` that takes the market ingest
#   (POST /api/v1/market/*), the three others serving everything else.
#
#   scripts/cluster.sh start DIR [--services] [--redis-cluster]
#                                               everything on free ports, writes DIR/cluster.env
#   scripts/cluster.sh stop DIR                 stops all of it (data kept in DIR)
#   scripts/cluster.sh status DIR               one line per process, haproxy's view of servers
#   scripts/cluster.sh pg DIR                   only the primary and the replica (tests)
#   scripts/cluster.sh restart-instance DIR N   drain N in haproxy, SIGTERM, start, wait ready
#   scripts/cluster.sh replica-stop|replica-start DIR   (fault scripts, tests)
#
# Root-safe like scripts/services.sh: PostgreSQL refuses root and pgbouncer too, so as root both
# run as the 'postgres' system user. Passwords are generated into DIR (owner-only files).
# Everything listens on 127.0.0.1 only.
set -euo pipefail
umask 077
PGBIN=/usr/lib/postgresql/15/bin
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${NEXANEST_BIN:-$root/build/release/apps/nexanest/nexanest}

cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || {
  echo "usage: $0 start|stop|status|pg|restart-instance DIR [--services | N]" >&2; exit 2; }
shift 2
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
is_root() { [ "$(id -u)" -eq 0 ]; }
as_pg() { if is_root; then runuser -u postgres -- "$@"; else "$@"; fi; }
secret() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
taken=" "
pw() { [ -f "$dir/secrets/$1" ] || secret >"$dir/secrets/$1"; cat "$dir/secrets/$1"; }
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
wait_gone() { for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done; return 1; }

# --- ports: chosen once, kept in DIR/ports ---------------------------------------------------
ports() {
  if [ ! -f "$dir/ports" ]; then
    local out="" p name
    for name in PG_PRIMARY PG_REPLICA PGBOUNCER REDIS HAPROXY APP1 APP2 APP3 APP4; do
      for _ in $(seq 1 200); do
        # Below the kernel's ephemeral range (32768-60999): a port in it can be taken by any outgoing
        # connection (pgbouncer to PostgreSQL, a client) between this choice and the bind.
        p=$((20000 + RANDOM % 12000))
        case "$taken" in *" $p "*) continue ;; esac
        ss -ltnH "sport = :$p" 2>/dev/null | grep -q . && continue
        break
      done
      taken="$taken$p "
      out="$out$name=$p"$'\n'
    done
    printf '%s' "$out" >"$dir/ports"
  fi
  # shellcheck disable=SC1091
  . "$dir/ports"
}

# --- PostgreSQL primary + streaming replica ---------------------------------------------------
pg_conf() {
  cat <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir/run'
shared_preload_libraries = 'pg_partman_bgw'
max_connections = 300
shared_buffers = 128MB
max_wal_size = 1GB
wal_level = replica
max_wal_senders = 5
hot_standby = on
hot_standby_feedback = on
fsync = on
synchronous_commit = on
log_min_messages = warning
CONF
}

pg_start() {
  ports
  mkdir -p "$dir/secrets" "$dir/run" "$dir/log" "$dir/pg"
  local pgpw replpw
  pgpw=$(pw pg); replpw=$(pw replicator)
  if is_root; then
    chown postgres:postgres "$dir/pg" "$dir/run"; chmod 700 "$dir/pg"
    local d=$dir
    while [ "$d" != "/" ]; do chmod o+x "$d" 2>/dev/null || true; d=$(dirname "$d"); done
  fi
  if [ ! -f "$dir/pg/primary/PG_VERSION" ]; then
    local pwfile; pwfile=$(mktemp); echo "$pgpw" >"$pwfile"
    if is_root; then chown postgres "$pwfile"; fi
    as_pg "$PGBIN/initdb" -D "$dir/pg/primary" -U postgres --pwfile="$pwfile" -A scram-sha-256 \
      -E UTF8 --locale=C.UTF-8 >"$dir/log/initdb.log" 2>&1 || { cat "$dir/log/initdb.log"; rm -f "$pwfile"; exit 1; }
    rm -f "$pwfile"
    pg_conf | as_pg tee -a "$dir/pg/primary/postgresql.conf" >/dev/null
  fi
  if ! as_pg "$PGBIN/pg_ctl" -D "$dir/pg/primary" status >/dev/null 2>&1; then
    as_pg env -u PGPASSWORD "$PGBIN/pg_ctl" -D "$dir/pg/primary" -l "$dir/pg/primary.log" -o "-p $PG_PRIMARY" -w -t 60 start >/dev/null \
      || { tail -30 "$dir/pg/primary.log" >&2; exit 1; }
  fi
  export PGPASSWORD=$pgpw
  psql -qAt -h 127.0.0.1 -p "$PG_PRIMARY" -U postgres -d postgres -v ON_ERROR_STOP=1 >/dev/null <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'nexanest_replicator') THEN
    CREATE ROLE nexanest_replicator LOGIN REPLICATION PASSWORD '$replpw';
  END IF;
END \$\$;
SQL
  if [ ! -f "$dir/pg/replica/PG_VERSION" ]; then
    # -R writes standby.signal and primary_conninfo, which names this password file (kept,
    # owner-only, for the WAL receiver); -X stream copies the WAL of the backup itself.
    local pass="$dir/pg/replica.pgpass"
    printf '127.0.0.1:%s:*:nexanest_replicator:%s\n' "$PG_PRIMARY" "$replpw" >"$pass"
    if is_root; then chown postgres "$pass"; fi
    as_pg env -u PGPASSWORD PGPASSFILE="$pass" "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$PG_PRIMARY" -U nexanest_replicator \
      -D "$dir/pg/replica" -R -X stream -c fast >"$dir/log/basebackup.log" 2>&1 \
      || { cat "$dir/log/basebackup.log" >&2; exit 1; }
  fi
  if ! as_pg "$PGBIN/pg_ctl" -D "$dir/pg/replica" status >/dev/null 2>&1; then
    as_pg env -u PGPASSWORD "$PGBIN/pg_ctl" -D "$dir/pg/replica" -l "$dir/pg/replica.log" -o "-p $PG_REPLICA" -w -t 60 start >/dev/null \
      || { tail -30 "$dir/pg/replica.log" >&2; exit 1; }
  fi
  local admin="postgresql://postgres:$pgpw@127.0.0.1:$PG_PRIMARY/postgres"
  (umask 077; cat >"$dir/pg.env" <<ENV
export NEXANEST_TEST_PG_URL='$admin'
export NEXANEST_TEST_PG_REPLICA_URL='postgresql://postgres:$pgpw@127.0.0.1:$PG_REPLICA/postgres'
export NEXANEST_TEST_PG_PRIMARY_DATA='$dir/pg/primary'
export NEXANEST_TEST_PG_REPLICA_DATA='$dir/pg/replica'
ENV
  )
}

pg_stop() {
  for d in replica primary; do
    if [ -f "$dir/pg/$d/postmaster.pid" ]; then
      as_pg "$PGBIN/pg_ctl" -D "$dir/pg/$d" -m fast -w -t 60 stop >/dev/null 2>&1 || true
    fi
  done
}

# --- pgbouncer (transaction mode, in front of the primary) -------------------------------------
pgbouncer_start() {
  mkdir -p "$dir/pgbouncer"
  # Plain passwords in the auth file: pgbouncer then speaks SCRAM to the clients and to the server.
  : >"$dir/pgbouncer/users.txt"
  for svc in auth portfolio market analytics notify; do
    printf '"nexanest_%s" "%s"\n' "$svc" "$(pw "role-$svc")" >>"$dir/pgbouncer/users.txt"
  done
  cat >"$dir/pgbouncer/pgbouncer.ini" <<INI
[databases]
* = host=127.0.0.1 port=$PG_PRIMARY
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PGBOUNCER
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $dir/pgbouncer/users.txt
pool_mode = transaction
default_pool_size = 20
max_client_conn = 2000
server_reset_query =
logfile = $dir/pgbouncer/pgbouncer.log
pidfile = $dir/run/pgbouncer.pid
INI
  if is_root; then chown -R postgres "$dir/pgbouncer"; fi
  alive "$dir/run/pgbouncer.pid" && return 0
  if is_root; then pgbouncer -q -d -u postgres "$dir/pgbouncer/pgbouncer.ini"; else pgbouncer -q -d "$dir/pgbouncer/pgbouncer.ini"; fi
  for _ in $(seq 1 50); do alive "$dir/run/pgbouncer.pid" && return 0; sleep 0.1; done
  echo "pgbouncer did not start" >&2; tail -20 "$dir/pgbouncer/pgbouncer.log" >&2; exit 1
}

# --- Redis ------------------------------------------------------------------------------------
redis_start() {
  alive "$dir/run/redis.pid" && return 0
  mkdir -p "$dir/redis"
  cat >"$dir/redis/redis.conf" <<CONF
bind 127.0.0.1
port $REDIS
protected-mode yes
daemonize yes
pidfile $dir/run/redis.pid
dir $dir/redis
logfile $dir/log/redis.log
appendonly yes
appendfsync everysec
requirepass $(pw redis)
CONF
  redis-server "$dir/redis/redis.conf"
  for _ in $(seq 1 100); do
    REDISCLI_AUTH="$(pw redis)" redis-cli -p "$REDIS" ping 2>/dev/null | grep -q PONG && return 0
    sleep 0.1
  done
  echo "redis did not start" >&2; exit 1
}

# --- nexanest instances -----------------------------------------------------------------------
instance_port() { local v="APP$1"; echo "${!v}"; }
instance_services() { if [ "$1" = 4 ]; then echo "auth,market"; else echo "all"; fi; }

instance_start() {
  local n=$1 port; port=$(instance_port "$n")
  alive "$dir/run/nexanest-$n.pid" && return 0
  # shellcheck disable=SC1091
  . "$dir/cluster.env"
  # The services get the primary's host without credentials (they connect as their roles, with
  # their own passwords), pgbouncer as the service URL and the replica for stale-tolerant reads.
  (
    cd "$root"
    setsid env -u PGPASSWORD NEXANEST_DATABASE_URL="postgresql://127.0.0.1:$PG_PRIMARY/postgres" \
      NEXANEST_LISTEN="127.0.0.1:$port" NEXANEST_SERVICES="$(instance_services "$n")" \
      NEXANEST_TRUSTED_PROXIES=127.0.0.1 \
      NEXANEST_LOG_LEVEL="${NEXANEST_LOG_LEVEL:-warn}" \
      "$bin" serve >>"$dir/log/nexanest-$n.log" 2>&1 </dev/null &
    echo $! >"$dir/run/nexanest-$n.pid"
  )
}

instance_wait_ready() {
  local port; port=$(instance_port "$1")
  for _ in $(seq 1 300); do
    curl -fs -m 1 -o /dev/null "http://127.0.0.1:$port/readyz" && return 0
    alive "$dir/run/nexanest-$1.pid" || { tail -20 "$dir/log/nexanest-$1.log" >&2; return 1; }
    sleep 0.1
  done
  echo "instance $1 not ready" >&2; tail -20 "$dir/log/nexanest-$1.log" >&2; return 1
}

instance_stop() {
  local f="$dir/run/nexanest-$1.pid"
  [ -f "$f" ] || return 0
  local pid; pid=$(cat "$f")
  kill -TERM "$pid" 2>/dev/null || true
  wait_gone "$pid" || kill -KILL "$pid" 2>/dev/null || true
  rm -f "$f"
}

instances() { if [ -f "$dir/split" ]; then echo 1 2 3 4; else echo 1 2 3; fi; }

# --- haproxy ----------------------------------------------------------------------------------
haproxy_start() {
  local ingest_acl="" ingest_backend=""
  if [ -f "$dir/split" ]; then
    ingest_acl="  acl market_write path_beg /api/v1/market/
  acl write method POST PUT PATCH DELETE
  use_backend ingest if market_write write"
    ingest_backend="backend ingest
  option httpchk GET /readyz
  http-check expect status 200
  default-server inter 500ms fall 2 rise 2 on-marked-down shutdown-sessions
  server ingest1 127.0.0.1:$APP4 check
  # when the ingest instance is down the general instances take the market writes too
  server app1 127.0.0.1:$APP1 check backup
  server app2 127.0.0.1:$APP2 check backup"
  fi
  cat >"$dir/haproxy.cfg" <<CFG
global
  daemon
  pidfile $dir/run/haproxy.pid
  stats socket $dir/run/haproxy.sock mode 600 level admin
  maxconn 4000

defaults
  mode http
  timeout connect 1s
  timeout client 60s
  timeout server 60s
  timeout http-request 10s
  # A request whose instance refused the connection, died before answering or is shutting down
  # is sent again, to another instance (option redispatch); retry-on needs the body buffered.
  # Only requests that are safe to send twice are resent after they reached an instance (the
  # frontend's disable-l7-retry below); a refused connection is retried for every request.
  retries 3
  option redispatch 1
  option http-buffer-request
  retry-on conn-failure empty-response response-timeout 503
  option http-server-close
  # The instances take the client address from here (NEXANEST_TRUSTED_PROXIES=127.0.0.1).
  option forwardfor

frontend nexanest
  bind 127.0.0.1:$HAPROXY
  # A POST (or PATCH) the killed instance may already have applied must not be applied twice:
  # no L7 retry unless the method is idempotent (RFC 9110 9.2.2) or the request carries an
  # Idempotency-Key, which the server deduplicates.
  acl idempotent_method method GET HEAD OPTIONS PUT DELETE
  acl has_idempotency_key req.hdr(Idempotency-Key) -m found
  http-request disable-l7-retry if !idempotent_method !has_idempotency_key
  default_backend app
$ingest_acl

backend app
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
  # /readyz answers 503 "draining" from the moment an instance gets SIGTERM; 2 failed checks
  # 500 ms apart take it out. Live streams of a dead instance are cut so clients reconnect.
  default-server inter 500ms fall 2 rise 2 on-marked-down shutdown-sessions
  server app1 127.0.0.1:$APP1 check
  server app2 127.0.0.1:$APP2 check
  server app3 127.0.0.1:$APP3 check

$ingest_backend
CFG
  if alive "$dir/run/haproxy.pid"; then
    haproxy -f "$dir/haproxy.cfg" -p "$dir/run/haproxy.pid" -sf "$(cat "$dir/run/haproxy.pid")" >>"$dir/log/haproxy.log" 2>&1
  else
    haproxy -f "$dir/haproxy.cfg" -p "$dir/run/haproxy.pid" >>"$dir/log/haproxy.log" 2>&1
  fi
}

# haproxy's runtime API on its admin socket (python3: no socat needed)
haproxy_cmd() {
  python3 - "$dir/run/haproxy.sock" "$1" <<'PY' 2>/dev/null || true
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall((sys.argv[2] + "\n").encode())
out = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    out += b
sys.stdout.write(out.decode())
PY
}

# --- commands ---------------------------------------------------------------------------------
start() {
  [ -x "$bin" ] || { echo "no $bin: build it first (cmake --build build/release --target nexanest)" >&2; exit 1; }
  local arg
  for arg in "$@"; do
    case "$arg" in
      --services) : >"$dir/split" ;;
      --redis-cluster) : >"$dir/redis-cluster" ;;
      *) echo "unknown option $arg" >&2; exit 2 ;;
    esac
  done
  pg_start
  local redis_url="redis://default:$(pw redis)@127.0.0.1:$REDIS/0"
  if [ -f "$dir/redis-cluster" ]; then
    # the ports chosen above are not all bound yet: the cluster's nodes must not take them
    NN_AVOID_PORTS="$(cut -d= -f2 "$dir/ports" | tr '\n' ' ')" \
      "$root/scripts/redis-cluster.sh" start "$dir/redis-cluster-nodes" >/dev/null
    redis_url=$(sed -n "s/^export NEXANEST_REDIS_URL='\(.*\)'$/\1/p" "$dir/redis-cluster-nodes/env.sh")
  fi
  local pgpw; pgpw=$(pw pg)
  (umask 077; {
    echo "export NEXANEST_DB_SERVICE_PASSWORD='$(pw service)'"
    for svc in AUTH PORTFOLIO MARKET ANALYTICS NOTIFY; do
      lower=$(echo "$svc" | tr 'A-Z' 'a-z')
      echo "export NEXANEST_DB_PASSWORD_$svc='$(pw "role-$lower")'"
    done
    echo "export NEXANEST_DB_SERVICE_URL='postgresql://127.0.0.1:$PGBOUNCER/postgres'"
    echo "export NEXANEST_DB_PREPARED_STATEMENTS=off"
    echo "export NEXANEST_DB_REPLICA_URL='postgresql://127.0.0.1:$PG_REPLICA/postgres'"
    echo "export NEXANEST_DB_REPLICA_MAX_LAG=${NEXANEST_DB_REPLICA_MAX_LAG:-2s}"
    echo "export NEXANEST_REDIS_URL='$redis_url'"
    echo "export NEXANEST_THREADS=1"
    echo "export NEXANEST_DB_POOL_SIZE=8"
    echo "export NEXANEST_OPS_TOKEN='$(pw ops)$(pw ops)'"
    echo "export NEXANEST_VAR_DIR='$dir/var'"
    echo "export NEXANEST_PUBLIC_URL='http://127.0.0.1:$HAPROXY'"
    echo "export NEXANEST_CLUSTER_URL='http://127.0.0.1:$HAPROXY'"
    echo "export NEXANEST_CLUSTER_DIR='$dir'"
    # only the settings above: no ./var or /etc/nexanest files (src/infra/app/config_files.hpp)
    echo "export NEXANEST_ENV_FILES="
  } >"$dir/cluster.env")
  scripts_dir=$root/scripts
  "$scripts_dir/app-secrets.sh" "$dir"
  cat "$dir/app-secrets.env" >>"$dir/cluster.env"
  # shellcheck disable=SC1091
  . "$dir/cluster.env"
  mkdir -p "$dir/var/mail"
  # Migrations run on the primary directly (advisory locks, SET ROLE: session state that a
  # transaction-mode pooler cannot keep), as the cluster's superuser.
  (cd "$root" && NEXANEST_DATABASE_URL="postgresql://postgres:$pgpw@127.0.0.1:$PG_PRIMARY/postgres" \
    "$bin" migrate up >"$dir/log/migrate.log" 2>&1) || { tail -20 "$dir/log/migrate.log" >&2; exit 1; }
  pgbouncer_start
  [ -f "$dir/redis-cluster" ] || redis_start
  for n in $(instances); do instance_start "$n"; done
  for n in $(instances); do instance_wait_ready "$n"; done
  haproxy_start
  for _ in $(seq 1 100); do
    curl -fs -m 1 -o /dev/null "http://127.0.0.1:$HAPROXY/readyz" && break
    sleep 0.1
  done
  echo "cluster up: http://127.0.0.1:$HAPROXY  (source $dir/cluster.env for its settings)"
}

stop() {
  [ -f "$dir/ports" ] || return 0
  ports
  if alive "$dir/run/haproxy.pid"; then local p; p=$(cat "$dir/run/haproxy.pid"); kill "$p"; wait_gone "$p" || true; fi
  for n in 1 2 3 4; do instance_stop "$n"; done
  if alive "$dir/run/pgbouncer.pid"; then local b; b=$(cat "$dir/run/pgbouncer.pid"); kill "$b"; wait_gone "$b" || true; fi
  if alive "$dir/run/redis.pid"; then local r; r=$(cat "$dir/run/redis.pid"); kill "$r"; wait_gone "$r" || true; fi
  if [ -f "$dir/redis-cluster-nodes/ports" ]; then "$root/scripts/redis-cluster.sh" stop "$dir/redis-cluster-nodes"; fi
  pg_stop
}

status() {
  ports
  for n in $(instances); do
    printf 'nexanest-%s  127.0.0.1:%s  %s\n' "$n" "$(instance_port "$n")" \
      "$(alive "$dir/run/nexanest-$n.pid" && curl -s -m 1 "http://127.0.0.1:$(instance_port "$n")/readyz" || echo down)"
  done
  printf 'haproxy     127.0.0.1:%s  %s\n' "$HAPROXY" "$(alive "$dir/run/haproxy.pid" && echo up || echo down)"
  printf 'pgbouncer   127.0.0.1:%s  %s\n' "$PGBOUNCER" "$(alive "$dir/run/pgbouncer.pid" && echo up || echo down)"
  if [ -f "$dir/redis-cluster" ]; then
    local i p
    for i in 1 2 3 4 5 6; do
      p=$(sed -n "${i}p" "$dir/redis-cluster-nodes/ports")
      printf 'redis-node%s 127.0.0.1:%s  %s\n' "$i" "$p" \
        "$(alive "$dir/redis-cluster-nodes/node$i/redis.pid" && echo up || echo down)"
    done
  else
    printf 'redis       127.0.0.1:%s  %s\n' "$REDIS" "$(alive "$dir/run/redis.pid" && echo up || echo down)"
  fi
  for d in primary replica; do
    local v="PG_${d^^}"
    printf 'pg-%-8s 127.0.0.1:%s  %s\n' "$d" "${!v}" \
      "$(as_pg "$PGBIN/pg_ctl" -D "$dir/pg/$d" status >/dev/null 2>&1 && echo up || echo down)"
  done
  if alive "$dir/run/haproxy.pid"; then
    haproxy_cmd "show servers state" | awk 'NR>2 && NF>5 {print "haproxy " $2 "/" $4 " state=" $6}'
  fi
}

# Rolling restart of one instance without failed requests: haproxy stops sending it new
# requests (drain), in-flight ones finish, SIGTERM drains the rest, the new process must be
# ready before haproxy sends it traffic again.
restart_instance() {
  ports
  local n=$1 backend=app name="app$1"
  if [ "$n" = 4 ]; then backend=ingest; name=ingest1; fi
  haproxy_cmd "set server $backend/$name state drain" >/dev/null
  sleep "${DRAIN_PAUSE:-1}"
  instance_stop "$n"
  instance_start "$n"
  instance_wait_ready "$n"
  haproxy_cmd "set server $backend/$name state ready" >/dev/null
  # back in rotation once haproxy's own checks agree (rise 2 × 500 ms)
  sleep 1.2
}

case "$cmd" in
  start) start "$@" ;;
  stop) stop ;;
  status) status ;;
  pg) pg_start; echo "primary 127.0.0.1:$PG_PRIMARY, replica 127.0.0.1:$PG_REPLICA ($dir/pg.env)" ;;
  pg-stop) ports; pg_stop ;;
  replica-stop) as_pg "$PGBIN/pg_ctl" -D "$dir/pg/replica" -m immediate -w -t 60 stop >/dev/null ;;
  replica-start) pg_start >/dev/null ;;
  restart-instance) restart_instance "${1:?instance number}" ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
