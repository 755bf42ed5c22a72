// SPDX-License-Identifier: GPL-2.0
/* khttpsd record-key derivation (keys.c): TLS 1.3 traffic keys, TLS 1.2 PRF and key block. */
#include "../harness.h"
#include "keys.h"

/* Hex (spaces allowed) to bytes; returns the count, or 0 on a bad or oversized string. */
static size_t unhex(const char *hex, uint8_t *out, size_t max)
{
	size_t n = 0;
	int hi = -1, v;

	for (; *hex; hex++) {
		if (*hex == ' ')
			continue;
		if (*hex >= '0' && *hex <= '9')
			v = *hex - '0';
		else if (*hex >= 'a' && *hex <= 'f')
			v = *hex - 'a' + 10;
		else
			return 0;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n == max)
			return 0;
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	return hi < 0 ? n : 0;
}

static void log_hex(const char *what, const uint8_t *b, size_t len)
{
	char line[2 * 256 + 1];
	size_t i;

	for (i = 0; i < len && i < 256; i++)
		sprintf(line + 2 * i, "%02x", b[i]);
	line[2 * i] = '\0';
	TH_LOG("%s %s", what, line);
}

/* Whether got[0..len) is exactly the bytes spelled by want (which must be len long). */
static bool same_bytes(const uint8_t *got, size_t len, const char *want)
{
	uint8_t w[256];

	if (unhex(want, w, sizeof(w)) != len) {
		TH_LOG("expected value is not %zu bytes of hex", len);
		return false;
	}
	if (!memcmp(got, w, len))
		return true;
	log_hex("got: ", got, len);
	log_hex("want:", w, len);
	return false;
}

#define ASSERT_BYTES(got, len, want) ASSERT_TRUE(same_bytes(got, len, want))

/* --- TLS 1.3 ------------------------------------------------------------ */

/*
 * RFC 8448 section 3 (Simple 1-RTT Handshake, TLS_AES_128_GCM_SHA256): each
 * traffic secret is the "PRK" of a "derive ... traffic keys" step, key and iv
 * are its "key expanded" and "iv expanded".  Copied from the RFC text.
 */
FIXTURE(rfc8448) { int unused; };
FIXTURE_VARIANT(rfc8448) { const char *secret, *key, *iv; };
FIXTURE_SETUP(rfc8448) {}
FIXTURE_TEARDOWN(rfc8448) {}

/* "{server}  derive write traffic keys for handshake data" */
FIXTURE_VARIANT_ADD(rfc8448, server_handshake) {
	.secret = "b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4"
		  "e9 c9 12 bc de d9 10 5d 42 be fd 59 d3 91 ad 38",
	.key = "3f ce 51 60 09 c2 17 27 d0 f2 e4 e8 6e e4 03 bc",
	.iv = "5d 31 3e b2 67 12 76 ee 13 00 0b 30",
};

/* "{server}  derive read traffic keys for handshake data" (the client's) */
FIXTURE_VARIANT_ADD(rfc8448, client_handshake) {
	.secret = "b3 ed db 12 6e 06 7f 35 a7 80 b3 ab f4 5e 2d 8f"
		  "3b 1a 95 07 38 f5 2e 96 00 74 6a 0e 27 a5 5a 21",
	.key = "db fa a6 93 d1 76 2c 5b 66 6a f5 d9 50 25 8d 01",
	.iv = "5b d3 c7 1b 83 6e 0b 76 bb 73 26 5f",
};

/* "{server}  derive write traffic keys for application data" */
FIXTURE_VARIANT_ADD(rfc8448, server_application) {
	.secret = "a1 1a f9 f0 55 31 f8 56 ad 47 11 6b 45 a9 50 32"
		  "82 04 b4 f4 4b fb 6b 3a 4b 4f 1f 3f cb 63 16 43",
	.key = "9f 02 28 3b 6c 9c 07 ef c2 6b b9 f2 ac 92 e3 56",
	.iv = "cf 78 2b 88 dd 83 54 9a ad f1 e9 84",
};

/* "{client}  derive write traffic keys for application data" */
FIXTURE_VARIANT_ADD(rfc8448, client_application) {
	.secret = "9e 40 64 6c e7 9a 7f 9d c0 5a f8 88 9b ce 65 52"
		  "87 5a fa 0b 06 df 00 87 f7 92 eb b7 c1 75 04 a5",
	.key = "17 42 2d da 59 6e d5 d9 ac d8 90 e3 c6 3f 50 51",
	.iv = "5b 78 92 3d ee 08 57 90 33 e5 23 d9",
};

TEST_F(rfc8448, traffic_keys)
{
	uint8_t secret[32], key[16], iv[12];

	ASSERT_EQ(unhex(variant->secret, secret, sizeof(secret)), sizeof(secret));
	ASSERT_EQ(kd_tls13_traffic_keys(EVP_sha256(), secret, sizeof(secret), key, sizeof(key), iv), 0);
	ASSERT_BYTES(key, sizeof(key), variant->key);
	ASSERT_BYTES(iv, sizeof(iv), variant->iv);
}

