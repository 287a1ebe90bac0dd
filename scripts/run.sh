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
fi
if [ -z "${NEXANEST_JWT_KEYS:-}" ]; then
  mkdir -p var
  scripts/app-secrets.sh var
  # shellcheck disable=SC1091
  . var/app-secrets.env
fi
stop_services() { [ -n "$started" ] && scripts/services.sh stop var; }
trap stop_services EXIT
"$bin" migrate up
# Ctrl-C reaches the server (same process group); it drains and exits, then the trap stops
# the databases.
trap ':' INT
"$bin" serve --listen "${NEXANEST_LISTEN:-127.0.0.1:8080}" || true
