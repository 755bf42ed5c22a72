// SPDX-License-Identifier: GPL-2.0
/*
 * A verified client certificate's identity as OpenSSL renders it: subject
 * and issuer in RFC 2253 form, the first common name in UTF-8, the serial
 * in hex, the SHA-256 of the DER.  engine_openssl.c uses it, and the host
 * test ident.c holds mbedTLS's rendering (ident_mbedtls.c) against it.
 */
#include <stdio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "khttpsd.h"

/* A name in RFC 2253 form, cut to @len. */
static void kd_name(X509_NAME *name, char *out, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	int n = 0;

	out[0] = '\0';
	if (!b)
		return;
	if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253) >= 0)
		n = BIO_read(b, out, (int)len - 1);
	out[n > 0 ? n : 0] = '\0';
	BIO_free(b);
}

/* The name's (first) common name in UTF-8, cut to @len; "" when it has none. */
static void kd_common_name(X509_NAME *name, char *out, size_t len)
{
	int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	unsigned char *utf8 = NULL;
	int n;

	out[0] = '\0';
	if (i < 0)
		return;
	n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
	if (n > 0)
		snprintf(out, len, "%.*s", n, (char *)utf8);
	OPENSSL_free(utf8);
}

/**
 * kd_openssl_identity() - fill @res's client certificate facts from @x
 * @x: a certificate the caller has verified
 * @res: client_subject, client_issuer, client_cn, client_serial and
 *	client_sha256; client_cert set when the digest worked
 */
void kd_openssl_identity(X509 *x, struct kd_result *res)
{
	unsigned int mdlen = 0;
	BIGNUM *bn;
	char *hex;

	kd_name(X509_get_subject_name(x), res->client_subject, sizeof(res->client_subject));
	kd_name(X509_get_issuer_name(x), res->client_issuer, sizeof(res->client_issuer));
	kd_common_name(X509_get_subject_name(x), res->client_cn, sizeof(res->client_cn));
	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	hex = bn ? BN_bn2hex(bn) : NULL;
	if (hex)
		snprintf(res->client_serial, sizeof(res->client_serial), "%s", hex);
	OPENSSL_free(hex);
	BN_free(bn);
	if (X509_digest(x, EVP_sha256(), res->client_sha256, &mdlen) && mdlen == 32)
		res->client_cert = true;
}
