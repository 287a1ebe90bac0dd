#!/usr/bin/env python3
"""Mixed load against a scripts/cluster.sh cluster, for scripts/cluster-faults.sh.

    cluster-load.py setup DIR               users, portfolios, an admin token -> DIR/load.json
    cluster-load.py run DIR SECONDS NAME    ingest + trades + reads + live streams through haproxy;
                                            prints the figures and writes DIR/NAME.result.json
    cluster-load.py cross DIR               a write on one instance reaches a live stream held
                                            on another (direct to the instances, no haproxy)

Clients behave like careful clients behind a load balancer: a request that fails with a
connection error, 502, 503 or 504 is sent again (same Idempotency-Key for trades) for up to
15 s. The figures separate what a user would have seen (final failures) from what the retries
absorbed (first-try failures). Standard library only.
"""
import http.client
import json
import urllib.parse
import os
import random
import re
import subprocess
import sys
import threading
import time
import uuid
from email import message_from_binary_file

RETRYABLE = {502, 503, 504}
PASSWORD = "correct horse battery staple 19"


def env_of(cluster_dir):
    out = {}
    with open(os.path.join(cluster_dir, "cluster.env")) as f:
        for line in f:
            m = re.match(r"export (\w+)='?(.*?)'?$", line.strip())
            if m:
                out[m.group(1)] = m.group(2)
    with open(os.path.join(cluster_dir, "ports")) as f:
        for line in f:
            k, _, v = line.strip().partition("=")
            if k:
                out["PORT_" + k] = v
    return out


def request(port, method, path, body=None, token=None, headers=None, timeout=10):
    h = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        h["Authorization"] = "Bearer " + token
    h.update(headers or {})
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


class Counters:
    def __init__(self):
        self.lock = threading.Lock()
        self.c = {}

    def add(self, key, n=1):
        with self.lock:
            self.c[key] = self.c.get(key, 0) + n

    def get(self, key):
        with self.lock:
            return self.c.get(key, 0)


def call(counters, kind, port, method, path, body=None, token=None, headers=None, deadline_s=15):
    """One logical request with client retries; returns (status, body) of the last attempt."""
    start = time.time()
    first = True
    while True:
        try:
            status, payload = request(port, method, path, body, token, headers)
            err = status in RETRYABLE
        except (OSError, http.client.HTTPException):
            status, payload, err = 0, b"", True
        if err and first:
            counters.add(kind + ".first_try_failures")
        first = False
        if not err or time.time() - start > deadline_s:
            counters.add(kind + ".requests")
            if err or status >= 500:
                counters.add(kind + ".failed")
            return status, payload
        counters.add(kind + ".retries")
        time.sleep(0.2)


