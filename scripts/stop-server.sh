#!/usr/bin/env bash
# Stops a `nexanest serve` (or any process) with SIGINT and waits for it to exit; one still
# running after SECONDS is a defect (a hang at shutdown would block the suite for ever): the tail
# of LOG is printed, the process is killed and the exit status is 1.
#
#   scripts/stop-server.sh PID [SECONDS=30] [LOG]
pid=$1 seconds=${2:-30} log=${3:-}
kill -INT "$pid" 2>/dev/null || exit 0
for _ in $(seq 1 $((seconds * 5))); do
  kill -0 "$pid" 2>/dev/null || exit 0
  # a zombie (exited, not yet reaped by its parent) has stopped
  [ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" = Z ] && exit 0
  sleep 0.2
done
echo "stop-server: process $pid did not exit within ${seconds} s of SIGINT" >&2
if [ -n "$log" ] && [ -f "$log" ]; then echo "--- last lines of $log" >&2; tail -40 "$log" >&2; fi
if command -v gdb >/dev/null; then gdb -p "$pid" -batch -ex 'thread apply all bt 12' 2>/dev/null | tail -80 >&2; fi
kill -KILL "$pid" 2>/dev/null || true
exit 1
