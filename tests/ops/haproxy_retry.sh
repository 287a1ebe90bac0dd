#!/usr/bin/env bash
# Issue 19: the haproxy of scripts/cluster.sh resends a request to another instance only when
# sending it twice is harmless. Three fake instances answer /readyz and drop every other request
# without an answer (what a killed instance does); we count how often haproxy sent each request.
# Also: haproxy tells the instances the client address (X-Forwarded-For). Needs only haproxy.
set -euo pipefail
src=${NEXANEST_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
command -v haproxy >/dev/null || { echo "haproxy not installed: skipped"; exit 0; }
dir=$(mktemp -d /tmp/nexanest-haproxy.XXXXXX)
mkdir -p "$dir/run" "$dir/log"
touch "$dir/seen"
fake_pid=""
cleanup() {
  [ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null || true
  [ -f "$dir/run/haproxy.pid" ] && kill "$(cat "$dir/run/haproxy.pid")" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
HAPROXY=$(free_port) APP1=$(free_port) APP2=$(free_port) APP3=$(free_port) APP4=$(free_port)

python3 - "$dir/seen" "$APP1" "$APP2" "$APP3" <<'PY' &
import socket, sys, threading
log = open(sys.argv[1], "a", buffering=1)
lock = threading.Lock()
def serve(conn):
    with conn:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk: return
            data += chunk
        head = data.split(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
        method, target = head[0].split(" ")[:2]
        if target == "/readyz":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        xff = ",".join(l.split(":", 1)[1].strip() for l in head[1:] if l.lower().startswith("x-forwarded-for:"))
        with lock: log.write(f"{method} {target} xff={xff}\n")
        # no answer: like an instance killed after it read the request
def listen(port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", int(port))); s.listen(64)
    while True:
        c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
for p in sys.argv[2:]: threading.Thread(target=listen, args=(p,), daemon=True).start()
threading.Event().wait()
PY
fake_pid=$!

# The haproxy configuration exactly as scripts/cluster.sh writes it.
eval "$(sed -n '/^haproxy_start() {/,/^}/p' "$src/scripts/cluster.sh")"
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
haproxy_start
for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$HAPROXY/readyz" && break; sleep 0.1; done
curl -sf -o /dev/null "http://127.0.0.1:$HAPROXY/readyz" || fail "haproxy or the fake instances did not start"

attempts() {  # method path [curl args...] -> how many times an instance received it
  local method=$1 path=$2; shift 2
  curl -s -o /dev/null -m 20 -X "$method" "$@" "http://127.0.0.1:$HAPROXY$path" || true
  grep -c "^$method $path " "$dir/seen" || true
}
n=$(attempts GET /get-once); [ "$n" -ge 2 ] || fail "GET was not retried ($n attempts)"
echo "ok: GET retried ($n attempts)"
n=$(attempts PUT /put-once -d '{}'); [ "$n" -ge 2 ] || fail "PUT was not retried ($n attempts)"
echo "ok: PUT retried ($n attempts)"
n=$(attempts POST /post-once -d '{}'); [ "$n" = 1 ] || fail "POST without Idempotency-Key sent $n times"
echo "ok: POST without Idempotency-Key sent once"
n=$(attempts PATCH /patch-once -d '{}'); [ "$n" = 1 ] || fail "PATCH without Idempotency-Key sent $n times"
echo "ok: PATCH without Idempotency-Key sent once"
n=$(attempts POST /post-key -d '{}' -H 'Idempotency-Key: k-1'); [ "$n" -ge 2 ] || fail "POST with Idempotency-Key not retried ($n)"
echo "ok: POST with Idempotency-Key retried ($n attempts)"

# X-Forwarded-For: haproxy appends the address it got the request from (here loopback).
attempts GET /xff -H 'X-Forwarded-For: 203.0.113.7' >/dev/null
grep -q '^GET /xff xff=203.0.113.7,127.0.0.1$' "$dir/seen" || fail "X-Forwarded-For: $(grep '^GET /xff' "$dir/seen" | head -1)"
echo "ok: haproxy appends the client address to X-Forwarded-For"
