// SPDX-License-Identifier: GPL-2.0
/*
 * khttpsd: a verified client certificate's identity, read with mbedTLS.
 *
 * Applications get the subject, issuer, serial and common name as strings,
 * and must get the same bytes whichever TLS library did the handshake.  The
 * OpenSSL engine prints names with X509_NAME_print_ex(XN_FLAG_RFC2253), so
 * this file renders mbedTLS's parsed names the way OpenSSL 3 does, quirks
 * included; tests/unit/ident.c compares the two on awkward certificates.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/asn1.h>
#include <mbedtls/oid.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_crt.h>

#include "khttpsd.h"

#define ID_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * The short names OpenSSL prints for attribute types, indexed by the OID's
 * last arc: all the objects OpenSSL 3.0 knows directly under the arcs that
 * distinguished names take their attributes from (the unit test walks
 * OpenSSL's table to check).  Any other OID is printed in dotted decimal,
 * as OpenSSL prints an OID it does not know; OpenSSL would still name one
 * it knows for another purpose (an algorithm, an extension), but no real
 * name uses those as attribute types.
 */
static const char *const id_x520[] = {		/* 2.5.4 */
	[3] = "CN", [4] = "SN", [5] = "serialNumber", [6] = "C", [7] = "L", [8] = "ST",
	[9] = "street", [10] = "O", [11] = "OU", [12] = "title", [13] = "description",
	[14] = "searchGuide", [15] = "businessCategory", [16] = "postalAddress",
	[17] = "postalCode", [18] = "postOfficeBox", [19] = "physicalDeliveryOfficeName",
	[20] = "telephoneNumber", [21] = "telexNumber", [22] = "teletexTerminalIdentifier",
	[23] = "facsimileTelephoneNumber", [24] = "x121Address",
	[25] = "internationaliSDNNumber", [26] = "registeredAddress",
	[27] = "destinationIndicator", [28] = "preferredDeliveryMethod",
	[29] = "presentationAddress", [30] = "supportedApplicationContext",
	[31] = "member", [32] = "owner", [33] = "roleOccupant", [34] = "seeAlso",
	[35] = "userPassword", [36] = "userCertificate", [37] = "cACertificate",
	[38] = "authorityRevocationList", [39] = "certificateRevocationList",
	[40] = "crossCertificatePair", [41] = "name", [42] = "GN", [43] = "initials",
	[44] = "generationQualifier", [45] = "x500UniqueIdentifier", [46] = "dnQualifier",
	[47] = "enhancedSearchGuide", [48] = "protocolInformation",
	[49] = "distinguishedName", [50] = "uniqueMember", [51] = "houseIdentifier",
	[52] = "supportedAlgorithms", [53] = "deltaRevocationList", [54] = "dmdName",
	[65] = "pseudonym", [72] = "role", [97] = "organizationIdentifier", [98] = "c3",
	[99] = "n3", [100] = "dnsName",
};

static const char *const id_pilot[] = {	/* 0.9.2342.19200300.100.1 */
	[1] = "UID", [2] = "textEncodedORAddress", [3] = "mail", [4] = "info",
	[5] = "favouriteDrink", [6] = "roomNumber", [7] = "photo", [8] = "userClass",
	[9] = "host", [10] = "manager", [11] = "documentIdentifier", [12] = "documentTitle",
	[13] = "documentVersion", [14] = "documentAuthor", [15] = "documentLocation",
	[20] = "homeTelephoneNumber", [21] = "secretary", [22] = "otherMailbox",
	[23] = "lastModifiedTime", [24] = "lastModifiedBy", [25] = "DC", [26] = "aRecord",
	[27] = "pilotAttributeType27", [28] = "mXRecord", [29] = "nSRecord",
	[30] = "sOARecord", [31] = "cNAMERecord", [37] = "associatedDomain",
	[38] = "associatedName", [39] = "homePostalAddress", [40] = "personalTitle",
	[41] = "mobileTelephoneNumber", [42] = "pagerTelephoneNumber",
	[43] = "friendlyCountryName", [44] = "uid", [45] = "organizationalStatus",
	[46] = "janetMailbox", [47] = "mailPreferenceOption", [48] = "buildingName",
	[49] = "dSAQuality", [50] = "singleLevelQuality", [51] = "subtreeMinimumQuality",
	[52] = "subtreeMaximumQuality", [53] = "personalSignature", [54] = "dITRedirect",
	[55] = "audio", [56] = "documentPublisher",
};

