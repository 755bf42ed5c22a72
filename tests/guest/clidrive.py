#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Drive a command-line TLS client (openssl s_client -quiet, gnutls-cli,
mbedcli) that relays stdin to the server and the server's data to stdout,
for the guest tests: pipelined HTTP/1.1 requests on one connection, bodies
checked by hash.

  clidrive.py get PATH... -- CLIENT ARGS...
      GET each PATH; print the SHA-256 of each response body, one a line.
  clidrive.py post FILE... -- CLIENT ARGS...
      POST each FILE to /_khttps/sha256 (which answers with the hash of
      what it read); print each response body, one a line.

The last request says "Connection: close", so the server ends the
connection (with close_notify).  Then a last line "exit N": the client's
exit status (or "exit timeout").  Anything before the first response on
stdout (a client's own chatter) is skipped.
"""
import hashlib
import os
import subprocess
import sys
import threading

TIMEOUT = 300 * int(os.environ.get("KHTTPS_SLOW", "1"))  # tests/lib.sh T_SLOW


def requests(cmd, args):
    out = []
    for i, a in enumerate(args):
        last = b"Connection: close\r\n" if i == len(args) - 1 else b""
        if cmd == "get":
            out.append(b"GET %s HTTP/1.1\r\nHost: x\r\n%s\r\n" % (a.encode(), last))
        else:
            with open(a, "rb") as f:
                body = f.read()
            out.append(b"POST /_khttps/sha256 HTTP/1.1\r\nHost: x\r\n"
                       b"Content-Type: application/octet-stream\r\n"
                       b"Content-Length: %d\r\n%s\r\n" % (len(body), last) + body)
    return b"".join(out)


def responses(data, n):
    """Split n HTTP/1.1 responses with Content-Length; return their bodies."""
    start = data.find(b"HTTP/1.")
    if start < 0:
        return []
    data = data[start:]
    bodies = []
    while len(bodies) < n:
        end = data.find(b"\r\n\r\n")
        if end < 0:
            break
        length = 0
        for line in data[:end].split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if len(data) < end + 4 + length:
            break
        bodies.append(data[end + 4:end + 4 + length])
        data = data[end + 4 + length:]
    return bodies


def main():
    sep = sys.argv.index("--")
    cmd, args, client = sys.argv[1], sys.argv[2:sep], sys.argv[sep + 1:]
    req = requests(cmd, args)
    p = subprocess.Popen(client, stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def feed():
        try:
            p.stdin.write(req)
            p.stdin.flush()
        except BrokenPipeError:
            pass

    # The client reads stdin and writes stdout at once: write from a thread.
    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    timer = threading.Timer(TIMEOUT, p.kill)
    timer.start()
    data = p.stdout.read()
    timer.cancel()
    writer.join(5)
    try:
        p.stdin.close()
    except BrokenPipeError:
        pass
    try:
        rc = p.wait(10)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = "timeout"
    for body in responses(data, len(args)):
        print(hashlib.sha256(body).hexdigest() if cmd == "get" else body.decode().strip())
    print("exit", rc)


if __name__ == "__main__":
    main()
