#!/usr/bin/env bash
# Issue 17: `nexanest version` prints the application's and each schema's version; `serve`
# refuses, with one line, a schema older than it needs or newer than it knows, and serves
# the one it knows.
. "$(dirname "$0")/lib.sh"
export NEXANEST_DATABASE_URL=$NEXANEST_TEST_PG_URL NEXANEST_REDIS_URL=$NEXANEST_TEST_REDIS_URL

version=$("$bin" version)
echo "$version"
echo "$version" | head -1 | grep -qE '^nexanest [0-9]+\.[0-9]+\.[0-9]+$' || fail "no application version"
for db in auth portfolio analytics notifications timescale; do
  echo "$version" | grep -qE "^schema $db [0-9]+\.[0-9]+\.[0-9]+ \(migration [0-9]+\)$" || fail "no schema version of $db"
done
ok "version prints the application and the five schema versions"

"$bin" migrate up >/dev/null
need=$(echo "$version" | sed -nE 's/^schema portfolio ([0-9.]+) .*/\1/p')
"$bin" migrate down --database portfolio >/dev/null

refuse() {  # expected-text
  local out rc=0
  out=$(timeout 60 "$bin" serve --listen 127.0.0.1:0 2>&1) || rc=$?
  [ "$rc" -eq 1 ] || fail "serve exited $rc, not 1: $out"
  [ "$(echo "$out" | grep -c .)" -eq 1 ] || fail "more than one line: $out"
  echo "$out" | grep -qF "$1" || fail "the reason lacks '$1': $out"
  ok "serve refuses: $out"
}
refuse "the portfolio schema is "
refuse "but this nexanest needs $need"
refuse 'run `nexanest migrate up`'

"$bin" migrate up >/dev/null
psql_db notifications -c "INSERT INTO public.schema_migrations (version, name, checksum) VALUES ('9999', 'from_the_future', 'x')"
refuse "the notifications schema is newer than this nexanest knows (migration 9999 applied"
psql_db notifications -c "DELETE FROM public.schema_migrations WHERE version = '9999'"

# A migrations folder newer than the binary (a release's files next to an older nexanest): `migrate
# up` once applied the unknown file, and then its own `serve` refused the schema.
newer=$(mktemp -d)
cp -r "$src/migrations/." "$newer/"
printf 'CREATE TABLE notifications.from_the_future (id int);\n' > "$newer/notifications/9999_from_the_future.up.sql"
printf 'DROP TABLE notifications.from_the_future;\n' > "$newer/notifications/9999_from_the_future.down.sql"
rc=0; out=$(NEXANEST_MIGRATIONS_DIR=$newer "$bin" migrate up 2>&1) || rc=$?
rm -rf "$newer"
[ "$rc" -ne 0 ] || fail "migrate up applied a migration this nexanest does not know: $out"
echo "$out" | grep -qF "notifications/9999_from_the_future.up.sql is not a migration this nexanest knows" || fail "no reason: $out"
[ "$(psql_db notifications -Atc "SELECT count(*) FROM public.schema_migrations WHERE version = '9999'")" = 0 ] || fail "9999 was applied"
ok "migrate up refuses a folder newer than the binary"

start_server
ok "serves the schema it knows on port $port"
stop_server