static const char *const id_pkcs9[] = {	/* 1.2.840.113549.1.9 */
	[1] = "emailAddress", [2] = "unstructuredName", [3] = "contentType",
	[4] = "messageDigest", [5] = "signingTime", [6] = "countersignature",
	[7] = "challengePassword", [8] = "unstructuredAddress",
	[9] = "extendedCertificateAttributes", [14] = "extReq", [15] = "SMIME-CAPS",
	[16] = "SMIME", [20] = "friendlyName", [21] = "localKeyID",
};

static const char *const id_jurisdiction[] = {	/* 1.3.6.1.4.1.311.60.2.1 (EV) */
	[1] = "jurisdictionL", [2] = "jurisdictionST", [3] = "jurisdictionC",
};

static const char *const id_pda[] = {		/* 1.3.6.1.5.5.7.9 */
	[1] = "id-pda-dateOfBirth", [2] = "id-pda-placeOfBirth", [3] = "id-pda-gender",
	[4] = "id-pda-countryOfCitizenship", [5] = "id-pda-countryOfResidence",
};

static const char *const id_ru[] = {		/* 1.2.643.100 */
	[1] = "OGRN", [3] = "SNILS", [5] = "OGRNIP", [111] = "subjectSignTool",
	[112] = "issuerSignTool", [113] = "classSignTool",
};

static const char *const id_ru_inn[] = {	/* 1.2.643.3.131.1 */
	[1] = "INN",
};

#define ID_ARC(der, names) { der, sizeof(der) - 1, names, ID_ARRAY_SIZE(names) }

static const struct id_arc {
	const char *der;		/* the arc's encoding */
	size_t len;
	const char *const *names;
	size_t count;
} id_arcs[] = {
	ID_ARC("\x55\x04", id_x520),
	ID_ARC("\x09\x92\x26\x89\x93\xf2\x2c\x64\x01", id_pilot),
	ID_ARC("\x2a\x86\x48\x86\xf7\x0d\x01\x09", id_pkcs9),
	ID_ARC("\x2b\x06\x01\x04\x01\x82\x37\x3c\x02\x01", id_jurisdiction),
	ID_ARC("\x2b\x06\x01\x05\x05\x07\x09", id_pda),
	ID_ARC("\x2a\x85\x03\x64", id_ru),
	ID_ARC("\x2a\x85\x03\x03\x81\x03\x01", id_ru_inn),
};

/* OBJ_obj2txt() gives up on longer OIDs; OpenSSL then prints no name at all. */
#define ID_OID_MAX 586
/* OpenSSL prints an unnamed OID to an 80-byte buffer, so it is cut there. */
#define ID_OID_TEXT 80
/* Decimal digits of the largest arc an OID of ID_OID_MAX bytes can hold. */
#define ID_ARC_DIGITS 1240

/* A string built in a fixed buffer; what does not fit is cut off, as BIO_read() and snprintf() cut. */
struct id_buf {
	char *s;
	size_t len, size;	/* size includes the NUL */
};

static void id_put(struct id_buf *b, const char *p, size_t n)
{
	while (n-- && b->len + 1 < b->size)
		b->s[b->len++] = *p++;
	b->s[b->len] = '\0';
}

static void id_putc(struct id_buf *b, char c)
{
	id_put(b, &c, 1);
}

