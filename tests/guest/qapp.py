#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""An application on a khttps accept queue for the guest tests, speaking to
/dev/khttps with the ioctls directly (not through libkhttps), so the ABI in
include/uapi/linux/khttps.h is checked from a second implementation.

  qapp.py QUEUE fd-semantics
      Accept one connection.  Print "keys: E1 E2": what getsockopt and
      setsockopt of SOL_TLS TLS_TX/TLS_RX give (errno names); "nopad: V":
      what getsockopt of SOL_TLS TLS_RX_EXPECT_NO_PAD gives.  Read "ping",
      write "pong", then read on: print "eof" when the read returns 0.
      Close (the kernel sends close_notify).
  qapp.py QUEUE splice
      Accept one connection and read it with splice() into a pipe, answering
      "pong" to "ping", until splice returns 0: print "splice: DATA, EOF".
  qapp.py QUEUE hold MARKER
      Accept one connection (and close /dev/khttps), read "ping", print
      "held", wait (up to 120 s) until the file MARKER exists, write "pong",
      read to EOF, close; print "done".

Exit status 0 when it got that far, 1 otherwise (the reason on stderr).
"""
import errno
import fcntl
import os
import select
import socket
import struct
import sys
import time

SOL_TLS, TLS_TX, TLS_RX, TLS_RX_EXPECT_NO_PAD = 282, 1, 2, 4
# struct khttps_attach, struct khttps_accept (with struct khttps_conn_info)
ATTACH_FMT = "32sI"
INFO_SIZE = 8 + 2 + 2 + 4 + 128 + 128 + 256 + 256 + 256 + 256 + 48 + 32
ACCEPT_SIZE = 4 + 4 + INFO_SIZE


def ioc(direction, size, nr):
    return (direction << 30) | (size << 16) | (0xB7 << 8) | nr


IOC_ATTACH = ioc(1, struct.calcsize(ATTACH_FMT), 1)
IOC_ACCEPT = ioc(3, ACCEPT_SIZE, 2)


def fail(msg):
    print(msg, file=sys.stderr)
    sys.exit(1)


def accept(queue):
    dev = os.open("/dev/khttps", os.O_RDWR | os.O_CLOEXEC)
    fcntl.ioctl(dev, IOC_ATTACH, struct.pack(ATTACH_FMT, queue.encode(), 0))
    p = select.poll()
    p.register(dev, select.POLLIN)
    if not p.poll(60000):
        fail("no connection within 60 s")
    buf = bytearray(ACCEPT_SIZE)
    struct.pack_into("I", buf, 0, socket.SOCK_CLOEXEC)
    fcntl.ioctl(dev, IOC_ACCEPT, buf, True)
    os.close(dev)
    return socket.socket(fileno=struct.unpack_from("i", buf, 4)[0])


def errname(fn):
    try:
        fn()
        return "allowed"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))


def fd_semantics(s):
    print("keys:", errname(lambda: s.getsockopt(SOL_TLS, TLS_TX, 64)),
          errname(lambda: s.setsockopt(SOL_TLS, TLS_RX, bytes(56))))
    try:
        print("nopad:", s.getsockopt(SOL_TLS, TLS_RX_EXPECT_NO_PAD))
    except OSError as e:
        print("nopad:", errno.errorcode.get(e.errno, str(e.errno)))
    data = b""
    while not data.endswith(b"ping"):
        chunk = s.recv(100)
        if not chunk:
            fail("EOF before ping")
        data += chunk
    s.sendall(b"pong")
    try:
        chunk = s.recv(100)
    except OSError as e:
        fail("read after ping: %r" % e)
    print("eof" if chunk == b"" else "data after ping: %r" % chunk)
    s.close()


def splice(s):
    r, w = os.pipe()
    got = b""
    while True:
        try:
            n = os.splice(s.fileno(), w, 65536)
        except OSError as e:
            fail("splice: %r after %r" % (e, got))
        if n == 0:
            break
        got += os.read(r, n)
        if got.endswith(b"ping"):
            s.sendall(b"pong")
    print("splice: %s, EOF" % got.decode())
    s.close()


def hold(s, marker):
    data = b""
    while not data.endswith(b"ping"):
        chunk = s.recv(100)
        if not chunk:
            fail("EOF before ping")
        data += chunk
    print("held", flush=True)
    end = time.time() + 120
    while not os.path.exists(marker):
        if time.time() > end:
            fail("no marker")
        time.sleep(0.1)
    s.sendall(b"pong")
    if s.recv(100) != b"":
        fail("data after ping")
    s.close()
    print("done")


def main():
    queue, what = sys.argv[1], sys.argv[2]
    s = accept(queue)
    if what == "fd-semantics":
        fd_semantics(s)
    elif what == "splice":
        splice(s)
    elif what == "hold":
        hold(s, sys.argv[3])
    else:
        fail("unknown command " + what)


if __name__ == "__main__":
    main()
