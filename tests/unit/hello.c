// SPDX-License-Identifier: GPL-2.0
/*
 * khttpsd's ClientHello reader (hello.c): the server name from real OpenSSL
 * hellos, incomplete input, every malformation it must refuse, and a fuzz
 * loop over mutated hellos.
 */
#include <stddef.h>
#include <openssl/bio.h>
#include <openssl/ssl.h>

#include "../harness.h"
#include "khttpsd.h"

#define HELLO_MAX (5 + 16384 + 64)	/* a full record and room to overflow it */

/*
 * The length fields of a hello: position of each, and its width.  F_SNI_*
 * are the server_name extension's own (its data length, the list length and
 * the host_name length) and are only meaningful when the hello has one.
 */
enum { F_REC, F_HS, F_SID, F_SUITES, F_COMP, F_EXTS, F_SNI_EXT, F_SNI_LIST, F_SNI_NAME, F_N };
static const size_t f_width[F_N] = { 2, 3, 1, 2, 1, 2, 2, 2, 2 };

#define OUTER		(1u << F_REC | 1u << F_HS)
#define IN_EXTS		(OUTER | 1u << F_EXTS)
#define IN_SNI_NAME	(IN_EXTS | 1u << F_SNI_EXT | 1u << F_SNI_LIST | 1u << F_SNI_NAME)

struct hello {
	size_t len;
	size_t f[F_N];
	size_t sni;		/* offset of the server_name extension; 0: none */
	bool versions;		/* has supported_versions (43): offers TLS 1.3 */
	uint8_t b[HELLO_MAX];	/* last: a copy need only take len bytes of it */
};

/*
 * The client's first flight from OpenSSL: a TLS client on memory BIOs stops
 * after writing its ClientHello, waiting for a server that is not there.
 * Returns the byte count, or 0 when OpenSSL would not produce one.
 */
static size_t openssl_hello(int max_version, const char *name, uint8_t *out, size_t max)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = NULL;
	BIO *rbio, *wbio;
	int n = 0;

	if (!ctx || !SSL_CTX_set_max_proto_version(ctx, max_version))
		goto out;
	ssl = SSL_new(ctx);
	rbio = BIO_new(BIO_s_mem());
	wbio = BIO_new(BIO_s_mem());
	if (!ssl || !rbio || !wbio) {
		BIO_free(rbio);
		BIO_free(wbio);
		goto out;
	}
	SSL_set_bio(ssl, rbio, wbio);
	SSL_set_connect_state(ssl);
	if (name && !SSL_set_tlsext_host_name(ssl, name))
		goto out;
	if (SSL_do_handshake(ssl) != -1 || SSL_get_error(ssl, -1) != SSL_ERROR_WANT_READ)
		goto out;
	n = BIO_read(wbio, out, (int)max);
out:
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	return n > 0 ? (size_t)n : 0;
}

static size_t get_be(const uint8_t *p, size_t width)
{
	size_t v = 0;

	while (width--)
		v = v << 8 | *p++;
	return v;
}

static size_t get(const struct hello *h, int f)
{
	return get_be(h->b + h->f[f], f_width[f]);
}

static void put(struct hello *h, int f, size_t v)
{
	size_t w = f_width[f];

	while (w--) {
		h->b[h->f[f] + w] = (uint8_t)v;
		v >>= 8;
	}
}

/*
 * Find the length fields of a hello we trust (OpenSSL's): a plain walk, no
 * checking beyond that it adds up to the bytes we have.
 */
static bool locate(struct hello *h)
{
	size_t p, end;

	h->f[F_REC] = 3;
	h->f[F_HS] = 6;
	h->f[F_SID] = 9 + 2 + 32;
	h->f[F_SUITES] = h->f[F_SID] + 1 + get(h, F_SID);
	h->f[F_COMP] = h->f[F_SUITES] + 2 + get(h, F_SUITES);
	h->f[F_EXTS] = h->f[F_COMP] + 1 + get(h, F_COMP);
	end = h->f[F_EXTS] + 2 + get(h, F_EXTS);
	h->sni = 0;
	h->versions = false;
	for (p = h->f[F_EXTS] + 2; p + 4 <= end; p += 4 + get_be(h->b + p + 2, 2)) {
		if (get_be(h->b + p, 2) == 0)
			h->sni = p;
		if (get_be(h->b + p, 2) == 43)
			h->versions = true;
	}
	h->f[F_SNI_EXT] = h->sni + 2;
	h->f[F_SNI_LIST] = h->sni + 4;
	h->f[F_SNI_NAME] = h->sni + 7;
	return h->b[0] == 22 && h->b[5] == 1 && p == end && end == h->len &&
	       get(h, F_REC) == h->len - 5 && get(h, F_HS) == h->len - 9;
}

