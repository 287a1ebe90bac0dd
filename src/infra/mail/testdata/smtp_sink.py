#!/usr/bin/python3
"""A local SMTP sink for the mail tests (Debian's python3-aiosmtpd).

  smtp_sink.py serve --dir DIR [--tls-cert C --tls-key K [--smtps] [--require-starttls]]
                     [--auth USER:PASS [--auth-mechanisms PLAIN,LOGIN]]
                     [--reject-rcpt TEXT] [--tempfail-rcpt TEXT]
      Listens on a free loopback port, writes the port to DIR/port once ready and saves each
      message as DIR/msg-N.eml (the bytes after SMTP's dot-unstuffing) and DIR/msg-N.json
      (envelope, session and the message parsed by Python's email package). Runs until killed.

  smtp_sink.py parse FILE
      Prints the JSON description of an .eml file (the same fields as above, without the
      envelope and session), so tests check our messages with an independent MIME parser.
"""

import argparse
import asyncio
import email
import email.policy
import json
import os
import socket
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


def describe(raw: bytes) -> dict:
    """What a mail client would make of `raw`."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    lines = raw.split(b"\r\n")
    out = {
        # Every line must end in CRLF (no bare CR or LF), stay within 998 characters, be 7-bit.
        "crlf_only": all(b"\r" not in line and b"\n" not in line for line in lines),
        "max_line": max((len(line) for line in lines), default=0),
        "ascii": all(b < 0x80 for b in raw),
        "defects": [type(d).__name__ for d in msg.defects],
        "headers": {k.lower(): str(v) for k, v in msg.items()},
        "header_count": {k.lower(): len(msg.get_all(k)) for k in msg.keys()},
        "content_type": msg.get_content_type(),
        "text": None,
        "html": None,
        "part_defects": [],
    }
    for part in msg.walk():
        out["part_defects"] += [type(d).__name__ for d in part.defects]
    text = msg.get_body(preferencelist=("plain",))
    if text is not None:
        out["text"] = text.get_content()
        out["text_cte"] = str(text.get("Content-Transfer-Encoding", ""))
    html = msg.get_body(preferencelist=("html",))
    if html is not None:
        out["html"] = html.get_content()
    return out


def write_atomically(path: str, data: bytes) -> None:
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


class Sink:
    def __init__(self, directory: str, reject: str, tempfail: str):
        self.directory = directory
        self.reject = reject
        self.tempfail = tempfail
        self.count = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.reject and self.reject in address:
            return "550 5.1.1 No such user here"
        if self.tempfail and self.tempfail in address:
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            n = self.count
        raw = envelope.original_content or envelope.content
        base = os.path.join(self.directory, "msg-%d" % n)
        write_atomically(base + ".eml", raw)
        info = describe(raw)
        info["mail_from"] = envelope.mail_from
        info["rcpt_tos"] = list(envelope.rcpt_tos)
        info["tls"] = session.ssl is not None
        auth = getattr(session, "auth_data", None)
        info["auth_login"] = auth.login.decode() if auth is not None and session.authenticated else None
        write_atomically(base + ".json", json.dumps(info).encode())
        return "250 2.0.0 Message accepted"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(args) -> None:
    handler = Sink(args.dir, args.reject_rcpt, args.tempfail_rcpt)
    kwargs = {}
    ssl_context = None
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        if args.smtps:
            ssl_context = ctx
        else:
            kwargs["tls_context"] = ctx
            kwargs["require_starttls"] = args.require_starttls
    if args.auth:
        user, password = args.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = auth_data.login == user.encode() and auth_data.password == password.encode()
            return AuthResult(success=ok, auth_data=auth_data if ok else None, handled=False)

        kwargs["authenticator"] = authenticator
        kwargs["auth_required"] = True
        # Loopback tests run AUTH in plain text too; TLS is exercised by its own tests.
        kwargs["auth_require_tls"] = False
        mechanisms = set(args.auth_mechanisms.split(","))
        kwargs["auth_exclude_mechanism"] = [m for m in ("PLAIN", "LOGIN") if m not in mechanisms]
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, ssl_context=ssl_context, **kwargs)
    controller.start()
    write_atomically(os.path.join(args.dir, "port"), str(port).encode())
    try:
        threading.Event().wait()
    finally:
        controller.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--dir", required=True)
    s.add_argument("--tls-cert")
    s.add_argument("--tls-key")
    s.add_argument("--smtps", action="store_true")
    s.add_argument("--require-starttls", action="store_true")
    s.add_argument("--auth")
    s.add_argument("--auth-mechanisms", default="PLAIN,LOGIN")
    s.add_argument("--reject-rcpt", default="")
    s.add_argument("--tempfail-rcpt", default="")
    p = sub.add_parser("parse")
    p.add_argument("file")
    args = parser.parse_args()
    if args.command == "parse":
        with open(args.file, "rb") as f:
            json.dump(describe(f.read()), sys.stdout)
    else:
        asyncio.set_event_loop(asyncio.new_event_loop())
        serve(args)


if __name__ == "__main__":
    main()
