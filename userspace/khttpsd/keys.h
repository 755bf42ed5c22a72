/* SPDX-License-Identifier: GPL-2.0 */
/* Record-key derivation for kTLS from handshake secrets (no TLS library state). */
#ifndef KHTTPSD_KEYS_H
#define KHTTPSD_KEYS_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>

/* TLS 1.3 (RFC 8446 7.3): key = HKDF-Expand-Label(secret, "key", "", key_len),
 * iv = HKDF-Expand-Label(secret, "iv", "", 12).  Returns 0 or -1. */
int kd_tls13_traffic_keys(const EVP_MD *md, const uint8_t *secret, size_t secret_len,
			  uint8_t *key, size_t key_len, uint8_t iv[12]);

/* TLS 1.2 PRF (RFC 5246 5): P_hash(secret, label || seed).  Returns 0 or -1. */
int kd_tls12_prf(const EVP_MD *md, const uint8_t *secret, size_t secret_len, const char *label,
		 const uint8_t *seed, size_t seed_len, uint8_t *out, size_t out_len);

/* TLS 1.2 key block (RFC 5246 6.3): PRF(master, "key expansion",
 * server_random || client_random).  Returns 0 or -1. */
int kd_tls12_key_block(const EVP_MD *md, const uint8_t *master, size_t master_len,
		       const uint8_t client_random[32], const uint8_t server_random[32],
		       uint8_t *out, size_t out_len);

#endif /* KHTTPSD_KEYS_H */
