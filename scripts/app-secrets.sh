#!/usr/bin/env bash
# Writes DIR/app-secrets.env once (generated keys for a private deployment: `make run` under
# ./var, `make test` in its temporary folder) and prints nothing. Source the file afterwards.
# A real deployment sets these variables itself; nothing here is a default the server falls
# back to.
set -euo pipefail
dir=${1:?usage: $0 DIR}
file="$dir/app-secrets.env"
[ -f "$file" ] && exit 0
key() { head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'; }
(umask 077; cat >"$file" <<ENV
export NEXANEST_JWT_KEYS='k$(date +%Y%m%d):$(key)'
export NEXANEST_API_KEY_PEPPER='$(key)'
export NEXANEST_FIELD_KEYS='f$(date +%Y%m%d):$(key)'
ENV
)
