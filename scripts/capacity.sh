#!/usr/bin/env bash
# The capacity of one instance on one event loop (docs/scaling.md): starts `nexanest serve` with
# NEXANEST_THREADS=1 against PostgreSQL and Redis, seeds one user with a portfolio of 20
# positions, then drives each main path with wrk (1 thread, CONNS connections, SECONDS each) and
# prints one line per path: requests/s, p50 and p99 latency, non-2xx answers. The bare `/healthz`
# route is the ceiling of the HTTP layer in the same run; every figure is also printed as a ratio
# to it. PostgreSQL, Redis, wrk and the server share the machine's cores: the figures are what one
# loop reaches with its databases beside it, not on a machine of its own.
#
#   scripts/capacity.sh [SECONDS=8] [CONNS=16]
set -euo pipefail
export NEXANEST_ENV_FILES=
cd "$(dirname "$0")/.."
root=$PWD
secs=${1:-8}
conns=${2:-16}
bin=${NEXANEST_BIN:-$root/build/release/apps/nexanest/nexanest}
command -v wrk >/dev/null || { echo "capacity: needs wrk (apt-get install wrk)" >&2; exit 1; }
tmp=$(mktemp -d /tmp/nexanest-capacity.XXXXXX)
own_services=""
serve_pid=""
prefix="nncap_$(date +%s)_$$"
cleanup() {
  if [ -n "$serve_pid" ]; then scripts/stop-server.sh "$serve_pid" 30 "$tmp/serve.log" || true; fi
  if [ -n "${NEXANEST_DATABASE_URL:-}" ]; then
    for db in $(psql "$NEXANEST_DATABASE_URL" -Atc "SELECT datname FROM pg_database WHERE datname LIKE '${prefix}\\_%'" 2>/dev/null); do
      psql "$NEXANEST_DATABASE_URL" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
    done
  fi
  [ -n "$own_services" ] && scripts/services.sh stop "$tmp/svc" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
if [ -z "${NEXANEST_TEST_PG_URL:-}" ]; then
  scripts/services.sh start "$tmp/svc" >/dev/null
  own_services=yes
  # shellcheck disable=SC1091
  . "$tmp/svc/env.sh"
fi
if [ -z "${NEXANEST_JWT_KEYS:-}" ]; then
  scripts/app-secrets.sh "$tmp"
  # shellcheck disable=SC1091
  . "$tmp/app-secrets.env"
fi
export NEXANEST_DATABASE_URL=$NEXANEST_TEST_PG_URL NEXANEST_REDIS_URL=$NEXANEST_TEST_REDIS_URL
export NEXANEST_DATABASE_PREFIX=$prefix NEXANEST_LOG_LEVEL=warn NEXANEST_THREADS=1
export NEXANEST_VAR_DIR=$tmp/var NEXANEST_MIGRATIONS_DIR=$root/migrations
mkdir -p "$tmp/var"
"$bin" migrate up >/dev/null
password="capacity horse battery 42"
printf '%s\n' "$password" | "$bin" user create --email cap@example.com --role ADMIN --password-file - >/dev/null

port=""
for _ in $(seq 1 200); do
  # below the kernel's ephemeral range (scripts/services.sh)
  p=$((20000 + RANDOM % 12000))
  ss -ltnH "sport = :$p" 2>/dev/null | grep -q . || { port=$p; break; }
done
"$bin" serve --listen "127.0.0.1:$port" >"$tmp/serve.log" 2>&1 &
serve_pid=$!
base=http://127.0.0.1:$port
ready=""
for _ in $(seq 1 300); do
  curl -fs -m 2 -o /dev/null "$base/readyz" && { ready=yes; break; }
  kill -0 "$serve_pid" 2>/dev/null || break
  sleep 0.2
done
[ -n "$ready" ] || { echo "capacity: the server did not become ready" >&2; tail -20 "$tmp/serve.log" >&2; exit 1; }

api() {  # METHOD PATH [JSON]
  curl -fsS -m 20 -X "$1" -H 'Content-Type: application/json' ${token:+-H "Authorization: Bearer $token"} \
    ${3:+--data "$3"} "$base$2"
}
json() { python3 -c 'import json,sys; print(eval(sys.argv[1], {"d": json.load(sys.stdin)}))' "$1"; }
token=""
token=$(api POST /api/v1/auth/login "{\"email\":\"cap@example.com\",\"password\":\"$password\"}" | json 'd["access_token"]')
pid=$(api POST /api/v1/portfolios '{"name":"Capacity","currency":"USD"}' | json 'd["id"]')
api POST "/api/v1/portfolios/$pid/transactions" \
  '{"type":"DEPOSIT","amount":"1000000","currency":"USD","executed_at":"2024-01-02T10:00:00Z"}' >/dev/null
for i in $(seq 1 20); do
  sym=$(printf 'CAP%02d' "$i")
  api POST /api/v1/market/instruments "{\"symbol\":\"$sym\",\"name\":\"Capacity $i\",\"currency\":\"USD\",\"asset_class\":\"EQUITY\"}" \
    >/dev/null 2>&1 || true
  api POST "/api/v1/portfolios/$pid/transactions" \
    "{\"type\":\"BUY\",\"symbol\":\"$sym\",\"currency\":\"USD\",\"quantity\":\"10\",\"price\":\"$((100 + i)).25\",\"executed_at\":\"2024-01-03T10:00:00Z\"}" >/dev/null
done

# wrk script: the bearer token, and for writes a body per request.
lua() {  # METHOD [BODY-LUA-EXPRESSION]
  cat <<EOF
local n = 0
wrk.headers["Authorization"] = "Bearer $token"
wrk.headers["Content-Type"] = "application/json"
request = function()
  n = n + 1
  return wrk.format("$1", nil, nil, ${2:-nil})
end
EOF
  # With CAPACITY_DEBUG=1 the first refusal of each path is printed (wrk then reads every body,
  # which costs it time: not for the figures).
  if [ -n "${CAPACITY_DEBUG:-}" ]; then
    cat <<'EOF'
local shown = false
response = function(status, headers, body)
  if status >= 300 and not shown then
    shown = true
    io.write("first refusal: ", status, " ", body, "\n")
  end
end
EOF
  fi
}
measure() {  # NAME PATH METHOD [BODY] [CONNECTIONS]
  local name=$1 path=$2 method=$3 body=${4:-} c=${5:-$conns}
  lua "$method" "$body" >"$tmp/wrk.lua"
  wrk -t1 -c"$c" -d"${secs}s" --latency -s "$tmp/wrk.lua" "$base$path" >"$tmp/wrk.out" 2>&1 || true
  if [ -n "${CAPACITY_DEBUG:-}" ]; then grep "^first refusal" "$tmp/wrk.out" || true; fi
  python3 - "$name" "$tmp/wrk.out" "${bare:-0}" <<'PY'
import re, sys
name, path, bare = sys.argv[1], sys.argv[2], float(sys.argv[3])
out = open(path).read()
def lat(p):
    m = re.search(r"^\s+%s%%\s+([\d.]+)(us|ms|s)\s*$" % p, out, re.M)
    if not m: return float("nan")
    v, u = float(m.group(1)), m.group(2)
    return v / 1000 if u == "us" else v * 1000 if u == "s" else v
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
ratio = "%.2f" % (rps / bare) if bare else "1.00"
print("%-34s %9.0f req/s  p50 %7.2f ms  p99 %7.2f ms  non-2xx %-6s  %s x bare" % (
    name, rps, lat(50), lat(99), bad.group(1) if bad else 0, ratio))
with open(path + ".rps", "w") as f: f.write(str(rps))
PY
}

echo "one instance, one event loop (NEXANEST_THREADS=1), wrk -t1 -c$conns -d${secs}s, $(nproc) cores shared"
bare=""
measure "GET /healthz (bare)" /healthz GET
bare=$(cat "$tmp/wrk.out.rps")
measure "GET /api/v1/me" /api/v1/me GET
measure "GET /api/v1/portfolios" /api/v1/portfolios GET
measure "GET /portfolios/summary" /api/v1/portfolios/summary GET
measure "GET /portfolios/{id}/holdings (20)" "/api/v1/portfolios/$pid/holdings" GET
measure "GET /portfolios/{id}/transactions" "/api/v1/portfolios/$pid/transactions?limit=50" GET
measure "GET /market/prices/latest (20)" "/api/v1/market/prices/latest?symbols=$(seq -s, -f 'CAP%02g' 1 20)" GET
measure "POST /portfolios/{id}/transactions" "/api/v1/portfolios/$pid/transactions" POST \
  "'{\"type\":\"DEPOSIT\",\"amount\":\"1.00\",\"currency\":\"USD\",\"executed_at\":\"2025-01-02T10:00:00Z\"}'"
# Ingest is an expensive route: one batch at a time per user (429 rate_limited.concurrent
# otherwise, docs/security.md), so a feed sends its batches one after the other: 1 connection,
# 100 ticks a batch.
measure "POST /market/prices (100 ticks, c=1)" /api/v1/market/prices POST \
  "'{\"prices\":[' .. (function() local t = {} for i = 1, 100 do t[i] = string.format('{\"symbol\":\"CAP%02d\",\"time\":\"2025-06-01T%02d:%02d:%02d.%06dZ\",\"close\":\"%d.50\",\"volume\":\"10\"}', 1 + i % 20, math.floor(n / 3600) % 24, math.floor(n / 60) % 60, n % 60, i, 100 + i % 20) end return table.concat(t, ',') end)() .. ']}'" 1
