#!/usr/bin/env bash
# Browser tests of the web dashboard (web/, Playwright + Debian's chromium) against a real server.
#
# Run from `make test` after scripts/test.sh started PostgreSQL and Redis and sourced their
# env.sh and app-secrets.env; run alone it starts its own throw-away services. It migrates a
# fresh database set (its own NEXANEST_DATABASE_PREFIX), creates the operator accounts the
# tests use with `nexanest user create`, serves web/dist with `nexanest serve` on a free port,
# runs `npx playwright test` in web/ and prints one line `N passed, N failed`. Exit status 1 when
# anything failed. Screenshots go to build/web-screens/, the benchmark figures to
# build/web-bench.json.
#
#   scripts/web-test.sh [playwright args...]     e.g. scripts/web-test.sh tests/journey.spec.js
set -euo pipefail
# Every process here is configured explicitly: nothing from a ./var left by `make run`.
export NEXANEST_ENV_FILES=
cd "$(dirname "$0")/.."
root=$PWD
bin=${NEXANEST_BIN:-$root/build/release/apps/nexanest/nexanest}
[ -d web/dist ] && [ -d web/node_modules ] || scripts/web-build.sh
[ -x /usr/bin/chromium ] || { echo "web-test: /usr/bin/chromium is missing (apt-get install chromium)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/nexanest-web.XXXXXX)
own_services=""
serve_pid=""
prefix="nnweb_$(date +%s)_$$"
# SIGINT drains and stops the server; one still running 30 s later fails the run
# (scripts/stop-server.sh).
stop_failed=""
stop_server() {
  local pid=$serve_pid
  serve_pid=""
  scripts/stop-server.sh "$pid" 30 "$tmp/serve.log" || stop_failed=yes
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  if [ -n "$serve_pid" ]; then stop_server; fi
  if [ -n "${NEXANEST_DATABASE_URL:-}" ] && command -v psql >/dev/null; then
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
  scripts/app-secrets.sh "$tmp"
  # shellcheck disable=SC1091
  . "$tmp/app-secrets.env"
fi

free_port() {
  local p
  for _ in $(seq 1 200); do
    # Below the kernel's ephemeral range (32768-60999): a port in it can be taken by any outgoing
    # connection (pgbouncer to PostgreSQL, a client) between this choice and the bind.
    p=$((20000 + RANDOM % 12000))
    if ! ss -ltnH "sport = :$p" 2>/dev/null | grep -q .; then echo "$p"; return; fi
  done
  echo "no free port" >&2; exit 1
}
port=$(free_port)
export NEXANEST_DATABASE_PREFIX=$prefix
# Every answer is checked against the OpenAPI contract (500 contract.violation otherwise).
export NEXANEST_CONTRACT_CHECK=1
# Redis streams and consumer groups (prices → holdings, alerts, live push) are not named per
# database set: another server on the same Redis database would consume this server's price
# events. The browser tests use a Redis database of their own (NN_WEB_REDIS_DB, default 11).
export NEXANEST_REDIS_URL="${NEXANEST_REDIS_URL%/}"
[[ "$NEXANEST_REDIS_URL" =~ /[0-9]+$ ]] && NEXANEST_REDIS_URL="${NEXANEST_REDIS_URL%/*}"
export NEXANEST_REDIS_URL="$NEXANEST_REDIS_URL/${NN_WEB_REDIS_DB:-11}"
# ... and start it empty: rate-limit windows (30 sign-ins per address and 5 minutes) would
# otherwise carry over from a run a minute ago.
if command -v redis-cli >/dev/null; then
  r=${NEXANEST_REDIS_URL#redis://}; rauth=${r%@*}; rhost=${r#*@}; rhost=${rhost%/*}
  ruser=()
  [ -n "${rauth%%:*}" ] && ruser=(--user "${rauth%%:*}")
  REDISCLI_AUTH=${rauth#*:} redis-cli --no-auth-warning "${ruser[@]}" -h "${rhost%:*}" -p "${rhost##*:}" \
    -n "${NN_WEB_REDIS_DB:-11}" FLUSHDB >/dev/null
fi
export NEXANEST_LISTEN=127.0.0.1:$port
export NEXANEST_PUBLIC_URL=http://127.0.0.1:$port
export NEXANEST_VAR_DIR=$tmp/var
export NEXANEST_WEB_DIR=$root/web/dist
export NEXANEST_LOG_LEVEL=${NEXANEST_LOG_LEVEL:-warn}
mkdir -p "$tmp/var/mail"

"$bin" migrate up >"$tmp/migrate.log" 2>&1 || { cat "$tmp/migrate.log" >&2; exit 1; }
pw() { head -c 18 /dev/urandom | base64 | tr -d '/+=' ; }
export NN_ADMIN_EMAIL="admin@web-test.example" NN_ADMIN_PASSWORD="Pw1-$(pw)"
export NN_DEMO_EMAIL="demo@web-test.example" NN_DEMO_PASSWORD="Pw2-$(pw)"
export NN_ADVISOR_EMAIL="advisor@web-test.example" NN_ADVISOR_PASSWORD="Pw3-$(pw)"
printf '%s\n' "$NN_ADMIN_PASSWORD" | "$bin" user create --email "$NN_ADMIN_EMAIL" --password-file - --role ADMIN >/dev/null
printf '%s\n' "$NN_DEMO_PASSWORD" | "$bin" user create --email "$NN_DEMO_EMAIL" --password-file - --role USER >/dev/null
printf '%s\n' "$NN_ADVISOR_PASSWORD" | "$bin" user create --email "$NN_ADVISOR_EMAIL" --password-file - --role ADVISOR >/dev/null

"$bin" serve >"$tmp/serve.log" 2>&1 &
serve_pid=$!
# Ready within 3 minutes even on a loaded machine; otherwise the run fails with the server's log.
ready=""
for _ in $(seq 1 360); do
  curl -fs -m 2 -o /dev/null "http://127.0.0.1:$port/readyz" && { ready=yes; break; }
  kill -0 "$serve_pid" 2>/dev/null || { echo "web-test: nexanest serve exited; its log:" >&2; tail -30 "$tmp/serve.log" >&2; exit 1; }
  sleep 0.5
done
if [ -z "$ready" ]; then
  echo "web-test: nexanest serve did not answer /readyz within 180 s; its log:" >&2
  tail -40 "$tmp/serve.log" >&2
  exit 1
fi
base=http://127.0.0.1:$port
curl -fs -m 5 "$base/" | grep -q '<div id="app">' || { echo "web-test: the server does not serve web/dist at $base/" >&2; exit 1; }

mkdir -p build/web-screens
status=0
(cd web && NN_BASE_URL=$base NN_API_URL=http://127.0.0.1:$port NN_MAIL_DIR=$tmp/var/mail \
  NN_SCREENS_DIR=$root/build/web-screens NN_RESULTS=$root/build/web-test-results.json NN_BENCH=$root/build/web-bench.json \
  npx playwright test "$@") >"$tmp/playwright.log" 2>&1 || status=1
if [ "$status" != 0 ] || [ -n "${NN_VERBOSE:-}" ]; then cat "$tmp/playwright.log" >&2; fi
stop_server
[ -n "$stop_failed" ] && status=1
cp "$tmp/serve.log" build/web-test-serve.log 2>/dev/null || true
if [ "$status" != 0 ]; then echo "web-test: the server's log is in build/web-test-serve.log" >&2; fi
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const s = r.stats || {};
  const failed = (s.unexpected || 0) + (s.flaky || 0);
  console.log(`${s.expected || 0} passed, ${failed} failed`);
' "$root/build/web-test-results.json" || { echo "0 passed, 1 failed"; status=1; }
exit $status
