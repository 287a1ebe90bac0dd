#!/usr/bin/env bash
# `make bench`: runs every benchmark in build/release/bench against throw-away PostgreSQL and
# Redis. Each benchmark measures its physical limit in the same run (pgbench, raw COPY,
# redis-benchmark, a bare Beast server, raw argon2id) and prints our figure as a ratio to it.
# price_flow (tick → holdings, tick → alert on SSE) compares with a Redis stream hop and a lone commit.
#   scripts/bench.sh [NAME...]   e.g. scripts/bench.sh http copy
set -euo pipefail
# Every process here is configured explicitly: nothing from a ./var left by `make run`.
export NEXANEST_ENV_FILES=
cd "$(dirname "$0")/.."
tmp=$(mktemp -d /tmp/nexanest-bench.XXXXXX)
cleanup() { scripts/services.sh stop "$tmp" || true; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM
scripts/services.sh start "$tmp"
# shellcheck disable=SC1091
. "$tmp/env.sh"
scripts/app-secrets.sh "$tmp"
# shellcheck disable=SC1091
. "$tmp/app-secrets.env"
export NEXANEST_BENCH_PG_URL="$NEXANEST_TEST_PG_URL"

status=0
for exe in build/release/bench/nn_bench_*; do
  name=${exe##*/nn_bench_}
  if [ $# -gt 0 ] && [[ " $* " != *" $name "* ]]; then continue; fi
  echo "== $name"
  "$exe" || status=1
done
exit $status
