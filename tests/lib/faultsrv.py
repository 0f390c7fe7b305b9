#!/usr/bin/python3
"""Loopback TCP server that fails on purpose, one mode per port.

Usage: faultsrv.py MODE:PORT [MODE:PORT]...
  hang     accept, read, never answer (the connection stays open)
  slow     accept, read, then an HTTP answer at one byte every 0.5 s
  reset    accept, read the request, close with an RST (SO_LINGER 0)
  midreset accept, send half an HTTP answer, then RST
  backlog  listen but never accept (the kernel completes the handshake)
  greet    an SMTP/any-protocol banner line, then silence
Stops by itself after 120 s so that a forgotten server never lingers.
"""
import socket
import struct
import sys
import threading
import time


def read_some(c):
    c.settimeout(30)
    try:
        c.recv(65536)
    except OSError:
        pass


def rst(c):
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()


def handle(mode, c):
    try:
        if mode == "hang":
            read_some(c)
            time.sleep(120)
        elif mode == "greet":
            c.sendall(b"220 faultsrv ESMTP\r\n")
            time.sleep(120)
        elif mode == "slow":
            read_some(c)
            answer = (b"HTTP/1.1 200 OK\r\nContent-Length: 400\r\n\r\n" +
                      b"x" * 400)
            for i in range(len(answer)):
                c.sendall(answer[i:i + 1])
                time.sleep(0.5)
        elif mode == "reset":
            read_some(c)
            rst(c)
            return
        elif mode == "midreset":
            read_some(c)
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nhalf")
            time.sleep(0.2)
            rst(c)
            return
    except OSError:
        pass
    try:
        c.close()
    except OSError:
        pass


def serve(mode, port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(64)
    if mode == "backlog":
        time.sleep(120)
        return
    while True:
        c, _ = s.accept()
        threading.Thread(target=handle, args=(mode, c), daemon=True).start()


def main():
    for arg in sys.argv[1:]:
        mode, port = arg.split(":")
        threading.Thread(target=serve, args=(mode, int(port)),
                         daemon=True).start()
    time.sleep(120)


if __name__ == "__main__":
    main()
