#!/usr/bin/env bash
# A Redis Cluster on loopback: 3 masters and 3 replicas (redis-server 7 in cluster mode).
#   scripts/redis-cluster.sh start DIR    starts it (free ports), waits until every slot is served
#   scripts/redis-cluster.sh stop DIR     stops every node it started (by pid)
#   scripts/redis-cluster.sh status DIR   prints the nodes (CLUSTER NODES)
# DIR/env.sh then exports NEXANEST_REDIS_URL=redis+cluster://default:PW@127.0.0.1:P1,...,P6 and
# REDISCLI_AUTH; DIR/ports lists the six ports, DIR/nodeN/redis.pid the pids.
# cluster-node-timeout is 1000 ms, so a failed master is replaced by its replica in ~2 s.
# NN_AVOID_PORTS="p1 p2 ...": ports another script has chosen but not bound yet (cluster.sh).
set -euo pipefail

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop|status DIR" >&2; exit 2; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

# Not used by any socket, listening or connected.
free() { ! ss -tanH "sport = :$1" 2>/dev/null | grep -q .; }

# A port p with p and its cluster bus port p+10000 both free, below the ephemeral range
# (32768..) so no outgoing connection takes the bus port between this check and the bind.
cluster_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 2700))
    case " ${NN_AVOID_PORTS:-} " in *" $p "* | *" $((p + 10000)) "*) continue ;; esac
    if free "$p" && free $((p + 10000)) && ! grep -qx "$p" "$dir/ports" 2>/dev/null \
      && ! grep -qx "$((p - 10000))\|$((p + 10000))" "$dir/ports" 2>/dev/null; then
      echo "$p"
      return
    fi
  done
  echo "no free port found" >&2; exit 1
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start() {
  if [ -f "$dir/ports" ] && alive "$dir/node1/redis.pid"; then
    echo "redis cluster up (already running in $dir)"
    return 0
  fi
  rm -rf "$dir"/node* "$dir/ports"
  local pw
  pw=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
  : >"$dir/ports"
  for i in 1 2 3 4 5 6; do
    local p
    p=$(cluster_port)
    echo "$p" >>"$dir/ports"
    mkdir -p "$dir/node$i"
    cat >"$dir/node$i/redis.conf" <<CONF
port $p
bind 127.0.0.1
protected-mode yes
daemonize yes
pidfile $dir/node$i/redis.pid
dir $dir/node$i
logfile $dir/node$i/redis.log
cluster-enabled yes
cluster-config-file nodes.conf
cluster-node-timeout 1000
cluster-require-full-coverage yes
requirepass $pw
masterauth $pw
save ""
appendonly no
repl-diskless-sync-delay 0
CONF
    redis-server "$dir/node$i/redis.conf"
  done
  mapfile -t ports <"$dir/ports"
  for p in "${ports[@]}"; do
    local up=0
    for _ in $(seq 1 100); do
      if REDISCLI_AUTH=$pw redis-cli -p "$p" ping 2>/dev/null | grep -q PONG; then up=1; break; fi
      sleep 0.05
    done
    if [ "$up" = 0 ]; then
      echo "the node on port $p did not start:" >&2
      tail -3 "$dir"/node*/redis.log >&2
      stop
      exit 1
    fi
  done
  local hosts=()
  for p in "${ports[@]}"; do hosts+=("127.0.0.1:$p"); done
  REDISCLI_AUTH=$pw redis-cli --cluster create "${hosts[@]}" --cluster-replicas 1 --cluster-yes >"$dir/create.log" 2>&1 \
    || { cat "$dir/create.log" >&2; stop; exit 1; }
  # Every node must see every slot served and the full topology, and every replica must have
  # finished its first sync (WAIT and failover rely on it), before clients use the cluster.
  for _ in $(seq 1 200); do
    local ok=1
    for p in "${ports[@]}"; do
      REDISCLI_AUTH=$pw redis-cli -p "$p" cluster info 2>/dev/null | grep -q '^cluster_state:ok' || ok=0
      [ "$(REDISCLI_AUTH=$pw redis-cli -p "$p" cluster nodes 2>/dev/null | grep -c connected)" -eq 6 ] || ok=0
      local repl
      repl=$(REDISCLI_AUTH=$pw redis-cli -p "$p" info replication 2>/dev/null)
      if grep -q '^role:slave' <<<"$repl"; then grep -q '^master_link_status:up' <<<"$repl" || ok=0; fi
    done
    [ "$ok" = 1 ] && break
    sleep 0.05
  done
  local seeds
  seeds=$(IFS=,; echo "${hosts[*]}")
  cat >"$dir/env.sh" <<ENV
export NEXANEST_REDIS_URL='redis+cluster://default:$pw@$seeds'
export REDISCLI_AUTH='$pw'
ENV
  echo "redis cluster up: $seeds"
}

stop() {
  local pids=()
  for i in 1 2 3 4 5 6; do
    if alive "$dir/node$i/redis.pid"; then
      local pid
      pid=$(cat "$dir/node$i/redis.pid")
      kill "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -9 "$pid" 2>/dev/null || true
  done
}

status() {
  . "$dir/env.sh"
  redis-cli -p "$(head -1 "$dir/ports")" cluster nodes
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status DIR" >&2; exit 2 ;;
esac
