#!/usr/bin/env bash
# Issue 17: the Prometheus rules and scrape config are valid (promtool, when Debian's prometheus
# package is installed), every metric they and the Grafana dashboard name is one the server
# exports, and the dashboard is valid JSON.
. "$(dirname "$0")/lib.sh"
export NEXANEST_DATABASE_URL=$NEXANEST_TEST_PG_URL NEXANEST_REDIS_URL=$NEXANEST_TEST_REDIS_URL
mon=$src/monitoring

python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["panels"], "no panels"' "$mon/grafana-dashboard.json" \
  || fail "grafana-dashboard.json"
if command -v promtool >/dev/null 2>&1; then
  promtool check rules "$mon/alerts.yml" || fail "promtool check rules"
  sed "s#/usr/share/nexanest/monitoring/alerts.yml#$mon/alerts.yml#" "$mon/prometheus.yml" >"$work/prometheus.yml"
  promtool check config "$work/prometheus.yml" || fail "promtool check config"
  ok "promtool: rules and config valid"
else
  echo "promtool is not installed (Debian package prometheus): rules not checked"
fi

# Every nn_* metric named in the rules and the dashboard exists on a running server.
"$bin" migrate up >/dev/null
start_server
curl -fsS "http://127.0.0.1:$port/metrics" >"$work/metrics.txt"
# A family with no sample yet still has its HELP line.
exported=$(sed -nE 's/^# (HELP|TYPE) (nn_[a-z_]+).*/\2/p' "$work/metrics.txt" | sort -u)
used=$(grep -ohE 'nn_[a-z_]+' "$mon/alerts.yml" "$mon/grafana-dashboard.json" | sed -E 's/_(bucket|sum|count)$//' | sort -u)
for m in $used; do
  echo "$exported" | grep -qx "$m" || fail "$m is used by the monitoring files but not exported"
done
ok "the $(echo "$used" | wc -w) metrics the rules and the dashboard use are exported"

# The pipeline figures are read from the databases and Redis every few seconds: an outbox per
# source, and a price row outside every premade partition shows in its default partition.
psql_db timescale -c "INSERT INTO market_data.exchange_rates (time, base, quote, rate) VALUES ('1990-01-02T00:00:00Z', 'EUR', 'USD', 1.1)"
for _ in $(seq 1 60); do
  curl -fsS "http://127.0.0.1:$port/metrics" >"$work/metrics.txt"
  grep -q '^nn_partition_default_rows{partition="market_data.exchange_rates_default"} [1-9]' "$work/metrics.txt" && break
  sleep 0.5
done
grep '^nn_partition_default_rows{partition="market_data.exchange_rates_default"} [1-9]' "$work/metrics.txt" \
  || fail "no default-partition row: $(grep nn_partition_default_rows "$work/metrics.txt")"
for source in auth portfolio analytics notifications market; do
  grep -qE "^nn_outbox_pending\{source=\"$source\"\} [0-9]" "$work/metrics.txt" || fail "no outbox backlog of $source"
  grep -qE "^nn_outbox_oldest_pending_seconds\{source=\"$source\"\} [0-9]" "$work/metrics.txt" || fail "no outbox age of $source"
done
ok "pipeline figures: outbox backlog of 5 sources, default-partition rows"
stop_server
