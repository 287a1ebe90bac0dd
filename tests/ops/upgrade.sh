#!/usr/bin/env bash
# Issue 17: a database holding data at the previous schema is upgraded by `migrate up` and
# served. The schema to upgrade from is the previous release's (CHANGELOG.md: each release
# lists its schema versions and migrations); 0.1.0 is the first release, so until a later one
# exists the test starts from the pre-release schema one migration behind on every database that
# has more than one.
. "$(dirname "$0")/lib.sh"
export NEXANEST_DATABASE_URL=$NEXANEST_TEST_PG_URL NEXANEST_REDIS_URL=$NEXANEST_TEST_REDIS_URL
from=(auth=0002 portfolio=0002 analytics=0001 notifications=0001 timescale=0001)

for pair in "${from[@]}"; do
  "$bin" migrate to "${pair#*=}" --database "${pair%%=*}" >/dev/null
done
[ "$(psql_db portfolio -c "SELECT max(version) FROM schema_migrations")" = 0002 ] || fail "portfolio is not at 0002"
ok "databases at the previous schema (${from[*]})"

# Data written at the old schema: an account (the CLI's insert is the same at auth 0002), a
# portfolio and two transactions (as the old server would have written them).
printf 'correct horse battery staple 42\n' >"$work/password"
"$bin" user create --email upgraded@example.com --password-file - <"$work/password" >/dev/null
uid=$(psql_db auth -c "SELECT id FROM auth.users WHERE email = 'upgraded@example.com'")
pid=$(psql_db portfolio -c "INSERT INTO portfolio.portfolios (user_id, name, currency)
                            VALUES ('$uid', 'Kept across the upgrade', 'EUR') RETURNING id" | head -1)
psql_db portfolio -c "INSERT INTO portfolio.transactions (portfolio_id, user_id, type, amount, currency, executed_at)
                        VALUES ('$pid', '$uid', 'DEPOSIT', 10000.01, 'EUR', '2026-01-02T10:00:00Z');
                      INSERT INTO portfolio.transactions (portfolio_id, user_id, type, symbol, quantity, price, fee, currency, executed_at)
                        VALUES ('$pid', '$uid', 'BUY', 'UPGR', 12.5, 101.25, 1.10, 'EUR', '2026-01-03T10:00:00Z')" >/dev/null
before=$(psql_db portfolio -c "SELECT md5(string_agg(t::text, '|' ORDER BY id)) FROM portfolio.transactions t")

# The old schema is refused, then upgraded.
if timeout 60 "$bin" serve --listen 127.0.0.1:0 >/dev/null 2>&1; then fail "serve accepted the old schema"; fi
"$bin" migrate up >"$work/up.log" || { cat "$work/up.log"; fail "migrate up"; }
grep -q "applied" "$work/up.log" || fail "migrate up applied nothing"
[ "$(psql_db portfolio -c "SELECT md5(string_agg(t::text, '|' ORDER BY id)) FROM portfolio.transactions t")" = "$before" ] \
  || fail "the transactions changed in the upgrade"
ok "migrate up: $(grep -c applied "$work/up.log") line(s), rows unchanged"

start_server
token=$(login upgraded@example.com 'correct horse battery staple 42')
api GET /api/v1/portfolios "" "$token" >"$work/portfolios.json"
[ "$(json '[p["name"] for p in d["items"]]' <"$work/portfolios.json")" = "['Kept across the upgrade']" ] \
  || fail "portfolios after the upgrade: $(cat "$work/portfolios.json")"
api GET "/api/v1/portfolios/$pid/transactions" "" "$token" >"$work/tx.json"
got=$(json 'sorted((t["type"], t.get("quantity"), t.get("price"), t.get("amount")) for t in d["items"])' <"$work/tx.json")
[ "$got" = "[('BUY', '12.5', '101.25', None), ('DEPOSIT', None, None, '10000.01')]" ] || fail "transactions: $got"
ok "the upgraded data is served: $got"
stop_server
