#!/usr/bin/env bash
# Issue 17: the CLI works where the server works. After `make run` the folder ./var holds
# env.sh (scripts/services.sh), app-secrets.env and db-role-passwords.env (scripts/run.sh);
# `nexanest user create` run from the repository root, with nothing in its environment, must
# find them and make the first admin. Elsewhere it says what it looked for.
. "$(dirname "$0")/lib.sh"

mkdir -p "$work/repo/var"
# What `make run` leaves in ./var, against the test cluster (the role passwords are the
# cluster-wide test password: roles are shared by every suite running now).
cat >"$work/repo/var/env.sh" <<ENV
export NEXANEST_DATABASE_URL='$NEXANEST_TEST_PG_URL'
export NEXANEST_DB_SERVICE_PASSWORD='$NEXANEST_DB_SERVICE_PASSWORD'
export NEXANEST_REDIS_URL='$NEXANEST_TEST_REDIS_URL'
export NEXANEST_DATABASE_PREFIX='$prefix'
export NEXANEST_MIGRATIONS_DIR='$src/migrations'
export PGPASSWORD='not-read-by-nexanest'
ENV
for svc in AUTH PORTFOLIO MARKET ANALYTICS NOTIFY; do
  printf "export NEXANEST_DB_PASSWORD_%s='%s'\n" "$svc" "$NEXANEST_DB_SERVICE_PASSWORD"
done >"$work/repo/var/db-role-passwords.env"
"$src/scripts/app-secrets.sh" "$work/repo/var"
printf 'correct horse battery staple 42\n' >"$work/password"

clean=(env -i "PATH=$PATH" "HOME=${HOME:-/root}")
cd "$work/repo"
"${clean[@]}" "$bin" migrate up >"$work/migrate.log" 2>&1 || { cat "$work/migrate.log"; fail "migrate up from ./var"; }
out=$("${clean[@]}" "$bin" user create --email first.admin@example.com --role ADMIN --password-file - <"$work/password" 2>&1) \
  || fail "user create did not find ./var: $out"
echo "$out" | grep -q '^created ADMIN first.admin@example.com' || fail "unexpected output: $out"
[ "$(psql_db auth -c "SELECT role FROM auth.users WHERE email = 'first.admin@example.com'")" = ADMIN ] \
  || fail "no ADMIN row in ${prefix}_auth"
ok "user create finds ./var (env.sh, db-role-passwords.env, app-secrets.env) and makes the first admin"

# The environment still wins over the files: a wrong prefix given explicitly is used.
if "${clean[@]}" NEXANEST_DATABASE_PREFIX=ops_absent_prefix "$bin" user create --email x@example.com \
    --password-file - <"$work/password" >/dev/null 2>&1; then
  fail "the environment did not win over ./var"
fi
ok "the environment wins over ./var"

# Somewhere without ./var: the one-line reason names where it looked.
cd "$work"
if out=$("${clean[@]}" "$bin" user create --email y@example.com --password-file - <"$work/password" 2>&1); then
  fail "user create succeeded without configuration"
fi
echo "$out" | grep -q 'needs NEXANEST_AUTH_DATABASE_URL.*\./var' || fail "unhelpful message: $out"
[ "$(echo "$out" | wc -l)" -eq 1 ] || fail "the message is not one line: $out"
ok "without ./var: $out"

# Issue 18: every subcommand checks a domain's settings with the rest of the configuration, from
# the environment or the TOML file, and refuses a bad one with one line naming the setting.
# refuses_bad_settings SECTION ENV_SETTING ENV_REFUSAL TOML_LINE TOML_REFUSAL: the environment's
# refusal is the whole output; the TOML file's is one of its lines, after "<key> in <file> = ".
refuses_bad_settings() {
  local section=$1 env_setting=$2 env_refusal=$3 toml_line=$4 toml_refusal=$5
  local toml="$work/$section.toml"
  if out=$("${clean[@]}" "$env_setting" "$bin" migrate up 2>&1); then
    fail "$env_setting was accepted"
  fi
  [ "$out" = "$env_refusal" ] || fail "unexpected refusal: $out"
  printf '[%s]\n%s\n' "$section" "$toml_line" >"$toml"
  if out=$("${clean[@]}" "$bin" --config "$toml" migrate up 2>&1); then
    fail "$section: $toml_line in TOML was accepted"
  fi
  echo "$out" | grep -q "^nexanest: configuration: $section\.${toml_line%% *} in $toml = $toml_refusal\$" \
    || fail "unexpected refusal: $out"
  ok "bad $section settings refused at start: $out"
}

cd "$work/repo"
refuses_bad_settings market NEXANEST_MARKET_MAX_BATCH=abc \
  "nexanest: configuration: NEXANEST_MARKET_MAX_BATCH = 'abc' must be a whole number from 1 to 10000000" \
  'raw_retention_days = -3' "'-3' must be a whole number from 0 to 36500"
# auth's settings are declared by auth (auth::Settings()); a secret one is refused without its value.
refuses_bad_settings auth NEXANEST_JWT_KEYS=hunter2-without-kid \
  "nexanest: configuration: NEXANEST_JWT_KEYS must be kid:base64url-secret[,kid:secret...]" \
  'access_token_ttl = "10h"' "'10h' must be a positive duration such as 250ms, 30s or 5m"