static void id_hex(struct id_buf *b, uint8_t v)
{
	static const char digits[] = "0123456789ABCDEF";

	id_putc(b, digits[v >> 4]);
	id_putc(b, digits[v & 15]);
}

/* The short name OpenSSL prints for @oid, or NULL when it prints the OID. */
static const char *id_short_name(const mbedtls_x509_buf *oid)
{
	const struct id_arc *a;
	uint8_t last;

	for (a = id_arcs; a < id_arcs + ID_ARRAY_SIZE(id_arcs); a++) {
		if (oid->len != a->len + 1 || memcmp(oid->p, a->der, a->len))
			continue;
		last = oid->p[a->len];
		return last < a->count ? a->names[last] : NULL;
	}
	return NULL;
}

/*
 * An OID OpenSSL has no name for, in dotted decimal as OBJ_obj2txt() writes
 * it.  Arcs can be far wider than 64 bits (2.25 takes UUIDs), so each is
 * accumulated as decimal digits, least significant first.
 * Return: 0, or -1 for an encoding OpenSSL refuses to parse.
 */
static int id_oid_text(struct id_buf *b, const mbedtls_x509_buf *oid)
{
	uint8_t dig[ID_ARC_DIGITS];
	size_t nd = 0, i, k;
	bool first = true;
	unsigned int v, sub;

	/* OpenSSL rejects a padded subidentifier (a leading 0x80) and a truncated last one. */
	if (!oid->len || oid->p[oid->len - 1] & 0x80)
		return -1;
	for (i = 0; i < oid->len; i++)
		if (oid->p[i] == 0x80 && (i == 0 || !(oid->p[i - 1] & 0x80)))
			return -1;
	if (oid->len > ID_OID_MAX)
		return 0;
	for (i = 0; i < oid->len; i++) {
		v = oid->p[i] & 0x7f;
		for (k = 0; k < nd; k++) {
			v += dig[k] * 128u;
			dig[k] = (uint8_t)(v % 10);
			v /= 10;
		}
		for (; v; v /= 10) {
			if (nd == sizeof(dig))
				return -1;	/* cannot happen within ID_OID_MAX */
			dig[nd++] = (uint8_t)(v % 10);
		}
		if (oid->p[i] & 0x80)
			continue;
		if (first) {
			/*
			 * The first subidentifier holds two arcs, 40 * X + Y with
			 * X <= 2; only Y of 2.Y can be large, so v is exact below 100.
			 */
			v = nd > 2 ? 80 : nd == 2 ? dig[1] * 10u + dig[0] : nd ? dig[0] : 0;
			sub = v < 40 ? 0 : v < 80 ? 40 : 80;
			id_putc(b, (char)('0' + sub / 40));
			for (k = 0; sub; k++) {
				int d = dig[k] - (int)(sub % 10);

				sub /= 10;
				if (d < 0) {
					d += 10;
					sub++;
				}
				dig[k] = (uint8_t)d;
			}
			while (nd && !dig[nd - 1])
				nd--;
			first = false;
		}
		id_putc(b, '.');
		if (!nd)
			id_putc(b, '0');
		while (nd)
			id_putc(b, (char)('0' + dig[--nd]));
	}
	return 0;
}

/*
 * A value OpenSSL cannot print as text (a BIT STRING, or any value of an
 * attribute it does not know): "#" and the hex of its DER encoding, which
 * OpenSSL re-encodes from what it parsed rather than copying.
 * Return: 0, or -1 for a BIT STRING OpenSSL refuses to parse.
 */
