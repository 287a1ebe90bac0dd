#!/usr/bin/env bash
# Issue 19, the short version of the scale-out suite in `make test`: scripts/cluster-faults.sh
# on its own loopback cluster (haproxy, 3 instances, pgbouncer, a PostgreSQL primary and a
# streaming replica, a Redis Cluster of 3 masters + 3 replicas), 6 s of mixed load per scenario:
# kill -9 of one instance, a rolling restart of all three, the replica stopped, and 12 s with one
# Redis master killed (failover); every scenario must lose no acknowledged write and fail no
# request (docs/scale-out.md "Faults"). About 125-140 s; the longer runs are
# `scripts/cluster-faults.sh DIR 20` by hand.
set -euo pipefail
bin=${1:?usage: cluster_faults.sh NEXANEST_BIN BUILD_DIR}
src=${NEXANEST_SOURCE_DIR:?}
work=$(mktemp -d /tmp/nexanest-ops-cluster.XXXXXX)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
NEXANEST_BIN=$bin "$src/scripts/cluster-faults.sh" "$work/cluster" 6 --redis-cluster
