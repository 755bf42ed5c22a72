// SPDX-License-Identifier: GPL-2.0
/*
 * Record-key derivation for kTLS.  The kernel installs the keys, so the
 * daemon derives them itself from the handshake secrets (see DESIGN.md:
 * SSL_export_keying_material gives a different secret).
 */
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "keys.h"

/* Run the OpenSSL KDF @name with @params into @out: 0 or -1. */
static int kdf_derive(const char *name, const OSSL_PARAM *params, uint8_t *out, size_t out_len)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, name, NULL);
	EVP_KDF_CTX *kctx;
	int ok;

	if (!kdf)
		return -1;
	kctx = EVP_KDF_CTX_new(kdf);
	EVP_KDF_free(kdf);
	if (!kctx)
		return -1;
	ok = EVP_KDF_derive(kctx, out, out_len, params) > 0;
	EVP_KDF_CTX_free(kctx);
	return ok ? 0 : -1;
}

static int hkdf_expand_label(const EVP_MD *md, const uint8_t *secret, size_t secret_len,
			     const char *label, uint8_t *out, size_t out_len)
{
	/* struct HkdfLabel { uint16 length; opaque label<7..255>; opaque context<0..255>; } */
	uint8_t info[2 + 1 + 255 + 1];
	size_t llen = strlen("tls13 ") + strlen(label), n = 0;
	OSSL_PARAM params[5], *p = params;
	int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;

	if (out_len > 0xffff || llen > 255)
		return -1;
	info[n++] = (uint8_t)(out_len >> 8);
	info[n++] = (uint8_t)out_len;
	info[n++] = (uint8_t)llen;
	memcpy(info + n, "tls13 ", 6);
	n += 6;
	memcpy(info + n, label, strlen(label));
	n += strlen(label);
	info[n++] = 0;	/* empty context */

	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						(char *)EVP_MD_get0_name(md), 0);
	*p++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)secret, secret_len);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, n);
	*p = OSSL_PARAM_construct_end();
	return kdf_derive("HKDF", params, out, out_len);
}

int kd_tls13_traffic_keys(const EVP_MD *md, const uint8_t *secret, size_t secret_len,
			  uint8_t *key, size_t key_len, uint8_t iv[12])
{
	if (hkdf_expand_label(md, secret, secret_len, "key", key, key_len) ||
	    hkdf_expand_label(md, secret, secret_len, "iv", iv, 12)) {
		OPENSSL_cleanse(key, key_len);
		OPENSSL_cleanse(iv, 12);
		return -1;
	}
	return 0;
}

int kd_tls12_prf(const EVP_MD *md, const uint8_t *secret, size_t secret_len, const char *label,
		 const uint8_t *seed, size_t seed_len, uint8_t *out, size_t out_len)
{
	OSSL_PARAM params[5], *p = params;

	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						(char *)EVP_MD_get0_name(md), 0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, (void *)secret, secret_len);
	/* The PRF's seed is label || seed; OpenSSL concatenates repeated seeds. */
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, (void *)label, strlen(label));
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, (void *)seed, seed_len);
	*p = OSSL_PARAM_construct_end();
	if (kdf_derive("TLS1-PRF", params, out, out_len)) {
		OPENSSL_cleanse(out, out_len);
		return -1;
	}
	return 0;
}

int kd_tls12_key_block(const EVP_MD *md, const uint8_t *master, size_t master_len,
		       const uint8_t client_random[32], const uint8_t server_random[32],
		       uint8_t *out, size_t out_len)
{
	uint8_t seed[64];

	memcpy(seed, server_random, 32);
	memcpy(seed + 32, client_random, 32);
	return kd_tls12_prf(md, master, master_len, "key expansion", seed, sizeof(seed),
			    out, out_len);
}