static int id_dump(struct id_buf *b, const mbedtls_x509_buf *v)
{
	bool bits = v->tag == MBEDTLS_ASN1_BIT_STRING;
	size_t n = v->len, i, shift;
	uint8_t c;

	if (bits && (!n || v->p[0] > 7))
		return -1;
	id_putc(b, '#');
	id_hex(b, (uint8_t)v->tag);
	if (n < 0x80) {
		id_hex(b, (uint8_t)n);
	} else {
		for (shift = 0; shift < sizeof(n) && n >> (8 * shift); shift++)
			;
		id_hex(b, (uint8_t)(0x80 | shift));
		while (shift--)
			id_hex(b, (uint8_t)(n >> (8 * shift)));
	}
	for (i = 0; i < n; i++) {
		c = v->p[i];
		/* OpenSSL clears the unused bits, and the count when no bits follow. */
		if (bits && i == 0 && n == 1)
			c = 0;
		else if (bits && i == n - 1)
			c &= (uint8_t)(0xff << v->p[0]);
		id_hex(b, c);
	}
	return 0;
}

/*
 * How OpenSSL reads a string type: bytes per character, 0 for UTF-8, -1 for
 * a type it does not print as text.  These are the types mbedTLS accepts in
 * a name (MBEDTLS_ASN1_IS_STRING_TAG); T61String is taken as Latin-1.
 */
static int id_width(int tag)
{
	switch (tag) {
	case MBEDTLS_ASN1_UTF8_STRING:
		return 0;
	case MBEDTLS_ASN1_PRINTABLE_STRING:
	case MBEDTLS_ASN1_T61_STRING:
	case MBEDTLS_ASN1_IA5_STRING:
		return 1;
	case MBEDTLS_ASN1_BMP_STRING:
		return 2;
	case MBEDTLS_ASN1_UNIVERSAL_STRING:
		return 4;
	default:
		return -1;
	}
}