/*
 * TLS_AES_256_GCM_SHA384 shape: 48-byte secret, 32-byte key, 12-byte iv.  No
 * published trace uses it, so the expected values come from the OpenSSL CLI:
 *   openssl kdf -keylen 32 -kdfopt digest:SHA384 -kdfopt mode:EXPAND_ONLY \
 *	-kdfopt hexkey:<secret> -kdfopt hexinfo:002009746c733133206b657900 HKDF
 *   openssl kdf -keylen 12 -kdfopt digest:SHA384 -kdfopt mode:EXPAND_ONLY \
 *	-kdfopt hexkey:<secret> -kdfopt hexinfo:000c08746c73313320697600 HKDF
 * (info = HkdfLabel: uint16 length, uint8 label length, "tls13 key" or
 * "tls13 iv", uint8 0 for the empty context), and agree with a from-scratch
 * HMAC-SHA384 HKDF-Expand in Python.  The secret is (0xa0 + 7 * i) & 0xff.
 */
TEST(tls13_aes256_sha384)
{
	uint8_t secret[48], key[32], iv[12];
	size_t i;

	for (i = 0; i < sizeof(secret); i++)
		secret[i] = (uint8_t)(0xa0 + 7 * i);
	ASSERT_EQ(kd_tls13_traffic_keys(EVP_sha384(), secret, sizeof(secret), key, sizeof(key), iv), 0);
	ASSERT_BYTES(key, sizeof(key),
		     "741e8b750559a8c0888ef510b753f6ca056874358f330f45d18a34b0362e22d7");
	ASSERT_BYTES(iv, sizeof(iv), "470d75aa8e175fc7b654a0d8");
}

/* --- TLS 1.2 ------------------------------------------------------------ */

/*
 * The P_SHA256 vector from the IETF TLS WG list
 * (https://www.ietf.org/mail-archive/web/tls/current/msg03416.html, as
 * carried in BearSSL's test/test_crypto.c and others); the same 100 bytes
 * come out of
 *   openssl kdf -keylen 100 -kdfopt digest:SHA256 \
 *	-kdfopt hexsecret:9bbe436ba940f017b17652849a71db35 \
 *	-kdfopt hexseed:74657374206c6162656c<seed> TLS1-PRF
 */
TEST(tls12_prf_sha256)
{
	static const uint8_t secret[] = {
		0x9b, 0xbe, 0x43, 0x6b, 0xa9, 0x40, 0xf0, 0x17,
		0xb1, 0x76, 0x52, 0x84, 0x9a, 0x71, 0xdb, 0x35,
	};
	static const uint8_t seed[] = {
		0xa0, 0xba, 0x9f, 0x93, 0x6c, 0xda, 0x31, 0x18,
		0x27, 0xa6, 0xf7, 0x96, 0xff, 0xd5, 0x19, 0x8c,
	};
	uint8_t out[100];

	ASSERT_EQ(kd_tls12_prf(EVP_sha256(), secret, sizeof(secret), "test label",
			       seed, sizeof(seed), out, sizeof(out)), 0);
	ASSERT_BYTES(out, sizeof(out),
		     "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a"
		     "6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab"
		     "4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff701"
		     "87347b66");
}

/*
 * The P_SHA384 companion of the vector above (same source, BearSSL's
 * test/test_crypto.c); identical to
 *   openssl kdf -keylen 148 -kdfopt digest:SHA384 \
 *	-kdfopt hexsecret:b80b733d6ceefcdc71566ea48e5567df \
 *	-kdfopt hexseed:74657374206c6162656c<seed> TLS1-PRF
 */
TEST(tls12_prf_sha384)
{
	static const uint8_t secret[] = {
		0xb8, 0x0b, 0x73, 0x3d, 0x6c, 0xee, 0xfc, 0xdc,
		0x71, 0x56, 0x6e, 0xa4, 0x8e, 0x55, 0x67, 0xdf,
	};
	static const uint8_t seed[] = {
		0xcd, 0x66, 0x5c, 0xf6, 0xa8, 0x44, 0x7d, 0xd6,
		0xff, 0x8b, 0x27, 0x55, 0x5e, 0xdb, 0x74, 0x65,
	};
	uint8_t out[148];

	ASSERT_EQ(kd_tls12_prf(EVP_sha384(), secret, sizeof(secret), "test label",
			       seed, sizeof(seed), out, sizeof(out)), 0);
	ASSERT_BYTES(out, sizeof(out),
		     "7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cd"
		     "e9ca0faa60be9fe34f82b1233c9146a0e534cb400fed2700884f9dc236f80edd"
		     "8bfa961144c9e8d792eca722a7b32fc3d416d473ebc2c5fd4abfdad05d918425"
		     "9b5bf8cd4d90fa0d31e2dec479e4f1a26066f2eea9a69236a3e52655c9e9aee6"
		     "91c8f3a26854308d5eaa3be85e0990703d73e56f");
}

