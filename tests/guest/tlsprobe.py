#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""TLS clients that do what curl cannot, for the guest tests.

  tlsprobe.py close-notify HOST PORT
      1. GET /hello with "Connection: close": the server must end with a
         close_notify (an unclean EOF fails).
      2. GET /hello on a keep-alive connection, then our close_notify: the
         server must answer with its own (unwrap() fails otherwise).
      Prints "ok".
  tlsprobe.py bad-mac HOST PORT
      Handshake, then send an application-data record with one ciphertext
      byte flipped; the server must answer with a bad_record_mac alert.
  tlsprobe.py echo-close HOST PORT
      Send "ping", expect "pong", then our close_notify: the server must
      answer with its own.  Prints "ok".
  tlsprobe.py pipeline HOST PORT CONNS REQS
      CONNS concurrent keep-alive connections (16 handshakes at a time,
      fewer on a slow kernel; once all are open), each sending REQS pipelined GET /hello requests
      in one write and reading every response.
      Prints "ok CONNS" when all answered.
  tlsprobe.py slow-read HOST PORT N
      GET /drip/N with a small receive buffer, read nothing for 3 s (the
      data piles up in the server), then read it all and check it is the
      pattern i % 251.  Prints "ok".
  tlsprobe.py hold HOST PORT CONNS MARKER [SRC]
      CONNS keep-alive connections (from address SRC if given), one GET
      /hello each; prints "ready CONNS", waits (up to 300 s) until the file
      MARKER exists, then one more GET /hello on each.  Prints "ok CONNS".
  tlsprobe.py stall HOST PORT CONNS SECS
      CONNS connections that send a ClientHello and no more (a handshake
      stuck in the daemon); prints "stalled CONNS", then
      waits up to SECS for the server to close them and prints "ended N".
  tlsprobe.py flood HOST PORT CONNS SECS
      CONNS connections opened at once, each sending a ClientHello and
      never its second flight.  Prints "refused R answered A open O
      slowest_refusal_ms T": R closed by the server before it sent a byte,
      A got the server's first flight (a worker took the handshake), O
      neither within SECS; T the longest time from connect to a refusal.
      Holds the answered ones until SECS are up.

  tlsprobe.py sessions HOST PORT VERSION PLAN
      One connection per letter of PLAN, each offering the session the
      previous one left (TLS VERSION 1.2 or 1.3, or 1.2id: TLS 1.2 without
      tickets, resuming by session id) and sending GET /hello:
        c  keep-alive; we close first, with close_notify (clean)
        t  keep-alive; we close TCP without close_notify (truncation)
        s  "Connection: close": the server closes first
      After each, waits until the kernel has no active connection ($KHTTPSCTL
      stats), so it has judged the end.  Prints per connection N (a full
      handshake) or R (resumed), and for s also c or x: the server's
      close_notify came, or not.  E.g. "N Rc R".

