#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""HS_ACCEPT by hand, with no daemon: KHTTPS_A_LAST marks the last waiting one.

  acceptlast.py HOST PORT N

Opens N connections to a binding, each sending a (fake) handshake record so
the kernel queues it for a worker, then takes them with HS_ACCEPT as a
worker would: every reply but the last must lack KHTTPS_A_LAST, the last
must carry it, and one more ACCEPT must fail with EAGAIN.  Prints what it
saw and exits 0 only if all that held.
"""
import errno
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from khttpsnl import ATTR, Genl  # noqa: E402


def main():
    host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    conns = []
    for _ in range(n):
        s = socket.create_connection((host, port), timeout=10)
        s.sendall(b"\x16\x03\x01\x00\x04\x01\x00\x00\x00")
        conns.append(s)
    time.sleep(2)  # the kernel's hello work queues each
    g = Genl()
    seen, ok = [], True
    for i in range(n):
        err, a = g.hs_accept()
        last = ATTR["LAST"] in a
        seen.append("err %d" % err if err else ("LAST" if last else "more"))
        if err or last != (i == n - 1):
            ok = False
        if ATTR["FD"] in a:
            os.close(struct.unpack("=i", a[ATTR["FD"]])[0])
    err, a = g.hs_accept()
    seen.append("EAGAIN" if err == errno.EAGAIN else "err %d" % err if err else "a connection")
    ok = ok and err == errno.EAGAIN
    print(" ".join(seen))
    for s in conns:
        s.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
