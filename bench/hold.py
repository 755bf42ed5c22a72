#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""hold.py PORT N tls|plain: open N idle connections to 127.0.0.1:PORT and
hold them until stdin closes; "held N" on stdout once all are up.

For the kernel's memory per idle connection: with tls, each does a full
TLS handshake (no resumption) and then nothing; its TLS state is user
memory of this process, not the kernel's.
"""
import socket
import ssl
import sys


def main():
    port, n, kind = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    held = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=120)
        if kind == "tls":
            s = ctx.wrap_socket(s)
        held.append(s)
    print("held", len(held), flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
