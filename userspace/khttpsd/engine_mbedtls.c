// SPDX-License-Identifier: GPL-2.0
/*
 * The mbedTLS handshake engine (Debian 12's mbedTLS 2.28): TLS 1.2 with
 * ECDHE and the AEAD suites kTLS runs, for bindings that say engine mbedtls
 * or when khttpsd runs with --engine mbedtls.  The kernel gets the same DONE
 * as from the OpenSSL engine; nothing below the netlink message knows which
 * library ran the handshake.
 *
 * Keys: mbedTLS hands over the master secret and both randoms (the export
 * keys callback); the record keys are derived from those as for OpenSSL
 * (keys.c).  Sequence numbers: the records each side sent after its
 * ChangeCipherSpec are counted on the wire, in the send and receive
 * callbacks, so nothing is assumed about how mbedTLS frames them.  mbedTLS
 * reads a record header and then exactly the record, never ahead, so what
 * the client sends after its Finished stays in the socket for the kernel;
 * a count other than one record each way is refused all the same.
 *
 * Sessions: tickets sealed with the ticket keys every worker shares
 * (tickets.c) and TLS 1.2 session ids in the shared cache (sesscache.c),
 * both holding mbedTLS's own session serialisation behind a header: a
 * magic, the session's close_notify token and the context it was made in
 * (certificate, client CAs, client-certificate mode), so a session resumes
 * only where it could have been made.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <linux/tls.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crl.h>
#include <mbedtls/x509_crt.h>
#include <openssl/evp.h>

#include "keys.h"
#include "khttpsd.h"
#include <linux/khttps.h>

/* Server preference, as the OpenSSL engine's list. */
static const int kd_mb_suites[] = {
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	0,
};

/* A binding's certificate, key, chain and client trust, parsed. */
struct kd_mb_creds {
	mbedtls_x509_crt chain;		/* the certificate, then intermediates */
	mbedtls_pk_context key;
	mbedtls_x509_crt ca;		/* client certificates' CAs */
	mbedtls_x509_crl crl;
	bool has_ca, has_crl;
	uint8_t sid_ctx[32];		/* what a session is bound to */
	/*
	 * The cache's reference and one per handshake using it: handshakes
	 * run side by side (worker.c) and the cache may drop a set (replaced
	 * on disk, evicted, SIGHUP) while one of them still uses it.
	 */
	unsigned int refs;
};

/* Where the records of one direction are: headers counted after its CCS. */
struct kd_mb_records {
	uint8_t hdr[5];
	size_t have;			/* header bytes seen */
	size_t left;			/* body bytes of the current record still to pass */
	bool switched;			/* its ChangeCipherSpec went by */
	uint64_t count;			/* records since */
};

struct kd_mb_conn {
	const struct kd_config *cfg;
	const struct kd_job *job;
	const struct kd_binding *pol;
	const struct kd_mb_creds *creds;
	struct kd_mb_records tx, rx;
	bool keys;			/* the export callback ran */
	uint8_t master[48], client_random[32], server_random[32];
	mbedtls_tls_prf_types prf;
	bool has_token;
	uint8_t token[KD_TOKEN_LEN];
	char sni[256];
	const char *alpn[32];		/* NULL-terminated, into alpn_buf */
	char alpn_buf[256 + 32];
};

/* Session state behind tickets and session ids: magic, token, context, mbedTLS's. */
#define KD_MB_MAGIC	"KHM1"
#define KD_MB_HDR	(4 + KD_TOKEN_LEN + 32)
#define KD_MB_SESSION	4096

static mbedtls_entropy_context kd_mb_entropy;
static mbedtls_ctr_drbg_context kd_mb_drbg;
static bool kd_mb_seeded;