static bool make_hello(struct hello *h, int max_version, const char *name)
{
	memset(h, 0, sizeof(*h));
	h->len = openssl_hello(max_version, name, h->b, sizeof(h->b));
	return h->len && locate(h);
}

/*
 * Replace @del bytes at @at with @n bytes of @ins, and grow or shrink each
 * length field in @fix by the difference; fields after the edit move with it.
 */
static void splice(struct hello *h, size_t at, size_t del, const void *ins, size_t n,
		   unsigned int fix)
{
	int i;

	if (at + del > h->len || h->len - del + n > sizeof(h->b))
		abort();	/* a broken test, not a finding */
	memmove(h->b + at + n, h->b + at + del, h->len - at - del);
	if (n)
		memcpy(h->b + at, ins, n);
	h->len = h->len - del + n;
	for (i = 0; i < F_N; i++) {
		if (h->f[i] >= at + del)
			h->f[i] = h->f[i] + n - del;
		if (fix & 1u << i)
			put(h, i, get(h, i) + n - del);
	}
	if (h->sni >= at + del)
		h->sni = h->sni + n - del;
}

static size_t sni_name_at(const struct hello *h)
{
	return h->f[F_SNI_NAME] + 2;
}

/*
 * Call the reader on a copy of exactly @len bytes, so AddressSanitizer (when
 * built with it) sees any read past the end.
 */
static int sni_of(const uint8_t *b, size_t len, char *sni, size_t sni_len)
{
	uint8_t *copy = malloc(len ? len : 1);
	int ret;

	if (!copy)
		abort();
	memcpy(copy, b, len);
	ret = kd_hello_sni(len ? copy : copy + 1, len, sni, sni_len);
	free(copy);
	return ret;
}

/* The verdict on a whole hello; @sni is "" afterwards unless the answer is 1. */
static int verdict(const struct hello *h, char sni[256])
{
	memset(sni, 'x', 256);
	return sni_of(h->b, h->len, sni, 256);
}

/* --- real hellos, one per protocol ceiling ---------------------------- */

FIXTURE(hello) {
	struct hello h;
	char sni[256];
};
FIXTURE_VARIANT(hello) { int max_version; };
FIXTURE_VARIANT_ADD(hello, tls13) { .max_version = TLS1_3_VERSION };
FIXTURE_VARIANT_ADD(hello, tls12) { .max_version = TLS1_2_VERSION };

FIXTURE_SETUP(hello)
{
	ASSERT_TRUE(make_hello(&self->h, variant->max_version, "www.example.test"));
	ASSERT_NE(self->h.sni, 0u);
	/* The TLS 1.2-only hello really is one: no supported_versions. */
	ASSERT_EQ(self->h.versions, variant->max_version == TLS1_3_VERSION);
}
FIXTURE_TEARDOWN(hello) {}

TEST_F(hello, real)
{
	TH_LOG("%zu-byte ClientHello", self->h.len);
	ASSERT_EQ(verdict(&self->h, self->sni), 1);
	ASSERT_STREQ(self->sni, "www.example.test");
}

TEST_F(hello, every_prefix_wants_more)
{
	size_t n;

	for (n = 0; n < self->h.len; n++) {
		memset(self->sni, 'x', sizeof(self->sni));
		ASSERT_EQ(sni_of(self->h.b, n, self->sni, sizeof(self->sni)), -EAGAIN);
		ASSERT_EQ(self->sni[0], '\0');
	}
}

/* What follows the first record (early data, the next record) is not looked at. */
TEST_F(hello, bytes_after_the_record)
{
	static const uint8_t more[] = { 23, 3, 3, 0, 200, 1, 2, 3 };

	memcpy(self->h.b + self->h.len, more, sizeof(more));
	self->h.len += sizeof(more);
	ASSERT_EQ(verdict(&self->h, self->sni), 1);
	ASSERT_STREQ(self->sni, "www.example.test");
}

