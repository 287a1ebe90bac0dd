#!/usr/bin/env python3
"""Hostile-client suite (issue 15): what an attacker with an ordinary account tries, as HTTP
calls against a running `nexanest serve`. Started by scripts/hostile-test.sh, which gives the base
URL, the mail folder of the .eml sink and the ops token. Each check prints one line; the exit
status is the number of failed checks. Only the Python standard library."""
import email as email_parser
import http.client
import json
import os
import re
import sys
import threading
import time
import uuid

BASE_HOST, BASE_PORT = sys.argv[1].split(":")
BASE_PORT = int(BASE_PORT)
MAIL_DIR = sys.argv[2]
OPS_TOKEN = sys.argv[3]
failures = []
passes = []


def call(method, path, body=None, token=None, headers=None, source="127.0.0.1", timeout=30):
    h = {"Content-Type": "application/json"} if isinstance(body, (dict, list)) else {}
    if token:
        h["Authorization"] = "Bearer " + token
    h.update(headers or {})
    data = json.dumps(body) if isinstance(body, (dict, list)) else body
    conn = http.client.HTTPConnection(BASE_HOST, BASE_PORT, timeout=timeout, source_address=(source, 0))
    conn.request(method, path, body=data, headers=h)
    r = conn.getresponse()
    payload = r.read()
    conn.close()
    return r.status, payload, dict((k.lower(), v) for k, v in r.getheaders())


def check(name, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else "  -- " + detail))
    (passes if ok else failures).append(name)


def mail_token(email, kind_word):
    deadline = time.time() + 10
    while time.time() < deadline:
        for name in sorted(os.listdir(MAIL_DIR)):
            if not name.endswith(".eml"):
                continue
            with open(os.path.join(MAIL_DIR, name), "rb") as f:
                message = email_parser.message_from_binary_file(f)
            if email not in message.get("To", ""):
                continue
            for part in message.walk():
                if part.get_content_type() != "text/plain":
                    continue
                text = part.get_payload(decode=True).decode("utf-8", "replace")
                m = re.search(r"token=([A-Za-z0-9_-]+)", text)
                if kind_word in text and m:
                    return m.group(1)
        time.sleep(0.1)
    raise RuntimeError("no mail for " + email)


PASSWORD = "correct horse battery staple"


def account(tag):
    email = "%s-%s@hostile.example" % (tag, uuid.uuid4().hex[:10])
    s, b, _ = call("POST", "/api/v1/auth/register", {"email": email, "password": PASSWORD})
    assert s == 202, b
    s, b, _ = call("POST", "/api/v1/auth/verify-email", {"token": mail_token(email, "erif")})
    assert s == 200, b
    s, b, _ = call("POST", "/api/v1/auth/login", {"email": email, "password": PASSWORD})
    assert s == 200, b
    return email, json.loads(b)


def portfolio(token):
    s, b, _ = call("POST", "/api/v1/portfolios", {"name": "P", "currency": "USD"}, token)
    assert s == 201, b
    return json.loads(b)["id"]


alice, alice_pair = account("alice")
bob, bob_pair = account("bob")
alice_token = alice_pair["access_token"]
bob_token = bob_pair["access_token"]
pid = portfolio(alice_token)

# 1. A megabyte of commas to the CSV import: small answer, no stall for others.
stall = {}


def probe():
    worst = 0.0
    end = time.time() + 1.5
    while time.time() < end:
        t = time.time()
        call("GET", "/healthz")
        worst = max(worst, time.time() - t)
    stall["worst"] = worst


t = threading.Thread(target=probe)
t.start()
commas = "," * (1 << 20)
s, b, _ = call("POST", "/api/v1/portfolios/%s/transactions/import?dry_run=true" % pid, commas, alice_token,
               {"Content-Type": "text/csv"})
t.join()
check("csv: a megabyte of commas answers 422 in under 4 KiB", s == 422 and len(b) < 4096, "%d %d bytes" % (s, len(b)))
check("csv: /healthz never waits 250 ms meanwhile", stall["worst"] < 0.25, "%.3f s" % stall["worst"])
s, b, _ = call("POST", "/api/v1/portfolios/%s/transactions/import?dry_run=true" % pid, commas, bob_token,
               {"Content-Type": "text/csv"})
check("csv: a stranger's upload is refused before parsing (404)", s == 404 and len(b) < 4096, "%d" % s)
many = "type,symbol,quantity,price,currency,executed_at\n" + "BUY,AAPL,1,10,XXX,2024-01-02\n" * 5000
s, b, _ = call("POST", "/api/v1/portfolios/%s/transactions/import?dry_run=true" % pid, many, alice_token,
               {"Content-Type": "text/csv"})
j = json.loads(b)
check("csv: 5000 bad lines list 100 and count all", s == 422 and len(j["errors"]) == 100 and j["error_count"] == 5000,
      "%d %s" % (s, str(j.get("error_count"))))

# 2. Benchmarks that were stored as something else.
s, b, _ = call("POST", "/api/v1/portfolios", {"name": "B", "currency": "USD", "benchmarks": ["A,B"]}, alice_token)
check("benchmarks: 'A,B' is refused (422)", s == 422, "%d" % s)
s, b, _ = call("POST", "/api/v1/portfolios", {"name": "B", "currency": "USD", "benchmarks": ["NULL"]}, alice_token)
check("benchmarks: 'NULL' is one benchmark, no database message",
      s == 201 and json.loads(b)["benchmarks"] == ["NULL"] and b"portfolio_benchmarks" not in b, "%d %s" % (s, b[:200]))