/* Seeded in the worker, after the fork: no two workers share a DRBG state. */
static int kd_mb_rng(void)
{
	static const unsigned char pers[] = "khttpsd mbedtls engine";

	if (kd_mb_seeded)
		return 0;
	mbedtls_entropy_init(&kd_mb_entropy);
	mbedtls_ctr_drbg_init(&kd_mb_drbg);
	if (mbedtls_ctr_drbg_seed(&kd_mb_drbg, mbedtls_entropy_func, &kd_mb_entropy, pers,
				  sizeof(pers) - 1)) {
		kd_log(LOG_ERR, "mbedtls: cannot seed the random generator");
		mbedtls_ctr_drbg_free(&kd_mb_drbg);
		mbedtls_entropy_free(&kd_mb_entropy);
		return -1;
	}
	kd_mb_seeded = true;
	return 0;
}

static const char *kd_mb_strerror(int err, char *buf, size_t len)
{
	mbedtls_strerror(err, buf, len);
	return buf;
}

/* Drop a reference (the cache's free, and each handshake's at its end). */
static void kd_mb_creds_free(void *p)
{
	struct kd_mb_creds *cr = p;

	if (cr->refs > 1) {
		cr->refs--;
		return;
	}
	mbedtls_x509_crt_free(&cr->chain);
	mbedtls_pk_free(&cr->key);
	mbedtls_x509_crt_free(&cr->ca);
	mbedtls_x509_crl_free(&cr->crl);
	free(cr);
}

/* SHA-256 of the certificate, the client-CA path and the mode: as the OpenSSL engine's. */
static int kd_mb_sid_ctx(struct kd_mb_creds *cr, const char *ca, uint8_t client_cert)
{
	mbedtls_sha256_context h;
	int err;

	mbedtls_sha256_init(&h);
	err = mbedtls_sha256_starts_ret(&h, 0) ||
	      mbedtls_sha256_update_ret(&h, cr->chain.raw.p, cr->chain.raw.len) ||
	      mbedtls_sha256_update_ret(&h, (const unsigned char *)ca, strlen(ca) + 1) ||
	      mbedtls_sha256_update_ret(&h, &client_cert, 1) ||
	      mbedtls_sha256_finish_ret(&h, cr->sid_ctx);
	mbedtls_sha256_free(&h);
	return err ? -1 : 0;
}

/* struct kd_certcache's build: the files of a binding, parsed and checked. */
static void *kd_mb_creds_build(const struct kd_config *cfg, const char *const path[KD_FILES],
			       uint8_t client_cert)
{
	struct kd_mb_creds *cr = calloc(1, sizeof(*cr));
	mbedtls_x509_crt file;
	char why[128];
	int err;

	(void)cfg;
	if (!cr)
		return NULL;
	cr->refs = 1;
	mbedtls_x509_crt_init(&cr->chain);
	mbedtls_pk_init(&cr->key);
	mbedtls_x509_crt_init(&cr->ca);
	mbedtls_x509_crl_init(&cr->crl);
	mbedtls_x509_crt_init(&file);
	err = mbedtls_x509_crt_parse_file(&file, path[KD_CERT]);
	if (err) {
		kd_log(LOG_ERR, "cannot load certificate %s: %s", path[KD_CERT],
		       err > 0 ? "a certificate in it does not parse" :
		       kd_mb_strerror(err, why, sizeof(why)));
		goto err;
	}
	/* A chain file replaces intermediates the certificate file carried. */
	if (*path[KD_CHAIN]) {
		err = mbedtls_x509_crt_parse_der(&cr->chain, file.raw.p, file.raw.len);
		if (!err)
			err = mbedtls_x509_crt_parse_file(&cr->chain, path[KD_CHAIN]);
		if (err) {
			kd_log(LOG_ERR, "cannot load certificate chain %s: %s", path[KD_CHAIN],
			       err > 0 ? "a certificate in it does not parse" :
			       kd_mb_strerror(err, why, sizeof(why)));
			goto err;
		}
		mbedtls_x509_crt_free(&file);
	} else {
		cr->chain = file;	/* the list moves over whole */
	}
	mbedtls_x509_crt_init(&file);
	err = mbedtls_pk_parse_keyfile(&cr->key, path[KD_KEY], NULL);
	if (err) {
		kd_log(LOG_ERR, "cannot load private key %s: %s", path[KD_KEY],
		       kd_mb_strerror(err, why, sizeof(why)));
		goto err;
	}
	if (mbedtls_pk_check_pair(&cr->chain.pk, &cr->key)) {
		kd_log(LOG_ERR, "private key %s does not match certificate %s", path[KD_KEY],
		       path[KD_CERT]);
		goto err;
	}
	if (*path[KD_CA]) {
		err = mbedtls_x509_crt_parse_file(&cr->ca, path[KD_CA]);
		if (err) {
			kd_log(LOG_ERR, "cannot load client CA file %s: %s", path[KD_CA],
			       err > 0 ? "a certificate in it does not parse" :
			       kd_mb_strerror(err, why, sizeof(why)));
			goto err;
		}
		cr->has_ca = true;
	}
	if (*path[KD_CRL]) {
		err = mbedtls_x509_crl_parse_file(&cr->crl, path[KD_CRL]);
		if (err) {
			kd_log(LOG_ERR, "cannot load CRL file %s: %s", path[KD_CRL],
			       kd_mb_strerror(err, why, sizeof(why)));
			goto err;
		}
		cr->has_crl = true;
	}
	if (kd_mb_sid_ctx(cr, path[KD_CA], client_cert))
		goto err;
	return cr;
err:
	mbedtls_x509_crt_free(&file);
	kd_mb_creds_free(cr);
	return NULL;
}

