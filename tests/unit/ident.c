// SPDX-License-Identifier: GPL-2.0
/*
 * khttpsd client identity from mbedTLS (ident_mbedtls.c): every string must
 * be byte for byte what the OpenSSL engine reports for the same certificate.
 *
 * Each test builds certificates with OpenSSL, parses the DER both with
 * OpenSSL (rendered as engine_openssl.c renders it) and with mbedTLS (given
 * to kd_mbedtls_identity()), and asserts that the two agree; where the
 * expected text is easy to state it is asserted literally as well, so a
 * change in OpenSSL's own output shows up here too.
 */
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <mbedtls/x509_crt.h>

#include "../harness.h"
#include "khttpsd.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* One attribute of a name to build. */
struct attr {
	const char *type;	/* a short name or a dotted OID */
	int tag;		/* V_ASN1_*: the value is stored as given, unconverted */
	const char *val;
	int len;		/* 0: strlen(val) */
	bool join;		/* in the same RDN as the attribute before */
};

#define A(type, tag, val) { type, tag, val, 0, false }
#define A_LEN(type, tag, val, len) { type, tag, val, len, false }
#define A_JOIN(type, tag, val) { type, tag, val, 0, true }
#define ATTRS(a) a, ARRAY_SIZE(a)

static X509_NAME *make_name(struct th_meta *_metadata, const struct attr *a, size_t n)
{
	X509_NAME *name = X509_NAME_new();
	X509_NAME_ENTRY *e;
	ASN1_OBJECT *obj;
	size_t i;

	ASSERT_TRUE(name);
	for (i = 0; i < n; i++) {
		obj = OBJ_txt2obj(a[i].type, 0);
		ASSERT_TRUE(obj);
		e = X509_NAME_ENTRY_create_by_OBJ(NULL, obj, a[i].tag,
						  (const unsigned char *)a[i].val,
						  a[i].len ? a[i].len : (int)strlen(a[i].val));
		ASSERT_TRUE(e);
		ASSERT_EQ(X509_NAME_add_entry(name, e, -1, a[i].join ? -1 : 0), 1);
		X509_NAME_ENTRY_free(e);
		ASN1_OBJECT_free(obj);
	}
	return name;
}

static EVP_PKEY *key(struct th_meta *_metadata)
{
	static EVP_PKEY *k;

	if (!k)
		k = EVP_EC_gen("P-256");
	ASSERT_TRUE(k);
	return k;
}

/*
 * A certificate's DER (OPENSSL_free it): @serial is the hex of the serial's
 * INTEGER contents, so padding and negative numbers are spelled out.
 */
