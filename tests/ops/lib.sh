# Shared by the ops tests: sourced with the nexanest binary as $1 and the build tree as $2.
# Each test gets its own database prefix and temporary folder, both removed on exit.
set -euo pipefail
bin=$1
build=$2
src=${NEXANEST_SOURCE_DIR:?}
: "${NEXANEST_TEST_PG_URL:?needs the test cluster (scripts/test.sh)}"
prefix=ops_$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
work=$(mktemp -d /tmp/nexanest-ops.XXXXXX)
chmod 755 "$work"
export NEXANEST_DATABASE_PREFIX=$prefix
export NEXANEST_MIGRATIONS_DIR=$src/migrations
export NEXANEST_LOG_LEVEL=warn
serve_pid=""
on_exit_extra=""

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

drop_databases() {  # [admin url]
  local url=${1:-$NEXANEST_TEST_PG_URL}
  for db in auth portfolio analytics notifications timescale; do
    psql "$url" -qAt -v ON_ERROR_STOP=0 -c "DROP DATABASE IF EXISTS ${prefix}_$db WITH (FORCE)" >/dev/null 2>&1 || true
  done
}

cleanup() {
  if [ -n "$serve_pid" ]; then "$src/scripts/stop-server.sh" "$serve_pid" 30 "$work/serve.log" || true; wait "$serve_pid" 2>/dev/null || true; fi
  if [ -n "$on_exit_extra" ]; then eval "$on_exit_extra" || true; fi
  drop_databases
  rm -rf "$work"
}
trap cleanup EXIT

# SQL on one of the prefix's databases as the test superuser: psql_db auth "SELECT ..."
psql_db() {
  local db=$1; shift
  psql "$(printf '%s' "${PSQL_URL:-$NEXANEST_TEST_PG_URL}" | sed -E "s#/[^/?]*(\?|$)#/${prefix}_$db\1#")" -qAt -v ON_ERROR_STOP=1 "$@"
}

# Starts `serve` on a free port in the background; sets serve_pid and port. Extra env as args.
start_server() {
  local log=$work/serve.log
  : >"$log"
  env NEXANEST_LOG_LEVEL=info "$@" "$bin" serve --listen 127.0.0.1:0 >"$log" 2>&1 &
  serve_pid=$!
  port=""
  for _ in $(seq 1 300); do
    port=$(sed -nE 's#.*serving on http://127\.0\.0\.1:([0-9]+).*#\1#p' "$log" | head -1)
    [ -n "$port" ] && break
    kill -0 "$serve_pid" 2>/dev/null || { cat "$log" >&2; fail "the server exited"; }
    sleep 0.1
  done
  [ -n "$port" ] || { cat "$log" >&2; fail "the server did not start"; }
  for _ in $(seq 1 100); do
    curl -fs -m 2 -o /dev/null "http://127.0.0.1:$port/readyz" && return 0
    sleep 0.2
  done
  cat "$log" >&2; fail "the server never became ready"
}

# SIGINT; a server still running 30 s later fails the test (scripts/stop-server.sh).
stop_server() {
  local pid=$serve_pid
  serve_pid=""
  "$src/scripts/stop-server.sh" "$pid" 30 "$work/serve.log" || { wait "$pid" 2>/dev/null; fail "the server did not stop on SIGINT"; }
  wait "$pid" 2>/dev/null || true
}

# POST JSON and print the body; fails on a non-2xx answer.
api() {  # METHOD PATH [JSON] [TOKEN]
  local method=$1 path=$2 body=${3:-} token=${4:-}
  local args=(-fsS -m 10 -X "$method" -H 'Content-Type: application/json')
  [ -n "$token" ] && args+=(-H "Authorization: Bearer $token")
  [ -n "$body" ] && args+=(--data "$body")
  curl "${args[@]}" "http://127.0.0.1:$port$path"
}

json() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1], {"d": d}))' "$1"; }

login() {  # EMAIL PASSWORD -> access token
  api POST /api/v1/auth/login "{\"email\":\"$1\",\"password\":\"$2\"}" | json 'd["access_token"]'
}
