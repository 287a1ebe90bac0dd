#!/usr/bin/env bash
# `make run`: serves on http://127.0.0.1:8080 until Ctrl-C.
# Without NEXANEST_DATABASE_URL / NEXANEST_REDIS_URL it starts a private PostgreSQL and Redis
# under ./var (kept between runs) and stops them again on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/release/apps/nexanest/nexanest
started=""
if [ -z "${NEXANEST_DATABASE_URL:-}" ] || [ -z "${NEXANEST_REDIS_URL:-}" ]; then
  mkdir -p var
  scripts/services.sh start var "${NEXANEST_PG_PORT:-55432}" "${NEXANEST_REDIS_PORT:-56379}"
  started=yes
  # shellcheck disable=SC1091
  . var/env.sh
  export NEXANEST_VAR_DIR="$PWD/var"
  # Each service role its own password (generated once, owner-only; migrate sets them).
  if [ ! -f var/db-role-passwords.env ]; then
    (umask 077
     for svc in AUTH PORTFOLIO MARKET ANALYTICS NOTIFY; do
       printf "export NEXANEST_DB_PASSWORD_%s='%s'\n" "$svc" "$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
     done >var/db-role-passwords.env)
  fi
  # shellcheck disable=SC1091
  . var/db-role-passwords.env
fi
if [ -z "${NEXANEST_JWT_KEYS:-}" ]; then
  mkdir -p var
  scripts/app-secrets.sh var
  # shellcheck disable=SC1091
  . var/app-secrets.env
fi
listen=${NEXANEST_LISTEN:-127.0.0.1:8080}
feed_pid=""
serve_pid=""
cleanup() {
  if [ -n "$feed_pid" ]; then kill "$feed_pid" 2>/dev/null || true; wait "$feed_pid" 2>/dev/null || true; fi
  if [ -n "$started" ]; then scripts/services.sh stop var; fi
}
trap cleanup EXIT
"$bin" migrate up
# Migrations need the administrative URL; the server and the feed do not: they connect as the
# service roles, so they get the admin URL's host without its credentials (docs/security.md).
service_env=(env -u PGPASSWORD -u NEXANEST_TEST_PG_URL
  "NEXANEST_DATABASE_URL=$(printf '%s' "$NEXANEST_DATABASE_URL" | sed -E 's#^([a-z]+://)[^@/]*@#\1#')")
# A small simulated feed (docs/market.md "make run"), so prices move: once the server is ready,
# `feed simulate --direct` writes 5 ticks/s for SIM0000..SIM0019 through the ingest pipeline
# (creating the instruments). Its output goes to var/feed.log. NEXANEST_RUN_FEED=0 turns it off.
if [ "${NEXANEST_RUN_FEED:-1}" != 0 ]; then
  mkdir -p var
  (
    for _ in $(seq 1 600); do
      curl -fs -m 2 -o /dev/null "http://$listen/readyz" && break
      sleep 0.5
    done
    exec "${service_env[@]}" "$bin" feed simulate --direct --symbols "${NEXANEST_RUN_FEED_SYMBOLS:-20}" \
      --rate "${NEXANEST_RUN_FEED_RATE:-5}" --batch-ms 1000 --duration 31536000
  ) >var/feed.log 2>&1 &
  feed_pid=$!
fi
# The server runs in the background so that Ctrl-C (SIGINT) and kill (SIGTERM) of this script
# both reach it: it drains and exits, then the trap stops the feed and the databases.
"${service_env[@]}" "$bin" serve --listen "$listen" &
serve_pid=$!
trap 'kill -INT "$serve_pid" 2>/dev/null || true' INT TERM
while kill -0 "$serve_pid" 2>/dev/null; do wait "$serve_pid" || true; done
