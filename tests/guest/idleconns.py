#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Hold many idle connections, for measuring what each costs the kernel.

  idleconns.py tls|tcp HOST PORT N PROCS MARKER
      PROCS processes open N connections between them: with "tls" each
      does a TLS 1.3 handshake and then drops its TLS state (only the
      socket stays, so the client's memory is not the limit); with "tcp"
      each only connects.  Bytes the server sent after its handshake flight
      (session tickets) are read and dropped, so no client socket holds
      data.  Prints "ready N" once all are open, holds them until the file
      MARKER exists (at most 900 s), then closes them and prints "done".
Exit status 1, with the reason on stderr, when a connection fails.
"""
import os
import resource
import socket
import ssl
import sys
import time

from tlsbio import BioClient, client_context


def drain(socks):
    """Read what the server sent after the handshake (tickets), keep nothing."""
    time.sleep(1)
    for s in socks:
        s.setblocking(False)
        try:
            while s.recv(65536):
                pass
        except BlockingIOError:
            pass


def child(kind, host, port, n, ready_fd, marker):
    ctx = client_context(ssl.TLSVersion.TLSv1_3) if kind == "tls" else None
    socks = []
    try:
        for _ in range(n):
            if kind == "tls":
                c = BioClient(host, port, ctx)
                socks.append(c.raw)
                del c  # the SSL object and its BIOs go: only the socket stays
            else:
                socks.append(socket.create_connection((host, port), timeout=60))
    except OSError as e:
        print("connection %d: %s" % (len(socks) + 1, e), file=sys.stderr)
        os.write(ready_fd, b"f")
        os._exit(1)
    drain(socks)
    os.write(ready_fd, b"r")
    end = time.time() + 900
    while not os.path.exists(marker) and time.time() < end:
        time.sleep(0.2)
    for s in socks:
        s.close()
    os._exit(0)


def main():
    kind, host, port, n, procs, marker = sys.argv[1:7]
    port, n, procs = int(port), int(n), int(procs)
    resource.setrlimit(resource.RLIMIT_NOFILE, (n + 1024, n + 1024))
    r, w = os.pipe()
    kids = []
    for i in range(procs):
        share = n // procs + (1 if i < n % procs else 0)
        pid = os.fork()
        if pid == 0:
            os.close(r)
            child(kind, host, port, share, w, marker)
        kids.append(pid)
    os.close(w)
    got = 0
    while got < procs:
        b = os.read(r, procs)
        if not b or b"f" in b:  # a child failed: the others go too
            for pid in kids:
                os.kill(pid, 9)
            break
        got += len(b)
    if got == procs:
        print("ready", n, flush=True)
    status = 0
    for pid in kids:
        _, st = os.waitpid(pid, 0)
        status |= st
    if got != procs or status:
        sys.exit(1)
    print("done")


if __name__ == "__main__":
    main()
