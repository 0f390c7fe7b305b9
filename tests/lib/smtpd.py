#!/usr/bin/python3
"""SMTP server for osemon's alert tests (python3-aiosmtpd).

STARTTLS with a certificate from the test CA, AUTH PLAIN/LOGIN against one
test user, every accepted message stored as DIR/NNNN.eml (the DATA as
received) with DIR/NNNN.env beside it ("from ADDR" and one "rcpt ADDR" a
line).  Files appear atomically (temp + rename).  Options make it refuse a
recipient for good (550) or for now (450), answer DATA late or with a
temporary error.  SIGTERM stops it.

  smtpd.py --port P --dir D [--cert C --key K] [--user U --password-file F]
           [--refuse ADDR]... [--tempfail ADDR]... [--data-delay S]
           [--data-tempfail]
           [--no-tls] [--log FILE]
"""
import warnings
warnings.filterwarnings("ignore")
import argparse
import asyncio
import itertools
import os
import signal
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

counter = itertools.count(1)


def log(args, text):
    line = text + "\n"
    if args.log:
        with open(args.log, "a") as f:
            f.write(line)
    else:
        sys.stderr.write(line)


class Handler:
    def __init__(self, args):
        self.args = args
        self.refuse = set(a.lower() for a in args.refuse)
        self.tempfail = set(a.lower() for a in args.tempfail)

    async def handle_RCPT(self, server, session, envelope, address, options):
        if address.lower() in self.refuse:
            log(self.args, "refused rcpt %s" % address)
            return "550 5.1.1 <%s>: Recipient address rejected" % address
        if address.lower() in self.tempfail:
            log(self.args, "tempfailed rcpt %s" % address)
            return "450 4.2.1 <%s>: Mailbox busy, try later" % address
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.args.data_delay:
            await asyncio.sleep(self.args.data_delay)
        if self.args.data_tempfail:
            return "451 4.3.0 Try again later"
        n = next(counter)
        while os.path.exists(os.path.join(self.args.dir, "%04d.eml" % n)):
            n = next(counter)
        base = os.path.join(self.args.dir, "%04d" % n)
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        with open(base + ".env.tmp", "w") as f:
            f.write("from %s\n" % envelope.mail_from)
            for r in envelope.rcpt_tos:
                f.write("rcpt %s\n" % r)
            f.write("tls %s\n" % ("yes" if session.ssl else "no"))
            f.write("auth %s\n" % (session.authenticated and "yes" or "no"))
        os.rename(base + ".env.tmp", base + ".env")
        with open(base + ".eml.tmp", "wb") as f:
            f.write(data)
        os.rename(base + ".eml.tmp", base + ".eml")
        log(self.args, "stored %s.eml for %s" % (base, ",".join(envelope.rcpt_tos)))
        return "250 2.0.0 Message accepted"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--user")
    p.add_argument("--password-file")
    p.add_argument("--refuse", action="append", default=[])
    p.add_argument("--tempfail", action="append", default=[])
    p.add_argument("--data-delay", type=float, default=0)
    p.add_argument("--data-tempfail", action="store_true")
    p.add_argument("--no-tls", action="store_true")
    p.add_argument("--log")
    args = p.parse_args()
    os.makedirs(args.dir, exist_ok=True)

    password = None
    if args.password_file:
        with open(args.password_file) as f:
            password = f.read().rstrip("\n")

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and
              auth_data.login.decode() == args.user and
              auth_data.password.decode() == password)
        # Never the password itself in the log.
        log(args, "auth %s user %s: %s" % (
            mechanism, auth_data.login.decode() if isinstance(
                auth_data, LoginPassword) else "?", "ok" if ok else "FAILED"))
        return AuthResult(success=ok, handled=False) if not ok else AuthResult(success=True)

    kw = {}
    if not args.no_tls:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(args.cert, args.key)
        kw.update(tls_context=ctx, require_starttls=True)
    if args.user:
        kw.update(authenticator=authenticator, auth_required=True,
                  auth_require_tls=not args.no_tls)
    handler = Handler(args)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(loop.create_server(
        lambda: SMTP(handler, hostname="smtpd.test", loop=loop, **kw),
        host="127.0.0.1", port=args.port))
    loop.add_signal_handler(signal.SIGTERM, loop.stop)
    loop.add_signal_handler(signal.SIGINT, loop.stop)
    log(args, "listening on 127.0.0.1:%d" % args.port)
    try:
        loop.run_forever()
    finally:
        server.close()


if __name__ == "__main__":
    main()
