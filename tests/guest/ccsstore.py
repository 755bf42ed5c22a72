#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A large central certificate store, and handshakes against it.

  ccsstore.py make DIR N
      N certificates s0.big.test .. s<N-1>.big.test as NAME.crt and
      NAME.key (one P-256 key, mode 0600, shared to keep this fast under
      TCG); prints nothing.
  ccsstore.py fetch HOST PORT DIR COUNT
      Handshakes with COUNT of those names, spread over the store (the
      first and the last included), each checked against its certificate's
      SHA-256.  Prints "ok COUNT wrong W seconds S".
"""
import datetime
import hashlib
import os
import socket
import ssl
import sys
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def make(d, n):
    key = ec.generate_private_key(ec.SECP256R1())
    pem_key = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    now = datetime.datetime.now(datetime.timezone.utc)
    os.makedirs(d, exist_ok=True)
    for i in range(n):
        name = "s%d.big.test" % i
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
                .public_key(key.public_key()).serial_number(i + 1)
                .not_valid_before(now - datetime.timedelta(hours=1))
                .not_valid_after(now + datetime.timedelta(days=2))
                .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), False)
                .sign(key, hashes.SHA256()))
        with open(os.path.join(d, name + ".crt"), "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
        path = os.path.join(d, name + ".key")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem_key)


def fetch(host, port, d, count):
    names = sorted(f[:-4] for f in os.listdir(d) if f.endswith(".crt"))
    names.sort(key=lambda s: int(s.split(".")[0][1:]))
    step = max(1, (len(names) - 1) // max(1, count - 1))
    pick = names[::step][:count - 1] + [names[-1]]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    wrong = 0
    start = time.monotonic()
    for name in pick:
        with open(os.path.join(d, name + ".crt"), "rb") as f:
            want = hashlib.sha256(ssl.PEM_cert_to_DER_cert(f.read().decode())).hexdigest()
        try:
            with socket.create_connection((host, port), timeout=30) as raw:
                with ctx.wrap_socket(raw, server_hostname=name) as s:
                    got = hashlib.sha256(s.getpeercert(binary_form=True)).hexdigest()
        except (OSError, ssl.SSLError) as e:
            print("#", name, e, flush=True)
            got = None
        if got != want:
            wrong += 1
    print("ok %d wrong %d seconds %.1f" % (len(pick), wrong, time.monotonic() - start))


def main():
    if sys.argv[1] == "make":
        make(sys.argv[2], int(sys.argv[3]))
    else:
        fetch(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]))


if __name__ == "__main__":
    main()