static struct kd_certcache kd_mb_cache = { .build = kd_mb_creds_build, .free = kd_mb_creds_free };

/**
 * kd_mbedtls_flush_cache() - forget every cached certificate (SIGHUP)
 */
void kd_mbedtls_flush_cache(void)
{
	kd_certcache_flush(&kd_mb_cache);
}

/* Follow the record framing of @n bytes that went by in one direction. */
static void kd_mb_track(struct kd_mb_records *r, const uint8_t *p, size_t n)
{
	size_t k;

	while (n) {
		if (r->left) {
			k = n < r->left ? n : r->left;
			r->left -= k;
			p += k;
			n -= k;
			continue;
		}
		r->hdr[r->have++] = *p++;
		n--;
		if (r->have < sizeof(r->hdr))
			continue;
		r->have = 0;
		r->left = (size_t)r->hdr[3] << 8 | r->hdr[4];
		if (r->switched)
			r->count++;
		else if (r->hdr[0] == MBEDTLS_SSL_MSG_CHANGE_CIPHER_SPEC)
			r->switched = true;
	}
}

static int kd_mb_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct kd_mb_conn *c = ctx;
	ssize_t n = send(c->job->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? MBEDTLS_ERR_SSL_WANT_WRITE :
		       errno == EPIPE || errno == ECONNRESET ? MBEDTLS_ERR_NET_CONN_RESET :
		       MBEDTLS_ERR_NET_SEND_FAILED;
	kd_mb_track(&c->tx, buf, (size_t)n);
	return (int)n;
}

static int kd_mb_recv(void *ctx, unsigned char *buf, size_t len)
{
	struct kd_mb_conn *c = ctx;
	ssize_t n = recv(c->job->fd, buf, len, MSG_DONTWAIT);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? MBEDTLS_ERR_SSL_WANT_READ :
		       errno == ECONNRESET ? MBEDTLS_ERR_NET_CONN_RESET : MBEDTLS_ERR_NET_RECV_FAILED;
	kd_mb_track(&c->rx, buf, (size_t)n);
	return (int)n;	/* 0: the client closed (MBEDTLS_ERR_SSL_CONN_EOF) */
}