/*
 * Key block inputs: master = 01 02 .. 30, client_random = c0 .. df,
 * server_random = 50 .. 6f.  Expected values from
 *   openssl kdf -keylen <n> -kdfopt digest:<md> -kdfopt hexsecret:<master> \
 *	-kdfopt hexseed:6b657920657870616e73696f6e<server_random><client_random> TLS1-PRF
 * ("key expansion" || server_random || client_random, RFC 5246 6.3), and
 * agree with a from-scratch P_hash in Python.
 */
static void key_block_inputs(uint8_t master[48], uint8_t cr[32], uint8_t sr[32])
{
	int i;

	for (i = 0; i < 48; i++)
		master[i] = (uint8_t)(1 + i);
	for (i = 0; i < 32; i++) {
		cr[i] = (uint8_t)(0xc0 + i);
		sr[i] = (uint8_t)(0x50 + i);
	}
}

/* 40 bytes: the AES-128-GCM key block (two 16-byte keys, two 4-byte salts). */
TEST(tls12_key_block_sha256)
{
	uint8_t master[48], cr[32], sr[32], out[40];

	key_block_inputs(master, cr, sr);
	ASSERT_EQ(kd_tls12_key_block(EVP_sha256(), master, sizeof(master), cr, sr,
				     out, sizeof(out)), 0);
	ASSERT_BYTES(out, sizeof(out),
		     "c92706cdce68d95a057379fc3713c5afdd707512be3b23ba76076071823bf7dc"
		     "d16ed3744600c3d1");
}

/* 72 bytes: the AES-256-GCM key block with the SHA-384 PRF. */
TEST(tls12_key_block_sha384)
{
	uint8_t master[48], cr[32], sr[32], out[72];

	key_block_inputs(master, cr, sr);
	ASSERT_EQ(kd_tls12_key_block(EVP_sha384(), master, sizeof(master), cr, sr,
				     out, sizeof(out)), 0);
	ASSERT_BYTES(out, sizeof(out),
		     "ffceefb8febd595d6ae0a46b8150649b771dac025cc0a0a2918d35c552119e78"
		     "b48280935ff6ebeebac2a0c7e9c915bdbdac1890731d08734e0c60c278f1e9fb"
		     "e8dedbd5b69acbf4");
}

/* The key block is exactly the PRF with label "key expansion" over server || client. */
TEST(tls12_key_block_is_prf)
{
	uint8_t master[48], cr[32], sr[32], seed[64], kb[40], prf[40];

	key_block_inputs(master, cr, sr);
	memcpy(seed, sr, 32);
	memcpy(seed + 32, cr, 32);
	ASSERT_EQ(kd_tls12_key_block(EVP_sha256(), master, sizeof(master), cr, sr,
				     kb, sizeof(kb)), 0);
	ASSERT_EQ(kd_tls12_prf(EVP_sha256(), master, sizeof(master), "key expansion",
			       seed, sizeof(seed), prf, sizeof(prf)), 0);
	ASSERT_EQ(memcmp(kb, prf, sizeof(kb)), 0);
}

/*
 * Swapping the randoms must change the block: a client || server seed (the
 * master-secret order) would give a7254cb2... per the same openssl command.
 */
TEST(tls12_key_block_random_order)
{
	uint8_t master[48], cr[32], sr[32], out[40], swapped[40];

	key_block_inputs(master, cr, sr);
	ASSERT_EQ(kd_tls12_key_block(EVP_sha256(), master, sizeof(master), cr, sr,
				     out, sizeof(out)), 0);
	ASSERT_EQ(kd_tls12_key_block(EVP_sha256(), master, sizeof(master), sr, cr,
				     swapped, sizeof(swapped)), 0);
	ASSERT_NE(memcmp(out, swapped, sizeof(out)), 0);
	ASSERT_BYTES(swapped, sizeof(swapped),
		     "a7254cb2ae01a185eb7a0b40b838f2d2014957d00f2948bf10289cc7a11335ea"
		     "4c7a1bab8bf68c49");
}

/* kd_unhex() reads the key log's secrets: hex of either case and nothing else. */
TEST(unhex)
{
	uint8_t out[4];
	size_t len = 0;

	ASSERT_EQ(kd_unhex("00ff7Fa0", out, sizeof(out), &len), 0);
	ASSERT_EQ(len, 4u);
	ASSERT_BYTES(out, 4, "00ff7fa0");
	ASSERT_EQ(kd_unhex("", out, sizeof(out), &len), 0);
	ASSERT_EQ(len, 0u);
	ASSERT_EQ(kd_unhex("abc", out, sizeof(out), &len), -1);	/* odd */
	ASSERT_EQ(kd_unhex("0011223344", out, sizeof(out), &len), -1);	/* too long */
	ASSERT_EQ(kd_unhex("0g", out, sizeof(out), &len), -1);
	ASSERT_EQ(kd_unhex(" f", out, sizeof(out), &len), -1);
	ASSERT_EQ(kd_unhex("+f", out, sizeof(out), &len), -1);
}

TEST_HARNESS_MAIN