TEST_F(hello, not_handshake_record)
{
	self->h.b[0] = 23;	/* application_data */
	ASSERT_EQ(verdict(&self->h, self->sni), -EPROTO);
	self->h.b[0] = 21;	/* alert */
	ASSERT_EQ(verdict(&self->h, self->sni), -EPROTO);
}

TEST_F(hello, record_length_zero)
{
	put(&self->h, F_REC, 0);
	ASSERT_EQ(verdict(&self->h, self->sni), -EPROTO);
	ASSERT_EQ(sni_of(self->h.b, 5, self->sni, sizeof(self->sni)), -EPROTO);
}

/* 2^14 is the largest plaintext record: padded up to it a hello passes, one byte more fails. */
TEST_F(hello, record_length_limit)
{
	struct hello big = self->h;
	uint8_t pad[16384] = { 0, 21 };		/* padding (RFC 7685), length set below */
	size_t n = 16384 - get(&self->h, F_REC);

	pad[2] = (uint8_t)((n - 4) >> 8);
	pad[3] = (uint8_t)(n - 4);
	splice(&big, big.len, 0, pad, n, IN_EXTS);
	ASSERT_EQ(get(&big, F_REC), 16384u);
	ASSERT_EQ(verdict(&big, self->sni), 1);
	ASSERT_STREQ(self->sni, "www.example.test");

	big = self->h;
	pad[2] = (uint8_t)((n - 3) >> 8);
	pad[3] = (uint8_t)(n - 3);
	splice(&big, big.len, 0, pad, n + 1, IN_EXTS);
	ASSERT_EQ(get(&big, F_REC), 16385u);
	ASSERT_EQ(verdict(&big, self->sni), -EPROTO);
	/* Refused from the header alone: no waiting for a record that is too big anyway. */
	ASSERT_EQ(sni_of(big.b, 5, self->sni, sizeof(self->sni)), -EPROTO);

	put(&self->h, F_REC, 0xffff);
	ASSERT_EQ(verdict(&self->h, self->sni), -EPROTO);
}

TEST_F(hello, not_client_hello)
{
	self->h.b[5] = 2;	/* server_hello */
	ASSERT_EQ(verdict(&self->h, self->sni), -EPROTO);
	self->h.b[5] = 0;
	ASSERT_EQ(verdict(&self->h, self->sni), -EPROTO);
}

/* The same hello in two records, split in the middle: legal, but not for this reader. */
TEST_F(hello, split_over_records)
{
	struct hello two = self->h;
	size_t first = (self->h.len - 5) / 2;
	const uint8_t hdr[5] = { 22, 3, 1, (uint8_t)((self->h.len - 5 - first) >> 8),
				 (uint8_t)(self->h.len - 5 - first) };

	splice(&two, 5 + first, 0, hdr, sizeof(hdr), 0);
	put(&two, F_REC, first);
	ASSERT_EQ(verdict(&two, self->sni), -EPROTO);
	/* Also when only the first record has arrived. */
	ASSERT_EQ(sni_of(two.b, 5 + first, self->sni, sizeof(self->sni)), -EPROTO);
}

TEST_F(hello, handshake_length_past_record)
{
	put(&self->h, F_HS, get(&self->h, F_HS) + 1);
	ASSERT_EQ(verdict(&self->h, self->sni), -EPROTO);
	put(&self->h, F_HS, 0xffffff);
	ASSERT_EQ(verdict(&self->h, self->sni), -EPROTO);
	/* All 24 bits count: the right length plus 2^16 is not the right length. */
	put(&self->h, F_HS, self->h.len - 9 + 0x10000);
	ASSERT_EQ(verdict(&self->h, self->sni), -EPROTO);
}

/* A handshake length that stops short: every field after it is cut. */
TEST_F(hello, handshake_length_short)
{
	size_t cut[] = { 0, 1, 2, 20, 34, self->h.f[F_SID] - 9 + 1, self->h.f[F_SUITES] - 9 + 3,
			 self->h.f[F_EXTS] - 9 + 1, self->h.len - 9 - 1 };
	size_t i;

	for (i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
		struct hello h = self->h;

		put(&h, F_HS, cut[i]);
		EXPECT_EQ(verdict(&h, self->sni), -EPROTO);
	}
}