/* The master secret and randoms, each time keys are derived. */
static int kd_mb_export_keys(void *p, const unsigned char *ms, const unsigned char *kb,
			     size_t maclen, size_t keylen, size_t ivlen,
			     const unsigned char client_random[32],
			     const unsigned char server_random[32], mbedtls_tls_prf_types prf)
{
	struct kd_mb_conn *c = p;

	(void)kb;
	(void)maclen;
	(void)keylen;
	(void)ivlen;
	memcpy(c->master, ms, sizeof(c->master));
	memcpy(c->client_random, client_random, 32);
	memcpy(c->server_random, server_random, 32);
	c->prf = prf;
	c->keys = true;
	return 0;
}

/* Only noted: the binding was chosen from the same name before the handshake. */
static int kd_mb_sni(void *p, mbedtls_ssl_context *ssl, const unsigned char *name, size_t len)
{
	struct kd_mb_conn *c = p;

	(void)ssl;
	if (len && len < sizeof(c->sni) && !memchr(name, 0, len)) {
		memcpy(c->sni, name, len);
		c->sni[len - (name[len - 1] == '.')] = '\0';
	}
	return 0;
}

/* The binding's ALPN wire list as mbedTLS takes it: NULL-terminated strings. */
static void kd_mb_alpn(struct kd_mb_conn *c)
{
	const unsigned char *w = c->pol->alpn;
	unsigned int i = 0, n = 0;
	char *out = c->alpn_buf;

	while (i < c->pol->alpn_len && n + 1 < sizeof(c->alpn) / sizeof(c->alpn[0])) {
		unsigned int l = w[i];

		if (i + 1 + l > c->pol->alpn_len)
			break;
		memcpy(out, w + i + 1, l);
		out[l] = '\0';
		c->alpn[n++] = out;
		out += l + 1;
		i += 1 + l;
	}
	c->alpn[n] = NULL;
}

/* A session as tickets and the id cache keep it; Return: its length or -1. */
static int kd_mb_session_pack(struct kd_mb_conn *c, const mbedtls_ssl_session *s, uint8_t *out,
			      size_t cap)
{
	size_t n = 0;

	if (!c->has_token) {
		if (mbedtls_ctr_drbg_random(&kd_mb_drbg, c->token, KD_TOKEN_LEN))
			return -1;
		c->has_token = true;
	}
	if (cap < KD_MB_HDR)
		return -1;
	memcpy(out, KD_MB_MAGIC, 4);
	memcpy(out + 4, c->token, KD_TOKEN_LEN);
	memcpy(out + 4 + KD_TOKEN_LEN, c->creds->sid_ctx, 32);
	if (mbedtls_ssl_session_save(s, out + KD_MB_HDR, cap - KD_MB_HDR, &n))
		return -1;
	return (int)(KD_MB_HDR + n);
}

/* The session @in holds, if it may resume here and now; Return: 0 or -1. */
static int kd_mb_session_unpack(struct kd_mb_conn *c, mbedtls_ssl_session *s, const uint8_t *in,
				size_t len)
{
	long life = kd_tickets_lifetime(c->cfg);
	time_t now = time(NULL);

	if (len <= KD_MB_HDR || memcmp(in, KD_MB_MAGIC, 4) ||
	    memcmp(in + 4 + KD_TOKEN_LEN, c->creds->sid_ctx, 32))
		return -1;	/* another engine's, or made with another certificate */
	if (mbedtls_ssl_session_load(s, in + KD_MB_HDR, len - KD_MB_HDR))
		return -1;
	if (s->start > now || now - s->start > life ||
	    !kd_session_may_resume(c->job, c->pol, in + 4)) {
		/* Freed and wiped here: a second free by mbedTLS finds nothing. */
		mbedtls_ssl_session_free(s);
		return -1;
	}
	memcpy(c->token, in + 4, KD_TOKEN_LEN);
	c->has_token = true;
	return 0;
}

