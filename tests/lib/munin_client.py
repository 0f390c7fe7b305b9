#!/usr/bin/python3
"""A munin master's side of the munin-node protocol, for the tests.

usage: munin_client.py PORT COMMAND...

Connects to 127.0.0.1:PORT, prints the banner, then sends each COMMAND and
prints what came back: one line for cap/list/version/unknown commands, the
lines up to and including "." for config/fetch/nodes.  Every answer is
preceded by "> COMMAND".  Exits 1 on a timeout or a closed connection.
"""
import socket
import sys

MULTI = ("config", "fetch", "nodes")


def main():
    port = int(sys.argv[1])
    s = socket.create_connection(("127.0.0.1", port), timeout=20)
    f = s.makefile("rwb")
    out = sys.stdout

    def line():
        b = f.readline()
        if not b:
            raise EOFError("connection closed")
        return b.decode("utf-8", "replace").rstrip("\n")

    out.write(line() + "\n")
    for cmd in sys.argv[2:]:
        f.write((cmd + "\n").encode())
        f.flush()
        out.write("> %s\n" % cmd)
        if cmd == "quit":
            rest = f.read()
            out.write("closed %d\n" % len(rest))
            break
        if cmd.split()[0] in MULTI:
            while True:
                l = line()
                out.write(l + "\n")
                if l == ".":
                    break
        else:
            out.write(line() + "\n")
    out.flush()


try:
    main()
except (OSError, EOFError) as e:
    print("client error: %s" % e, file=sys.stderr)
    sys.exit(1)