TEST_F(hello, session_id_too_long)
{
	uint8_t sid[40] = { 0 };
	size_t have = get(&self->h, F_SID);

	/* Exactly 32 is fine; make it 32 first, then 33. */
	splice(&self->h, self->h.f[F_SID] + 1, have, sid, 32, OUTER | 1u << F_SID);
	ASSERT_EQ(verdict(&self->h, self->sni), 1);
	splice(&self->h, self->h.f[F_SID] + 1, 0, sid, 1, OUTER | 1u << F_SID);
	ASSERT_EQ(get(&self->h, F_SID), 33u);
	ASSERT_EQ(verdict(&self->h, self->sni), -EPROTO);
}

TEST_F(hello, session_id_past_hello)
{
	put(&self->h, F_SID, 255);
	ASSERT_EQ(verdict(&self->h, self->sni), -EPROTO);
}

TEST_F(hello, cipher_suites_odd)
{
	uint8_t one = 0x13;

	splice(&self->h, self->h.f[F_SUITES] + 2, 0, &one, 1, OUTER | 1u << F_SUITES);
	ASSERT_EQ(verdict(&self->h, self->sni), -EPROTO);
}

TEST_F(hello, cipher_suites_empty)
{
	splice(&self->h, self->h.f[F_SUITES] + 2, get(&self->h, F_SUITES), NULL, 0,
	       OUTER | 1u << F_SUITES);
	ASSERT_EQ(get(&self->h, F_SUITES), 0u);
	ASSERT_EQ(verdict(&self->h, self->sni), -EPROTO);
}

TEST_F(hello, cipher_suites_past_hello)
{
	put(&self->h, F_SUITES, 0xfffe);
	ASSERT_EQ(verdict(&self->h, self->sni), -EPROTO);
}

TEST_F(hello, compression_empty)
{
	splice(&self->h, self->h.f[F_COMP] + 1, get(&self->h, F_COMP), NULL, 0,
	       OUTER | 1u << F_COMP);
	ASSERT_EQ(verdict(&self->h, self->sni), -EPROTO);
}

TEST_F(hello, compression_past_hello)
{
	put(&self->h, F_COMP, 255);
	ASSERT_EQ(verdict(&self->h, self->sni), -EPROTO);
}

/* A hello may end after its compression methods; one stray byte there is no extensions block. */
TEST_F(hello, no_extensions_block)
{
	struct hello h = self->h;
	uint8_t stray = 0;

	splice(&h, h.f[F_EXTS], h.len - h.f[F_EXTS], NULL, 0, OUTER);
	ASSERT_EQ(verdict(&h, self->sni), 0);
	ASSERT_EQ(self->sni[0], '\0');
	splice(&h, h.len, 0, &stray, 1, OUTER);
	ASSERT_EQ(verdict(&h, self->sni), -EPROTO);
}

TEST_F(hello, empty_extensions_block)
{
	splice(&self->h, self->h.f[F_EXTS] + 2, get(&self->h, F_EXTS), NULL, 0, IN_EXTS);
	ASSERT_EQ(get(&self->h, F_EXTS), 0u);
	ASSERT_EQ(verdict(&self->h, self->sni), 0);
}

TEST_F(hello, extensions_length_wrong)
{
	struct hello h = self->h;
	uint8_t junk = 0;

	put(&h, F_EXTS, get(&h, F_EXTS) + 1);
	EXPECT_EQ(verdict(&h, self->sni), -EPROTO);
	/* Shorter than the hello's rest: bytes after the block, inside the hello. */
	h = self->h;
	splice(&h, h.len, 0, &junk, 1, OUTER);
	EXPECT_EQ(verdict(&h, self->sni), -EPROTO);
}

/* The last extension's length runs one byte past the block. */
TEST_F(hello, extension_length_past_block)
{
	size_t p = self->h.f[F_EXTS] + 2, last = p;

	for (; p < self->h.len; p += 4 + get_be(self->h.b + p + 2, 2))
		last = p;
	self->h.b[last + 3]++;
	if (!self->h.b[last + 3])
		self->h.b[last + 2]++;
	ASSERT_EQ(verdict(&self->h, self->sni), -EPROTO);
}

