#!/usr/bin/env bash
# Issue 17: the restore drill. Data is written through the server, `nexanest backup` writes the
# five databases, `nexanest restore` puts them into a fresh cluster (a second one started by
# scripts/services.sh), every row of every table is identical, and the server serves them. A
# backup whose schema version does not match is refused, and so is a cluster that holds data.
. "$(dirname "$0")/lib.sh"
: "${NEXANEST_TEST_SERVICES_SCRIPT:?}"
export NEXANEST_DATABASE_URL=$NEXANEST_TEST_PG_URL NEXANEST_REDIS_URL=$NEXANEST_TEST_REDIS_URL
"$bin" migrate up >/dev/null

# Data through the API: an account, a portfolio, transactions; prices through the CLI import.
printf 'correct horse battery staple 42\n' >"$work/password"
"$bin" user create --email drill@example.com --role ADMIN --password-file - <"$work/password" >/dev/null
start_server
token=$(login drill@example.com 'correct horse battery staple 42')
api POST /api/v1/market/instruments '{"symbol":"DRIL","name":"Drill Corp","asset_class":"EQUITY","currency":"USD"}' "$token" >/dev/null
pid=$(api POST /api/v1/portfolios '{"name":"Drill","currency":"USD"}' "$token" | json 'd["id"]')
api POST "/api/v1/portfolios/$pid/transactions" \
  '{"type":"DEPOSIT","amount":"5000.05","currency":"USD","executed_at":"2026-03-02T10:00:00Z"}' "$token" >/dev/null
api POST "/api/v1/portfolios/$pid/transactions" \
  '{"type":"BUY","symbol":"DRIL","quantity":"7.125","price":"33.3333","fee":"0.99","currency":"USD","executed_at":"2026-03-03T10:00:00Z"}' "$token" >/dev/null
stop_server
printf 'time,symbol,open,high,low,close,volume\n2026-03-03T15:00:00Z,DRIL,33,34,32.5,33.3333,1200\n2026-03-03T15:01:00Z,DRIL,33.3333,33.5,33.1,33.4,800\n' >"$work/prices.csv"
"$bin" import prices "$work/prices.csv" >/dev/null

# Every row of every table of the five databases, as one digest per table.
digest() {  # admin-url -> lines "db table rows md5"
  local url=$1
  for db in auth portfolio analytics notifications timescale; do
    local dburl
    dburl=$(printf '%s' "$url" | sed -E "s#/[^/?]*(\?|$)#/${prefix}_$db\1#")
    psql "$dburl" -qAt -v ON_ERROR_STOP=1 -c "
      SELECT format('SELECT %L || '' '' || count(*) || '' '' || coalesce(md5(string_agg(t::text, ''|'' ORDER BY t::text)), ''-'') FROM %s t',
                    n.nspname || '.' || c.relname, c.oid::regclass)
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND NOT c.relispartition AND n.nspname NOT IN ('pg_catalog', 'information_schema')
         OR c.relkind = 'p'
      ORDER BY 1" | while read -r q; do printf '%s ' "$db"; psql "$dburl" -qAt -v ON_ERROR_STOP=1 -c "$q"; done
  done
}
digest "$NEXANEST_TEST_PG_URL" >"$work/before.txt"
[ "$(grep -c . "$work/before.txt")" -gt 20 ] || fail "too few tables: $(cat "$work/before.txt")"
grep -q '^portfolio portfolio.transactions 2 ' "$work/before.txt" || fail "no transactions: $(grep transactions "$work/before.txt")"

"$bin" backup --to "$work/backup" >"$work/backup.log" || { cat "$work/backup.log"; fail "backup"; }
cat "$work/backup/MANIFEST"
for db in auth portfolio analytics notifications timescale; do
  grep -qE "^database $db schema [0-9.]+ migration [0-9]+ file $db.dump bytes [0-9]+ sha256 [0-9a-f]{64}$" "$work/backup/MANIFEST" \
    || fail "MANIFEST lacks $db"
done
ok "backup: $(du -sh "$work/backup" | cut -f1)"

# A second, empty cluster.
svc2=$work/svc2
on_exit_extra='"$NEXANEST_TEST_SERVICES_SCRIPT" stop "$svc2" >/dev/null 2>&1'
"$NEXANEST_TEST_SERVICES_SCRIPT" start "$svc2" >/dev/null
url2=$(. "$svc2/env.sh"; printf '%s' "$NEXANEST_DATABASE_URL")

# Refusals first: a damaged archive, a schema version this build does not have.
cp -r "$work/backup" "$work/bad"
sed -i -E 's/^(database auth schema )[0-9.]+/\10.0.1/' "$work/bad/MANIFEST"
out=$(NEXANEST_DATABASE_URL=$url2 "$bin" restore --from "$work/bad" 2>&1) && fail "restored a mismatched schema version"
echo "$out" | grep -q "refusing to restore: the backup's auth schema is 0.0.1" || fail "unclear refusal: $out"
ok "mismatched schema refused: $out"
cp "$work/backup/MANIFEST" "$work/bad/MANIFEST"
printf 'x' >>"$work/bad/portfolio.dump"
out=$(NEXANEST_DATABASE_URL=$url2 "$bin" restore --from "$work/bad" 2>&1) && fail "restored a damaged archive"
echo "$out" | grep -q "checksum of portfolio.dump" || fail "unclear refusal: $out"
ok "damaged archive refused"
out=$("$bin" restore --from "$work/backup" 2>&1) && fail "restored over live data"
echo "$out" | grep -q "already holds tables" || fail "unclear refusal: $out"
ok "a cluster with data refused"

NEXANEST_DATABASE_URL=$url2 "$bin" restore --from "$work/backup" >"$work/restore.log" || { cat "$work/restore.log"; fail "restore"; }
digest "$url2" >"$work/after.txt"
diff "$work/before.txt" "$work/after.txt" || fail "the restored rows differ"
ok "restore: $(grep -c . "$work/after.txt") tables, every row identical"

# The restored cluster serves: the server connects as the service roles the restore created.
start_server NEXANEST_DATABASE_URL="$(printf '%s' "$url2" | sed -E 's#^([a-z]+://)[^@/]*@#\1#')"
token=$(login drill@example.com 'correct horse battery staple 42')
got=$(api GET "/api/v1/portfolios/$pid/transactions" "" "$token" | json 'sorted((t["type"], t.get("quantity"), t.get("amount")) for t in d["items"])')
[ "$got" = "[('BUY', '7.125', None), ('DEPOSIT', None, '5000.05')]" ] || fail "served after restore: $got"
ok "the restored cluster serves: $got"
stop_server
drop_databases "$url2"