# 3. Live streams: a cap per user; a signed-out session's stream ends.
conns = []
statuses = []
for i in range(6):
    c = http.client.HTTPConnection(BASE_HOST, BASE_PORT, timeout=10)
    c.request("GET", "/api/v1/stream", headers={"Authorization": "Bearer " + alice_token})
    r = c.getresponse()
    statuses.append(r.status)
    conns.append((c, r))
check("stream: the sixth stream of one user is refused (429)", statuses[:5] == [200] * 5 and statuses[5] == 429,
      str(statuses))
for c, r in conns:
    c.close()

# 4. Sign-out ends the access token at once, on routes that never looked at the session.
_, second = call("POST", "/api/v1/auth/login", {"email": alice, "password": PASSWORD})[0:2]
second = json.loads(second)
s, _, _ = call("GET", "/api/v1/api-keys", token=second["access_token"])
s2, _, _ = call("POST", "/api/v1/auth/logout", token=second["access_token"])
s3, _, _ = call("GET", "/api/v1/api-keys", token=second["access_token"])
check("session: a signed-out access token is refused at once", (s, s2, s3) == (200, 204, 401), str((s, s2, s3)))

# 5. Guessing the current password through /me/password meets the login limits.
codes = []
for i in range(12):
    s, _, _ = call("POST", "/api/v1/me/password", {"current_password": "guess %d xxxxxxxx" % i,
                                                   "new_password": "a new long passphrase"}, bob_token)
    codes.append(s)
check("password change: guesses end in 429", 429 in codes and codes[0] == 422, str(codes))

# 6. One address guessing cannot lock the owner out.
victim, _ = account("victim")
codes = [call("POST", "/api/v1/auth/login", {"email": victim, "password": "wrong %d guess" % i},
              source="127.0.0.2")[0] for i in range(12)]
s, _, _ = call("POST", "/api/v1/auth/login", {"email": victim, "password": PASSWORD})
check("lockout: 12 guesses from 127.0.0.2 are stopped, the owner still signs in from 127.0.0.1",
      429 in codes and s == 200, "%s then %d" % (codes, s))

# 7. Forgot-password says the same for everyone.
a = call("POST", "/api/v1/auth/password/forgot", {"email": victim})
b_ = call("POST", "/api/v1/auth/password/forgot", {"email": "nobody-%s@hostile.example" % uuid.uuid4().hex})
check("forgot: same status and body for a known and an unknown address", a[0] == b_[0] == 202 and a[1] == b_[1],
      "%d %d" % (a[0], b_[0]))

# 8. The server's insides are not for the internet.
s, _, _ = call("GET", "/metrics")
s2, _, _ = call("GET", "/metrics", headers={"X-Ops-Token": OPS_TOKEN})
s3, b3, _ = call("GET", "/readyz")
check("ops: /metrics needs the ops token; /readyz shows no detail without it",
      s == 404 and s2 == 200 and b"checks" not in b3, "%d %d %s" % (s, s2, b3[:100]))

# 9. Bodies that are too big or too deep are refused with problem+json.
s, b, h = call("POST", "/api/v1/portfolios", "[" * 100000 + "]" * 100000, alice_token,
               {"Content-Type": "application/json"})
check("json: 100 000 nested arrays are a 4xx problem", 400 <= s < 500 and "problem" in h.get("content-type", ""),
      "%d" % s)
s, b, h = call("POST", "/api/v1/auth/login", "x" * (64 << 10), headers={"Content-Type": "application/json"})
check("json: a 64 KiB login body is 413", s == 413, "%d" % s)

# 10. Times the server cannot store, and a history from year 1 (stop 34's hostile run: a leap
# second was stored as 1970-01-01 and an API key's expiry as none; a deposit dated 0001-01-01
# made /performance take 800 MB and 7 s).
tx_path = "/api/v1/portfolios/%s/transactions" % pid
codes = [call("POST", tx_path, {"type": "DEPOSIT", "amount": "1", "currency": "USD", "executed_at": when},
              alice_token)[0] for when in ("2024-06-15T12:30:60Z", "0000-01-01T00:00:00Z", "0001-01-01T00:00:00Z")]
s, _, _ = call("POST", "/api/v1/api-keys", {"name": "leap", "scopes": ["portfolio:read"],
                                            "expires_at": "2030-06-30T23:59:60Z"}, alice_token)
check("times: a leap second, year 0 and year 1 are refused (422), and a key's leap-second expiry too",
      codes == [422, 422, 422] and s == 422, "%s %d" % (codes, s))

# 11. A user's watchlists are one answer: bounded (300 lists of 200 items once made 133 MB).
items = [{"symbol": "S%d" % i, "notes": "n" * 2000} for i in range(200)]
codes = [call("POST", "/api/v1/watchlists", {"name": "w%d" % i, "items": items}, bob_token)[0] for i in range(6)]
s, b, _ = call("GET", "/api/v1/watchlists", token=bob_token)
check("watchlists: the sixth list of 200 symbols is refused (409) and the list stays under 3 MB",
      codes == [201] * 5 + [409] and s == 200 and len(b) < (3 << 20), "%s %d %d bytes" % (codes, s, len(b)))

print("hostile: %d passed, %d failed" % (len(passes), len(failures)))
sys.exit(len(failures))
