#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""synflood.py DST PORT COUNT SRCNET [SECONDS]: TCP SYNs to DST:PORT (IPv4).

Each from a random address of SRCNET (a /24, e.g. 198.51.100.0) and a
random port, written whole with a raw socket (IP_HDRINCL): a SYN flood
with spoofed sources.  The test routes SRCNET to a blackhole, so the
SYN-ACKs go nowhere and each SYN holds a request socket in the
listener's SYN queue until the queue is full.  Run only inside a test's
own network namespace.  Prints "sent COUNT" once COUNT are out; with
SECONDS, it then goes on at up to 1000 a second for that long (or until
SIGTERM), so the queue stays full while a client connects however slowly
the kernel ages the first ones out, and prints "then N more" at the end.
"""
import random
import signal
import socket
import struct
import sys
import time


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def syn(src, dst, sport, dport):
    seq = random.getrandbits(32)
    # TCP: ports, seq, ack 0, data offset 6 words, SYN, window, checksum,
    # urgent; one option: MSS 1460.
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 6 << 4, 0x02, 64240, 0, 0)
    tcp += struct.pack("!BBH", 2, 4, 1460)
    pseudo = src + dst + struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
    # IPv4: version/IHL, TOS, length, id, DF, TTL, protocol, checksum
    # (the kernel fills it in for IP_HDRINCL), addresses.
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), random.getrandbits(16), 0x4000,
                     64, socket.IPPROTO_TCP, 0, src, dst)
    return ip + tcp


def main():
    dst, port, count, net = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    d = socket.inet_aton(dst)
    prefix = socket.inet_aton(net)[:3]
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)

    def send():
        src = prefix + bytes([random.randint(1, 254)])
        s.sendto(syn(src, d, random.randint(1024, 65535), port), (dst, 0))

    for _ in range(count):
        send()
    print("sent", count, flush=True)
    if len(sys.argv) < 6:
        return
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    end = time.monotonic() + float(sys.argv[5])
    more = 0
    while not stop and time.monotonic() < end:
        for _ in range(50):
            send()
        more += 50
        time.sleep(0.05)
    print("then", more, "more", flush=True)


if __name__ == "__main__":
    main()
