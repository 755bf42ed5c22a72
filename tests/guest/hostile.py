#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Hostile TLS clients for the robustness suite (hostile.sh).

After a real TLS 1.3 handshake (Python's ssl, memory BIOs) the client
knows its traffic secret from the key log and writes its own records, so it
can send what no TLS library sends: bad MACs, bad lengths, oversized and
zero-length records, every alert, KeyUpdate storms, handshake messages
after the handshake.  The server's records are still read by the ssl
object, which names the alert the server sent.  Before any handshake it
sends malformed or slow ClientHellos as raw bytes.

  hostile.py check HOST PORT
      Every attack once, one after another.  For each: what the client saw
      (the server's alert, a clean close_notify, a TCP end, or service as
      usual) and which counter of the namespace (khttpsnl.py) moved by one.
      Prints "ok NAME: detail" or "not ok NAME: why" per attack.
  hostile.py loop HOST PORT SECS
      The quick attacks in turn for SECS seconds, unchecked (load for the
      throughput comparison).  Prints "attacks N".
  hostile.py slow HOST PORT CONNS SECS
      CONNS slowloris connections for at most SECS seconds: half of them
      dribble a ClientHello a byte at a time, the other half a record after
      the handshake.  Prints "held CONNS", then "ended N" (the ones the
      server closed).
"""
import os
import random
import select
import socket
import ssl
import struct
import sys
import tempfile
import time

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

from khttpsnl import Genl
from tlsbio import GET, BioClient, client_context, client_hello, hkdf_label, key_log, \
    read_to_end

CT_CCS, CT_ALERT, CT_HANDSHAKE, CT_DATA, CT_HEARTBEAT = 20, 21, 22, 23, 24
MAX_PLAIN = 1 << 14

# RFC 8446 6 and the IANA registry: every alert description TLS 1.3 knows.
ALERTS = {
    0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac",
    22: "record_overflow", 40: "handshake_failure", 42: "bad_certificate",
    43: "unsupported_certificate", 44: "certificate_revoked",
    45: "certificate_expired", 46: "certificate_unknown",
    47: "illegal_parameter", 48: "unknown_ca", 49: "access_denied",
    50: "decode_error", 51: "decrypt_error", 70: "protocol_version",
    71: "insufficient_security", 80: "internal_error",
    86: "inappropriate_fallback", 90: "user_canceled", 100: "no_renegotiation",
    109: "missing_extension", 110: "unsupported_extension",
    112: "unrecognized_name", 113: "bad_certificate_status_response",
    115: "unknown_psk_identity", 116: "certificate_required",
    120: "no_application_protocol", 201: "(unassigned)",
}

KEYLOG = tempfile.NamedTemporaryFile(prefix="hostile-keylog.", delete=False).name


class Outcome:
    """What the client saw of the server after its attack."""

    def __init__(self, kind, data=b"", alert=""):
        self.kind = kind      # alert, close_notify, eof, reset, timeout
        self.data = data      # plaintext the server sent before
        self.alert = alert    # the server's alert, in OpenSSL's words

    def __str__(self):
        s = self.kind + (" " + self.alert if self.alert else "")
        return s + (" after %d bytes" % len(self.data) if self.data else "")


class Conn(BioClient):
    """A TLS 1.3 client whose records after the handshake are its own."""

    def __init__(self, host, port):
        super().__init__(host, port, client_context(ssl.TLSVersion.TLSv1_3, KEYLOG))
        self.keys()
        self.seq = 0

    def keys(self):
        secret = key_log(KEYLOG, self.client_random).get("CLIENT_TRAFFIC_SECRET_0")
        if secret is None:
            raise RuntimeError("no traffic secret in the key log")
        name, _version, bits = self.obj.cipher()
        algo = hashes.SHA384() if name.endswith("SHA384") else hashes.SHA256()
        key = hkdf_label(secret, b"key", bits // 8, algo)
        self.aead = ChaCha20Poly1305(key) if "CHACHA20" in name else AESGCM(key)
        self.iv = hkdf_label(secret, b"iv", 12, algo)

    def seal(self, ctype, body, pad=0, outer=CT_DATA, version=0x0303, inner_type=True):
        """One TLSCiphertext (RFC 8446 5.2) of @body as content type @ctype."""
        inner = body + (bytes([ctype]) if inner_type else b"") + bytes(pad)
        nonce = bytes(a ^ b for a, b in zip(self.iv, self.seq.to_bytes(12, "big")))
        self.seq += 1
        hdr = struct.pack("!BHH", outer, version, len(inner) + 16)
        return hdr + self.aead.encrypt(nonce, inner, hdr)

    def send(self, data):
        self.raw.sendall(data)

    def outcome(self, secs=30):
        """Read until the server ends the connection (or @secs pass)."""
        got, kind = read_to_end(self.raw, secs)
        self.inc.write(got)
        if kind != "timeout":
            self.inc.write_eof()
        data = b""
        try:
            while True:
                chunk = self.obj.read(65536)
                if not chunk:
                    return Outcome("close_notify", data)
                data += chunk
        except ssl.SSLWantReadError:
            return Outcome(kind, data)
        except ssl.SSLError as e:
            if e.reason and "ALERT" in e.reason:
                return Outcome("alert", data, e.reason.split("ALERT_", 1)[1].lower())
            return Outcome(kind, data)


def raw_outcome(s, secs=30):
    """After raw bytes: the alert the server sent, if any, and how it ended."""
    got, kind = read_to_end(s, secs)
    s.close()
    if len(got) >= 7 and got[0] == CT_ALERT:
        return Outcome("alert", alert=ALERTS.get(got[6], str(got[6])))
    return Outcome(kind, got)


# --- attacks after the handshake: (name, action, expected outcome, counter) ---
# An action gets a Conn and returns nothing; the expected outcome is an
# alert's name (as OpenSSL spells it), or "close_notify", "eof", "served".

def flip_tag(c):
    rec = bytearray(c.seal(CT_DATA, GET))
    rec[-1] ^= 1
    c.send(bytes(rec))


def length_field(n, extra):
    def act(c):
        c.send(struct.pack("!BHH", CT_DATA, 0x0303, n) + os.urandom(extra))
    return act


def sealed(ctype, body, **kw):
    return lambda c: c.send(c.seal(ctype, body, **kw))


def then_get(*recs):
    def act(c):
        for r in recs:
            c.send(c.seal(*r))
        c.send(c.seal(CT_DATA, GET))
    return act


def key_updates(per_record, records):
    msg = b"\x18\x00\x00\x01\x01"  # KeyUpdate, update_requested
    def act(c):
        c.send(b"".join(c.seal(CT_HANDSHAKE, msg * per_record) for _ in range(records)))
    return act


def truncated_then_fin(c):
    # A request first: a FIN before the kernel installed the keys would
    # make this a client gone during the handshake (client_gone).
    c.send(c.seal(CT_DATA, GET))
    c.read_hello()
    rec = c.seal(CT_DATA, GET)
    c.send(rec[: len(rec) // 2])
    c.raw.shutdown(socket.SHUT_WR)


def post_handshake_hello(c):
    hello = client_hello("localhost")
    c.send(c.seal(CT_HANDSHAKE, hello[5:]))


AFTER = [
    ("bad MAC", flip_tag, "bad_record_mac", "bad_records"),
    ("record shorter than its tag", length_field(10, 10), "bad_record_mac", "bad_records"),
    ("zero-length ciphertext", length_field(0, 0), "bad_record_mac", "bad_records"),
    ("length over 2^14+256", length_field(MAX_PLAIN + 257, 64), "record_overflow", "bad_records"),
    ("plaintext over 2^14", sealed(CT_DATA, bytes(MAX_PLAIN + 1)), "record_overflow", "bad_records"),
    ("wrong record version", sealed(CT_DATA, GET, version=0x0301), "decode_error", "bad_records"),
    # RFC 8446 5.4 asks for unexpected_message; kTLS reports this as it
    # does a bad MAC (EBADMSG), so the alert is bad_record_mac.
    ("padding with no content type", sealed(CT_DATA, b"", pad=32, inner_type=False),
     "bad_record_mac", "bad_records"),
    ("zero-length alert", sealed(CT_ALERT, b""), "decode_error", "bad_records"),
    ("one-byte alert", sealed(CT_ALERT, b"\x02"), "decode_error", "bad_records"),
    ("zero-length handshake record", sealed(CT_HANDSHAKE, b""), "unexpected_message", "bad_records"),
    ("ChangeCipherSpec after the handshake", sealed(CT_CCS, b"\x01"), "unexpected_message", "bad_records"),
    ("heartbeat record", sealed(CT_HEARTBEAT, b"\x01\x00\x10" + bytes(16)),
     "unexpected_message", "bad_records"),
    ("unknown content type 99", sealed(99, b"x"), "unexpected_message", "bad_records"),
    ("ClientHello after the handshake", post_handshake_hello, "unexpected_message", "bad_records"),
    ("KeyUpdate", key_updates(1, 1), "internal_error", "key_updates"),
    ("KeyUpdate storm: 3000 in one record", key_updates(3000, 1), "internal_error", "key_updates"),
    ("KeyUpdate storm: 500 records", key_updates(1, 500), "closed", "key_updates"),
    # The backend sees the end and closes; our close_notify follows.
    ("record cut short, then FIN", truncated_then_fin, "close_notify", "truncated"),
    ("zero-length data records, then a request",
     then_get((CT_DATA, b""), (CT_DATA, b""), (CT_DATA, b"")), "served", None),
    ("an empty record with 4000 bytes of padding, then a request",
     then_get((CT_DATA, b"", 4000)), "served", None),
    ("warning user_canceled, then a request", then_get((CT_ALERT, b"\x01\x5a")), "served",
     "alerts_in"),
]
# Every description as a fatal alert; as a warning, those TLS 1.2 sent as
# warnings (RFC 8446 6: in TLS 1.3 all but close_notify and user_canceled
# are fatal whatever their level).
WARNINGS = (0, 10, 42, 45, 46, 100, 112)
for _d, _n in sorted(ALERTS.items()):
    for _lvl in (1, 2) if _d in WARNINGS else (2,):
        AFTER.append(("alert %d/%s" % (_lvl, _n), sealed(CT_ALERT, bytes([_lvl, _d])),
                      *(("close_notify", "close_notify_in") if _d == 0 else ("eof", "alerts_in"))))
AFTER.append(("alert of unknown level 7/decrypt_error", sealed(CT_ALERT, b"\x07\x33"),
              "eof", "alerts_in"))


TIMES = {"handshake": 0.0, "outcome": 0.0, "counter": 0.0, "idle": 0.0}


def timed(what, t0):
    TIMES[what] += time.time() - t0
    return time.time()


def run_after(host, port, act, want, secs=30):
    """Handshake, attack; then what the server did: served on, or how it ended."""
    t0 = time.time()
    c = Conn(host, port)
    t0 = timed("handshake", t0)
    try:
        act(c)
        if want == "served":
            return Outcome("served" if c.read_hello(secs) else "not served")
        return c.outcome(secs)
    finally:
        c.close()
        timed("outcome", t0)


def expect(o, want):
    """Does outcome @o match @want?"""
    if want == "served":
        return o.kind == "served"
    if want == "closed":
        return o.kind in ("alert", "eof", "reset")
    if want == "eof":
        return o.kind in ("eof", "reset")
    if want == "close_notify":
        return o.kind == "close_notify"
    return o.kind == "alert" and o.alert == want


# --- attacks before the handshake, raw bytes ---

def hello_fuzzed(host, port, rng):
    rec = bytearray(client_hello("localhost"))
    for _ in range(rng.randint(1, 8)):
        i = rng.randrange(5, len(rec))
        rec[i] = rng.randrange(256)
    return bytes(rec)


def hello_cut(host, port):
    rec = bytearray(client_hello("localhost"))
    rec[6:9] = (len(rec) - 9 - 40).to_bytes(3, "big")  # ends inside the extensions
    return bytes(rec)


def hello_huge_record(host, port):
    return struct.pack("!BHH", CT_HANDSHAKE, 0x0301, 0xffff) + os.urandom(1000)


SSLV2_HELLO = bytes.fromhex("802b0103010012000000100700c0030080010080060040040080020080") + os.urandom(16)

BEFORE = [
    ("garbage instead of a ClientHello", lambda h, p: os.urandom(300)),
    ("HTTP instead of TLS", lambda h, p: GET),
    ("SSLv2 ClientHello", lambda h, p: SSLV2_HELLO),
    ("ClientHello whose length cuts its extensions", hello_cut),
    ("handshake record of 65535 bytes", hello_huge_record),
]


# Every way a handshake ends.
ENDS = ("hs_ok", "hs_failed", "hs_timeout")


def wait_counter(ctl, before, name, secs=10):
    t0 = end = time.time()
    end += secs
    while True:
        now = ctl.stats()
        if now[name] - before[name] >= 1 or time.time() > end:
            timed("counter", t0)
            return now[name] - before[name]
        time.sleep(0.1)


def wait_idle(ctl, secs=30):
    t0 = end = time.time()
    end += secs
    while ctl.stats()["active"] and time.time() < end:
        time.sleep(0.1)
    timed("idle", t0)
    return ctl.stats()["active"] == 0


def check(host, port):
    ctl = Genl()
    failed = 0

    def report(ok, name, detail):
        nonlocal failed
        failed += not ok
        print("%s %s: %s" % ("ok" if ok else "not ok", name, detail), flush=True)

    for name, act, want, counter in AFTER:
        before = ctl.stats()
        try:
            o = run_after(host, port, act, want)
        except (OSError, RuntimeError) as e:
            report(False, name, "client failed: %r" % e)
            continue
        if want == "served":
            # Served on, and nothing counted (but our close without close_notify).
            wait_idle(ctl)
            after = ctl.stats()
            moved = [k for k in ("bad_records", "alerts_in", "key_updates", "alerts_out")
                     if after[k] != before[k]]
            ok = expect(o, want) and moved == ([counter] if counter else []) and \
                (not counter or after[counter] - before[counter] == 1)
            report(ok, name, "%s, counted %s" % (o, moved or "nothing"))
            continue
        delta = wait_counter(ctl, before, counter)
        report(expect(o, want) and delta == 1, name,
               "client saw %s, %s +%d (expected %s, +1)" % (o, counter, delta, want))
        wait_idle(ctl)

    rng = random.Random(int(os.environ.get("KHTTPS_FUZZ_SEED", "1")))
    cases = [(n, f(host, port)) for n, f in BEFORE]
    cases += [("fuzzed ClientHello #%d" % i, hello_fuzzed(host, port, rng)) for i in range(20)]
    for name, data in cases:
        before = ctl.stats()
        s = socket.create_connection((host, port), timeout=30)
        s.sendall(data)
        # Our end too: a ClientHello that says it is longer than what came
        # fails at once, not at the handshake timeout.
        s.shutdown(socket.SHUT_WR)
        o = raw_outcome(s)
        end = time.time() + 30
        while True:
            after = ctl.stats()
            ended = sum(after[k] - before[k] for k in ENDS)
            if (ended == 1 and after["active"] == 0) or time.time() > end:
                break
            time.sleep(0.1)
        failed_tls = after["hs_failed_tls"] - before["hs_failed_tls"]
        fuzzed = name.startswith("fuzzed")
        ok = ended == 1 and o.kind != "timeout" and (failed_tls == 1 or fuzzed)
        report(ok, name, "client saw %s; handshakes ended %d, hs_failed_tls +%d" %
               (o, ended, failed_tls))
    print("time spent, s: " + ", ".join("%s %.1f" % kv for kv in TIMES.items()), flush=True)
    return failed


def loop(host, port, secs):
    quick = [a for a in AFTER if a[2] != "served"]
    end, n, rng = time.time() + secs, 0, random.Random(2)
    while time.time() < end:
        try:
            if n % 4 == 3:
                s = socket.create_connection((host, port), timeout=30)
                s.sendall(hello_fuzzed(host, port, rng))
                s.shutdown(socket.SHUT_WR)
                raw_outcome(s, 10)
            else:
                _name, act, want, _counter = rng.choice(quick)
                run_after(host, port, act, want, 10)
        except (OSError, RuntimeError, ValueError):
            pass
        n += 1
    print("attacks %d" % n, flush=True)


def slow(host, port, conns, secs):
    socks, hello = [], client_hello("localhost")
    for i in range(conns):
        if i % 2:
            c = Conn(host, port)
            rec = c.seal(CT_DATA, GET)
            socks.append((c.raw, rec))
        else:
            socks.append((socket.create_connection((host, port), timeout=30), hello))
    print("held %d" % conns, flush=True)
    end, pos, live = time.time() + secs, 0, list(range(conns))
    while live and time.time() < end:
        for i in list(live):
            s, data = socks[i]
            r, _, _ = select.select([s], [], [], 0)
            try:
                if r and not s.recv(65536):
                    raise ConnectionError
                if pos < len(data) - 1:  # never the last byte
                    s.send(data[pos:pos + 1])
            except OSError:
                live.remove(i)
        pos += 1
        time.sleep(1)
    print("ended %d" % (conns - len(live)), flush=True)


def main():
    try:
        if sys.argv[1] == "check":
            sys.exit(1 if check(sys.argv[2], int(sys.argv[3])) else 0)
        elif sys.argv[1] == "loop":
            loop(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
        elif sys.argv[1] == "slow":
            slow(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
        else:
            sys.exit(__doc__)
    finally:
        os.unlink(KEYLOG)


if __name__ == "__main__":
    main()