static int kd_mb_ticket_write(void *p, const mbedtls_ssl_session *s, unsigned char *start,
			      const unsigned char *end, size_t *tlen, uint32_t *lifetime)
{
	struct kd_mb_conn *c = p;
	uint8_t state[KD_MB_SESSION];
	int n = kd_mb_session_pack(c, s, state, sizeof(state)), t = -1;

	if (n > 0)
		t = kd_tickets_seal(state, (size_t)n, start, (size_t)(end - start));
	mbedtls_platform_zeroize(state, sizeof(state));
	if (t < 0)
		return MBEDTLS_ERR_SSL_INTERNAL_ERROR;
	*tlen = (size_t)t;
	*lifetime = (uint32_t)kd_tickets_lifetime(c->cfg);
	return 0;
}

/* Any failure is "not authentic" to mbedTLS: a full handshake, no alert. */
static int kd_mb_ticket_parse(void *p, mbedtls_ssl_session *s, unsigned char *buf, size_t len)
{
	struct kd_mb_conn *c = p;
	uint8_t state[KD_MB_SESSION + 128];
	bool renew;
	int n = len <= sizeof(state) ? kd_tickets_open(buf, len, state, sizeof(state), &renew) : -1;
	int err = n > 0 ? kd_mb_session_unpack(c, s, state, (size_t)n) : -1;

	mbedtls_platform_zeroize(state, sizeof(state));
	return err ? MBEDTLS_ERR_SSL_INVALID_MAC : 0;
}

/* TLS 1.2 session ids: the cache the workers share. */
static int kd_mb_cache_set(void *p, const mbedtls_ssl_session *s)
{
	struct kd_mb_conn *c = p;
	uint8_t state[KD_MB_SESSION];
	int n = kd_mb_session_pack(c, s, state, sizeof(state));

	if (n > 0)
		kd_sesscache_put(s->id, (unsigned int)s->id_len, state, (size_t)n,
				 (int64_t)s->start + kd_tickets_lifetime(c->cfg));
	mbedtls_platform_zeroize(state, sizeof(state));
	return 0;
}

static int kd_mb_cache_get(void *p, mbedtls_ssl_session *s)
{
	struct kd_mb_conn *c = p;
	uint8_t state[KD_MB_SESSION];
	size_t n = kd_sesscache_get_blob(s->id, (unsigned int)s->id_len, state, sizeof(state));
	int err = n ? kd_mb_session_unpack(c, s, state, n) : -1;

	mbedtls_platform_zeroize(state, sizeof(state));
	return err ? 1 : 0;
}

/* The alert a client certificate that did not verify gets (as mbedTLS's own). */
static unsigned char kd_mb_cert_alert(uint32_t flags)
{
	if (flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED)
		return MBEDTLS_SSL_ALERT_MSG_UNKNOWN_CA;
	if (flags & MBEDTLS_X509_BADCERT_REVOKED)
		return MBEDTLS_SSL_ALERT_MSG_CERT_REVOKED;
	if (flags & MBEDTLS_X509_BADCERT_EXPIRED)
		return MBEDTLS_SSL_ALERT_MSG_CERT_EXPIRED;
	return MBEDTLS_SSL_ALERT_MSG_BAD_CERT;
}

static void kd_mb_log_cert(const struct kd_job *job, uint32_t flags)
{
	char info[256];
	char *nl;

	if (mbedtls_x509_crt_verify_info(info, sizeof(info), "", flags) < 0)
		snprintf(info, sizeof(info), "flags %#x", flags);
	if ((nl = strchr(info, '\n')))
		*nl = '\0';
	kd_log(LOG_INFO, "conn %llu from %s: client certificate: %s",
	       (unsigned long long)job->conn_id, job->peer, info);
}

