// SPDX-License-Identifier: GPL-2.0
/*
 * khttps: the PROXY protocol version 2 header that a forward-mode binding
 * with "proxy v2" sends its backend before the client's first byte.
 *
 * The format is haproxy's proxy-protocol.txt, section 2.2: a 16-byte
 * header (signature, version and command, family, length), the two
 * addresses and ports, then type-length-value fields.  khttps sends:
 *
 *   PP2_TYPE_ALPN       the negotiated protocol, when there is one
 *   PP2_TYPE_AUTHORITY  the client's SNI, when it sent one
 *   PP2_TYPE_SSL        client flags and verify result, with the sub-TLVs
 *                       SSL_VERSION ("TLSv1.3"), SSL_CIPHER (OpenSSL's name)
 *                       and SSL_CN (the client certificate's common name)
 *   0xE0-0xE3           the verified client certificate's subject, issuer,
 *                       serial and SHA-256 (&enum khttps_pp2_type)
 *
 * The header is built once, when the relay starts, and sent before any of
 * the client's data; it is copied (it is small), not spliced.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/in.h>
#include <linux/in6.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <net/netlink.h>
#include <uapi/linux/tls.h>

#include "khttps.h"

static const u8 pp2_sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

#define PP2_VERSION_PROXY	0x21	/* version 2, command PROXY */
#define PP2_TCP4		0x11
#define PP2_TCP6		0x21
#define PP2_TYPE_ALPN		0x01
#define PP2_TYPE_AUTHORITY	0x02
#define PP2_TYPE_SSL		0x20
#define PP2_SUBTYPE_SSL_VERSION	0x21
#define PP2_SUBTYPE_SSL_CN	0x22
#define PP2_SUBTYPE_SSL_CIPHER	0x23
#define PP2_CLIENT_SSL		0x01
#define PP2_CLIENT_CERT_CONN	0x02
#define PP2_CLIENT_CERT_SESS	0x04

/*
 * The biggest header: 16 + 36 (IPv6), ALPN and SNI (3 + 255 each), SSL
 * (3 + 5, version 3 + 7, cipher 3 + 64, CN 3 + 255), subject and issuer
 * (3 + 255 each), serial (3 + 47), SHA-256 (3 + 32).
 */
#define PP2_MAX			2048

/* The suites kTLS runs, by IANA number, with the names OpenSSL gives them. */
static const struct {
	u16 id;
	const char *name;
} khttps_suites[] = {
	{ 0x1301, "TLS_AES_128_GCM_SHA256" },
	{ 0x1302, "TLS_AES_256_GCM_SHA384" },
	{ 0x1303, "TLS_CHACHA20_POLY1305_SHA256" },
	{ 0xc02b, "ECDHE-ECDSA-AES128-GCM-SHA256" },
	{ 0xc02c, "ECDHE-ECDSA-AES256-GCM-SHA384" },
	{ 0xc02f, "ECDHE-RSA-AES128-GCM-SHA256" },
	{ 0xc030, "ECDHE-RSA-AES256-GCM-SHA384" },
	{ 0xcca8, "ECDHE-RSA-CHACHA20-POLY1305" },
	{ 0xcca9, "ECDHE-ECDSA-CHACHA20-POLY1305" },
};

static const char *khttps_suite_name(u16 id)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(khttps_suites); i++)
		if (khttps_suites[i].id == id)
			return khttps_suites[i].name;
	return NULL;
}

/* A builder that stops writing, and says so, when the buffer would overflow. */
struct pp2_buf {
	u8 *p;
	unsigned int len;
	bool over;
};

