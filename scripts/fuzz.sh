#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ in build/fuzz (clang++, -DNN_FUZZ=ON) and runs each one
# for SECONDS (default 10) over its seed corpus, FUZZ_JOBS targets at a time (default: one per
# core; each target is one single-threaded process, so two cores run two targets in the time of
# one). Prints per target "name: N execs, N findings" and exits non-zero when any target crashed,
# leaked, timed out or ran out of memory. docs/fuzzing.md.
#
#   scripts/fuzz.sh [--build-only|--no-build] [seconds] [target...]   e.g. scripts/fuzz.sh 60 jwt resp
#
# `make test` builds in the background while the release suites run (--build-only) and runs the
# targets at the end (--no-build).
# Inputs that found new coverage go to build/fuzz/corpus/<target>/ (kept between runs, never
# to the committed seeds); crashing inputs to build/fuzz/findings/<target>/. Replay one with
#   build/fuzz/fuzz/<target>_fuzz build/fuzz/findings/<target>/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."
mode=all
case "${1:-}" in
  --build-only) mode=build; shift ;;
  --no-build) mode=run; shift ;;
esac
seconds=${1:-10}
shift || true
build=build/fuzz
if ! command -v clang++ >/dev/null 2>&1 ||
   ! compgen -G "$(clang++ -print-runtime-dir 2>/dev/null)/libclang_rt.fuzzer*.a" >/dev/null; then
  echo "fuzz: needs clang++ and its libFuzzer runtime (apt-get install clang libclang-rt-14-dev)" >&2
  exit 1
fi
gen=""
command -v ninja >/dev/null 2>&1 && gen="-G Ninja"

if [ "$mode" != run ]; then
  # shellcheck disable=SC2086
  cmake -S . -B "$build" $gen -DNN_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug \
    -DNN_BUILD_TESTS=OFF -DNN_BUILD_BENCH=OFF >/dev/null
  cmake --build "$build" -j "${JOBS:-$(nproc)}"
fi
[ "$mode" = build ] && exit 0

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in fuzz/*_fuzz.cpp; do
    name=$(basename "$f" _fuzz.cpp)
    targets+=("$name")
  done
fi

# UBSan findings abort (the build uses -fno-sanitize-recover); leaks are findings too.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# One target: runs it and writes "name: N execs, N findings" to $build/logs/<name>.result and its
# exit status to <name>.rc (a crash, leak, timeout or out-of-memory is non-zero): files, because
# `wait -n` below may already have collected the process's own status.
run_target() {
  local name=$1
  local exe="$build/fuzz/${name}_fuzz" work="$build/corpus/$name" findings="$build/findings/$name"
  local log="$build/logs/$name.log"
  mkdir -p "$work" "$findings"
  local before after found execs rc=0
  before=$(find "$findings" -type f | wc -l)
  local args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
              -artifact_prefix="$findings/")
  [ -f "fuzz/dict/$name.dict" ] && args+=(-dict="fuzz/dict/$name.dict")
  "$exe" "${args[@]}" "$work" "fuzz/corpus/$name" >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  after=$(find "$findings" -type f | wc -l)
  found=$((after - before))
  if [ "$rc" -ne 0 ] && [ "$found" -eq 0 ]; then found=1; fi  # died without writing an input
  echo "$name: ${execs:-0} execs, $found findings" >"$build/logs/$name.result"
  echo "$rc" >"$build/logs/$name.rc"
}

jobs_max=${FUZZ_JOBS:-$(nproc)}
mkdir -p "$build/logs"
for name in "${targets[@]}"; do
  rm -f "$build/logs/$name.result" "$build/logs/$name.rc"
  while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n || true; done
  run_target "$name" &
done
wait

status=0
for name in "${targets[@]}"; do
  rc=$(cat "$build/logs/$name.rc" 2>/dev/null || echo 1)
  cat "$build/logs/$name.result" 2>/dev/null || echo "$name: did not run"
  log="$build/logs/$name.log"
  if [ "$rc" -ne 0 ]; then
    status=1
    echo "  $name failed (exit $rc); log: $log" >&2
    grep -E '^(==[0-9]+==ERROR|SUMMARY|.*invariant failed|.*runtime error)' "$log" | head -5 >&2 || true
  fi
done
exit $status