/* DONE's version, cipher and keys from the negotiated suite and the export. */
static int kd_mb_derive(mbedtls_ssl_context *ssl, struct kd_mb_conn *c, struct kd_result *res)
{
	int suite = mbedtls_ssl_get_ciphersuite_id(mbedtls_ssl_get_ciphersuite(ssl));
	const EVP_MD *md = EVP_sha256();
	bool chacha = false;
	int key_len;

	switch (suite) {
	case MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256:
	case MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256:
		res->cipher = TLS_CIPHER_AES_GCM_128;
		key_len = 16;
		break;
	case MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384:
	case MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384:
		res->cipher = TLS_CIPHER_AES_GCM_256;
		key_len = 32;
		md = EVP_sha384();
		break;
	case MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256:
	case MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256:
		res->cipher = TLS_CIPHER_CHACHA20_POLY1305;
		key_len = 32;
		chacha = true;
		break;
	default:
		kd_log(LOG_ERR, "mbedtls: negotiated suite %#x has no kTLS support", suite);
		return -1;
	}
	if (!c->keys || (c->prf == MBEDTLS_SSL_TLS_PRF_SHA384) != (md == EVP_sha384()))
		return -1;
	res->suite = (uint16_t)suite;
	res->version = TLS_1_2_VERSION;
	return kd_tls12_dirs(md, c->master, c->client_random, c->server_random, chacha, key_len,
			     c->tx.count, c->rx.count, &res->tx, &res->rx);
}