static void pp2_put(struct pp2_buf *b, const void *data, unsigned int len)
{
	if (b->over || b->len + len > PP2_MAX) {
		b->over = true;
		return;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
}

/* Open a TLV; its length is filled in by pp2_tlv_end(). */
static unsigned int pp2_tlv_begin(struct pp2_buf *b, u8 type)
{
	u8 hdr[3] = { type, 0, 0 };

	pp2_put(b, hdr, sizeof(hdr));
	return b->len;
}

static void pp2_be16(u8 *p, unsigned int v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void pp2_tlv_end(struct pp2_buf *b, unsigned int start)
{
	if (!b->over)
		pp2_be16(b->p + start - 2, b->len - start);
}

static void pp2_tlv(struct pp2_buf *b, u8 type, const void *val, unsigned int len)
{
	unsigned int start = pp2_tlv_begin(b, type);

	pp2_put(b, val, len);
	pp2_tlv_end(b, start);
}

static void pp2_tlv_str(struct pp2_buf *b, u8 type, const char *s)
{
	if (s && *s)
		pp2_tlv(b, type, s, strlen(s));
}

static void pp2_ssl(struct pp2_buf *b, const struct khttps_conn *kc)
{
	const struct khttps_client_id *id = kc->kc_client;
	unsigned int start = pp2_tlv_begin(b, PP2_TYPE_SSL);
	u8 client = PP2_CLIENT_SSL;
	__be32 verify;

	/* A resumed session's certificate was presented in an earlier connection. */
	if (id)
		client |= PP2_CLIENT_CERT_SESS;
	if (id && !test_bit(KHTTPS_CF_RESUMED, &kc->kc_flags))
		client |= PP2_CLIENT_CERT_CONN;
	/* Zero only for a certificate that was presented and verified. */
	verify = htonl(id ? 0 : 1);
	pp2_put(b, &client, 1);
	pp2_put(b, &verify, sizeof(verify));
	pp2_tlv_str(b, PP2_SUBTYPE_SSL_VERSION,
		    kc->kc_version == TLS_1_3_VERSION ? "TLSv1.3" : "TLSv1.2");
	pp2_tlv_str(b, PP2_SUBTYPE_SSL_CIPHER, khttps_suite_name(kc->kc_suite));
	if (id)
		pp2_tlv_str(b, PP2_SUBTYPE_SSL_CN, id->cn);
	pp2_tlv_end(b, start);
}

static void pp2_addrs(struct pp2_buf *b, const struct sockaddr_storage *peer,
		      const struct sockaddr_storage *local)
{
	if (peer->ss_family == AF_INET) {
		const struct sockaddr_in *src = (const void *)peer, *dst = (const void *)local;

		pp2_put(b, &src->sin_addr, 4);
		pp2_put(b, &dst->sin_addr, 4);
		pp2_put(b, &src->sin_port, 2);
		pp2_put(b, &dst->sin_port, 2);
	} else {
		const struct sockaddr_in6 *src = (const void *)peer, *dst = (const void *)local;

		pp2_put(b, &src->sin6_addr, 16);
		pp2_put(b, &dst->sin6_addr, 16);
		pp2_put(b, &src->sin6_port, 2);
		pp2_put(b, &dst->sin6_port, 2);
	}
}

/**
 * khttps_proxy_v2() - the PROXY v2 header for an established connection
 * @kc: the connection: kTLS installed, DONE's names kept
 * @len: out: the header's length
 *
 * Return: the header (kfree() it), or an ERR_PTR.
 * Context: process.
 */
u8 *khttps_proxy_v2(const struct khttps_conn *kc, unsigned int *len)
{
	const struct khttps_client_id *id = kc->kc_client;
	struct sockaddr_storage local = {};
	struct pp2_buf b = {};
	u8 head[4];
	int err;

	err = kernel_getsockname(kc->kc_sock, (struct sockaddr *)&local);
	if (err < 0)
		return ERR_PTR(err);
	if (local.ss_family != kc->kc_peer.ss_family)
		return ERR_PTR(-EAFNOSUPPORT);
	b.p = kmalloc(PP2_MAX, GFP_KERNEL);
	if (!b.p)
		return ERR_PTR(-ENOMEM);

	pp2_put(&b, pp2_sig, sizeof(pp2_sig));
	head[0] = PP2_VERSION_PROXY;
	head[1] = local.ss_family == AF_INET ? PP2_TCP4 : PP2_TCP6;
	pp2_put(&b, head, sizeof(head));	/* the length comes last */
	pp2_addrs(&b, &kc->kc_peer, &local);
	pp2_tlv_str(&b, PP2_TYPE_ALPN, kc->kc_alpn);
	pp2_tlv_str(&b, PP2_TYPE_AUTHORITY, kc->kc_sni);
	pp2_ssl(&b, kc);
	if (id) {
		pp2_tlv_str(&b, KHTTPS_PP2_CLIENT_SUBJECT, id->subject);
		pp2_tlv_str(&b, KHTTPS_PP2_CLIENT_ISSUER, id->issuer);
		pp2_tlv_str(&b, KHTTPS_PP2_CLIENT_SERIAL, id->serial);
		pp2_tlv(&b, KHTTPS_PP2_CLIENT_SHA256, id->sha256, sizeof(id->sha256));
	}
	/* Cannot happen: every field is bounded and PP2_MAX holds them all. */
	if (WARN_ON_ONCE(b.over)) {
		kfree(b.p);
		return ERR_PTR(-EOVERFLOW);
	}
	pp2_be16(b.p + 14, b.len - 16);
	*len = b.len;
	return b.p;
}

/**
 * khttps_policy_proxy() - what PROXY header a binding's policy asks for
 * @policy: a checked %KHTTPS_A_POLICY, or NULL
 *
 * Return: &enum khttps_proxy.
 */
u8 khttps_policy_proxy(const struct nlattr *policy)
{
	const struct nlattr *a;

	if (!policy)
		return KHTTPS_PROXY_OFF;
	a = nla_find_nested(policy, KHTTPS_POLICY_A_PROXY);
	return a ? nla_get_u8(a) : KHTTPS_PROXY_OFF;
}
