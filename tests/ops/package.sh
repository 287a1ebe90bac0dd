#!/usr/bin/env bash
# Issue 17: `make package` builds a .deb (CPack) that declares its Debian dependencies and
# holds the binary, the migrations, the dashboard, the example configuration and the systemd
# unit; unpacked into a temporary root (dpkg-deb -x), its nexanest finds its migrations from its
# own location and prints its version, and `migrate up` from there migrates the test database.
. "$(dirname "$0")/lib.sh"
export NEXANEST_DATABASE_URL=$NEXANEST_TEST_PG_URL
unset NEXANEST_MIGRATIONS_DIR

(cd "$build" && cpack -G DEB -B "$work/pkg" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; fail "cpack"; }
deb=$(ls "$work"/pkg/nexanest_*.deb)
ok "built $(basename "$deb") ($(du -h "$deb" | cut -f1))"

fields=$(dpkg-deb -f "$deb" Package Version Architecture Depends)
echo "$fields"
depends=$(dpkg-deb -f "$deb" Depends)
for dep in postgresql-15 postgresql-15-partman postgresql-client-15 redis-server libpq5 libhiredis libsodium libargon2 libssl3 libfmt libspdlog; do
  echo "$depends" | grep -q "$dep" || fail "Depends lacks $dep"
done
version=$("$bin" version | head -1 | cut -d' ' -f2)
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "package version is not $version"
ok "control: Depends declares the servers and the runtime libraries"
# What `apt install ./nexanest_*.deb` would do on this machine: every dependency resolvable.
apt-get install -s "$deb" >"$work/apt.log" 2>&1 || { cat "$work/apt.log"; fail "apt-get install -s"; }
grep -q '^Inst nexanest ' "$work/apt.log" || grep -q 'nexanest is already the newest' "$work/apt.log" \
  || { cat "$work/apt.log"; fail "apt would not install the package"; }
ok "apt-get install -s: installable here"

dpkg-deb -c "$deb" | awk '{print $6}' | sed 's#^\./#/#' >"$work/contents.txt"
for path in /usr/bin/nexanest /usr/lib/systemd/system/nexanest.service /usr/share/nexanest/examples/nexanest.toml \
    /usr/share/nexanest/examples/nexanest.env /usr/share/doc/nexanest/operations.md /usr/share/doc/nexanest/CHANGELOG.md; do
  grep -qx "$path" "$work/contents.txt" || fail "the package lacks $path"
done
for f in "$src"/migrations/*/*.sql; do
  rel=${f#"$src"/migrations/}
  grep -qx "/usr/share/nexanest/migrations/$rel" "$work/contents.txt" || fail "the package lacks migration $rel"
done
if [ -f "$src/web/dist/index.html" ]; then
  grep -qx /usr/share/nexanest/web/index.html "$work/contents.txt" || fail "the package lacks the dashboard"
fi
grep -q '^/usr/share/nexanest/monitoring/' "$work/contents.txt" || fail "the package lacks the monitoring files"
! grep -q '/\.' "$work/contents.txt" || fail "dot files in the package: $(grep '/\.' "$work/contents.txt")"
dpkg-deb -I "$deb" postinst >/dev/null || fail "no postinst"
perm=$(dpkg-deb -c "$deb" | awk '$6 ~ /bin\/nexanest$/ {print $1}')
[ "$perm" = "-rwxr-xr-x" ] || fail "nexanest is $perm"
ok "contents: binary, $(grep -c '/migrations/.*\.sql$' "$work/contents.txt") migration files, dashboard, unit, examples, docs"

root=$work/root
dpkg-deb -x "$deb" "$root"
if command -v systemd-analyze >/dev/null 2>&1; then
  # verify resolves ExecStart= on this machine: point it at the unpacked binary.
  sed "s#/usr/bin/nexanest#$root/usr/bin/nexanest#" "$root/usr/lib/systemd/system/nexanest.service" >"$work/nexanest.service"
  grep -qx "ExecStart=/usr/bin/nexanest serve" "$root/usr/lib/systemd/system/nexanest.service" || fail "ExecStart"
  out=$(systemd-analyze verify "$work/nexanest.service" 2>&1 || true)
  # Complaints name the unit; a machine without a running systemd adds lines of its own.
  echo "$out" | grep -q 'nexanest\.service' && fail "systemd-analyze verify: $out"
  ok "systemd-analyze verify: ${out:-clean}"
fi
out=$(env -u NEXANEST_SOURCE_DIR "$root/usr/bin/nexanest" version)
echo "$out" | head -1 | grep -qx "nexanest $version" || fail "unpacked version: $out"
ok "unpacked: $(echo "$out" | tr '\n' ';')"
# From a folder with no migrations/ in it: the binary must use <root>/usr/share/nexanest/migrations.
cd "$work"
"$root/usr/bin/nexanest" migrate up >"$work/up.log" 2>&1 || { cat "$work/up.log"; fail "migrate up from the unpacked package"; }
[ "$(psql_db auth -c "SELECT count(*) FROM schema_migrations")" = "$(ls "$src"/migrations/auth/*.up.sql | wc -l)" ] \
  || fail "the unpacked binary did not apply every auth migration"
"$root/usr/bin/nexanest" migrate status | grep -q pending && fail "migrations left pending"
ok "unpacked: migrate up applied $(grep -c 'applied' "$work/up.log") migration(s) from /usr/share/nexanest/migrations"

# Installed, the CLI reads /etc/nexanest (here <root>/etc/nexanest, beside <root>/usr) by itself,
# as the postinst lays it out: nexanest.toml for settings, nexanest.env (0600) for secrets.
mkdir -p "$root/etc/nexanest"
printf '[database]\nprefix = "%s"\n' "$prefix" >"$root/etc/nexanest/nexanest.toml"
(umask 077; printf 'NEXANEST_DATABASE_URL=%s\nNEXANEST_DB_SERVICE_PASSWORD=%s\n' \
  "$NEXANEST_TEST_PG_URL" "$NEXANEST_DB_SERVICE_PASSWORD" >"$root/etc/nexanest/nexanest.env")
printf 'correct horse battery staple 42\n' >"$work/password"
out=$(env -i "PATH=$PATH" "$root/usr/bin/nexanest" user create --email installed@example.com --role ADMIN \
  --password-file - <"$work/password" 2>&1) || fail "user create from /etc/nexanest: $out"
[ "$(psql_db auth -c "SELECT role FROM auth.users WHERE email = 'installed@example.com'")" = ADMIN ] \
  || fail "no admin in ${prefix}_auth"
ok "installed: user create reads /etc/nexanest ($out)"
