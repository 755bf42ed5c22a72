#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A backend that insists on a PROXY protocol v2 header, for the guest tests.

Each connection must start with a PROXY v2 header (haproxy's
proxy-protocol.txt, 2.2), checked strictly: signature, version and command,
family, a length that covers the addresses, TLVs that fill it exactly, and
PP2_TYPE_SSL's sub-TLVs likewise.  Then one HTTP/1.1 request:

  GET ...        the parsed header as JSON (see parse())
  POST ...       {"sha256": hex of the body}

A connection whose header is missing or wrong gets "400" and the reason as
the body.  Usage: pp2backend.py PORT [ADDR]
"""
import hashlib
import json
import socket
import socketserver
import struct
import sys

SIG = b"\r\n\r\n\x00\r\nQUIT\n"
SSL_SUB = {0x21: "version", 0x22: "cn", 0x23: "cipher", 0x24: "sig_alg", 0x25: "key_alg"}
KHTTPS = {0xE0: "client_subject", 0xE1: "client_issuer", 0xE2: "client_serial",
          0xE3: "client_sha256"}


class Bad(Exception):
    pass


def read_exact(f, n):
    b = f.read(n)
    if len(b) != n:
        raise Bad("short read: %d of %d bytes" % (len(b), n))
    return b


def tlvs(data):
    """(type, value) pairs that fill data exactly."""
    out, i = [], 0
    while i < len(data):
        if i + 3 > len(data):
            raise Bad("a TLV header overruns the block at %d" % i)
        t, n = data[i], struct.unpack("!H", data[i + 1:i + 3])[0]
        if i + 3 + n > len(data):
            raise Bad("TLV 0x%02x overruns the block" % t)
        out.append((t, data[i + 3:i + 3 + n]))
        i += 3 + n
    return out


def parse(f):
    head = read_exact(f, 16)
    if head[:12] != SIG:
        raise Bad("no PROXY v2 signature")
    if head[12] != 0x21:
        raise Bad("version/command 0x%02x, not 0x21 (v2, PROXY)" % head[12])
    fam, length = head[13], struct.unpack("!H", head[14:16])[0]
    body = read_exact(f, length)
    r = {"tlvs": []}
    if fam == 0x11:
        if length < 12:
            raise Bad("TCP4 with length %d" % length)
        src, dst, sp, dp = struct.unpack("!4s4sHH", body[:12])
        r["family"], r["src"], r["dst"] = "tcp4", socket.inet_ntop(socket.AF_INET, src), \
            socket.inet_ntop(socket.AF_INET, dst)
        rest = body[12:]
    elif fam == 0x21:
        if length < 36:
            raise Bad("TCP6 with length %d" % length)
        src, dst, sp, dp = struct.unpack("!16s16sHH", body[:36])
        r["family"], r["src"], r["dst"] = "tcp6", socket.inet_ntop(socket.AF_INET6, src), \
            socket.inet_ntop(socket.AF_INET6, dst)
        rest = body[36:]
    else:
        raise Bad("family 0x%02x" % fam)
    r["src_port"], r["dst_port"] = sp, dp
    for t, v in tlvs(rest):
        r["tlvs"].append(t)
        if t == 0x01:
            r["alpn"] = v.decode()
        elif t == 0x02:
            r["authority"] = v.decode()
        elif t == 0x20:
            if len(v) < 5:
                raise Bad("PP2_TYPE_SSL of %d bytes" % len(v))
            r["ssl_client"] = v[0]
            r["ssl_verify"] = struct.unpack("!I", v[1:5])[0]
            for st, sv in tlvs(v[5:]):
                if st not in SSL_SUB:
                    raise Bad("unknown SSL sub-TLV 0x%02x" % st)
                r["ssl_" + SSL_SUB[st]] = sv.decode()
        elif t in KHTTPS:
            r[KHTTPS[t]] = fingerprint(v) if t == 0xE3 else v.decode()
        else:
            raise Bad("unexpected TLV 0x%02x" % t)
    return r


def fingerprint(v):
    if len(v) != 32:
        raise Bad("client SHA-256 of %d bytes" % len(v))
    return v.hex()


class Handler(socketserver.StreamRequestHandler):
    def reply(self, code, body):
        self.wfile.write(b"HTTP/1.1 %d X\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                         % (code, len(body)) + body)

    def handle(self):
        try:
            info = parse(self.rfile)
        except Bad as e:
            self.reply(400, str(e).encode() + b"\n")
            return
        line = self.rfile.readline()
        length = 0
        while True:
            h = self.rfile.readline()
            if h in (b"\r\n", b"\n", b""):
                break
            k, _, v = h.decode().partition(":")
            if k.strip().lower() == "content-length":
                length = int(v)
        if line.startswith(b"POST"):
            digest = hashlib.sha256()
            while length:
                chunk = self.rfile.read(min(length, 65536))
                if not chunk:
                    break
                digest.update(chunk)
                length -= len(chunk)
            self.reply(200, json.dumps({"sha256": digest.hexdigest()}).encode() + b"\n")
        else:
            self.reply(200, json.dumps(info, sort_keys=True).encode() + b"\n")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    addr = sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1"
    if ":" in addr:
        Server.address_family = socket.AF_INET6
    Server((addr, int(sys.argv[1])), Handler).serve_forever()
