#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""pki.py DIR: certificates for the client-certificate tests.

server.crt/.key (localhost, self-signed); ca.crt/.key (the client CA);
client certificates alice (good), old (expired), mallory (revoked, listed
in crl.pem), all from that CA, and eve (self-signed, untrusted).  Keys are
P-256, mode 0600.
"""
import datetime
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

D = sys.argv[1]
NOW = datetime.datetime.now(datetime.timezone.utc)
DAY = datetime.timedelta(days=1)


def write_key(name, key):
    path = os.path.join(D, name + ".key")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))


def write_pem(name, obj):
    with open(os.path.join(D, name), "wb") as f:
        f.write(obj.public_bytes(serialization.Encoding.PEM))


def cert(name, cn, issuer=None, issuer_key=None, serial=1, before=NOW - DAY, after=NOW + 2 * DAY,
         ca=False, server=False):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    b = (x509.CertificateBuilder().subject_name(subject)
         .issuer_name(issuer.subject if issuer else subject)
         .public_key(key.public_key()).serial_number(serial)
         .not_valid_before(before).not_valid_after(after)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), True))
    if ca:
        b = b.add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                          False), True)
    elif server:
        b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(cn)]), False)
    else:
        b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False)
    c = b.sign(issuer_key or key, hashes.SHA256())
    write_key(name, key)
    write_pem(name + ".crt", c)
    return c, key


os.makedirs(D, exist_ok=True)
cert("server", "localhost", server=True)
ca, ca_key = cert("ca", "khttps-test-client-ca", ca=True)
cert("alice", "alice", ca, ca_key, serial=10)
cert("old", "old", ca, ca_key, serial=11, before=NOW - 10 * DAY, after=NOW - 2 * DAY)
mallory, _ = cert("mallory", "mallory", ca, ca_key, serial=12)
cert("eve", "eve", serial=13)
crl = (x509.CertificateRevocationListBuilder().issuer_name(ca.subject)
       .last_update(NOW - DAY).next_update(NOW + 2 * DAY)
       .add_revoked_certificate(x509.RevokedCertificateBuilder()
                                .serial_number(mallory.serial_number)
                                .revocation_date(NOW - DAY).build())
       .sign(ca_key, hashes.SHA256()))
write_pem("crl.pem", crl)
