#!/usr/bin/env bash
# `make test`: builds both configurations (release, ASan+UBSan) and the web dashboard, starts
# throw-away PostgreSQL and Redis on free loopback ports in a temporary folder, runs the whole
# ctest suite in both, then the hostile-client suite and the browser suite against a running
# server (each prints "N passed, N failed") and a short libFuzzer run, and stops the servers
# whatever happens. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

# Where the time goes: each step's wall seconds, printed as a table at the end (docs/architecture.md
# "Build time" has a cold run's table).
timings=()
t_last=$SECONDS
timed() {
  timings+=("$(printf '%-28s %5d s' "$1" $((SECONDS - t_last)))")
  t_last=$SECONDS
}
report_timings() {
  echo "== time per step (wall)"
  printf '  %s\n' "${timings[@]}"
  printf '  %-28s %5d s\n' "total" "$SECONDS"
}

make --no-print-directory build-release
timed "build (release)"
scripts/web-build.sh --with-browser
timed "web build"
make --no-print-directory build-asan
timed "build (asan)"

tmp=$(mktemp -d /tmp/nexanest-test.XXXXXX)
cleanup() { scripts/services.sh stop "$tmp" || true; rm -rf "$tmp"; report_timings; }
trap cleanup EXIT INT TERM
scripts/services.sh start "$tmp"
timed "services start"
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
  timed "ctest ($cfg)"
done
echo "== hostile clients (a running server)"
timeout -k 30 1200 scripts/hostile-test.sh || status=1
timed "hostile clients"
echo "== browser suite (web/, Playwright + Debian's chromium)"
timeout -k 30 1800 scripts/web-test.sh || status=1
timed "browser suite"
echo "== fuzzing (libFuzzer, 10 s per target)"
scripts/fuzz.sh 10 || status=1
timed "fuzz (build + 10 s each)"
exit $status
