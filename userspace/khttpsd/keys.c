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

#include <linux/tls.h>

#include "keys.h"
#include "khttpsd.h"

/* The two KDFs key derivation needs, by their OpenSSL names. */
enum kd_kdf { KD_HKDF, KD_TLS1_PRF, KD_NKDF };
static const char *const kd_kdf_name[KD_NKDF] = { "HKDF", "TLS1-PRF" };

/*
 * Run the OpenSSL KDF @which with @params into @out: 0 or -1.  Each is
 * fetched once per process: an OpenSSL 3.0 fetch is a locked lookup in the
 * provider's method store, about a tenth of what the derivation costs, and
 * there are four derivations per handshake.
 */
static int kdf_derive(enum kd_kdf which, const OSSL_PARAM *params, uint8_t *out, size_t out_len)
{
	static EVP_KDF *fetched[KD_NKDF];
	EVP_KDF_CTX *kctx;
	int ok;

	if (!fetched[which])
		fetched[which] = EVP_KDF_fetch(NULL, kd_kdf_name[which], NULL);
	if (!fetched[which])
		return -1;
	kctx = EVP_KDF_CTX_new(fetched[which]);
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
	return kdf_derive(KD_HKDF, params, out, out_len);
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
	if (kdf_derive(KD_TLS1_PRF, params, out, out_len)) {
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

void kd_put_seq(uint8_t seq[8], uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		seq[i] = (uint8_t)v;
}

/**
 * kd_fill_dir() - one direction's keys in the layout DONE sends
 * @d: filled in
 * @version: TLS_1_2_VERSION or TLS_1_3_VERSION (linux/tls.h)
 * @chacha: ChaCha20-Poly1305 (else AES-GCM)
 * @key: the write key, @key_len bytes
 * @iv: the write IV as TLS defines it (12 bytes; 4 for TLS 1.2 GCM)
 * @seq: the next record's sequence number
 */
void kd_fill_dir(struct kd_dir_keys *d, uint16_t version, bool chacha, const uint8_t *key,
		 int key_len, const uint8_t *iv, uint64_t seq)
{
	memcpy(d->key, key, key_len);
	d->key_len = key_len;
	kd_put_seq(d->seq, seq);
	if (chacha) {
		memcpy(d->iv, iv, 12);
		d->iv_len = 12;
		d->salt_len = 0;
	} else if (version == TLS_1_3_VERSION) {
		memcpy(d->salt, iv, 4);
		memcpy(d->iv, iv + 4, 8);
		d->salt_len = 4;
		d->iv_len = 8;
	} else {
		/* TLS 1.2 GCM: implicit IV is the salt; the explicit nonce follows the sequence. */
		memcpy(d->salt, iv, 4);
		memcpy(d->iv, d->seq, 8);
		d->salt_len = 4;
		d->iv_len = 8;
	}
}

int kd_tls12_dirs(const EVP_MD *md, const uint8_t master[48], const uint8_t client_random[32],
		  const uint8_t server_random[32], bool chacha, int key_len, uint64_t tx_seq,
		  uint64_t rx_seq, struct kd_dir_keys *tx, struct kd_dir_keys *rx)
{
	uint8_t block[2 * 32 + 2 * 12];
	int ivl = chacha ? 12 : 4;

	/* AEAD key block: client key, server key, client IV, server IV. */
	if (key_len > 32 || kd_tls12_key_block(md, master, 48, client_random, server_random,
					       block, 2 * (size_t)key_len + 2 * (size_t)ivl))
		return -1;
	kd_fill_dir(tx, TLS_1_2_VERSION, chacha, block + key_len, key_len,
		    block + 2 * key_len + ivl, tx_seq);
	kd_fill_dir(rx, TLS_1_2_VERSION, chacha, block, key_len, block + 2 * key_len, rx_seq);
	OPENSSL_cleanse(block, sizeof(block));
	return 0;
}

/* A hex digit's value, or -1. */
static int kd_nibble(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

int kd_unhex(const char *hex, uint8_t *out, size_t max, size_t *len)
{
	size_t n = strlen(hex) / 2, i;

	if (n > max || strlen(hex) % 2)
		return -1;
	for (i = 0; i < n; i++) {
		int hi = kd_nibble(hex[2 * i]), lo = kd_nibble(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*len = n;
	return 0;
}