/* The code point at *@i of @v, or -1 where OpenSSL refuses the UTF-8. */
static long id_getc(const mbedtls_x509_buf *v, int width, size_t *i)
{
	const uint8_t *p = v->p + *i;
	size_t left = v->len - *i, n, k;
	uint32_t c = 0, min;

	if (width) {
		for (k = 0; k < (size_t)width; k++)
			c = c << 8 | p[k];
		*i += (size_t)width;
		return c;
	}
	if (p[0] < 0x80) {
		(*i)++;
		return p[0];
	}
	if ((p[0] & 0xe0) == 0xc0) {
		n = 2, c = p[0] & 0x1f, min = 0x80;
	} else if ((p[0] & 0xf0) == 0xe0) {
		n = 3, c = p[0] & 0x0f, min = 0x800;
	} else if ((p[0] & 0xf8) == 0xf0) {
		n = 4, c = p[0] & 0x07, min = 0x10000;
	} else {
		return -1;
	}
	if (left < n)
		return -1;
	for (k = 1; k < n; k++) {
		if ((p[k] & 0xc0) != 0x80)
			return -1;
		c = c << 6 | (p[k] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -1;
	*i += n;
	return c;
}

/* @c in UTF-8; 0 for a surrogate or beyond U+10FFFF, which OpenSSL will not encode. */
static size_t id_utf8(uint32_t c, uint8_t out[4])
{
	if (c < 0x80) {
		out[0] = (uint8_t)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (uint8_t)(0xc0 | c >> 6);
		out[1] = (uint8_t)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c >= 0xd800 && c <= 0xdfff)
		return 0;
	if (c < 0x10000) {
		out[0] = (uint8_t)(0xe0 | c >> 12);
		out[1] = (uint8_t)(0x80 | (c >> 6 & 0x3f));
		out[2] = (uint8_t)(0x80 | (c & 0x3f));
		return 3;
	}
	if (c > 0x10ffff)
		return 0;
	out[0] = (uint8_t)(0xf0 | c >> 18);
	out[1] = (uint8_t)(0x80 | (c >> 12 & 0x3f));
	out[2] = (uint8_t)(0x80 | (c >> 6 & 0x3f));
	out[3] = (uint8_t)(0x80 | (c & 0x3f));
	return 4;
}

/*
 * One byte of a value, escaped as ASN1_STRFLGS_RFC2253 escapes: RFC 2253's
 * specials with a backslash, control characters and every byte of a
 * non-ASCII character as \XX.  OpenSSL marks a value's first character,
 * then overwrites the mark when that character is also the last, so a
 * lone "#" is left alone while a lone " " is escaped.
 */
static void id_esc(struct id_buf *b, uint8_t c, bool first, bool last)
{
	if (c < 0x20 || c >= 0x7f) {
		id_putc(b, '\\');
		id_hex(b, c);
	} else if (strchr(",+\"\\<>;", c) || (c == '#' && first && !last) ||
		   (c == ' ' && (first || last))) {
		id_putc(b, '\\');
		id_putc(b, (char)c);
	} else {
		id_putc(b, (char)c);
	}
}

/*
 * Whether OpenSSL can convert @v to UTF-8.  It converts every string in a
 * name while parsing the certificate (to compare names), and refuses the
 * certificate if one will not convert: bad UTF-8, a surrogate (a BMPString
 * is UCS-2 to OpenSSL, so a surrogate pair fails too), or beyond U+10FFFF.
 */
static bool id_convertible(const mbedtls_x509_buf *v, int width)
{
	uint8_t u[4];
	size_t i;
	long c;

	if (width > 1 && v->len % (size_t)width)
		return false;
	for (i = 0; i < v->len;) {
		c = id_getc(v, width, &i);
		if (c < 0 || !id_utf8((uint32_t)c, u))
			return false;
	}
	return true;
}

/* One attribute, "type=value". Return: 0, or -1 if OpenSSL would not have parsed it. */
static int id_attr(struct id_buf *b, const mbedtls_x509_name *a)
{
	const mbedtls_x509_buf *v = &a->val;
	const char *sn = id_short_name(&a->oid);
	int width = id_width(v->tag);
	char text[ID_OID_TEXT];
	struct id_buf oid = { text, 0, sizeof(text) };
	uint8_t u[4];
	size_t i, j, n;
	long c;

	if (sn) {
		id_put(b, sn, strlen(sn));
	} else {
		text[0] = '\0';
		if (id_oid_text(&oid, &a->oid) < 0)
			return -1;
		id_put(b, text, oid.len);
	}
	id_putc(b, '=');
	if (width >= 0 && !id_convertible(v, width))
		return -1;
	if (!sn || width < 0)
		return id_dump(b, v);
	/* A UTF8String is printed byte by byte: OpenSSL skips converting it to UTF-8. */
	if (width == 0) {
		for (i = 0; i < v->len; i++)
			id_esc(b, v->p[i], i == 0, i == v->len - 1);
		return 0;
	}
	for (i = 0; i < v->len;) {
		bool first = i == 0;

		c = id_getc(v, width, &i);
		n = id_utf8((uint32_t)c, u);
		for (j = 0; j < n; j++)
			id_esc(b, u[j], first, i == v->len);
	}
	return 0;
}

/*
 * @name as XN_FLAG_RFC2253 prints it: the last RDN first, "," between RDNs
 * and "+" between the values of one.  OpenSSL reverses the attribute list
 * as a whole, so a multi-valued RDN comes out in reverse too.
 */
static int id_name(const mbedtls_x509_name *name, char *out, size_t size)
{
	struct id_buf b = { out, 0, size };
	const mbedtls_x509_name *a, **rev;
	size_t count = 0, i;
	int err = 0;

	out[0] = '\0';
	/* mbedTLS leaves an empty name as a zeroed head. */
	if (!name->oid.p)
		return 0;
	for (a = name; a; a = a->next)
		count++;
	rev = calloc(count, sizeof(*rev));
	if (!rev)
		return -1;
	for (a = name, i = count; a; a = a->next)
		rev[--i] = a;
	for (i = 0; i < count && !err; i++) {
		/* rev[i] is followed by rev[i - 1] in the certificate. */
		if (i)
			id_putc(&b, rev[i]->next_merged ? '+' : ',');
		err = id_attr(&b, rev[i]);
	}
	free(rev);
	return err;
}

/*
 * The first common name in UTF-8, as ASN1_STRING_to_UTF8() converts it,
 * ending at a NUL as snprintf("%.*s") ends it; "" if there is none or it is
 * a BIT STRING.
 */
static void id_common_name(const mbedtls_x509_name *name, char *out, size_t size)
{
	struct id_buf b = { out, 0, size };
	const mbedtls_x509_name *a;
	int width;
	uint8_t u[4];
	size_t i;
	long c;

	out[0] = '\0';
	for (a = name; a && MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &a->oid); a = a->next)
		;
	if (!a)
		return;
	width = id_width(a->val.tag);
	if (width < 0 || !id_convertible(&a->val, width))
		return;
	for (i = 0; i < a->val.len;) {
		c = id_getc(&a->val, width, &i);
		if (!c)
			break;
		id_put(&b, (const char *)u, id_utf8((uint32_t)c, u));
	}
}

/*
 * The serial as BN_bn2hex() prints it: upper-case hex of whole bytes with
 * leading zero bytes dropped, "0" for zero, and a negative serial (which
 * mbedTLS keeps as two's complement) as "-" and its magnitude.
 */
static int id_serial(const mbedtls_x509_buf *s, char *out, size_t size)
{
	struct id_buf b = { out, 0, size };
	bool neg, digits = false;
	size_t i, last = 0;
	uint8_t v;

	out[0] = '\0';
	if (!s->len)
		return -1;
	neg = s->p[0] & 0x80;
	for (i = 0; i < s->len; i++)
		if (s->p[i])
			last = i;
	if (neg)
		id_putc(&b, '-');
	for (i = 0; i < s->len; i++) {
		v = s->p[i];
		/* -x = ~x + 1: the carry stops at the last non-zero byte. */
		if (neg)
			v = i < last ? (uint8_t)~v : i == last ? (uint8_t)-v : 0;
		if (!v && !digits)
			continue;
		digits = true;
		id_hex(&b, v);
	}
	if (!digits)
		id_putc(&b, '0');
	return 0;
}

/**
 * kd_mbedtls_identity() - describe a verified client certificate
 * @crt: the certificate, parsed and verified by mbedTLS
 * @res: the result whose client_* fields are filled
 *
 * Fills client_subject and client_issuer (RFC 2253), client_serial,
 * client_cn and client_sha256 (of the DER) with the same bytes the OpenSSL
 * engine produces, each cut to its field as that engine cuts it.
 *
 * Context: any; allocates a little memory.
 * Return: 0 with @res->client_cert set, or -1 with it clear and the strings
 * empty: out of memory, or a certificate OpenSSL would not have parsed (a
 * name string that does not convert to UTF-8, a malformed OID, BIT STRING
 * or serial), which the OpenSSL engine would have refused.
 */
int kd_mbedtls_identity(const struct mbedtls_x509_crt *crt, struct kd_result *res)
{
	res->client_cert = false;
	if (id_name(&crt->subject, res->client_subject, sizeof(res->client_subject)) ||
	    id_name(&crt->issuer, res->client_issuer, sizeof(res->client_issuer)) ||
	    id_serial(&crt->serial, res->client_serial, sizeof(res->client_serial)) ||
	    mbedtls_sha256_ret(crt->raw.p, crt->raw.len, res->client_sha256, 0))
		goto err_clear;
	id_common_name(&crt->subject, res->client_cn, sizeof(res->client_cn));
	res->client_cert = true;
	return 0;

err_clear:
	res->client_subject[0] = res->client_issuer[0] = '\0';
	res->client_serial[0] = res->client_cn[0] = '\0';
	memset(res->client_sha256, 0, sizeof(res->client_sha256));
	return -1;
}
