#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Mixed HTTPS load for the soak test (tests/guest/soak.sh).

  soak.py SECS BIG PORT...

For SECS seconds, against each 127.0.0.1:PORT, four clients at once:
  full       a new connection each time, no session offered (TLS 1.3 and
             1.2 in turn): GET /hello, then our close_notify, answered
  resume     the same, offering the session the previous one left; counts
             how many resumed
  keepalive  50 GET /hello on one connection, then our close_notify
  large      GET /files/big and POST it to /_khttps/sha256 (the file BIG
             locally, checked by SHA-256 both ways), on one connection

Every failure is an error: a connection refused or reset, a missing
close_notify, a wrong body.  Prints progress lines and at the end one JSON
line: {"ops": {"KIND:PORT": n}, "errors": n, "first_errors": [...],
"resumed": n, "certs": {"PORT": [distinct server certificates by SHA-256,
first seen first]}}.
"""
import hashlib
import json
import os
import socket
import ssl
import sys
import threading
import time

from tlsbio import HELLO, client_context

SLOW = int(os.environ.get("KHTTPS_SLOW", "1"))  # tests/lib.sh T_SLOW
HOST = "127.0.0.1"

lock = threading.Lock()
ops, errors, certs = {}, [], {}
resumed = [0]


class Failed(Exception):
    pass


def note_cert(s, port):
    der = s.getpeercert(binary_form=True)
    if der is None:  # a resumed session shows none
        return
    fp = hashlib.sha256(der).hexdigest()
    with lock:
        seen = certs.setdefault(str(port), [])
        if fp not in seen:
            seen.append(fp)


def connect(port, ctx, session=None):
    raw = socket.create_connection((HOST, port), timeout=60 * SLOW)
    try:
        s = ctx.wrap_socket(raw, suppress_ragged_eofs=False, session=session)
    except BaseException:
        raw.close()
        raise
    note_cert(s, port)
    return s


def response(s):
    """One HTTP/1.1 response with Content-Length: (head, body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            raise Failed("EOF in the response head")
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    length = None
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if not head.startswith(b"HTTP/1.1 200") or length is None:
        raise Failed("response %r" % head[:200])
    while len(body) < length:
        chunk = s.recv(min(1 << 20, length - len(body)))
        if not chunk:
            raise Failed("EOF after %d of %d body bytes" % (len(body), length))
        body += chunk
    if len(body) != length:
        raise Failed("%d bytes after the body" % (len(body) - length))
    return head, body


def hello(s):
    s.sendall(b"GET /hello HTTP/1.1\r\nHost: soak\r\n\r\n")
    _, body = response(s)
    if body != HELLO:
        raise Failed("body %r" % body[:100])


def close(s):
    """Our close_notify; the server must answer with its own."""
    s.unwrap()
    s.close()


def full(port, n):
    ctx = client_context(ssl.TLSVersion.TLSv1_3 if n % 2 else ssl.TLSVersion.TLSv1_2)
    s = connect(port, ctx)
    hello(s)
    close(s)


def resume(port, n, state):
    # One context per version: a session resumes only in its own context.
    ver = ssl.TLSVersion.TLSv1_3 if (n // 20) % 2 else ssl.TLSVersion.TLSv1_2
    if state.get("ver") != ver:
        state.update(ver=ver, ctx=client_context(ver), session=None)
    s = connect(port, state["ctx"], state["session"])
    hello(s)  # TLS 1.3 tickets arrive with the first records read
    if s.session_reused:
        with lock:
            resumed[0] += 1
    state["session"] = s.session
    close(s)


def keepalive(port, n):
    s = connect(port, client_context())
    for _ in range(50):
        hello(s)
    close(s)


def large(port, n, big, big_sha):
    s = connect(port, client_context())
    s.sendall(b"GET /files/big HTTP/1.1\r\nHost: soak\r\n\r\n")
    _, body = response(s)
    if hashlib.sha256(body).hexdigest() != big_sha:
        raise Failed("download: SHA-256 differs (%d bytes)" % len(body))
    s.sendall(b"POST /_khttps/sha256 HTTP/1.1\r\nHost: soak\r\nContent-Length: %d\r\n\r\n" % len(big))
    s.sendall(big)
    _, body = response(s)
    if body.strip().decode() != big_sha:
        raise Failed("upload: server says %r" % body[:80])
    close(s)


def client(kind, port, end, fn):
    n = 0
    while time.time() < end:
        try:
            fn(port, n)
            with lock:
                key = "%s:%d" % (kind, port)
                ops[key] = ops.get(key, 0) + 1
        except (Failed, OSError, ssl.SSLError, ValueError) as e:
            with lock:
                errors.append("%.1f %s :%d #%d: %r" % (time.time(), kind, port, n, e))
            time.sleep(0.5)  # do not spin on a server that is down
        n += 1


def main():
    secs, bigpath, ports = int(sys.argv[1]), sys.argv[2], [int(p) for p in sys.argv[3:]]
    with open(bigpath, "rb") as f:
        big = f.read()
    big_sha = hashlib.sha256(big).hexdigest()
    start = time.time()
    end = start + secs
    threads = []
    for port in ports:
        state = {}
        kinds = {
            "full": full,
            "resume": lambda p, n, st=state: resume(p, n, st),
            "keepalive": keepalive,
            "large": lambda p, n: large(p, n, big, big_sha),
        }
        for kind, fn in kinds.items():
            t = threading.Thread(target=client, args=(kind, port, end, fn), daemon=True)
            t.start()
            threads.append(t)
    while any(t.is_alive() for t in threads):
        time.sleep(min(10, max(0.1, end - time.time())))
        with lock:
            print("progress %ds ops %s errors %d" % (time.time() - start, json.dumps(ops, sort_keys=True),
                                                   len(errors)), flush=True)
        if time.time() > end + 300 * SLOW:
            with lock:
                errors.append("clients still busy %d s after the end" % (300 * SLOW))
            break
    with lock:
        print(json.dumps({"ops": ops, "errors": len(errors), "first_errors": errors[:10],
                          "resumed": resumed[0], "certs": certs}, sort_keys=True), flush=True)


if __name__ == "__main__":
    main()