Exit status 0 when the server behaved as required, 1 otherwise (the reason
on stderr).
"""
import asyncio
import os
import socket
import ssl
import sys
import time

from tlsbio import HELLO, BioClient, client_context, client_hello

# Time bounds scale on slow (debug) kernels: tests/lib.sh T_SLOW.
SLOW = int(os.environ.get("KHTTPS_SLOW", "1"))


def ragged(e):
    """Is @e the TCP end without close_notify (SSLEOFError, or OpenSSL 3's reason)?"""
    return isinstance(e, ssl.SSLEOFError) or \
        (isinstance(e, ssl.SSLError) and e.reason == "UNEXPECTED_EOF_WHILE_READING")


def fail(msg):
    print(msg, file=sys.stderr)
    sys.exit(1)


def connect(host, port, src=None):
    raw = socket.create_connection((host, port), timeout=30 * SLOW,
                                   source_address=(src, 0) if src else None)
    return client_context().wrap_socket(raw, suppress_ragged_eofs=False)


def read_until(s, done, what):
    data = b""
    while not done(data):
        chunk = s.recv(65536)
        if not chunk:
            fail("EOF before %s: %r" % (what, data[-200:]))
        data += chunk
    return data


def our_close_notify_answered(s):
    try:
        s.unwrap()  # ours, then waits for the server's
    except (ssl.SSLError, OSError) as e:
        fail("no close_notify in answer to ours: %r" % e)
    s.close()
    print("ok")


def get_hello_closing(s):
    """GET /hello with "Connection: close", read to the end.

    Return: whether the server ended with close_notify (not a bare TCP end).
    """
    s.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data, clean = b"", False
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                clean = True  # a close_notify
                break
            data += chunk
    except ConnectionResetError:
        pass
    except ssl.SSLError as e:
        if not ragged(e):
            raise
    if not data.endswith(HELLO):
        fail("unexpected response: %r" % data[-200:])
    return clean


def close_notify(host, port):
    s = connect(host, port)
    if not get_hello_closing(s):
        fail("the server closed TCP without close_notify")
    s.close()

    s = connect(host, port)
    s.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
    read_until(s, lambda d: d.endswith(HELLO), "the keep-alive response")
    our_close_notify_answered(s)


def echo_close(host, port):
    s = connect(host, port)
    s.sendall(b"ping")
    data = read_until(s, lambda d: len(d) >= 4, "pong")
    if data != b"pong":
        fail("expected pong, got %r" % data)
    our_close_notify_answered(s)


def bad_mac(host, port):
    try:
        c = BioClient(host, port, client_context())
    except ConnectionError as e:
        fail(str(e))
    raw, inc, out, obj = c.raw, c.inc, c.out, c.obj
    obj.write(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
    rec = bytearray(out.read())
    rec[-1] ^= 0x01  # the last byte of the tag
    raw.sendall(bytes(rec))
    got = b""
    while True:
        chunk = raw.recv(65536)
        if not chunk:
            break
        got += chunk
    inc.write(got)
    inc.write_eof()
    try:
        while obj.read(65536):
            pass
    except ssl.SSLError as e:
        if "BAD_RECORD_MAC" in str(e).upper():
            print("ok")
            return
        fail("unexpected TLS error: %s" % e)
    fail("no bad_record_mac alert (read %d bytes)" % len(got))


HANDSHAKES = max(2, 16 // SLOW)  # pipeline's handshakes in flight at once


class Arrivals:
    """Wait until @n tasks arrived (a task that failed arrives too)."""

    def __init__(self, n):
        self.left, self.all = n, asyncio.Event()

    def arrive(self):
        self.left -= 1
        if self.left == 0:
            self.all.set()


async def one(host, port, reqs, ctx, gate, ready):
    # Handshakes HANDSHAKES at a time, so none waits for a worker longer
    # than the kernel's handshake timeout allows (the flood in faults.sh
    # is the test of that); then every connection is open at once.
    async with gate:
        try:
            reader, writer = await asyncio.open_connection(host, port, ssl=ctx)
        finally:
            ready.arrive()
    await ready.all.wait()
    writer.write(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n" * reqs)
    await writer.drain()
    for _ in range(reqs):
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        body = await reader.readexactly(length)
        if body != HELLO:
            raise RuntimeError("bad body %r" % body)
    writer.close()
    try:
        await writer.wait_closed()
    except (ssl.SSLError, ConnectionError):
        pass


async def pipeline(host, port, conns, reqs):
    ctx = client_context()
    gate, ready = asyncio.Semaphore(HANDSHAKES), Arrivals(conns)
    results = await asyncio.gather(*(one(host, port, reqs, ctx, gate, ready) for _ in range(conns)),
                                   return_exceptions=True)
    bad = [r for r in results if isinstance(r, BaseException)]
    if bad:
        fail("%d of %d connections failed, first: %r" % (len(bad), conns, bad[0]))
    print("ok", conns)


def get_hello(s):
    s.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
    data = read_until(s, lambda d: d.endswith(HELLO), "the response")
    if not data.startswith(b"HTTP/1.1 200"):
        fail("bad response %r" % data[:100])


def hold(host, port, conns, marker, src=None):
    """Open connections, use each once, wait for MARKER to exist, use each again."""
    socks = [connect(host, port, src) for _ in range(conns)]
    for s in socks:
        get_hello(s)
    print("ready", conns, flush=True)
    end = time.time() + 300 * SLOW
    while not os.path.exists(marker):
        if time.time() > end:
            fail("no marker")
        time.sleep(0.1)
    for s in socks:
        get_hello(s)
    for s in socks:
        s.close()
    print("ok", conns)


def stall(host, port, conns, secs):
    """Start handshakes that never finish: a whole ClientHello, then silence.

    The kernel hands a connection to a worker once its first record is in,
    so each one holds a worker, waiting for our second flight.
    """
    hello = client_hello()
    socks = []
    for _ in range(conns):
        s = socket.create_connection((host, port), timeout=30 * SLOW)
        s.sendall(hello)
        socks.append(s)
    print("stalled", conns, flush=True)
    ended = 0
    end = time.time() + secs
    for s in socks:
        try:
            while True:
                s.settimeout(max(0.1, end - time.time()))
                if s.recv(65536) == b"":  # past the server's flight: the end
                    ended += 1
                    break
        except ConnectionResetError:
            ended += 1
        except socket.timeout:
            pass
    print("ended", ended)


def flood(host, port, conns, secs):
    """Many handshakes at once, none finished: how the server turns them away."""
    import selectors
    hello = client_hello()
    sel = selectors.DefaultSelector()
    started = {}
    for _ in range(conns):
        s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        s.setblocking(False)
        s.connect_ex((host, port))
        sel.register(s, selectors.EVENT_WRITE)
        started[s] = time.monotonic()
    refused = answered = 0
    slowest = 0.0
    held = []
    end = time.monotonic() + secs
    while len(sel.get_map()) and time.monotonic() < end:
        for key, events in sel.select(timeout=0.2):
            s = key.fileobj
            if events & selectors.EVENT_WRITE:
                try:
                    if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                        s.send(hello)  # a few hundred bytes: one segment
                        sel.modify(s, selectors.EVENT_READ)
                        continue
                except OSError:
                    pass
                data = b""
            else:
                try:
                    data = s.recv(65536)
                except OSError:
                    data = b""
            sel.unregister(s)
            if data:
                answered += 1
                held.append(s)
            else:
                refused += 1
                slowest = max(slowest, time.monotonic() - started[s])
                s.close()
    still = len(sel.get_map())
    time.sleep(max(0, end - time.monotonic()))
    for s in held + [k.fileobj for k in list(sel.get_map().values())]:
        s.close()
    print("refused %d answered %d open %d slowest_refusal_ms %d"
          % (refused, answered, still, slowest * 1000))


def slow_read(host, port, n):
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.settimeout(120 * SLOW)
    raw.connect((host, port))
    s = client_context().wrap_socket(raw, suppress_ragged_eofs=False)
    s.sendall(b"GET /drip/%d HTTP/1.1\r\nHost: x\r\n\r\n" % n)
    time.sleep(3)
    data = read_until(s, lambda d: b"\r\n\r\n" in d, "the header")
    body = data[data.index(b"\r\n\r\n") + 4:]
    while len(body) < n:
        chunk = s.recv(65536)
        if not chunk:
            fail("EOF after %d of %d bytes" % (len(body), n))
        body += chunk
    want = bytes(i % 251 for i in range(n))
    if body != want:
        bad = next(i for i in range(n) if body[i] != want[i])
        fail("body differs from byte %d on" % bad)
    s.close()
    print("ok")


def kernel_idle(limit=30):
    import json
    import subprocess
    end = time.time() + limit
    while time.time() < end:
        out = subprocess.run([os.environ["KHTTPSCTL"], "--json", "stats"],
                             capture_output=True, text=True).stdout
        if json.loads(out)["active"] == 0:
            return
        time.sleep(0.1)
    fail("connections still active after %d s" % limit)


def sessions(host, port, version, plan):
    ctx = client_context()
    if version == "1.2id":
        ctx.options |= ssl.OP_NO_TICKET  # resume by session id
    v = ssl.TLSVersion.TLSv1_3 if version == "1.3" else ssl.TLSVersion.TLSv1_2
    ctx.minimum_version = ctx.maximum_version = v
    sess, out = None, []
    for step in plan:
        raw = socket.create_connection((host, port), timeout=30 * SLOW)
        s = ctx.wrap_socket(raw, session=sess, suppress_ragged_eofs=False)
        word = "R" if s.session_reused else "N"
        if step == "s":
            word += "c" if get_hello_closing(s) else "x"
        else:
            get_hello(s)
        # TLS 1.3 tickets come after the handshake: read them before saving.
        sess = s.session
        if step == "c":
            try:
                s.unwrap()
            except (ssl.SSLError, OSError):
                pass  # the server's answer does not matter here
        s.close()
        kernel_idle()
        out.append(word)
    print(" ".join(out))


def main():
    cmd, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if cmd == "close-notify":
        close_notify(host, port)
    elif cmd == "echo-close":
        echo_close(host, port)
    elif cmd == "bad-mac":
        bad_mac(host, port)
    elif cmd == "pipeline":
        asyncio.run(asyncio.wait_for(pipeline(host, port, int(sys.argv[4]), int(sys.argv[5])),
                                     timeout=600 * SLOW))
    elif cmd == "slow-read":
        slow_read(host, port, int(sys.argv[4]))
    elif cmd == "hold":
        hold(host, port, int(sys.argv[4]), sys.argv[5], sys.argv[6] if len(sys.argv) > 6 else None)
    elif cmd == "stall":
        stall(host, port, int(sys.argv[4]), float(sys.argv[5]))
    elif cmd == "flood":
        flood(host, port, int(sys.argv[4]), float(sys.argv[5]))
    elif cmd == "sessions":
        sessions(host, port, sys.argv[4], sys.argv[5])
    else:
        fail("unknown command " + cmd)


if __name__ == "__main__":
    main()
