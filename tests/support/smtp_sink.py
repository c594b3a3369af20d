#!/usr/bin/python3
"""A real SMTP server for the invoice-mailer tests (Debian's python3-aiosmtpd).

Usage: /usr/bin/python3 smtp_sink.py --port PORT --dir DIR [--ready-file]
                         [--tls-cert PEM --tls-key PEM] [--auth USER:PASSWORD]

Listens on 127.0.0.1:PORT and stores every accepted message as DIR/mail-NNNNNN.eml
(written to a temporary name, then renamed: a reader never sees half a file). The
file starts with two lines added by the sink, "X-Envelope-From: <...>" and
"X-Envelope-To: <...>", then the message exactly as received (after SMTP's
dot-unstuffing). Runs until SIGTERM or SIGINT, then exits 0.

With --tls-cert/--tls-key the sink offers STARTTLS and requires it before any
mail; with --auth it requires AUTH (PLAIN or LOGIN, only over TLS) with that user
and password. Stored messages then also start with "X-Sink-TLS: yes|no" and
"X-Sink-Auth: <user or ->".

The test drives its behaviour with flag files in DIR, checked on every command:
  refuse-data    the end of each message is answered "451 4.3.0" (nothing stored)
  refuse-rcpt    one address per line: RCPT TO for them is answered "450 4.2.1"
  stall-rcpt     RCPT TO is held (not answered) while the file exists; the sink
                 creates DIR/stalling-rcpt when it starts holding
  stall-data     the message is stored, then the "250" is held while the file
                 exists; the sink creates DIR/stalling-data when it starts holding
A held reply is given up after 120 s. With --ready-file (the tests' way to wait for it)
DIR/ready is created once the sink listens and removed when it stops; without it (the
native stack's mail catcher) DIR holds only the mails.
"""

import argparse
import asyncio
import logging
import os
import signal
import ssl
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

HOLD_LIMIT_S = 120


class Sink:
    def __init__(self, folder, secured=False):
        self.folder = folder
        self.secured = secured
        self.lock = threading.Lock()
        self.seq = 0

    def flag(self, name):
        return os.path.exists(os.path.join(self.folder, name))

    def touch(self, name):
        with open(os.path.join(self.folder, name), "w", encoding="ascii"):
            pass

    async def hold(self, flag, marker):
        self.touch(marker)
        waited = 0.0
        while self.flag(flag) and waited < HOLD_LIMIT_S:
            await asyncio.sleep(0.05)
            waited += 0.05

    def refused(self, address):
        path = os.path.join(self.folder, "refuse-rcpt")
        try:
            with open(path, encoding="utf-8") as f:
                refused = {line.strip().lower() for line in f if line.strip()}
        except FileNotFoundError:
            return False
        return address.lower() in refused

    def store(self, session, envelope):
        with self.lock:
            self.seq += 1
            name = f"mail-{self.seq:06d}.eml"
        head = (
            f"X-Envelope-From: <{envelope.mail_from}>\r\n"
            f"X-Envelope-To: <{', '.join(envelope.rcpt_tos)}>\r\n"
        )
        if self.secured:
            login = getattr(session.auth_data, "login", None)
            user = login.decode() if session.authenticated and login else "-"
            head += (
                f"X-Sink-TLS: {'yes' if session.ssl is not None else 'no'}\r\n"
                f"X-Sink-Auth: {user}\r\n"
            )
        head = head.encode("utf-8")
        tmp = os.path.join(self.folder, "." + name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(head + envelope.original_content)
        os.rename(tmp, os.path.join(self.folder, name))

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.flag("stall-rcpt"):
            await self.hold("stall-rcpt", "stalling-rcpt")
        if self.refused(address):
            return "450 4.2.1 Mailbox temporarily unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.flag("refuse-data"):
            return "451 4.3.0 Temporary failure, try again later"
        self.store(session, envelope)
        if self.flag("stall-data"):
            await self.hold("stall-data", "stalling-data")
        return "250 2.0.0 Ok: queued"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--ready-file", action="store_true", help="create DIR/ready once listening")
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--auth", help="USER:PASSWORD")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    logging.basicConfig(level=logging.WARNING)
    options = {}
    if args.tls_cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        options.update(tls_context=context, require_starttls=True)
    if args.auth:
        user, _, password = args.auth.partition(":")

        def check(server, session, envelope, mechanism, auth_data):
            ok = (
                isinstance(auth_data, LoginPassword)
                and auth_data.login == user.encode()
                and auth_data.password == password.encode()
            )
            # handled=False: on failure aiosmtpd itself answers 535 (with the
            # default handled=True it answers nothing and the client waits).
            return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

        options.update(authenticator=check, auth_required=True, auth_require_tls=True)
    sink = Sink(args.dir, secured=bool(options))
    controller = Controller(sink, hostname="127.0.0.1", port=args.port, **options)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    controller.start()
    if args.ready_file:
        sink.touch("ready")
    try:
        while not stop.wait(0.2):
            pass
    finally:
        if args.ready_file:
            os.unlink(os.path.join(args.dir, "ready"))
        controller.stop()


if __name__ == "__main__":
    main()
