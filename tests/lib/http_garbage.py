#!/usr/bin/python3
"""Loopback HTTP server that answers badly on purpose, one case per path.

Usage: http_garbage.py PORT
  /garbage      a status line that is not HTTP
  /badstatus    "HTTP/1.1 99x Nope"
  /truncated    Content-Length 1000, 10 bytes sent, then close
  /badchunk     Transfer-Encoding: chunked with a non-hex chunk size
  /bighdr       one header line of 200 KiB
  /manyhdr      100,000 small headers
  /silent       reads the request, then never answers
  /status999    "HTTP/1.1 999 Odd"
  /nul          a body with NUL bytes, then "needle"
"""
import socket
import sys
import threading
import time


def handle(c):
    try:
        c.settimeout(30)
        req = b""
        while b"\r\n\r\n" not in req and len(req) < 65536:
            d = c.recv(4096)
            if not d:
                return
            req += d
        path = req.split(b" ")[1].decode("latin-1") if b" " in req else "/"
        if path == "/garbage":
            c.sendall(b"SSH-2.0-OpenSSH_9.2\r\nthis is not http\r\n\r\n")
        elif path == "/badstatus":
            c.sendall(b"HTTP/1.1 99x Nope\r\nContent-Length: 0\r\n\r\n")
        elif path == "/truncated":
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789")
        elif path == "/badchunk":
            c.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n")
        elif path == "/bighdr":
            c.sendall(b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 200000 + b"\r\nContent-Length: 0\r\n\r\n")
        elif path == "/manyhdr":
            c.sendall(b"HTTP/1.1 200 OK\r\n" + b"X-A: b\r\n" * 100000 + b"Content-Length: 0\r\n\r\n")
        elif path == "/silent":
            time.sleep(30)
        elif path == "/status999":
            c.sendall(b"HTTP/1.1 999 Odd\r\nContent-Length: 2\r\n\r\nok")
        elif path == "/nul":
            body = b"\0\0\0abc\0needle\n"
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        else:
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n")
        time.sleep(0.2)
    except OSError:
        pass
    finally:
        c.close()


def main():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", int(sys.argv[1])))
    s.listen(64)
    while True:
        c, _ = s.accept()
        threading.Thread(target=handle, args=(c,), daemon=True).start()


main()
