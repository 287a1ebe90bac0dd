#!/usr/bin/env bash
# The hostile-client suite (tests/hostile/hostile.py) against a real `nexanest serve`: a fresh
# database set, the .eml mail sink, an ops token. Run by scripts/test.sh after the ctest suites
# (PostgreSQL, Redis and the app secrets are in the environment); alone it starts its own.
set -euo pipefail
# Every process here is configured explicitly: nothing from a ./var left by `make run`.
export NEXANEST_ENV_FILES=
cd "$(dirname "$0")/.."
root=$PWD
bin=${NEXANEST_BIN:-$root/build/release/apps/nexanest/nexanest}
tmp=$(mktemp -d /tmp/nexanest-hostile.XXXXXX)
own_services=""
serve_pid=""
prefix="nnhost_$(date +%s)_$$"
cleanup() {
  if [ -n "$serve_pid" ]; then scripts/stop-server.sh "$serve_pid" 30 "$tmp/serve.log" || true; wait "$serve_pid" 2>/dev/null || true; fi
  if [ -n "${NEXANEST_DATABASE_URL:-}" ]; then
    for db in $(psql "$NEXANEST_DATABASE_URL" -Atc "SELECT datname FROM pg_database WHERE datname LIKE '${prefix}\\_%'" 2>/dev/null); do
      psql "$NEXANEST_DATABASE_URL" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
    done
  fi
  [ -n "$own_services" ] && scripts/services.sh stop "$tmp/svc" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
if [ -z "${NEXANEST_DATABASE_URL:-}" ] || [ -z "${NEXANEST_REDIS_URL:-}" ]; then
  scripts/services.sh start "$tmp/svc" >/dev/null
  own_services=yes
  # shellcheck disable=SC1091
  . "$tmp/svc/env.sh"
fi
if [ -z "${NEXANEST_JWT_KEYS:-}" ]; then
  scripts/app-secrets.sh "$tmp" >/dev/null
  # shellcheck disable=SC1091
  . "$tmp/app-secrets.env"
fi
port=""
for _ in $(seq 1 200); do
  # Below the kernel's ephemeral range (32768-60999): a port in it can be taken by any outgoing
  # connection (pgbouncer to PostgreSQL, a client) between this choice and the bind.
  p=$((20000 + RANDOM % 12000))
  if ! ss -ltnH "sport = :$p" 2>/dev/null | grep -q .; then port=$p; break; fi
done
ops_token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
export NEXANEST_DATABASE_PREFIX=$prefix NEXANEST_LISTEN=127.0.0.1:$port NEXANEST_VAR_DIR=$tmp/var
export NEXANEST_OPS_TOKEN=$ops_token NEXANEST_LOG_LEVEL=warn
# Every answer is checked against the OpenAPI contract (500 contract.violation otherwise).
export NEXANEST_CONTRACT_CHECK=1
mkdir -p "$tmp/var/mail"
"$bin" migrate up >"$tmp/migrate.log" 2>&1 || { cat "$tmp/migrate.log" >&2; exit 1; }
"$bin" serve --listen "127.0.0.1:$port" >"$tmp/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 1 200); do
  curl -fs -m 1 -o /dev/null "http://127.0.0.1:$port/readyz" && break
  sleep 0.1
done
status=0
python3 tests/hostile/hostile.py "127.0.0.1:$port" "$tmp/var/mail" "$ops_token" || status=$?
if [ "$status" -ne 0 ]; then tail -40 "$tmp/serve.log" >&2; fi
exit "$status"