/* One, two or three bytes at the end of the block: too short for an extension header. */
TEST_F(hello, trailing_garbage_in_extensions)
{
	static const uint8_t junk[3] = { 0, 0, 0 };
	size_t n;

	for (n = 1; n <= 3; n++) {
		struct hello h = self->h;

		splice(&h, h.len, 0, junk, n, IN_EXTS);
		EXPECT_EQ(verdict(&h, self->sni), -EPROTO);
	}
}

TEST_F(hello, duplicate_server_name)
{
	uint8_t ext[300];
	size_t n = 4 + get(&self->h, F_SNI_EXT);

	memcpy(ext, self->h.b + self->h.sni, n);
	splice(&self->h, self->h.len, 0, ext, n, IN_EXTS);
	ASSERT_EQ(verdict(&self->h, self->sni), -EPROTO);
	/* The first copy was read before the second was found: nothing of it may remain. */
	ASSERT_EQ(self->sni[0], '\0');
}

TEST_F(hello, server_name_list_length)
{
	struct hello h = self->h;

	put(&h, F_SNI_LIST, get(&h, F_SNI_LIST) + 1);
	EXPECT_EQ(verdict(&h, self->sni), -EPROTO);
	h = self->h;
	put(&h, F_SNI_LIST, get(&h, F_SNI_LIST) - 1);
	EXPECT_EQ(verdict(&h, self->sni), -EPROTO);
	h = self->h;
	put(&h, F_SNI_LIST, 0);
	EXPECT_EQ(verdict(&h, self->sni), -EPROTO);
}

/* A byte after a well-formed list, still inside the extension. */
TEST_F(hello, server_name_after_list)
{
	uint8_t junk = 0;

	splice(&self->h, self->h.f[F_SNI_LIST] + 2 + get(&self->h, F_SNI_LIST), 0, &junk, 1,
	       IN_EXTS | 1u << F_SNI_EXT);
	ASSERT_EQ(verdict(&self->h, self->sni), -EPROTO);
}

/* An empty list, and no list at all (extension data of zero bytes). */
TEST_F(hello, server_name_empty)
{
	struct hello h = self->h;

	splice(&h, h.f[F_SNI_LIST] + 2, get(&h, F_SNI_LIST), NULL, 0,
	       IN_EXTS | 1u << F_SNI_EXT | 1u << F_SNI_LIST);
	EXPECT_EQ(verdict(&h, self->sni), -EPROTO);
	h = self->h;
	splice(&h, h.f[F_SNI_EXT] + 2, get(&h, F_SNI_EXT), NULL, 0, IN_EXTS | 1u << F_SNI_EXT);
	EXPECT_EQ(get(&h, F_SNI_EXT), 0u);
	EXPECT_EQ(verdict(&h, self->sni), -EPROTO);
}

/* A second entry after a good host_name: the list must hold one. */
TEST_F(hello, server_name_second_entry)
{
	static const uint8_t entry[] = { 0, 0, 3, 'b', '.', 't' };

	splice(&self->h, self->h.f[F_SNI_LIST] + 2 + get(&self->h, F_SNI_LIST), 0,
	       entry, sizeof(entry), IN_EXTS | 1u << F_SNI_EXT | 1u << F_SNI_LIST);
	ASSERT_EQ(verdict(&self->h, self->sni), -EPROTO);
}

TEST_F(hello, server_name_not_host_name)
{
	self->h.b[self->h.f[F_SNI_LIST] + 2] = 1;
	ASSERT_EQ(verdict(&self->h, self->sni), -EPROTO);
}

TEST_F(hello, server_name_name_past_list)
{
	put(&self->h, F_SNI_NAME, get(&self->h, F_SNI_NAME) + 1);
	ASSERT_EQ(verdict(&self->h, self->sni), -EPROTO);
}

TEST_F(hello, server_name_empty_name)
{
	splice(&self->h, sni_name_at(&self->h), get(&self->h, F_SNI_NAME), NULL, 0, IN_SNI_NAME);
	ASSERT_EQ(get(&self->h, F_SNI_NAME), 0u);
	ASSERT_EQ(verdict(&self->h, self->sni), -EPROTO);
}

TEST_F(hello, server_name_with_nul)
{
	struct hello h = self->h;

	h.b[sni_name_at(&h) + 3] = '\0';	/* "www\0example.test" */
	EXPECT_EQ(verdict(&h, self->sni), -EPROTO);
	h = self->h;
	h.b[sni_name_at(&h) + get(&h, F_SNI_NAME) - 1] = '\0';	/* a NUL last */
	EXPECT_EQ(verdict(&h, self->sni), -EPROTO);
}