static unsigned char *make_cert(struct th_meta *_metadata, X509_NAME *subject,
				X509_NAME *issuer, const char *serial, int *len)
{
	unsigned char enc[2 + 64], *der = NULL;
	const unsigned char *p = enc;
	ASN1_INTEGER *sn;
	size_t n = strlen(serial) / 2, i;
	unsigned int v;
	X509 *x = X509_new();

	ASSERT_TRUE(x);
	ASSERT_LE(n, sizeof(enc) - 2);
	enc[0] = V_ASN1_INTEGER;
	enc[1] = (unsigned char)n;
	for (i = 0; i < n; i++) {
		ASSERT_EQ(sscanf(serial + 2 * i, "%2x", &v), 1);
		enc[2 + i] = (unsigned char)v;
	}
	sn = d2i_ASN1_INTEGER(NULL, &p, (long)(2 + n));
	ASSERT_TRUE(sn);
	ASSERT_EQ(X509_set_serialNumber(x, sn), 1);
	ASN1_INTEGER_free(sn);
	ASSERT_EQ(X509_set_subject_name(x, subject), 1);
	ASSERT_EQ(X509_set_issuer_name(x, issuer), 1);
	ASSERT_TRUE(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	ASSERT_TRUE(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
	ASSERT_EQ(X509_set_pubkey(x, key(_metadata)), 1);
	ASSERT_GT(X509_sign(x, key(_metadata), EVP_sha256()), 0);
	*len = i2d_X509(x, &der);
	ASSERT_GT(*len, 0);
	X509_free(x);
	return der;
}

/* Both libraries' view of @der, asserted identical; @got is mbedTLS's. */
static void compare_der(struct th_meta *_metadata, const unsigned char *der, int len,
			struct kd_result *got)
{
	struct kd_result want;
	const unsigned char *p = der;
	mbedtls_x509_crt crt;
	X509 *x;
	int err;

	memset(&want, 0, sizeof(want));
	memset(got, 0, sizeof(*got));
	x = d2i_X509(NULL, &p, len);
	ASSERT_TRUE(x);
	kd_openssl_identity(x, &want);
	X509_free(x);
	ASSERT_TRUE(want.client_cert);

	mbedtls_x509_crt_init(&crt);
	err = mbedtls_x509_crt_parse_der(&crt, der, (size_t)len);
	if (err)
		TH_LOG("mbedtls_x509_crt_parse_der: -0x%04x", (unsigned int)-err);
	ASSERT_EQ(err, 0);
	err = kd_mbedtls_identity(&crt, got);
	mbedtls_x509_crt_free(&crt);
	ASSERT_EQ(err, 0);
	ASSERT_TRUE(got->client_cert);
	EXPECT_STREQ(got->client_subject, want.client_subject);
	EXPECT_STREQ(got->client_issuer, want.client_issuer);
	EXPECT_STREQ(got->client_serial, want.client_serial);
	EXPECT_STREQ(got->client_cn, want.client_cn);
	EXPECT_EQ(memcmp(got->client_sha256, want.client_sha256, 32), 0);
}

static const struct attr default_issuer[] = {
	A("C", V_ASN1_PRINTABLESTRING, "DE"),
	A("O", V_ASN1_UTF8STRING, "khttps test"),
	A("CN", V_ASN1_UTF8STRING, "Test CA"),
};

/* A certificate for @subj (issued by @iss, or default_issuer) through compare_der(). */
static void compare(struct th_meta *_metadata, const struct attr *subj, size_t nsubj,
		    const struct attr *iss, size_t niss, const char *serial,
		    struct kd_result *got)
{
	X509_NAME *s = make_name(_metadata, subj, nsubj);
	X509_NAME *i = iss ? make_name(_metadata, iss, niss) :
			     make_name(_metadata, ATTRS(default_issuer));
	unsigned char *der;
	int len;

	der = make_cert(_metadata, s, i, serial ? serial : "01", &len);
	compare_der(_metadata, der, len, got);
	OPENSSL_free(der);
	X509_NAME_free(s);
	X509_NAME_free(i);
}

#define COMPARE(subj, got) compare(_metadata, ATTRS(subj), NULL, 0, NULL, got)

TEST(common_attributes)
{
	static const struct attr subj[] = {
		A("DC", V_ASN1_IA5STRING, "org"),
		A("DC", V_ASN1_IA5STRING, "example"),
		A("C", V_ASN1_PRINTABLESTRING, "DE"),
		A("ST", V_ASN1_UTF8STRING, "Berlin"),
		A("L", V_ASN1_UTF8STRING, "Kreuzberg"),
		A("O", V_ASN1_UTF8STRING, "Example GmbH"),
		A("OU", V_ASN1_UTF8STRING, "Engineering"),
		A("CN", V_ASN1_UTF8STRING, "alice"),
		A("emailAddress", V_ASN1_IA5STRING, "alice@example.org"),
		A("serialNumber", V_ASN1_PRINTABLESTRING, "1234"),
		A("UID", V_ASN1_UTF8STRING, "a1"),
		A("GN", V_ASN1_UTF8STRING, "Alice"),
		A("SN", V_ASN1_UTF8STRING, "Liddell"),
	};
	struct kd_result got;
	uint8_t md[32];
	unsigned int mdlen;
	X509_NAME *s = make_name(_metadata, ATTRS(subj));
	X509_NAME *i = make_name(_metadata, ATTRS(default_issuer));
	unsigned char *der;
	const unsigned char *p;
	int len;
	X509 *x;

	der = make_cert(_metadata, s, i, "01", &len);
	compare_der(_metadata, der, len, &got);
	EXPECT_STREQ(got.client_subject,
		     "SN=Liddell,GN=Alice,UID=a1,serialNumber=1234,"
		     "emailAddress=alice@example.org,CN=alice,OU=Engineering,"
		     "O=Example GmbH,L=Kreuzberg,ST=Berlin,C=DE,DC=example,DC=org");
	EXPECT_STREQ(got.client_issuer, "CN=Test CA,O=khttps test,C=DE");
	EXPECT_STREQ(got.client_cn, "alice");
	EXPECT_STREQ(got.client_serial, "01");

	/* The fingerprint is of the DER as sent: X509_digest() of it. */
	p = der;
	x = d2i_X509(NULL, &p, len);
	ASSERT_TRUE(x);
	ASSERT_EQ(X509_digest(x, EVP_sha256(), md, &mdlen), 1);
	ASSERT_EQ(mdlen, 32u);
	EXPECT_EQ(memcmp(got.client_sha256, md, 32), 0);
	ASSERT_EQ(EVP_Digest(der, (size_t)len, md, NULL, EVP_sha256(), NULL), 1);
	EXPECT_EQ(memcmp(got.client_sha256, md, 32), 0);
	X509_free(x);
	OPENSSL_free(der);
	X509_NAME_free(s);
	X509_NAME_free(i);
}

/* A multi-valued RDN comes out reversed, joined by "+". */
TEST(multi_valued_rdn)
{
	static const struct attr subj[] = {
		A("O", V_ASN1_UTF8STRING, "Org"),
		A("CN", V_ASN1_UTF8STRING, "bob"),
		A_JOIN("UID", V_ASN1_UTF8STRING, "b2"),
		A_JOIN("OU", V_ASN1_UTF8STRING, "x"),
		A("C", V_ASN1_PRINTABLESTRING, "FR"),
	};
	struct kd_result got;

	COMPARE(subj, &got);
	/*
	 * DER sorts a SET by encoding (shorter first here: OU, CN, UID), and
	 * OpenSSL prints the whole list backwards.
	 */
	EXPECT_STREQ(got.client_subject, "C=FR,UID=b2+CN=bob+OU=x,O=Org");
	EXPECT_STREQ(got.client_cn, "bob");
}

/* The first common name in certificate order is the one reported. */
TEST(first_common_name)
{
	static const struct attr subj[] = {
		A("CN", V_ASN1_UTF8STRING, "first"),
		A("O", V_ASN1_UTF8STRING, "Org"),
		A("CN", V_ASN1_UTF8STRING, "second"),
	};
	struct kd_result got;

	COMPARE(subj, &got);
	EXPECT_STREQ(got.client_subject, "CN=second,O=Org,CN=first");
	EXPECT_STREQ(got.client_cn, "first");
}

TEST(no_common_name)
{
	static const struct attr subj[] = {
		A("O", V_ASN1_UTF8STRING, "Nameless"),
		A("OU", V_ASN1_UTF8STRING, "Devices"),
	};
	struct kd_result got;

	COMPARE(subj, &got);
	EXPECT_STREQ(got.client_subject, "OU=Devices,O=Nameless");
	EXPECT_STREQ(got.client_cn, "");
}

TEST(empty_subject)
{
	static const struct attr none[1];
	struct kd_result got;

	compare(_metadata, none, 0, NULL, 0, NULL, &got);
	EXPECT_STREQ(got.client_subject, "");
	EXPECT_STREQ(got.client_cn, "");
	EXPECT_STREQ(got.client_issuer, "CN=Test CA,O=khttps test,C=DE");
}

FIXTURE(escape) { int unused; };
FIXTURE_VARIANT(escape) { const char *val, *want; };
FIXTURE_SETUP(escape) {}
FIXTURE_TEARDOWN(escape) {}
FIXTURE_VARIANT_ADD(escape, comma) { "a,b", "a\\,b" };
FIXTURE_VARIANT_ADD(escape, plus) { "a+b", "a\\+b" };
FIXTURE_VARIANT_ADD(escape, quote) { "say \"hi\"", "say \\\"hi\\\"" };
FIXTURE_VARIANT_ADD(escape, backslash) { "a\\b", "a\\\\b" };
FIXTURE_VARIANT_ADD(escape, angle) { "<a>", "\\<a\\>" };
FIXTURE_VARIANT_ADD(escape, semicolon) { "a;b", "a\\;b" };
FIXTURE_VARIANT_ADD(escape, equals) { "a=b", "a=b" };
FIXTURE_VARIANT_ADD(escape, leading_hash) { "#1", "\\#1" };
FIXTURE_VARIANT_ADD(escape, inner_hash) { "a#", "a#" };
/* OpenSSL's "last character" overrides "first" for a one-character value. */
FIXTURE_VARIANT_ADD(escape, lone_hash) { "#", "#" };
FIXTURE_VARIANT_ADD(escape, lone_space) { " ", "\\ " };
FIXTURE_VARIANT_ADD(escape, spaces) { "  a  b  ", "\\  a  b \\ " };
FIXTURE_VARIANT_ADD(escape, control) { "a\tb\x7f", "a\\09b\\7F" };
FIXTURE_VARIANT_ADD(escape, utf8) { "J\xc3\xbcrgen \xe2\x82\xac \xf0\x9f\x98\x80",
				    "J\\C3\\BCrgen \\E2\\82\\AC \\F0\\9F\\98\\80" };

/* The same value as UTF8String, PrintableString, T61String and IA5String. */
TEST_F(escape, value)
{
	static const int tags[] = {
		V_ASN1_UTF8STRING, V_ASN1_PRINTABLESTRING, V_ASN1_T61STRING, V_ASN1_IA5STRING,
	};
	struct attr subj[] = { A("CN", 0, variant->val), A("OU", 0, variant->val) };
	char want[256];
	struct kd_result got;
	size_t i;

	snprintf(want, sizeof(want), "OU=%s,CN=%s", variant->want, variant->want);
	for (i = 0; i < ARRAY_SIZE(tags); i++) {
		subj[0].tag = subj[1].tag = tags[i];
		COMPARE(subj, &got);
		/* Non-ASCII bytes of a one-byte type are Latin-1, turned into UTF-8 first. */
		if (tags[i] == V_ASN1_UTF8STRING || !strstr(variant->val, "\xc3"))
			EXPECT_STREQ(got.client_subject, want);
	}
}

/*
 * Every byte value in every one-byte string type (ASCII only in a
 * UTF8String: other single bytes are not UTF-8), 32 at a time so the name
 * is not cut: OpenSSL's escape table, byte for byte.
 */
TEST(every_byte)
{
	static const int tags[] = {
		V_ASN1_UTF8STRING, V_ASN1_PRINTABLESTRING, V_ASN1_T61STRING, V_ASN1_IA5STRING,
	};
	char val[32];
	struct attr subj[] = { A_LEN("CN", 0, val, sizeof(val)) };
	struct kd_result got;
	size_t t, i;
	int start;

	for (t = 0; t < ARRAY_SIZE(tags); t++) {
		subj[0].tag = tags[t];
		for (start = 0; start < (tags[t] == V_ASN1_UTF8STRING ? 128 : 256); start += 32) {
			for (i = 0; i < sizeof(val); i++)
				val[i] = (char)(start + (int)i);
			COMPARE(subj, &got);
			EXPECT_GT(strlen(got.client_subject), 3 + sizeof(val));
		}
	}
}

TEST(utf8_common_name)
{
	static const struct attr subj[] = {
		A("CN", V_ASN1_UTF8STRING, "Zo\xc3\xab \xe2\x82\xac \xf0\x9f\x98\x80"),
	};
	struct kd_result got;

	COMPARE(subj, &got);
	EXPECT_STREQ(got.client_subject, "CN=Zo\\C3\\AB \\E2\\82\\AC \\F0\\9F\\98\\80");
	EXPECT_STREQ(got.client_cn, "Zo\xc3\xab \xe2\x82\xac \xf0\x9f\x98\x80");
}

/* Latin-1 in a T61String becomes UTF-8 in the common name. */
TEST(t61_common_name)
{
	static const struct attr subj[] = { A("CN", V_ASN1_T61STRING, "Zo\xeb") };
	struct kd_result got;

	COMPARE(subj, &got);
	EXPECT_STREQ(got.client_subject, "CN=Zo\\C3\\AB");
	EXPECT_STREQ(got.client_cn, "Zo\xc3\xab");
}

/* A NUL ends the common name (as "%.*s" ends it) but not the printed name. */
TEST(nul_in_common_name)
{
	static const struct attr subj[] = { A_LEN("CN", V_ASN1_UTF8STRING, "ab\0cd", 5) };
	struct kd_result got;

	COMPARE(subj, &got);
	EXPECT_STREQ(got.client_cn, "ab");
	EXPECT_STREQ(got.client_subject, "CN=ab\\00cd");
}

/* UTF-16BE and UTF-32BE values, converted to UTF-8 and then escaped. */
FIXTURE(wide) { int unused; };
FIXTURE_VARIANT(wide) { int tag; const char *val; int len; const char *subject, *cn; };
FIXTURE_SETUP(wide) {}
FIXTURE_TEARDOWN(wide) {}
FIXTURE_VARIANT_ADD(wide, bmp) {
	V_ASN1_BMPSTRING, "\0Z\0o\0\xeb\0 \x20\xac", 10, "CN=Zo\\C3\\AB \\E2\\82\\AC",
	"Zo\xc3\xab \xe2\x82\xac" };
FIXTURE_VARIANT_ADD(wide, bmp_escapes) {
	V_ASN1_BMPSTRING, "\0#\0,\0 ", 6, "CN=\\#\\,\\ ", "#, " };
FIXTURE_VARIANT_ADD(wide, bmp_lone_hash) { V_ASN1_BMPSTRING, "\0#", 2, "CN=#", "#" };
FIXTURE_VARIANT_ADD(wide, bmp_lone_space) { V_ASN1_BMPSTRING, "\0 ", 2, "CN=\\ ", " " };
FIXTURE_VARIANT_ADD(wide, bmp_nul) { V_ASN1_BMPSTRING, "\0a\0\0\0b", 6, "CN=a\\00b", "a" };
FIXTURE_VARIANT_ADD(wide, universal) {
	V_ASN1_UNIVERSALSTRING, "\0\0\0#\0\0\0x\0\x01\xf6\x00", 12, "CN=\\#x\\F0\\9F\\98\\80",
	"#x\xf0\x9f\x98\x80" };

TEST_F(wide, value)
{
	struct attr subj[] = { A_LEN("CN", variant->tag, variant->val, variant->len) };
	struct kd_result got;

	COMPARE(subj, &got);
	EXPECT_STREQ(got.client_subject, variant->subject);
	EXPECT_STREQ(got.client_cn, variant->cn);
}

/* Attribute types OpenSSL has no name for: dotted OID and the value's DER in hex. */
FIXTURE(unknown_oid) { int unused; };
FIXTURE_VARIANT(unknown_oid) { const char *oid; const char *want; };
FIXTURE_SETUP(unknown_oid) {}
FIXTURE_TEARDOWN(unknown_oid) {}
FIXTURE_VARIANT_ADD(unknown_oid, private) {
	"1.3.6.1.4.1.55555.1.2", "CN=x,1.3.6.1.4.1.55555.1.2=#0C0461202C23" };
FIXTURE_VARIANT_ADD(unknown_oid, x520_unassigned) { "2.5.4.90", "CN=x,2.5.4.90=#0C0461202C23" };
/* The first subidentifier holds two arcs: 2.999 is 1079. */
FIXTURE_VARIANT_ADD(unknown_oid, joint_large) { "2.999.7", "CN=x,2.999.7=#0C0461202C23" };
FIXTURE_VARIANT_ADD(unknown_oid, zero_arcs) { "0.0.0", "CN=x,0.0.0=#0C0461202C23" };
FIXTURE_VARIANT_ADD(unknown_oid, one_39) { "1.39.128.16384", "CN=x,1.39.128.16384=#0C0461202C23" };
/* A UUID OID: a 128-bit arc. */
FIXTURE_VARIANT_ADD(unknown_oid, uuid) {
	"2.25.329800735698586629295641978511506172918",
	"CN=x,2.25.329800735698586629295641978511506172918=#0C0461202C23" };
FIXTURE_VARIANT_ADD(unknown_oid, huge_arc) {
	"1.2.340282366920938463463374607431768211456340282366920938463463374607431768211455",
	NULL };

TEST_F(unknown_oid, value)
{
	struct attr subj[] = {
		A(variant->oid, V_ASN1_UTF8STRING, "a ,#"),
		A("CN", V_ASN1_UTF8STRING, "x"),
	};
	struct kd_result got;

	COMPARE(subj, &got);
	if (!variant->want) {
		/* OpenSSL writes the OID to an 80-byte buffer: cut at 79 characters. */
		EXPECT_EQ(strchr(got.client_subject + 5, '=') - (got.client_subject + 5), 79);
		return;
	}
	EXPECT_STREQ(got.client_subject, variant->want);
	EXPECT_STREQ(got.client_cn, "x");
}

/* An unknown attribute's value of every string type, short and with a long DER length. */
TEST(unknown_oid_types)
{
	static const int tags[] = {
		V_ASN1_UTF8STRING, V_ASN1_PRINTABLESTRING, V_ASN1_T61STRING, V_ASN1_IA5STRING,
		V_ASN1_BMPSTRING, V_ASN1_UNIVERSALSTRING,
	};
	static const int lens[] = { 0, 4, 124, 128, 256, 300 };
	char val[300];
	struct attr subj[] = { A("1.2.3.4", 0, val), A("CN", V_ASN1_UTF8STRING, "x") };
	struct kd_result got;
	size_t t, l;

	/* U+0000 U+0041 ... in any width; a length of 0 gives strlen(val), also 0. */
	for (l = 0; l < sizeof(val); l++)
		val[l] = l % 4 == 3 ? 'A' : '\0';
	for (t = 0; t < ARRAY_SIZE(tags); t++) {
		for (l = 0; l < ARRAY_SIZE(lens); l++) {
			subj[0].tag = tags[t];
			subj[0].len = lens[l];
			COMPARE(subj, &got);
			EXPECT_EQ(strncmp(got.client_subject, "CN=x,1.2.3.4=#", 14), 0);
		}
	}
	subj[0].tag = V_ASN1_UTF8STRING;
	subj[0].len = 300;
	COMPARE(subj, &got);
	EXPECT_EQ(strncmp(got.client_subject, "CN=x,1.2.3.4=#0C82012C00000041", 30), 0);
}

/* OpenSSL's OBJ_obj2txt() gives up on an OID over 586 bytes: no name is printed at all. */
TEST(oid_too_long)
{
	static unsigned char der[4 + 600];
	const unsigned char *p = der;
	X509_NAME *s = X509_NAME_new(), *i = make_name(_metadata, ATTRS(default_issuer));
	ASN1_OBJECT *obj;
	unsigned char *cert;
	struct kd_result got;
	int len;

	der[0] = V_ASN1_OBJECT;
	der[1] = 0x82;
	der[2] = 600 >> 8;
	der[3] = 600 & 0xff;
	der[4] = 0x2b;
	memset(der + 5, 0x01, 599);
	obj = d2i_ASN1_OBJECT(NULL, &p, sizeof(der));
	ASSERT_TRUE(obj);
	ASSERT_TRUE(s);
	ASSERT_EQ(X509_NAME_add_entry_by_OBJ(s, obj, V_ASN1_UTF8STRING,
					     (const unsigned char *)"v", 1, -1, 0), 1);
	cert = make_cert(_metadata, s, i, "01", &len);
	compare_der(_metadata, cert, len, &got);
	EXPECT_STREQ(got.client_subject, "=#0C0176");
	OPENSSL_free(cert);
	ASN1_OBJECT_free(obj);
	X509_NAME_free(s);
	X509_NAME_free(i);
}

/* Replace the first @len bytes equal to @from in @der with @to. */
static void patch(struct th_meta *_metadata, unsigned char *der, int dlen, const char *from,
		  const char *to, size_t len)
{
	unsigned char *at = memmem(der, (size_t)dlen, from, len);

	ASSERT_TRUE(at);
	memcpy(at, to, len);
}

/*
 * Values OpenSSL refuses: it converts every string of a name to UTF-8 while
 * parsing (to compare names) and rejects the certificate if one does not
 * convert, or if a BIT STRING is malformed.  mbedTLS parses these, and
 * kd_mbedtls_identity() must fail rather than report an identity the
 * OpenSSL engine would never have accepted.  OpenSSL will not build such a
 * certificate either, so a UTF8String placeholder is patched to @tlv (the
 * same length, so the DER stays well formed).
 */
FIXTURE(rejected) { int unused; };
FIXTURE_VARIANT(rejected) { const char *type, *tlv; int len; };
FIXTURE_SETUP(rejected) {}
FIXTURE_TEARDOWN(rejected) {}
FIXTURE_VARIANT_ADD(rejected, utf8_truncated) { "CN", "\x0c\x03" "ab\xc3", 5 };
FIXTURE_VARIANT_ADD(rejected, utf8_continuation) { "CN", "\x0c\x03" "a\x80z", 5 };
FIXTURE_VARIANT_ADD(rejected, utf8_overlong) { "CN", "\x0c\x02" "\xc0\xaf", 4 };
FIXTURE_VARIANT_ADD(rejected, utf8_overlong3) { "CN", "\x0c\x03" "\xe0\x80\xaf", 5 };
FIXTURE_VARIANT_ADD(rejected, utf8_surrogate) { "CN", "\x0c\x03" "\xed\xa0\x80", 5 };
FIXTURE_VARIANT_ADD(rejected, utf8_beyond) { "CN", "\x0c\x04" "\xf4\x90\x80\x80", 6 };
FIXTURE_VARIANT_ADD(rejected, utf8_five_bytes) { "CN", "\x0c\x05" "\xf8\x88\x80\x80\x80", 7 };
FIXTURE_VARIANT_ADD(rejected, utf8_in_ou) { "OU", "\x0c\x03" "\xe2\x28\xa1", 5 };
FIXTURE_VARIANT_ADD(rejected, utf8_unknown_oid) { "1.2.3.4", "\x0c\x02" "a\xff", 4 };
FIXTURE_VARIANT_ADD(rejected, bmp_odd) { "CN", "\x1e\x03" "\0a\0", 5 };
FIXTURE_VARIANT_ADD(rejected, bmp_pair) { "CN", "\x1e\x04" "\xd8\x3d\xde\x00", 6 };
FIXTURE_VARIANT_ADD(rejected, bmp_surrogate) { "O", "\x1e\x04" "\0a\xdc\x00", 6 };
FIXTURE_VARIANT_ADD(rejected, universal_len) { "CN", "\x1c\x06" "\0\0\0a\0\0", 8 };
FIXTURE_VARIANT_ADD(rejected, universal_beyond) { "CN", "\x1c\x04" "\0\x11\0\0", 6 };
FIXTURE_VARIANT_ADD(rejected, universal_surrogate) { "CN", "\x1c\x04" "\0\0\xd8\0", 6 };
FIXTURE_VARIANT_ADD(rejected, bit_string_unused) {
	"x500UniqueIdentifier", "\x03\x02" "\x08\x41", 4 };

TEST_F(rejected, certificate)
{
	char placeholder[64], from[66];
	struct attr subj[] = {
		A("O", V_ASN1_UTF8STRING, "Org"),
		A(variant->type, V_ASN1_UTF8STRING, placeholder),
	};
	X509_NAME *s, *i = make_name(_metadata, ATTRS(default_issuer));
	struct kd_result got;
	mbedtls_x509_crt crt;
	unsigned char *der;
	const unsigned char *p;
	int n = variant->len - 2, len;

	ASSERT_LT(n, (int)sizeof(placeholder));
	memset(placeholder, 'Q', (size_t)n);
	placeholder[n] = '\0';
	from[0] = V_ASN1_UTF8STRING;
	from[1] = (char)n;
	memcpy(from + 2, placeholder, (size_t)n);
	s = make_name(_metadata, ATTRS(subj));
	der = make_cert(_metadata, s, i, "01", &len);
	patch(_metadata, der, len, from, variant->tlv, (size_t)variant->len);

	p = der;
	EXPECT_FALSE(d2i_X509(NULL, &p, len));
	mbedtls_x509_crt_init(&crt);
	ASSERT_EQ(mbedtls_x509_crt_parse_der(&crt, der, (size_t)len), 0);
	memset(&got, 0x55, sizeof(got));
	EXPECT_EQ(kd_mbedtls_identity(&crt, &got), -1);
	EXPECT_FALSE(got.client_cert);
	EXPECT_STREQ(got.client_subject, "");
	EXPECT_STREQ(got.client_cn, "");
	mbedtls_x509_crt_free(&crt);
	OPENSSL_free(der);
	X509_NAME_free(s);
	X509_NAME_free(i);
}

/* Malformed attribute OIDs (1.2.3.4 patched), which OpenSSL refuses and mbedTLS does not. */
TEST(rejected_oid)
{
	static const char *const bad[] = {
		"\x06\x03\x2a\x80\x04",	/* a subidentifier padded with 0x80 */
		"\x06\x03\x2a\x03\x84",	/* the last subidentifier unfinished */
	};
	static const struct attr subj[] = {
		A("1.2.3.4", V_ASN1_UTF8STRING, "v"), A("CN", V_ASN1_UTF8STRING, "x"),
	};
	X509_NAME *s = make_name(_metadata, ATTRS(subj));
	X509_NAME *i = make_name(_metadata, ATTRS(default_issuer));
	struct kd_result got;
	mbedtls_x509_crt crt;
	const unsigned char *p;
	unsigned char *der;
	size_t b;
	int len;

	for (b = 0; b < ARRAY_SIZE(bad); b++) {
		der = make_cert(_metadata, s, i, "01", &len);
		patch(_metadata, der, len, "\x06\x03\x2a\x03\x04", bad[b], 5);
		p = der;
		EXPECT_FALSE(d2i_X509(NULL, &p, len));
		mbedtls_x509_crt_init(&crt);
		ASSERT_EQ(mbedtls_x509_crt_parse_der(&crt, der, (size_t)len), 0);
		memset(&got, 0x55, sizeof(got));
		EXPECT_EQ(kd_mbedtls_identity(&crt, &got), -1);
		EXPECT_FALSE(got.client_cert);
		EXPECT_STREQ(got.client_subject, "");
		mbedtls_x509_crt_free(&crt);
		OPENSSL_free(der);
	}
	X509_NAME_free(s);
	X509_NAME_free(i);
}

/*
 * A BIT STRING value is dumped as DER even for a known type; OpenSSL
 * re-encodes it, clearing unused bits.  The padding is patched into the DER
 * (the signature then no longer matches, which neither parser checks).
 */
TEST(bit_string)
{
	static const struct attr subj[] = {
		A("CN", V_ASN1_UTF8STRING, "x"),
		A("x500UniqueIdentifier", V_ASN1_BIT_STRING, "\xa5\x5a\xf0"),
	};
	X509_NAME *s = make_name(_metadata, ATTRS(subj));
	X509_NAME *i = make_name(_metadata, ATTRS(default_issuer));
	X509_NAME *e;
	struct kd_result got;
	unsigned char *der;
	int len;

	der = make_cert(_metadata, s, i, "01", &len);
	compare_der(_metadata, der, len, &got);
	EXPECT_STREQ(got.client_subject, "x500UniqueIdentifier=#030404A55AF0,CN=x");
	patch(_metadata, der, len, "\x03\x04\x04\xa5\x5a\xf0", "\x03\x04\x04\xa5\x5a\xff", 6);
	compare_der(_metadata, der, len, &got);
	EXPECT_STREQ(got.client_subject, "x500UniqueIdentifier=#030404A55AF0,CN=x");
	EXPECT_STREQ(got.client_cn, "x");
	OPENSSL_free(der);

	/* An empty one loses its unused-bits count. */
	e = X509_NAME_new();
	ASSERT_TRUE(e);
	ASSERT_EQ(X509_NAME_add_entry_by_txt(e, "x500UniqueIdentifier", V_ASN1_BIT_STRING,
					     (const unsigned char *)"", 0, -1, 0), 1);
	der = make_cert(_metadata, e, i, "01", &len);
	compare_der(_metadata, der, len, &got);
	EXPECT_STREQ(got.client_subject, "x500UniqueIdentifier=#030100");
	patch(_metadata, der, len, "\x55\x04\x2d\x03\x01\x00", "\x55\x04\x2d\x03\x01\x05", 6);
	compare_der(_metadata, der, len, &got);
	EXPECT_STREQ(got.client_subject, "x500UniqueIdentifier=#030100");
	OPENSSL_free(der);
	X509_NAME_free(e);
	X509_NAME_free(s);
	X509_NAME_free(i);
}

/* A common name that is a BIT STRING has no UTF-8 form. */
TEST(bit_string_common_name)
{
	static const struct attr subj[] = { A("CN", V_ASN1_BIT_STRING, "\x41\x42") };
	struct kd_result got;

	COMPARE(subj, &got);
	EXPECT_STREQ(got.client_subject, "CN=#0303014142");
	EXPECT_STREQ(got.client_cn, "");
}

/*
 * Every object OpenSSL knows directly under the arcs names draw their
 * attributes from, each in its own certificate: ident_mbedtls.c's table
 * must print the same short name.
 */
TEST(openssl_attribute_names)
{
	static const char *const arcs[] = {
		"2.5.4.", "0.9.2342.19200300.100.1.", "1.2.840.113549.1.9.",
		"1.3.6.1.4.1.311.60.2.1.", "1.3.6.1.5.5.7.9.", "1.2.643.100.", "1.2.643.3.131.1.",
	};
	struct attr subj[] = { A(NULL, V_ASN1_UTF8STRING, "v") };
	char txt[128], want[160];
	struct kd_result got;
	int nid, seen = 0;
	size_t a, n;

	for (nid = 1; nid < OBJ_new_nid(0); nid++) {
		const ASN1_OBJECT *obj = OBJ_nid2obj(nid);

		if (!obj || !OBJ_length(obj) || OBJ_obj2txt(txt, sizeof(txt), obj, 1) <= 0)
			continue;
		for (a = 0; a < ARRAY_SIZE(arcs); a++) {
			n = strlen(arcs[a]);
			if (!strncmp(txt, arcs[a], n) && !strchr(txt + n, '.'))
				break;
		}
		if (a == ARRAY_SIZE(arcs))
			continue;
		subj[0].type = txt;
		COMPARE(subj, &got);
		snprintf(want, sizeof(want), "%s=v", OBJ_nid2sn(nid));
		EXPECT_STREQ(got.client_subject, want);
		seen++;
	}
	TH_LOG("%d attribute types compared", seen);
	EXPECT_GE(seen, 130);
}

FIXTURE(serial) { int unused; };
FIXTURE_VARIANT(serial) { const char *der, *want; };
FIXTURE_SETUP(serial) {}
FIXTURE_TEARDOWN(serial) {}
FIXTURE_VARIANT_ADD(serial, zero) { "00", "0" };
FIXTURE_VARIANT_ADD(serial, one) { "01", "01" };
FIXTURE_VARIANT_ADD(serial, padded_ff) { "00FF", "FF" };
FIXTURE_VARIANT_ADD(serial, two_bytes) { "0100", "0100" };
FIXTURE_VARIANT_ADD(serial, twenty_bytes) {
	"7FEDCBA98765432100112233445566778899AABB",
	"7FEDCBA98765432100112233445566778899AABB" };
FIXTURE_VARIANT_ADD(serial, twenty_bytes_padded) {
	"0080000000000000000000000000000000000001",
	"80000000000000000000000000000000000001" };
FIXTURE_VARIANT_ADD(serial, minus_one) { "FF", "-01" };
FIXTURE_VARIANT_ADD(serial, minus_256) { "FF00", "-0100" };
FIXTURE_VARIANT_ADD(serial, minus_128) { "80", "-80" };
FIXTURE_VARIANT_ADD(serial, minus_129) { "FF7F", "-81" };
FIXTURE_VARIANT_ADD(serial, negative_long) { "8000000000000000000000000001",
					     "-7FFFFFFFFFFFFFFFFFFFFFFFFFFF" };
/* 60 hex digits, cut to the 47 that fit client_serial. */
FIXTURE_VARIANT_ADD(serial, thirty_bytes) {
	"0102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E",
	"0102030405060708090A0B0C0D0E0F10111213141516171" };

TEST_F(serial, hex)
{
	static const struct attr subj[] = { A("CN", V_ASN1_UTF8STRING, "s") };
	struct kd_result got;

	compare(_metadata, ATTRS(subj), NULL, 0, variant->der, &got);
	EXPECT_STREQ(got.client_serial, variant->want);
}

/* Names longer than the fields are cut where the OpenSSL path cuts them, even mid-escape. */
TEST(overlong)
{
	char ou[201], cn[400], iss[130];
	struct attr subj[] = {
		A("OU", V_ASN1_UTF8STRING, ou),
		A("CN", V_ASN1_UTF8STRING, cn),
	};
	struct attr issuer[] = {
		A("O", V_ASN1_UTF8STRING, iss),
		A("CN", V_ASN1_UTF8STRING, "x"),
	};
	struct kd_result got;
	size_t i;
	int shift;

	memset(ou, 'o', sizeof(ou) - 1);
	ou[sizeof(ou) - 1] = '\0';
	memset(cn, 'c', sizeof(cn) - 1);
	cn[sizeof(cn) - 1] = '\0';
	/* An issuer of two-byte characters, shifted so the cut falls at each place in "\C3\A9". */
	for (shift = 0; shift < 6; shift++) {
		iss[0] = '\0';
		for (i = 0; i < (size_t)shift; i++)
			strcat(iss, "a");
		while (strlen(iss) + 2 < sizeof(iss))
			strcat(iss, "\xc3\xa9");
		compare(_metadata, ATTRS(subj), ATTRS(issuer), NULL, &got);
		EXPECT_EQ(strlen(got.client_issuer), sizeof(got.client_issuer) - 1);
		EXPECT_EQ(strncmp(got.client_issuer, "CN=x,O=", 7), 0);
	}
	EXPECT_EQ(strlen(got.client_subject), sizeof(got.client_subject) - 1);
	EXPECT_EQ(strncmp(got.client_subject, "CN=ccc", 6), 0);
	EXPECT_EQ(strlen(got.client_cn), sizeof(got.client_cn) - 1);
	EXPECT_EQ(strspn(got.client_cn, "c"), sizeof(got.client_cn) - 1);
}

/* A two-byte UTF-8 character cut in half at the end of client_cn, as snprintf() cuts. */
TEST(overlong_utf8_common_name)
{
	char cn[300];
	struct attr subj[] = { A("CN", V_ASN1_UTF8STRING, cn) };
	struct kd_result got;

	cn[0] = '\0';
	while (strlen(cn) + 2 < sizeof(cn))
		strcat(cn, "\xc3\xa9");
	COMPARE(subj, &got);
	EXPECT_EQ(strlen(got.client_cn), sizeof(got.client_cn) - 1);
	EXPECT_EQ((unsigned char)got.client_cn[sizeof(got.client_cn) - 2], 0xc3);
}

TEST_HARNESS_MAIN
