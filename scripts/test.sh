#!/usr/bin/env bash
# `make test`: builds both configurations (release, ASan+UBSan) and the web dashboard, starts
# throw-away PostgreSQL and Redis on free loopback ports in a temporary folder, runs the whole
# ctest suite in both, then the hostile-client suite and the browser suite against a running
# server (each prints "N passed, N failed") and a short libFuzzer run, and stops the servers
# whatever happens. Exits non-zero on any failure.
#
# The order overlaps what leaves a core idle: the dashboard's npm install runs beside the release
# build, and the sanitizer, fuzzing and benchmark builds run at the lowest CPU priority
# (SCHED_IDLE, else nice 19) while the suites run — those wait on PostgreSQL, Redis, sockets and
# the browser about half the time, and the compiler takes only the CPU they leave
# (docs/architecture.md "Build time").
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

# The throw-away PostgreSQL and Redis, and the clusters the suites start themselves (TMPDIR), live
# on tmpfs when it has room: a suite creates and drops five databases per fixture — some 1 500
# files each time — and on ext4 that file churn was the suites' main cost (perf: the kernel's inode
# allocator under postgres; nn_auth_pgtest 73 s on ext4, 40 s on tmpfs). Processes are killed in
# the durability tests, never the machine, so RAM-backed files keep every guarantee they test.
base=/tmp
if [ -d /dev/shm ] && [ -w /dev/shm ] &&
   [ "$(df -Pk /dev/shm | awk 'NR == 2 { print $4 }')" -gt $((4 * 1024 * 1024)) ]; then
  base=/dev/shm
fi
tmp=$(mktemp -d "$base/nexanest-test.XXXXXX")
background=()
cleanup() {
  for pid in "${background[@]}"; do kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true; done
  scripts/services.sh stop "$tmp" || true
  rm -rf "$tmp"
  report_timings
}
trap cleanup EXIT INT TERM

# A background step, in a session of its own (so that cleanup can stop it with all its children):
#   start_background NAME [--after "STEP..."] COMMAND...
# With --after it first waits until those steps have ended (each writes $tmp/<step>.status). Its
# output goes to $tmp/<name>.log (printed when it fails), its status and wall seconds (from its
# own start, not the wait) to $tmp/<name>.status once it ends. Background builds run with
# SCHED_IDLE where chrt allows it (else nice 19): they get a core only when the suites leave it.
start_background() {
  local name=$1 after=""
  shift
  if [ "${1:-}" = --after ]; then after=$2; shift 2; fi
  # shellcheck disable=SC2016
  setsid bash -c 'for step in $3; do while [ ! -f "$2/$step.status" ]; do sleep 1; done; done
                  started=$SECONDS; "${@:4}" >"$2/$1.log" 2>&1
                  echo "$? $((SECONDS - started))" >"$2/$1.status"' _ "$name" "$tmp" "$after" "$@" &
  background+=($!)
}
idle=(nice -n 19)
if chrt --idle 0 true 2>/dev/null; then idle=(chrt --idle 0); fi
# Waits for a background step; adds its line to the table; prints its log and returns non-zero
# when it failed.
finish_background() {
  local name=$1 label=$2 rc secs
  while [ ! -f "$tmp/$name.status" ]; do sleep 1; done
  read -r rc secs <"$tmp/$name.status"
  timings+=("$(printf '%-28s %5d s  (in the background)' "$label" "$secs")")
  if [ "$rc" -ne 0 ]; then
    echo "== $label failed:" >&2
    tail -n 60 "$tmp/$name.log" >&2
    return 1
  fi
}

start_background web scripts/web-build.sh --with-browser
make --no-print-directory build-release
timed "build (release)"
finish_background web "web build"
t_last=$SECONDS

# While the suites run: the sanitizer build (the critical path), then the fuzzing build, then the
# benchmarks (compiled, not run; not part of `all`). The benchmarks wait for the release suites
# too, as ops_package's cpack builds in build/release.
start_background asan "${idle[@]}" make --no-print-directory build-asan
start_background fuzz-build --after asan "${idle[@]}" scripts/fuzz.sh --build-only
start_background bench-build --after "fuzz-build release-suites" \
  "${idle[@]}" cmake --build build/release -j 2 --target benchmarks
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
mkdir -p "$tmp/tmp"
export TMPDIR="$tmp/tmp"
# The suites configure every process themselves: nothing may come from a ./var left by `make run`
# (docs/operations.md "Where the binary looks").
export NEXANEST_ENV_FILES=
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# Every step is bounded: a hung process fails the run instead of blocking it (ctest --timeout,
# timeout(1) around the scripts, scripts/stop-server.sh inside them).
status=0
echo "== ctest (release)"
ctest --test-dir build/release -j 2 --output-on-failure --timeout 900 || status=1
timed "ctest (release)"
echo "0 0" >"$tmp/release-suites.status"
echo "== hostile clients (a running server)"
timeout -k 30 1200 scripts/hostile-test.sh || status=1
timed "hostile clients"
echo "== browser suite (web/, Playwright + Debian's chromium)"
timeout -k 30 1800 scripts/web-test.sh || status=1
timed "browser suite"

echo "== waiting for the sanitizer build"
asan_built=1
finish_background asan "build (asan)" || { status=1; asan_built=0; }
timed "wait for build (asan)"
if [ "$asan_built" -eq 1 ]; then
  echo "== ctest (asan)"
  ctest --test-dir build/asan -j 2 --output-on-failure --timeout 900 || status=1
  timed "ctest (asan)"
fi
fuzz_built=1
finish_background fuzz-build "fuzz build" || { status=1; fuzz_built=0; }
t_last=$SECONDS
if [ "$fuzz_built" -eq 1 ]; then
  echo "== fuzzing (libFuzzer, 10 s per target, one target per core)"
  scripts/fuzz.sh --no-build 10 || status=1
  timed "fuzz (10 s each)"
fi
finish_background bench-build "build (benchmarks)" || status=1
timed "wait for build (benchmarks)"
exit $status
