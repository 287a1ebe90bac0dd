#!/usr/bin/env bash
# `make test`: builds both configurations (release, ASan+UBSan) and the web dashboard, starts
# throw-away PostgreSQL and Redis on free loopback ports in a temporary folder, runs the whole
# ctest suite in both, then the hostile-client suite and the browser suite against a running
# server (each prints "N passed, N failed") and a short libFuzzer run, and stops the servers
# whatever happens. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
make --no-print-directory build-release
scripts/web-build.sh --with-browser
make --no-print-directory build-asan

tmp=$(mktemp -d /tmp/nexanest-test.XXXXXX)
cleanup() { scripts/services.sh stop "$tmp" || true; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM
scripts/services.sh start "$tmp"
# shellcheck disable=SC1091
. "$tmp/env.sh"
scripts/app-secrets.sh "$tmp"
# shellcheck disable=SC1091
. "$tmp/app-secrets.env"
export NEXANEST_TEST_SERVICES_SCRIPT="$PWD/scripts/services.sh"
export NEXANEST_TEST_SERVICES_DIR="$tmp"
export NEXANEST_SOURCE_DIR="$PWD"
# The suites configure every process themselves: nothing may come from a ./var left by `make run`
# (docs/operations.md "Where the binary looks").
export NEXANEST_ENV_FILES=
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# Every step is bounded: a hung process fails the run instead of blocking it (ctest --timeout,
# timeout(1) around the scripts, scripts/stop-server.sh inside them).
status=0
for cfg in release asan; do
  echo "== ctest ($cfg)"
  ctest --test-dir "build/$cfg" -j 2 --output-on-failure --timeout 900 || status=1
done
echo "== hostile clients (a running server)"
timeout -k 30 1200 scripts/hostile-test.sh || status=1
echo "== browser suite (web/, Playwright + Debian's chromium)"
timeout -k 30 1800 scripts/web-test.sh || status=1
echo "== fuzzing (libFuzzer, 10 s per target)"
scripts/fuzz.sh 10 || status=1
exit $status