def micros(rfc3339):
    """2026-12-04T21:00:00.123Z -> microseconds since the epoch (exact, no float)."""
    m = re.match(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?Z$", rfc3339)
    y, mo, d, h, mi, se = (int(x) for x in m.groups()[:6])
    frac = int((m.group(7) or "0").ljust(6, "0"))
    import calendar
    return (calendar.timegm((y, mo, d, h, mi, se)) * 1000000) + frac


def mail_token(mail_dir, email):
    deadline = time.time() + 20
    while time.time() < deadline:
        for name in sorted(os.listdir(mail_dir)):
            if not name.endswith(".eml"):
                continue
            with open(os.path.join(mail_dir, name), "rb") as f:
                msg = message_from_binary_file(f)
            if email not in msg.get("To", ""):
                continue
            for part in msg.walk():
                if part.get_content_type() == "text/plain":
                    m = re.search(r"token=([A-Za-z0-9_-]+)", part.get_payload(decode=True).decode("utf-8", "replace"))
                    if m:
                        return m.group(1)
        time.sleep(0.1)
    raise RuntimeError("no verification mail for " + email)


TOKENS = {}


def login(port, email, fresh=False):
    """An access token for `email`, reused (sign-ins are rate limited per client address)."""
    if email in TOKENS and not fresh:
        return TOKENS[email]
    deadline = time.time() + 60
    while True:
        try:
            s, b = request(port, "POST", "/api/v1/auth/login", {"email": email, "password": PASSWORD})
        except (OSError, http.client.HTTPException):
            s, b = 0, b""
        if s == 200:
            TOKENS[email] = json.loads(b)["access_token"]
            return TOKENS[email]
        assert s in (0, 429, 502, 503, 504) and time.time() < deadline, (s, b)
        time.sleep(1)


def setup(cluster_dir, users=6, symbols=8):
    env = env_of(cluster_dir)
    port = int(env["PORT_HAPROXY"])
    mail = os.path.join(env["NEXANEST_VAR_DIR"], "mail")
    out = {"users": [], "symbols": ["LD%04d" % i for i in range(symbols)]}
    # The admin (market:write for the ingest) is made with the CLI, directly in the database.
    admin = "admin-%s@load.example" % uuid.uuid4().hex[:8]
    pwfile = os.path.join(cluster_dir, "secrets", "load-admin")
    with open(pwfile, "w") as f:
        f.write(PASSWORD + "\n")
    cli_env = dict(os.environ)
    cli_env.update({k: v for k, v in env.items() if k.startswith("NEXANEST_")})
    cli_env["NEXANEST_DATABASE_URL"] = "postgresql://127.0.0.1:%s/postgres" % env["PORT_PG_PRIMARY"]
    cli_env.pop("NEXANEST_DB_SERVICE_URL", None)
    bin_ = os.environ.get("NEXANEST_BIN", os.path.join(os.path.dirname(__file__), "..", "build/release/apps/nexanest/nexanest"))
    subprocess.run([bin_, "user", "create", "--email", admin, "--password-file", pwfile, "--role", "ADMIN"],
                   env=cli_env, check=True, stdout=subprocess.DEVNULL)
    out["admin"] = admin
    token = login(port, admin)
    for sym in out["symbols"]:
        s, b = request(port, "POST", "/api/v1/market/instruments",
                       {"symbol": sym, "name": "Load " + sym, "asset_class": "EQUITY", "currency": "USD"}, token)
        assert s in (201, 409), (s, b)
    for i in range(users):
        email = "u%d-%s@load.example" % (i, uuid.uuid4().hex[:8])
        s, b = request(port, "POST", "/api/v1/auth/register", {"email": email, "password": PASSWORD})
        assert s == 202, (s, b)
        s, b = request(port, "POST", "/api/v1/auth/verify-email", {"token": mail_token(mail, email)})
        assert s == 200, (s, b)
        t = login(port, email)
        s, b = request(port, "POST", "/api/v1/portfolios", {"name": "Load", "currency": "USD"}, t)
        assert s == 201, (s, b)
        pid = json.loads(b)["id"]
        # a position, so that price ticks of the symbol reach this user's live stream
        sym = out["symbols"][i % symbols]
        s, b = request(port, "POST", "/api/v1/portfolios/%s/transactions" % pid,
                       {"type": "BUY", "symbol": sym, "quantity": "1", "price": "10", "currency": "USD",
                        "executed_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60))}, t)
        assert s == 201, (s, b)
        out["users"].append({"email": email, "portfolio": pid, "symbol": sym})
    # Sign-ins are limited per client address (30 / 5 min) and behind haproxy every client has
    # haproxy's address: the runs reuse these tokens (15 min) and sign in again only on a 401.
    out["tokens"] = dict(TOKENS)
    with open(os.path.join(cluster_dir, "load.json"), "w") as f:
        json.dump(out, f)
    print("setup: %d users, %d symbols, admin %s" % (users, symbols, admin))


class Stream(threading.Thread):
    """One live stream (SSE) through haproxy; reconnects with Last-Event-ID when cut."""

    def __init__(self, port, email, stop, counters):
        super().__init__(daemon=True)
        self.port, self.email, self.stop, self.counters = port, email, stop, counters
        self.events = 0
        self.reconnects = 0
        self.worst_gap = 0.0

    def run(self):
        token = login(self.port, self.email)
        last_id = None
        cut_at = None
        while not self.stop.is_set():
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                h = {"Authorization": "Bearer " + token, "Accept": "text/event-stream"}
                if last_id:
                    h["Last-Event-ID"] = last_id
                c.request("GET", "/api/v1/stream", headers=h)
                r = c.getresponse()
                if r.status == 401:
                    token = login(self.port, self.email, fresh=True)
                    continue
                if r.status != 200:
                    raise OSError("stream status %d" % r.status)
                if cut_at is not None:
                    self.worst_gap = max(self.worst_gap, time.time() - cut_at)
                    cut_at = None
                while not self.stop.is_set():
                    line = r.fp.readline()
                    if not line:
                        raise OSError("stream closed")
                    line = line.decode("utf-8", "replace").rstrip("\n")
                    if line.startswith("id:"):
                        last_id = line[3:].strip()
                    elif line.startswith("event:"):
                        self.events += 1
                        self.counters.add("stream.events")
                        if line[6:].strip() == "end":
                            token = login(self.port, self.email, fresh=True)
            except (OSError, http.client.HTTPException, AssertionError):
                if self.stop.is_set():
                    break
                if cut_at is None:
                    cut_at = time.time()
                self.reconnects += 1
                self.counters.add("stream.reconnects")
                time.sleep(0.2)


def run(cluster_dir, seconds, name):
    env = env_of(cluster_dir)
    port = int(env["PORT_HAPROXY"])
    with open(os.path.join(cluster_dir, "load.json")) as f:
        load = json.load(f)
    TOKENS.update(load.get("tokens", {}))
    counters = Counters()
    stop = threading.Event()
    acked = {u["portfolio"]: [] for u in load["users"]}
    acked_lock = threading.Lock()
    ticks = {s: [] for s in load["symbols"]}
    tokens = {u["email"]: login(port, u["email"]) for u in load["users"]}
    admin = login(port, load["admin"])

    def trader(u):
        t = tokens[u["email"]]
        while not stop.is_set():
            key = str(uuid.uuid4())
            s, b = call(counters, "trade", port, "POST", "/api/v1/portfolios/%s/transactions" % u["portfolio"],
                        {"type": "DEPOSIT", "amount": "1.25", "currency": "USD",
                         "executed_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
                        t, {"Idempotency-Key": key})
            if s == 201:
                with acked_lock:
                    acked[u["portfolio"]].append(json.loads(b)["id"])
            elif s == 401:
                t = login(port, u["email"], fresh=True)
            time.sleep(0.05)

    def ingester():
        base = time.time() - 30
        n = 0
        while not stop.is_set():
            n += 1
            t = base + n * 0.001  # a distinct tick time per batch, a millisecond apart
            ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%06dZ" % int(round((t % 1) * 1e6) % 1000000)
            prices = [{"time": ts, "symbol": s, "close": "%.2f" % (100 + random.random())} for s in load["symbols"]]
            s, b = call(counters, "ingest", port, "POST", "/api/v1/market/prices", {"prices": prices}, admin)
            if s in (200, 201, 202):
                for p in prices:
                    ticks[p["symbol"]].append(micros(ts))
            time.sleep(0.1)

    def reader(u):
        t = tokens[u["email"]]
        paths = ["/api/v1/portfolios/%s/holdings" % u["portfolio"],
                 "/api/v1/market/prices/%s?interval=1m" % u["symbol"],
                 "/api/v1/market/prices/%s/latest" % u["symbol"],
                 "/api/v1/portfolios/%s/performance?range=1M" % u["portfolio"]]
        i = 0
        while not stop.is_set():
            s, _ = call(counters, "read", port, "GET", paths[i % len(paths)], token=t)
            if s == 401:
                t = login(port, u["email"], fresh=True)
            i += 1
            time.sleep(0.05)

    threads = [threading.Thread(target=trader, args=(u,), daemon=True) for u in load["users"][:4]]
    threads.append(threading.Thread(target=ingester, daemon=True))
    threads += [threading.Thread(target=reader, args=(u,), daemon=True) for u in load["users"]]
    streams = [Stream(port, u["email"], stop, counters) for u in load["users"][:4]]
    for t in threads + streams:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join(30)
    for t in streams:
        t.join(10)

    # Every acknowledged write is there: transactions by id (primary), ticks by raw history.
    time.sleep(3)  # raw history may come from the replica (bounded lag)
    lost = 0
    acked_total = 0
    for u in load["users"]:
        ids = acked[u["portfolio"]]
        if not ids:
            continue
        acked_total += len(ids)
        have = set()
        cursor = ""
        t = login(port, u["email"])
        while True:
            s, b = call(counters, "verify", port, "GET", "/api/v1/portfolios/%s/transactions?type=DEPOSIT&limit=200%s"
                        % (u["portfolio"], "&cursor=" + cursor if cursor else ""), token=t)
            page = json.loads(b)
            have |= {x["id"] for x in page["items"]}
            cursor = page.get("next_cursor")
            if not cursor:
                break
        lost += sum(1 for i in ids if i not in have)
    acked_ticks = 0
    lost_ticks = 0
    for sym, times in ticks.items():
        if not times:
            continue
        acked_ticks += len(times)
        lo = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(min(times) / 1e6 - 1))
        hi = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(max(times) / 1e6 + 2))
        # Market history pages with a cursor (docs/api.md "Lists and pagination"); a page that does
        # not answer 200 fails the run rather than counting every tick as lost.
        stored = set()
        path = "/api/v1/market/prices/%s?interval=raw&from=%s&to=%s&limit=10000" % (sym, lo, hi)
        while True:
            s, b = call(counters, "verify", port, "GET", path, token=admin)
            if s != 200:
                raise SystemExit("verify: GET %s answered %s: %s" % (path, s, b[:200]))
            page = json.loads(b)
            stored |= {micros(x["time"]) for x in page["items"]}
            if not page.get("next_cursor"):
                break
            path = "/api/v1/market/prices/%s?interval=raw&from=%s&to=%s&limit=10000&cursor=%s" % (
                sym, lo, hi, urllib.parse.quote(page["next_cursor"]))
        lost_ticks += sum(1 for t in times if t not in stored)
    result = {
        "scenario": name,
        "seconds": seconds,
        "acked_trades": acked_total,
        "lost_trades": lost,
        "acked_ticks": acked_ticks,
        "lost_ticks": lost_ticks,
        "requests": sum(counters.get(k + ".requests") for k in ("trade", "ingest", "read")),
        "failed_requests": sum(counters.get(k + ".failed") for k in ("trade", "ingest", "read")),
        "first_try_failures": sum(counters.get(k + ".first_try_failures") for k in ("trade", "ingest", "read")),
        "read_5xx": counters.get("read.failed"),
        "stream_events": counters.get("stream.events"),
        "stream_reconnects": counters.get("stream.reconnects"),
        "worst_stream_gap_s": round(max([s.worst_gap for s in streams] + [0.0]), 2),
    }
    with open(os.path.join(cluster_dir, name + ".result.json"), "w") as f:
        json.dump(result, f)
    print(" ".join("%s=%s" % kv for kv in result.items()))


def cross(cluster_dir):
    """A live stream held on instance 1 receives the value update of a trade written on instance 2."""
    env = env_of(cluster_dir)
    with open(os.path.join(cluster_dir, "load.json")) as f:
        load = json.load(f)
    TOKENS.update(load.get("tokens", {}))
    p1, p2 = int(env["PORT_APP1"]), int(env["PORT_APP2"])
    u = load["users"][0]
    token = login(p1, u["email"])
    c = http.client.HTTPConnection("127.0.0.1", p1, timeout=10)
    c.request("GET", "/api/v1/stream", headers={"Authorization": "Bearer " + token})
    r = c.getresponse()
    assert r.status == 200, r.status
    time.sleep(0.5)
    sent = time.time()
    s, b = request(p2, "POST", "/api/v1/portfolios/%s/transactions" % u["portfolio"],
                   {"type": "DEPOSIT", "amount": "2", "currency": "USD",
                    "executed_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}, login(p2, u["email"]))
    assert s == 201, (s, b)
    while time.time() - sent < 10:
        line = r.fp.readline().decode("utf-8", "replace")
        if line.startswith("event: portfolio_value"):
            print("cross-instance live push: written on instance 2, pushed by instance 1 after %.0f ms"
                  % ((time.time() - sent) * 1000))
            return 0
    print("cross-instance live push: NOT received within 10 s")
    return 1


if __name__ == "__main__":
    if len(sys.argv) < 3:
        print(__doc__)
        sys.exit(2)
    if sys.argv[1] == "setup":
        setup(sys.argv[2])
    elif sys.argv[1] == "run":
        run(sys.argv[2], float(sys.argv[3]), sys.argv[4])
    elif sys.argv[1] == "cross":
        sys.exit(cross(sys.argv[2]))
