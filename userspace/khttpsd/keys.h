/* SPDX-License-Identifier: GPL-2.0 */
/* Record-key derivation for kTLS from handshake secrets (no TLS library state). */
#ifndef KHTTPSD_KEYS_H
#define KHTTPSD_KEYS_H

#include <stdbool.h>
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

/* Hex (either case, nothing else) into at most @max bytes of @out; their
 * number in *@len.  Returns 0 or -1. */
int kd_unhex(const char *hex, uint8_t *out, size_t max, size_t *len);

struct kd_dir_keys;

/* A record sequence number, big-endian, as kTLS and TLS carry it. */
void kd_put_seq(uint8_t seq[8], uint64_t v);

void kd_fill_dir(struct kd_dir_keys *d, uint16_t version, bool chacha, const uint8_t *key,
		 int key_len, const uint8_t *iv, uint64_t seq);

/* Both directions of a TLS 1.2 AEAD session from its master secret (RFC 5246
 * 6.3; the key block's MAC keys are empty for AEAD): the server's write keys
 * in @tx, the client's in @rx, each at its next record number.  0 or -1. */
int kd_tls12_dirs(const EVP_MD *md, const uint8_t master[48], const uint8_t client_random[32],
		  const uint8_t server_random[32], bool chacha, int key_len, uint64_t tx_seq,
		  uint64_t rx_seq, struct kd_dir_keys *tx, struct kd_dir_keys *rx);

#endif /* KHTTPSD_KEYS_H */
