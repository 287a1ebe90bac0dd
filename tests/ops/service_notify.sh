#!/usr/bin/env bash
# Issue 17: the systemd unit is Type=notify. `serve` sends READY=1 over $NOTIFY_SOCKET once it
# listens (after the schema check), and STOPPING=1 when SIGTERM starts the drain; a schema it
# refuses sends no READY=1.
. "$(dirname "$0")/lib.sh"
export NEXANEST_DATABASE_URL=$NEXANEST_TEST_PG_URL NEXANEST_REDIS_URL=$NEXANEST_TEST_REDIS_URL
"$bin" migrate up >/dev/null

# A stand-in for systemd's notify socket: every datagram becomes one line of $work/notify.log.
python3 - "$work/notify.sock" "$work/notify.log" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(120)
with open(sys.argv[2], "a", buffering=1) as out:
    try:
        while True:
            out.write(s.recv(4096).decode().replace("\n", " ") + "\n")
    except socket.timeout:
        pass
PY
listener=$!
on_exit_extra='kill $listener 2>/dev/null'
for _ in $(seq 1 50); do [ -S "$work/notify.sock" ] && break; sleep 0.1; done

start_server NOTIFY_SOCKET="$work/notify.sock"
for _ in $(seq 1 50); do grep -q 'READY=1' "$work/notify.log" 2>/dev/null && break; sleep 0.1; done
grep -q "^READY=1 STATUS=serving on 127.0.0.1:$port$" "$work/notify.log" || fail "no READY=1: $(cat "$work/notify.log" 2>/dev/null)"
ok "READY=1 once serving on $port"
kill -TERM "$serve_pid"; wait "$serve_pid" || true; serve_pid=""
for _ in $(seq 1 50); do grep -q "^STOPPING=1$" "$work/notify.log" && break; sleep 0.1; done
grep -q "^STOPPING=1$" "$work/notify.log" || { cat "$work/serve.log"; fail "no STOPPING=1: $(cat "$work/notify.log")"; }
ok "STOPPING=1 on SIGTERM"

: >"$work/notify.log"
"$bin" migrate down --database notifications >/dev/null
NOTIFY_SOCKET="$work/notify.sock" timeout 60 "$bin" serve --listen 127.0.0.1:0 >/dev/null 2>&1 && fail "served an old schema"
sleep 0.5
[ ! -s "$work/notify.log" ] || fail "a refused start notified: $(cat "$work/notify.log")"
ok "a refused start sends nothing (systemd sees the exit, Restart=on-failure retries)"
