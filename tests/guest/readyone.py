#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""READY to one worker, not to all: KHTTPS_A_NOTIFY_PORT, by hand, with no daemon.

  readyone.py HOST PORT

Plays two workers, each with a request socket and a socket in the
handshake group, as khttpsd's workers have; each names the second in its
HS_ACCEPT.  Then, on a binding at HOST:PORT with nothing else asking:
  - a connection wakes exactly one of them, the next one the other;
  - a burst wakes one, and its ACCEPT that leaves more waiting wakes the
    other, so both share the burst;
  - a worker that goes away while told passes what waits to the other;
  - a worker that names no port (an older khttpsd) brings back the
    multicast: every socket in the group hears it;
  - a worker told that does not ask (stopped) within ready_retry_ms: the
    whole group hears, and the next READY goes to the other alone.
The first checks answer slowly on purpose, so ready_retry_ms is set high
for them and low for the last (and put back as it was).
Prints what it saw and exits 0 only if all that held.
"""
import errno
import os
import select
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from khttpsnl import ATTR, Genl  # noqa: E402

SOL_NETLINK, NETLINK_ADD_MEMBERSHIP = 270, 1
HELLO = b"\x16\x03\x01\x00\x04\x01\x00\x00\x00"


class Worker:
    def __init__(self, name, grp, notify=True):
        self.name, self.req = name, Genl()
        self.ev = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 16)
        self.ev.bind((0, 0))
        self.ev.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, grp)
        self.notify = self.ev.getsockname()[0] if notify else 0

    def accept(self):
        """'LAST', 'more', or 'EAGAIN'/'err N'; the fd it got is closed."""
        payload = b""
        if self.notify:
            payload = struct.pack("=HHI", 8, ATTR["NOTIFY_PORT"], self.notify)
        err, a = self.req.hs_accept(payload)
        if err:
            return "EAGAIN" if err == errno.EAGAIN else "err %d" % err
        if ATTR["FD"] in a:
            os.close(struct.unpack("=i", a[ATTR["FD"]])[0])
        return "LAST" if ATTR["LAST"] in a else "more"

    def readies(self):
        """How many READYs wait on the group socket; they are read."""
        n = 0
        while select.select([self.ev], [], [], 0)[0]:
            self.ev.recv(1 << 16)
            n += 1
        return n

    def close(self):
        self.req.sock.close()
        self.ev.close()


def heard(workers, want, limit=10.0):
    """{name: READYs} once @want arrived in all (or at @limit), and a second more."""
    got, end = {w.name: 0 for w in workers}, time.monotonic() + limit
    while sum(got.values()) < want and time.monotonic() < end:
        select.select([w.ev for w in workers], [], [], 0.2)
        for w in workers:
            got[w.name] += w.readies()
    time.sleep(1.0)
    for w in workers:
        got[w.name] += w.readies()
    return got


RETRY = "/sys/module/khttps/parameters/ready_retry_ms"


def set_retry(ms):
    with open(RETRY, "w") as f:
        f.write("%d\n" % ms)


def main():
    with open(RETRY) as f:
        was = int(f.read())
    set_retry(10000)
    try:
        return run()
    finally:
        set_retry(was)


def run():
    host, port = sys.argv[1], int(sys.argv[2])
    grp = Genl().groups["handshake"]
    a, b = Worker("a", grp), Worker("b", grp)
    conns, seen, ok = [], [], True

    def connect(n=1):
        for _ in range(n):
            s = socket.create_connection((host, port), timeout=10)
            s.sendall(HELLO)
            conns.append(s)

    def check(what, cond):
        nonlocal ok
        seen.append("%s: %s" % (what, "ok" if cond else "NO"))
        ok = ok and cond

    by = {"a": a, "b": b}
    check("register", a.accept() == "EAGAIN" and b.accept() == "EAGAIN")
    # One connection: one worker hears it; the next goes to the other.
    connect()
    g1 = heard([a, b], 1)
    check("one woken %s" % g1, sorted(g1.values()) == [0, 1])
    first = by[max(g1, key=g1.get)]
    check("it takes the last", first.accept() == "LAST")
    connect()
    g2 = heard([a, b], 1)
    check("then the other %s" % g2, sorted(g2.values()) == [0, 1] and g2[first.name] == 0)
    other = by[max(g2, key=g2.get)]
    check("it takes the last", other.accept() == "LAST")
    # A burst: one woken; its ACCEPT that leaves more wakes the other.
    connect(3)
    time.sleep(2)  # the kernel's hello work queues all three
    g3 = heard([a, b], 1)
    check("burst wakes one %s" % g3, sorted(g3.values()) == [0, 1])
    x = by[max(g3, key=g3.get)]
    y = b if x is a else a
    check("more wait", x.accept() == "more")
    g4 = heard([a, b], 1)
    check("the other shares it %s" % g4, g4 == {x.name: 0, y.name: 1})
    # As a worker does: each asks until LAST or EAGAIN.
    r = [y.accept(), x.accept(), y.accept()]
    check("the two take the rest %s" % r, r == ["more", "LAST", "EAGAIN"])
    check("then none", x.accept() == "EAGAIN" and heard([a, b], 0, 0) == {"a": 0, "b": 0})
    # The worker told goes away before it asks: the other hears.
    connect()
    g5 = heard([a, b], 1)
    check("one woken %s" % g5, sorted(g5.values()) == [0, 1])
    gone = by[max(g5, key=g5.get)]
    left = b if gone is a else a
    gone.close()
    g6 = heard([left], 1)
    check("gone: the other hears %s" % g6, g6 == {left.name: 1})
    check("it takes it", left.accept() == "LAST")
    # An older worker, with no port named: every group socket hears.
    old = Worker("old", grp, notify=False)
    check("old registers", old.accept() == "EAGAIN")
    connect()
    g7 = heard([left, old], 2)
    check("multicast again %s" % g7, g7 == {left.name: 1, "old": 1})
    check("taken", old.accept() == "LAST")
    old.close()
    # A worker told that never asks (stopped, swapped out): after
    # ready_retry_ms every worker hears; the stuck one gets no more.
    set_retry(200)
    new = Worker("new", grp)
    check("new registers", new.accept() == "EAGAIN" and left.accept() == "EAGAIN")
    by = {left.name: left, "new": new}
    connect()
    g8 = heard([left, new], 1)
    told = by[max(g8, key=g8.get)]
    other = new if told is left else left
    # heard() waited a second: well past the retry, so both have heard.
    check("stuck: all hear %s" % g8, g8 == {told.name: 2, other.name: 1})
    check("the other takes it", other.accept() == "LAST")
    set_retry(10000)  # this one answers slowly too, but is not stuck
    connect()
    g9 = heard([left, new], 1)
    check("the next goes to the other %s" % g9, g9 == {told.name: 0, other.name: 1})
    check("it takes it", other.accept() == "LAST")
    check("the stuck one asks at last", told.accept() == "EAGAIN")
    print("; ".join(seen))
    for s in conns:
        s.close()
    left.close()
    new.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
