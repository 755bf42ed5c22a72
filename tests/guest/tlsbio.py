# SPDX-License-Identifier: GPL-2.0
"""A TLS client on memory BIOs, for the guest tests that need the bytes.

Python's ssl runs the handshake, but every byte goes through our socket,
so a test can see what was sent and received (the randoms that open each
side's first flight), write records of its own, and read the server's
records, alerts included, through the ssl object.  Certificates are not
checked, and a TCP end without close_notify is an error (whatever the
guest's openssl.cnf says), so tests can tell the two ends apart.
"""
import socket
import ssl
import struct
import time

from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

GET = b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"
HELLO = b"hello from the backend\n"


def client_context(version=None, keylog=None):
    """A client context: no certificate check; @version only; secrets to @keylog."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.options &= ~getattr(ssl, "OP_IGNORE_UNEXPECTED_EOF", 0)
    if version:
        ctx.minimum_version = ctx.maximum_version = version
    if keylog:
        ctx.keylog_filename = keylog
    return ctx


def client_hello(server_hostname=None):
    """The first flight of a real client (a ClientHello record); nothing is sent."""
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = client_context().wrap_bio(inc, out, server_hostname=server_hostname)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


def hkdf_label(secret, label, length, algo):
    """HKDF-Expand-Label (RFC 8446 7.1) with an empty context."""
    full = b"tls13 " + label
    info = struct.pack("!HB", length, len(full)) + full + b"\x00"
    return HKDFExpand(algo, length, info).derive(secret)


def key_log(path, client_random):
    """The secrets the key log at @path holds for @client_random: {label: bytes}."""
    out, rnd = {}, client_random.hex()
    with open(path) as f:
        for line in f:
            w = line.split()
            if len(w) == 3 and w[1] == rnd:
                out[w[0]] = bytes.fromhex(w[2])
    return out


def read_to_end(sock, secs):
    """Read until the peer ends: (bytes, "eof" | "reset" | "timeout")."""
    got, kind = b"", "eof"
    sock.settimeout(secs)
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            got += chunk
    except socket.timeout:
        kind = "timeout"
    except ConnectionResetError:
        kind = "reset"
    return got, kind


class BioClient:
    """A handshake done; raw (the socket), obj (the ssl object), both randoms."""

    def __init__(self, host, port, ctx):
        self.raw = socket.create_connection((host, port), timeout=60)
        self.inc, self.out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.obj = ctx.wrap_bio(self.inc, self.out)
        sent, got = b"", b""
        while True:
            try:
                self.obj.do_handshake()
                break
            except ssl.SSLWantReadError:
                data = self.out.read()
                sent += data
                self.raw.sendall(data)
                chunk = self.raw.recv(65536)
                if not chunk:
                    raise ConnectionError("EOF during the handshake")
                got += chunk
                self.inc.write(chunk)
        self.raw.sendall(self.out.read())
        # Record header, handshake header, version: then the random.
        self.client_random = sent[11:43]
        self.server_random = got[11:43]  # the ServerHello opens the server's flight

    def read_hello(self, secs=30):
        """Read one /hello response through the ssl object: whether it came."""
        data, end = b"", time.time() + secs
        self.raw.settimeout(secs)
        while not data.endswith(HELLO) and time.time() < end:
            try:
                data += self.obj.read(65536)
                continue
            except ssl.SSLWantReadError:
                pass
            chunk = self.raw.recv(65536)
            if not chunk:
                break
            self.inc.write(chunk)
        return data.endswith(HELLO)

    def close(self):
        self.raw.close()