/* "www.example.test" is 16 bytes: it needs 17 with its NUL. */
TEST_F(hello, name_does_not_fit)
{
	memset(self->sni, 'x', sizeof(self->sni));
	ASSERT_EQ(sni_of(self->h.b, self->h.len, self->sni, 16), -EPROTO);
	ASSERT_EQ(self->sni[0], '\0');
	ASSERT_EQ(self->sni[1], 'x');
	ASSERT_EQ(sni_of(self->h.b, self->h.len, self->sni, 17), 1);
	ASSERT_STREQ(self->sni, "www.example.test");
	ASSERT_EQ(sni_of(self->h.b, self->h.len, NULL, 0), -EPROTO);
}

/* --- names --------------------------------------------------------------- */

static int name_verdict(struct th_meta *_metadata, int max_version, const char *name,
			char sni[256])
{
	struct hello h;

	ASSERT_TRUE(make_hello(&h, max_version, name));
	return verdict(&h, sni);
}

TEST(no_server_name)
{
	char sni[256];

	ASSERT_EQ(name_verdict(_metadata, TLS1_3_VERSION, NULL, sni), 0);
	ASSERT_STREQ(sni, "");
	ASSERT_EQ(name_verdict(_metadata, TLS1_2_VERSION, NULL, sni), 0);
	ASSERT_STREQ(sni, "");
}

TEST(trailing_dot)
{
	char sni[256];

	ASSERT_EQ(name_verdict(_metadata, TLS1_3_VERSION, "a.test.", sni), 1);
	ASSERT_STREQ(sni, "a.test");
	ASSERT_EQ(name_verdict(_metadata, TLS1_2_VERSION, "a.test.", sni), 1);
	ASSERT_STREQ(sni, "a.test");
	/* Only one dot goes. */
	ASSERT_EQ(name_verdict(_metadata, TLS1_3_VERSION, "a.test..", sni), 1);
	ASSERT_STREQ(sni, "a.test.");
	/* The root alone is no host. */
	ASSERT_EQ(name_verdict(_metadata, TLS1_3_VERSION, ".", sni), -EPROTO);
	ASSERT_STREQ(sni, "");
}

TEST(case_as_sent)
{
	char sni[256];

	ASSERT_EQ(name_verdict(_metadata, TLS1_3_VERSION, "WWW.Example.TEST", sni), 1);
	ASSERT_STREQ(sni, "WWW.Example.TEST");
}

/* 255 bytes of labels "aaa...a." ending in a letter, longest OpenSSL will send. */
static void long_name(char name[256])
{
	int i;

	for (i = 0; i < 255; i++)
		name[i] = i % 64 == 63 ? '.' : 'a' + i % 26;
	name[255] = '\0';
}

TEST(name_255_bytes)
{
	struct hello h;
	char name[256], sni[256];
	uint8_t dot = '.', more = 'z';

	long_name(name);
	ASSERT_TRUE(make_hello(&h, TLS1_3_VERSION, name));
	ASSERT_EQ(get(&h, F_SNI_NAME), 255u);
	ASSERT_EQ(verdict(&h, sni), 1);
	ASSERT_STREQ(sni, name);
	/* The 256 bytes of the daemon's struct kd_result sni; 255 leave no room for the NUL. */
	ASSERT_EQ(sni_of(h.b, h.len, sni, 255), -EPROTO);

	/* 256 on the wire with the dot, 255 without: accepted. */
	splice(&h, sni_name_at(&h) + 255, 0, &dot, 1, IN_SNI_NAME);
	ASSERT_EQ(get(&h, F_SNI_NAME), 256u);
	ASSERT_EQ(verdict(&h, sni), 1);
	ASSERT_STREQ(sni, name);

	/* 256 without a dot: longer than any DNS name, whatever room @sni has. */
	h.b[sni_name_at(&h) + 255] = more;
	ASSERT_EQ(verdict(&h, sni), -EPROTO);
	{
		char roomy[1024];

		ASSERT_EQ(sni_of(h.b, h.len, roomy, sizeof(roomy)), -EPROTO);
	}
}