/* The configuration of one handshake: cheap, and it points at this connection. */
static int kd_mb_setup(mbedtls_ssl_config *conf, struct kd_mb_conn *c)
{
	const struct kd_binding *b = c->pol;
	static const int authmode[] = {
		[KHTTPS_CLIENT_CERT_OFF] = MBEDTLS_SSL_VERIFY_NONE,
		[KHTTPS_CLIENT_CERT_REQUEST] = MBEDTLS_SSL_VERIFY_OPTIONAL,
		[KHTTPS_CLIENT_CERT_REQUIRE] = MBEDTLS_SSL_VERIFY_REQUIRED,
	};

	if (mbedtls_ssl_config_defaults(conf, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM,
					MBEDTLS_SSL_PRESET_DEFAULT))
		return -1;
	mbedtls_ssl_conf_rng(conf, mbedtls_ctr_drbg_random, &kd_mb_drbg);
	mbedtls_ssl_conf_min_version(conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
	mbedtls_ssl_conf_max_version(conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
	mbedtls_ssl_conf_ciphersuites(conf, kd_mb_suites);
	mbedtls_ssl_conf_renegotiation(conf, MBEDTLS_SSL_RENEGOTIATION_DISABLED);
	mbedtls_ssl_conf_legacy_renegotiation(conf, MBEDTLS_SSL_LEGACY_NO_RENEGOTIATION);
	if (mbedtls_ssl_conf_own_cert(conf, (mbedtls_x509_crt *)&c->creds->chain,
				      (mbedtls_pk_context *)&c->creds->key))
		return -1;
	mbedtls_ssl_conf_authmode(conf, b->client_cert < __KHTTPS_CLIENT_CERT_MAX ?
				  authmode[b->client_cert] : MBEDTLS_SSL_VERIFY_REQUIRED);
	if (c->creds->has_ca)
		mbedtls_ssl_conf_ca_chain(conf, (mbedtls_x509_crt *)&c->creds->ca,
					  c->creds->has_crl ? (mbedtls_x509_crl *)&c->creds->crl : NULL);
	kd_mb_alpn(c);
	if (c->alpn[0] && mbedtls_ssl_conf_alpn_protocols(conf, c->alpn))
		return -1;
	mbedtls_ssl_conf_sni(conf, kd_mb_sni, c);
	mbedtls_ssl_conf_export_keys_ext_cb(conf, kd_mb_export_keys, c);
	if (b->resume) {
		mbedtls_ssl_conf_session_cache(conf, c, kd_mb_cache_get, kd_mb_cache_set);
		/* No keys (logged by kd_tickets_ready()): no tickets, ids still resume. */
		if (kd_tickets_ready(c->cfg))
			mbedtls_ssl_conf_session_tickets_cb(conf, kd_mb_ticket_write,
							    kd_mb_ticket_parse, c);
	}
	return 0;
}

/*
 * Drive the handshake a step at a time.  "clientcert request" is mbedTLS's
 * optional mode, which would accept a certificate that does not verify:
 * checked right after the client's Certificate, refused with the alert the
 * required mode sends.  Return: 0, or the status for DONE.
 */
static int kd_mb_run(mbedtls_ssl_context *ssl, struct kd_mb_conn *c, bool *resumed)
{
	const struct kd_job *job = c->job;
	char why[128];
	int r, state;

	*resumed = true;
	while (ssl->state != MBEDTLS_SSL_HANDSHAKE_OVER) {
		state = ssl->state;
		r = mbedtls_ssl_handshake_step(ssl);
		if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE) {
			if (!kd_wait(job->fd, r == MBEDTLS_ERR_SSL_WANT_READ ? POLLIN : POLLOUT,
				     &job->deadline))
				continue;
			kd_log(LOG_INFO, "conn %llu from %s: handshake failed (timed out)",
			       (unsigned long long)job->conn_id, job->peer);
			return KHTTPS_HS_TLS_ERROR;
		}
		if (r) {
			kd_log(LOG_INFO, "conn %llu from %s: handshake failed (%s)",
			       (unsigned long long)job->conn_id, job->peer,
			       kd_mb_strerror(r, why, sizeof(why)));
			if (r == MBEDTLS_ERR_SSL_CONN_EOF || r == MBEDTLS_ERR_NET_CONN_RESET)
				return KHTTPS_HS_CLIENT_CLOSED;
			if (state == MBEDTLS_SSL_CLIENT_CERTIFICATE) {
				kd_mb_log_cert(job, mbedtls_ssl_get_verify_result(ssl));
				/* mbedTLS alerts a bad certificate, not a missing one. */
				if (r == MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE)
					mbedtls_ssl_send_alert_message(ssl, MBEDTLS_SSL_ALERT_LEVEL_FATAL,
						MBEDTLS_SSL_ALERT_MSG_HANDSHAKE_FAILURE);
				return KHTTPS_HS_CLIENT_CERT;
			}
			return KHTTPS_HS_TLS_ERROR;
		}
		/* A full handshake sends the server's certificate; a resumed one does not. */
		if (ssl->state == MBEDTLS_SSL_SERVER_CERTIFICATE)
			*resumed = false;
		if (state == MBEDTLS_SSL_CLIENT_CERTIFICATE && ssl->state != state &&
		    c->pol->client_cert == KHTTPS_CLIENT_CERT_REQUEST) {
			uint32_t flags = mbedtls_ssl_get_verify_result(ssl);

			if (flags && flags != MBEDTLS_X509_BADCERT_MISSING) {
				kd_mb_log_cert(job, flags);
				mbedtls_ssl_send_alert_message(ssl, MBEDTLS_SSL_ALERT_LEVEL_FATAL,
							       kd_mb_cert_alert(flags));
				return KHTTPS_HS_CLIENT_CERT;
			}
		}
	}
	return 0;
}

/**
 * kd_mbedtls_handshake() - run a TLS 1.2 server handshake with mbedTLS
 * @cfg: daemon configuration
 * @job: the connection, its binding chosen (never a select job); the fd
 *	is left open for the caller to close
 * @res: the outcome; keys only when everything succeeded
 */
void kd_mbedtls_handshake(const struct kd_config *cfg, const struct kd_job *job,
			  struct kd_result *res)
{
	struct kd_mb_conn c = { .cfg = cfg, .job = job, .pol = &job->binding };
	const mbedtls_x509_crt *peer;
	struct kd_mb_creds *creds;
	mbedtls_ssl_config conf;
	mbedtls_ssl_context ssl;
	const char *alpn;
	bool resumed;
	int status;

	memset(res, 0, sizeof(*res));
	res->status = KHTTPS_HS_CERT_ERROR;
	if (job->binding.min_version > TLS_1_2_VERSION) {
		/* The kernel refuses this for engine mbedtls; --engine mbedtls meets it here. */
		kd_log(LOG_ERR, "conn %llu from %s: binding %llu wants TLS 1.3 and the mbedtls "
		       "engine speaks TLS 1.2 only", (unsigned long long)job->conn_id, job->peer,
		       (unsigned long long)job->binding.id);
		return;
	}
	creds = kd_certcache_get(&kd_mb_cache, cfg, &job->binding);
	if (!creds)
		return;
	creds->refs++;
	c.creds = creds;
	mbedtls_ssl_config_init(&conf);
	mbedtls_ssl_init(&ssl);
	res->status = KHTTPS_HS_INTERNAL;
	if (kd_mb_rng())
		goto out;
	if (kd_mb_setup(&conf, &c) || mbedtls_ssl_setup(&ssl, &conf))
		goto out;
	mbedtls_ssl_set_bio(&ssl, &c, kd_mb_send, kd_mb_recv, NULL);
	fcntl(job->fd, F_SETFL, fcntl(job->fd, F_GETFL) | O_NONBLOCK);

	status = kd_mb_run(&ssl, &c, &resumed);
	if (status) {
		res->status = status;
		goto out;
	}
	res->status = KHTTPS_HS_TLS_ERROR;
	/* kTLS sends full-size records: a client that asked for less cannot have them. */
	if (mbedtls_ssl_get_output_max_frag_len(&ssl) < 16384) {
		kd_log(LOG_INFO, "conn %llu from %s: the client asked for a maximum fragment length, "
		       "which kTLS cannot keep: refused", (unsigned long long)job->conn_id, job->peer);
		goto out;
	}
	/* Each side's Finished, and nothing after it, under the new keys. */
	if (c.tx.count != 1 || c.rx.count != 1 || c.tx.have || c.tx.left || c.rx.have ||
	    c.rx.left) {
		kd_log(LOG_ERR, "conn %llu from %s: mbedtls: unexpected records after the key change "
		       "(%llu sent, %llu read): refused", (unsigned long long)job->conn_id, job->peer,
		       (unsigned long long)c.tx.count, (unsigned long long)c.rx.count);
		res->status = KHTTPS_HS_INTERNAL;
		goto out;
	}
	snprintf(res->sni, sizeof(res->sni), "%s", c.sni);
	alpn = mbedtls_ssl_get_alpn_protocol(&ssl);
	if (alpn)
		snprintf(res->alpn, sizeof(res->alpn), "%s", alpn);
	peer = mbedtls_ssl_get_peer_cert(&ssl);
	if (peer && mbedtls_ssl_get_verify_result(&ssl) == 0)
		kd_mbedtls_identity(peer, res);
	res->resumed = resumed;
	if (c.has_token) {
		memcpy(res->token, c.token, KD_TOKEN_LEN);
		res->has_token = true;
		res->session_life = (uint32_t)kd_tickets_lifetime(cfg);
	}
	if (kd_mb_derive(&ssl, &c, res)) {
		res->status = KHTTPS_HS_INTERNAL;
		mbedtls_platform_zeroize(&res->tx, sizeof(res->tx));
		mbedtls_platform_zeroize(&res->rx, sizeof(res->rx));
		goto out;
	}
	res->status = KHTTPS_HS_OK;
out:
	/* No close_notify: the connection goes on, in the kernel. */
	mbedtls_ssl_free(&ssl);
	mbedtls_ssl_config_free(&conf);
	kd_mb_creds_free(creds);
	mbedtls_platform_zeroize(&c, sizeof(c));
}
