#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Key material, and where it must not be, for secrets.sh.

  keyhunt.py hold HOST PORT OUT MARKER
      A TLS 1.3 and a TLS 1.2 connection, each with GET /hello.  From the
      client's key log it derives what the daemon derived and gave the
      kernel: both directions' traffic secrets (1.3) or master secret (1.2),
      write keys and IVs.  Writes them to OUT ("NAME HEX" per line), prints
      "ready", keeps both connections open until the file MARKER exists, then
      one more GET /hello on each; prints "ok".
  keyhunt.py search KEYS PATH...
      Looks for every secret of KEYS (raw, and as hex in either case) in
      each PATH: a file, a directory (every file under it), "pid:N" (the
      process's memory as its core would hold it: every readable mapping
      not marked MADV_DONTDUMP), or "genl" (the raw replies
      of khttps's binding, connection and stats dumps).  Prints one line per
      hit, "clean N" when there is none (N: bytes searched).
"""
import hashlib
import hmac
import os
import ssl
import sys
import tempfile
import time

from cryptography.hazmat.primitives import hashes

from khttpsnl import Genl
from tlsbio import GET, BioClient, client_context, hkdf_label, key_log


def prf12(md, secret, label, seed, n):
    """TLS 1.2's PRF (RFC 5246 5): P_hash(secret, label + seed)."""
    seed, out, a = label + seed, b"", label + seed
    while len(out) < n:
        a = hmac.new(secret, a, md).digest()
        out += hmac.new(secret, a + seed, md).digest()
    return out[:n]


def client(host, port, version, keylog):
    ctx = client_context(version, keylog)
    if version == ssl.TLSVersion.TLSv1_2:
        ctx.set_ciphers("ECDHE+AESGCM")
    return BioClient(host, port, ctx)


def get_hello(c):
    c.obj.write(GET)
    c.raw.sendall(c.out.read())
    if not c.read_hello():
        raise ConnectionError("no response")


def secrets_of(c, keylog):
    """The secrets of connection @c, from the key log: [(name, bytes)]."""
    log = key_log(keylog, c.client_random)
    name, version, bits = c.obj.cipher()
    keylen = bits // 8
    out = []
    if version == "TLSv1.3":
        algo = hashes.SHA384() if "SHA384" in name else hashes.SHA256()
        for side in ("CLIENT", "SERVER"):
            sec = log[side + "_TRAFFIC_SECRET_0"]
            out += [("tls13 %s traffic secret" % side.lower(), sec),
                    ("tls13 %s key" % side.lower(), hkdf_label(sec, b"key", keylen, algo)),
                    ("tls13 %s iv" % side.lower(), hkdf_label(sec, b"iv", 12, algo))]
    else:
        md = hashlib.sha384 if name.endswith("SHA384") else hashlib.sha256
        master = log["CLIENT_RANDOM"]
        block = prf12(md, master, b"key expansion", c.server_random + c.client_random,
                      2 * keylen + 8)
        out += [("tls12 master secret", master),
                ("tls12 client key", block[:keylen]),
                ("tls12 server key", block[keylen:2 * keylen])]
    return out


def hold(host, port, path, marker):
    keylog = tempfile.NamedTemporaryFile(prefix="secrets-keylog.", delete=False).name
    try:
        conns = [client(host, port, v, keylog)
                 for v in (ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2)]
        with open(path, "w") as f:
            for c in conns:
                get_hello(c)
                for name, sec in secrets_of(c, keylog):
                    f.write("%s %s\n" % (name.replace(" ", "_"), sec.hex()))
    finally:
        os.unlink(keylog)
    print("ready", flush=True)
    end = time.time() + 300 * int(os.environ.get("KHTTPS_SLOW", "1"))
    used = time.time()
    while not os.path.exists(marker) and time.time() < end:
        time.sleep(0.2)
        # Well inside idle_timeout_ms (120 s), which a slow kernel's
        # searches outlast.
        if time.time() - used > 60:
            for c in conns:
                get_hello(c)
            used = time.time()
    for c in conns:
        get_hello(c)
    print("ok", flush=True)


def genl_dumps():
    """The raw replies of khttps's binding and connection dumps and its stats."""
    g = Genl()
    return g.command("BINDING_GET", True) + g.command("CONN_GET", True) + g.command("STATS_GET")


def proc_mem(pid):
    """The memory a core of @pid would hold: readable mappings, not MADV_DONTDUMP."""
    regions, cur = [], None
    with open("/proc/%d/smaps" % pid) as smaps:
        for line in smaps:
            w = line.split()
            if "-" in w[0] and not w[0].endswith(":"):
                lo, hi = (int(x, 16) for x in w[0].split("-"))
                cur = [lo, hi, w[1], w[5] if len(w) > 5 else "[anon]", True]
                regions.append(cur)
            elif w[0] == "VmFlags:" and "dd" in w[1:]:
                cur[4] = False
    with open("/proc/%d/mem" % pid, "rb", 0) as mem:
        for lo, hi, perms, name, dumped in regions:
            if "r" not in perms or not dumped or name == "[vsyscall]":
                continue
            try:
                mem.seek(lo)
                yield "memory of pid %d, %s at %x" % (pid, name, lo), mem.read(hi - lo)
            except OSError:
                pass


def sources(path):
    if path == "genl":
        yield "netlink dumps", genl_dumps()
    elif path.startswith("pid:"):
        yield from proc_mem(int(path[4:]))
    elif os.path.isdir(path):
        for root, _, files in os.walk(path):
            for f in files:
                try:
                    with open(os.path.join(root, f), "rb") as fh:
                        yield os.path.join(root, f), fh.read(1 << 20)
                except OSError:
                    pass
    else:
        with open(path, "rb") as fh:
            yield path, fh.read()


def search(keys, paths):
    secrets = []
    with open(keys) as f:
        for line in f:
            name, hexed = line.split()
            sec = bytes.fromhex(hexed)
            secrets.append((name, [sec, hexed.encode(), hexed.upper().encode()]))
    hits, total = 0, 0
    for path in paths:
        for where, data in sources(path):
            total += len(data)
            for name, forms in secrets:
                for form in forms:
                    at = data.find(form)
                    if at >= 0:
                        print("%s in %s, offset %#x" % (name, where, at))
                        hits += 1
    if not hits:
        print("clean %d" % total)
    return hits


def main():
    if sys.argv[1] == "hold":
        hold(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
    elif sys.argv[1] == "search":
        sys.exit(1 if search(sys.argv[2], sys.argv[3:]) else 0)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
