#!/usr/bin/env bash
# A server stops on SIGINT/SIGTERM, promptly, whatever it is doing: live streams open (each
# shard's Redis subscriber waiting), price consumers and relays running, or just ready. A server
# that hung in its teardown (a subscriber closing on an io_context already destroyed) blocked
# `make test` for ever; stop_server fails this test when the process is still alive 30 s after
# the signal.
. "$(dirname "$0")/lib.sh"
export NEXANEST_DATABASE_URL=$NEXANEST_TEST_PG_URL NEXANEST_REDIS_URL=$NEXANEST_TEST_REDIS_URL
"$bin" migrate up >/dev/null
printf 'correct horse battery staple 42\n' >"$work/password"
"$bin" user create --email stop@example.com --role USER --password-file - <"$work/password" >/dev/null

for threads in 2 4; do
  # 1. Stopped right after it became ready.
  start_server NEXANEST_THREADS=$threads
  t0=$(date +%s)
  stop_server
  ok "$threads loop(s): stopped right after ready in $(( $(date +%s) - t0 )) s"

  # 2. Stopped with live streams open on several shards and requests in flight.
  start_server NEXANEST_THREADS=$threads
  token=$(login stop@example.com 'correct horse battery staple 42')
  pids=()
  for _ in 1 2 3 4; do
    curl -sN -m 60 -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/stream" >/dev/null 2>&1 &
    pids+=($!)
  done
  for _ in $(seq 1 20); do api GET /api/v1/me "" "$token" >/dev/null; done
  sleep 1
  t0=$(date +%s)
  stop_server
  ok "$threads loop(s): stopped with 4 live streams open in $(( $(date +%s) - t0 )) s"
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
done
