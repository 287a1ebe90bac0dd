#!/usr/bin/env bash
# Faults under mixed load on a scripts/cluster.sh cluster (docs/scale-out.md "Faults"), loopback
# only, bounded in time (about 2.5 minutes) and count (one fault of each kind):
#
#   1. kill -9 of one instance under ingest + trades + reads + live streams, started again 6 s later
#   2. rolling restart of the three instances (drain in haproxy, SIGTERM, start, ready)
#   3. the replica stopped under load, then started again
#   4. with --redis-cluster (Redis Cluster instead of one Redis): kill -9 of one Redis master
#      under load; its replica is promoted (cluster-node-timeout 1 s), the killed node restarted
#      rejoins as a replica
#
# and the cross-instance live-push check. Prints one line of figures per scenario (acknowledged
# and lost writes, failed requests as the client saw them, first-try failures the retries
# absorbed, stream reconnects and the longest stream gap) and exits non-zero when a scenario
# breaks its promise: a lost acknowledged write, a failed request, a 5xx on reads.
#
#   scripts/cluster-faults.sh DIR [SECONDS] [--redis-cluster]
#                                  (DIR: started here when no cluster runs in it)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:?usage: $0 DIR [SECONDS]}
secs=${2:-20}
redis_opt=${3:-}
started=""
# Set before the start: a start that fails half-way (a port taken) stops what it had started.
cleanup() { if [ -n "$started" ]; then scripts/cluster.sh stop "$dir"; fi; }
trap cleanup EXIT
if [ ! -f "$dir/run/haproxy.pid" ] || ! kill -0 "$(cat "$dir/run/haproxy.pid")" 2>/dev/null; then
  started=yes
  scripts/cluster.sh start "$dir" $redis_opt
fi
dir=$(cd "$dir" && pwd)
load=scripts/cluster-load.py
[ -f "$dir/load.json" ] || python3 $load setup "$dir"
status=0
check() { # scenario file, conditions "key<=max" ...
  local f="$dir/$1.result.json"; shift
  for cond in "$@"; do
    python3 - "$f" "$cond" <<'PY' || { echo "FAIL $cond"; status=1; }
import json, re, sys
r = json.load(open(sys.argv[1]))
k, op, v = re.match(r"(\w+)(<=|>=)(\d+)", sys.argv[2]).groups()
ok = r[k] <= int(v) if op == "<=" else r[k] >= int(v)
sys.exit(0 if ok else 1)
PY
  done
}

echo "== cross-instance live push"
python3 $load cross "$dir" || status=1

echo "== 1. kill -9 of instance 2 under mixed load (${secs}s)"
python3 $load run "$dir" "$secs" kill9 &
lp=$!
sleep 5
t0=$(date +%s.%N)
kill -KILL "$(cat "$dir/run/nexanest-2.pid")"
rm -f "$dir/run/nexanest-2.pid"
sleep 6
scripts/cluster.sh restart-instance "$dir" 2
echo "instance 2 back in rotation $(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $t0}") s after the kill"
wait $lp || status=1
check kill9 "lost_trades<=0" "lost_ticks<=0" "failed_requests<=0" "stream_events>=1"

echo "== 2. rolling restart of instances 1, 2, 3 under mixed load"
python3 $load run "$dir" $((secs + 10)) rolling &
lp=$!
sleep 3
for n in 1 2 3; do scripts/cluster.sh restart-instance "$dir" "$n"; done
wait $lp || status=1
check rolling "lost_trades<=0" "lost_ticks<=0" "failed_requests<=0" "first_try_failures<=0"

echo "== 3. replica stopped under mixed load"
python3 $load run "$dir" "$secs" replica &
lp=$!
sleep 4
scripts/cluster.sh replica-stop "$dir"
sleep $((secs / 2))
scripts/cluster.sh replica-start "$dir"
wait $lp || status=1
check replica "lost_trades<=0" "read_5xx<=0" "failed_requests<=0"

if [ -f "$dir/redis-cluster" ]; then
  echo "== 4. a Redis master killed (kill -9) under mixed load"
  rc="$dir/redis-cluster-nodes"
  # shellcheck disable=SC1091
  . "$rc/env.sh"
  # at least 12 s: the kill comes at t = 5 s and the failover takes about 2 s
  python3 $load run "$dir" $((secs < 12 ? 12 : secs)) redisfail &
  lp=$!
  sleep 5
  # A node that answers, other than $1.
  live_node() {
    local p
    while read -r p; do
      [ "$p" != "${1:-}" ] && redis-cli --no-auth-warning -p "$p" ping 2>/dev/null | grep -q PONG && { echo "$p"; return; }
    done <"$rc/ports"
  }
  victim=$(redis-cli --no-auth-warning -p "$(live_node)" cluster nodes |
    awk '$3 ~ /master/ && $3 !~ /fail/ && NF >= 9 {split($2, a, "[:@]"); print a[2]; exit}')
  i=$(grep -nx "$victim" "$rc/ports" | cut -d: -f1)
  q=$(live_node "$victim")
  t0=$(date +%s.%N)
  kill -KILL "$(cat "$rc/node$i/redis.pid")"
  # Failover done: the victim is flagged fail and three live masters serve slots again.
  for _ in $(seq 1 300); do
    masters=$(redis-cli --no-auth-warning -p "$q" cluster nodes | awk '$3 ~ /master/ && $3 !~ /fail/ && NF >= 9' | wc -l)
    failed=$(redis-cli --no-auth-warning -p "$q" cluster nodes | awk -v v=":$victim@" 'index($2, v) && $3 ~ /fail/' | wc -l)
    [ "$masters" -eq 3 ] && [ "$failed" -eq 1 ] && break
    sleep 0.05
  done
  echo "Redis master :$victim killed; its replica serves the slots $(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $t0}") s later"
  redis-server "$rc/node$i/redis.conf"  # rejoins as a replica of the promoted node
  wait $lp || status=1
  check redisfail "lost_trades<=0" "lost_ticks<=0" "failed_requests<=0" "stream_events>=1"
fi

[ $status -eq 0 ] && echo "all fault scenarios kept their promises" || echo "SOME FAULT SCENARIO FAILED"
exit $status