/* Plain HTTP on the TLS port: refused from its first byte, not waited on. */
TEST(not_tls_at_all)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n";
	char sni[256];
	size_t n;

	for (n = 1; n <= strlen(req); n++)
		ASSERT_EQ(sni_of((const uint8_t *)req, n, sni, sizeof(sni)), -EPROTO);
	ASSERT_EQ(sni_of((const uint8_t *)req, 0, sni, sizeof(sni)), -EAGAIN);
}

/* --- fuzz -------------------------------------------------------------- */

static uint64_t rng_state;

/* xorshift64*: deterministic, so a failure reproduces. */
static uint32_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

/* One random edit: a byte, a length field, a cut, an insertion or a deletion. */
static void mutate(struct hello *h)
{
	size_t at = h->len ? rnd() % h->len : 0;
	uint8_t b = (uint8_t)rnd();

	switch (rnd() % 6) {
	case 0:
		if (h->len)
			h->b[at] = b;
		break;
	case 1:		/* aim at the lengths: they are what the walk trusts */
		{
			int f = (int)(rnd() % F_N);

			if (h->f[f] + f_width[f] <= h->len)
				put(h, f, rnd() % 4 ? get(h, f) + (rnd() % 5) - 2 : rnd());
		}
		break;
	case 2:
		h->len = at;
		break;
	case 3:
		if (h->len < sizeof(h->b))
			splice(h, at, 0, &b, 1, 0);
		break;
	case 4:
		if (h->len)
			splice(h, at, 1, NULL, 0, 0);
		break;
	default:
		if (h->len)
			h->b[at] ^= (uint8_t)(1u << (rnd() % 8));
		break;
	}
}

TEST(fuzz)
{
	static const size_t room[] = { 0, 1, 2, 7, 17, 255, 256 };
	struct hello *seeds = calloc(4, sizeof(*seeds)), *h = malloc(sizeof(*h));
	char name[256];
	int counts[4] = { 0 };
	long i;

	ASSERT_NE(seeds, NULL);
	ASSERT_NE(h, NULL);
	long_name(name);
	ASSERT_TRUE(make_hello(&seeds[0], TLS1_3_VERSION, "www.example.test"));
	ASSERT_TRUE(make_hello(&seeds[1], TLS1_2_VERSION, "a.test."));
	ASSERT_TRUE(make_hello(&seeds[2], TLS1_3_VERSION, NULL));
	ASSERT_TRUE(make_hello(&seeds[3], TLS1_3_VERSION, name));
	rng_state = 0x6b68747470736421ull;

	for (i = 0; i < 200000; i++) {
		const struct hello *seed = &seeds[rnd() % 4];
		char sni[256 + 16];
		size_t sni_len = room[rnd() % (sizeof(room) / sizeof(room[0]))], k;
		int ret, edits = 1 + (int)(rnd() % 4);

		memcpy(h, seed, offsetof(struct hello, b) + seed->len);
		while (edits--)
			mutate(h);
		memset(sni, 'x', sizeof(sni));
		ret = sni_of(h->b, h->len, sni, sni_len);
		if (ret != 1 && ret != 0 && ret != -EAGAIN && ret != -EPROTO) {
			TH_LOG("iteration %ld: return %d", i, ret);
			ASSERT_TRUE(false);
		}
		/* Nothing written past @sni_len; the name is terminated and has no NUL inside. */
		for (k = sni_len; k < sizeof(sni); k++)
			ASSERT_EQ(sni[k], 'x');
		if (ret == 1) {
			ASSERT_LT(strnlen(sni, sni_len), sni_len);
			ASSERT_GT(strlen(sni), 0u);
			ASSERT_LE(strlen(sni), 255u);
		} else if (sni_len) {
			ASSERT_EQ(sni[0], '\0');
		}
		counts[ret == 1 ? 0 : ret == 0 ? 1 : ret == -EAGAIN ? 2 : 3]++;
	}
	free(h);
	free(seeds);
	TH_LOG("fuzz: %d named, %d unnamed, %d incomplete, %d refused",
	       counts[0], counts[1], counts[2], counts[3]);
	/* The mutations must reach every outcome, or the loop tests little. */
	ASSERT_GT(counts[0], 1000);
	ASSERT_GT(counts[1], 100);
	ASSERT_GT(counts[2], 1000);
	ASSERT_GT(counts[3], 1000);
}

TEST_HARNESS_MAIN
