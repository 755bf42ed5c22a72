// SPDX-License-Identifier: GPL-2.0
/*
 * The OpenSSL 3 handshake engine: TLS 1.2 (ECDHE, AEAD only) and 1.3 with
 * the suites kTLS runs, on a socket the kernel lent us.  It derives the
 * record keys itself and counts the records OpenSSL sent and read under
 * them, so the kernel can take over at the right sequence numbers.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/tls.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/ssl.h>

#include "addr.h"
#include "keys.h"
#include "khttpsd.h"
#include <linux/khttps.h>


static const char kd_tls12_ciphers[] =
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
static const char kd_tls13_suites[] =
	"TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

/* Per-connection state the callbacks fill in. */
struct kd_conn {
	const struct kd_config *cfg;
	const struct kd_job *job;
	const struct kd_binding *pol;	/* the binding in effect: ACCEPT's or SELECT's */
	bool selected;			/* the ClientHello callback chose the binding */
	int select_status;		/* its failure, an enum khttps_hs_status */
	uint64_t binding_id;
	struct kd_binding binding;	/* scratch for HS_SELECT's answer */
	bool tx_switched, rx_switched;	/* the traffic keys are in use */
	uint64_t tx_records, rx_records;	/* records under them so far */
	uint8_t client_secret[48], server_secret[48];
	size_t client_secret_len, server_secret_len;
	bool has_token;			/* the session's token is known */
	uint8_t token[KD_TOKEN_LEN];
};

static int kd_conn_index = -1;

/*
 * Count every record header after the key change.  TLS 1.3: our own and the
 * client's Finished switch to traffic keys (the Finished itself is under the
 * handshake keys).  TLS 1.2: the record after a ChangeCipherSpec is the
 * first under the new keys; the switch is taken from the record header's
 * content type, since OpenSSL reports no message for a received CCS.
 */
static void kd_msg_cb(int write_p, int version, int content_type, const void *buf, size_t len,
		      SSL *ssl, void *arg)
{
	struct kd_conn *c = arg;
	const uint8_t *b = buf;
	bool *switched = write_p ? &c->tx_switched : &c->rx_switched;

	(void)version;
	if (content_type == SSL3_RT_HEADER) {
		if (*switched)
			(write_p ? c->tx_records++ : c->rx_records++);
		else if (SSL_version(ssl) != TLS1_3_VERSION && len > 0 &&
			 b[0] == SSL3_RT_CHANGE_CIPHER_SPEC)
			*switched = true;
		return;
	}
	if (SSL_version(ssl) == TLS1_3_VERSION && content_type == SSL3_RT_HANDSHAKE && len > 0 &&
	    b[0] == SSL3_MT_FINISHED)
		*switched = true;
}

/* TLS 1.3 traffic secrets arrive as NSS key-log lines. */
static void kd_keylog_cb(const SSL *ssl, const char *line)
{
	struct kd_conn *c = SSL_get_ex_data(ssl, kd_conn_index);
	const char *sp;

	if (!c)
		return;
	if (!strncmp(line, "CLIENT_TRAFFIC_SECRET_0 ", 24) && (sp = strchr(line + 24, ' ')))
		kd_unhex(sp + 1, c->client_secret, sizeof(c->client_secret), &c->client_secret_len);
	else if (!strncmp(line, "SERVER_TRAFFIC_SECRET_0 ", 24) && (sp = strchr(line + 24, ' ')))
		kd_unhex(sp + 1, c->server_secret, sizeof(c->server_secret), &c->server_secret_len);
}

/*
 * The binding's ALPN list (default http/1.1), in the server's order of
 * preference; a client that offers none of it gets no ALPN, not an alert.
 */
static int kd_alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
		      const unsigned char *in, unsigned int inlen, void *arg)
{
	struct kd_conn *c = SSL_get_ex_data(ssl, kd_conn_index);

	(void)arg;
	if (!c || !c->pol || !c->pol->alpn_len)
		return SSL_TLSEXT_ERR_NOACK;
	if (SSL_select_next_proto((unsigned char **)out, outlen, c->pol->alpn, c->pol->alpn_len,
				  in, inlen) == OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_OK;
	return SSL_TLSEXT_ERR_NOACK;
}

/*
 * The binding's protocol floor and ceiling (never below 1.2) and client
 * certificate mode, on this connection: a context switched to after SNI
 * brings its certificate and trust store, not these.
 */
static void kd_apply_policy(SSL *ssl, const struct kd_binding *b)
{
	int mode = SSL_VERIFY_NONE;

	SSL_set_min_proto_version(ssl, b->min_version > TLS1_2_VERSION ? b->min_version :
				  TLS1_2_VERSION);
	SSL_set_max_proto_version(ssl, b->max_version == TLS1_2_VERSION ? TLS1_2_VERSION :
				  TLS1_3_VERSION);
	if (b->client_cert != KHTTPS_CLIENT_CERT_OFF)
		mode = SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE;
	if (b->client_cert == KHTTPS_CLIENT_CERT_REQUIRE)
		mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
	SSL_set_verify(ssl, mode, NULL);
	if (!b->resume) {
		/* No ticket issued, none taken (no session cache either). */
		SSL_set_options(ssl, SSL_OP_NO_TICKET);
		SSL_set_num_tickets(ssl, 0);
	}
}

static SSL_CTX *kd_ctx_get(const struct kd_config *cfg, const struct kd_binding *b);

/*
 * Session tokens, for the kernel's close_notify policy.  Each session gets
 * a random token at its full handshake; every ticket of it carries the
 * token inside (OpenSSL's ticket appdata, sealed with the ticket), and so
 * do the tickets issued when it is resumed.  DONE tells the kernel the
 * token; the kernel remembers which sessions ended cleanly.
 */
static int kd_ticket_gen_cb(SSL *ssl, void *arg)
{
	struct kd_conn *c = SSL_get_ex_data(ssl, kd_conn_index);
	SSL_SESSION *sess = SSL_get0_session(ssl);
	void *data;
	size_t len;

	(void)arg;
	if (!c || !sess)
		return 1;
	if (!c->has_token) {
		if (SSL_SESSION_get0_ticket_appdata(sess, &data, &len) && len == KD_TOKEN_LEN)
			memcpy(c->token, data, KD_TOKEN_LEN);
		else if (RAND_bytes(c->token, KD_TOKEN_LEN) != 1)
			return 0;
		c->has_token = true;
	}
	return SSL_SESSION_set1_ticket_appdata(sess, c->token, KD_TOKEN_LEN);
}

/*
 * May the session the client offers (by ticket or by id) resume?  Not when
 * the binding says resume off; under the close_notify policy only when the
 * kernel knows the session ended cleanly (@token, the session's own, is
 * NULL for one made before tokens).  Keeps the token for DONE.
 */
static bool kd_session_allowed(struct kd_conn *c, const void *token)
{
	if (!c || !kd_session_may_resume(c->job, c->pol, token))
		return false;
	if (token) {
		memcpy(c->token, token, KD_TOKEN_LEN);
		c->has_token = true;
	}
	return true;
}

/*
 * A ticket the client offers: resumed if kd_session_allowed(); otherwise
 * OpenSSL's own choice (a ticket that did not decrypt: a full handshake).
 */
static SSL_TICKET_RETURN kd_ticket_dec_cb(SSL *ssl, SSL_SESSION *sess,
					  const unsigned char *keyname, size_t keyname_len,
					  SSL_TICKET_STATUS status, void *arg)
{
	struct kd_conn *c = SSL_get_ex_data(ssl, kd_conn_index);
	void *data = NULL;
	size_t len = 0;

	(void)keyname;
	(void)keyname_len;
	(void)arg;
	switch (status) {
	case SSL_TICKET_SUCCESS:
	case SSL_TICKET_SUCCESS_RENEW:
		break;
	case SSL_TICKET_NO_DECRYPT:
	case SSL_TICKET_EMPTY:
		return SSL_TICKET_RETURN_IGNORE_RENEW;
	case SSL_TICKET_NONE:
		return SSL_TICKET_RETURN_IGNORE;
	default:
		return SSL_TICKET_RETURN_ABORT;
	}
	if (!SSL_SESSION_get0_ticket_appdata(sess, &data, &len) || len != KD_TOKEN_LEN)
		data = NULL;
	if (!kd_session_allowed(c, data))
		return SSL_TICKET_RETURN_IGNORE_RENEW;
	return status == SSL_TICKET_SUCCESS ? SSL_TICKET_RETURN_USE : SSL_TICKET_RETURN_USE_RENEW;
}

/* TLS 1.2 session ids, in the cache the workers share (sesscache.c). */
static int kd_sess_new_cb(SSL *ssl, SSL_SESSION *sess)
{
	struct kd_conn *c = SSL_get_ex_data(ssl, kd_conn_index);

	if (!c || !c->pol || !c->pol->resume)
		return 0;
	if (!c->has_token) {
		if (RAND_bytes(c->token, KD_TOKEN_LEN) != 1)
			return 0;
		c->has_token = true;
	}
	return kd_sesscache_new(ssl, sess, c->token);
}

static SSL_SESSION *kd_sess_get_cb(SSL *ssl, const unsigned char *id, int len, int *copy)
{
	struct kd_conn *c = SSL_get_ex_data(ssl, kd_conn_index);
	SSL_SESSION *sess;
	void *data = NULL;
	size_t n = 0;

	*copy = 0;	/* ours to give: OpenSSL keeps the reference */
	if (!c || !c->pol || !c->pol->resume)
		return NULL;
	sess = kd_sesscache_get(id, len);
	if (!sess)
		return NULL;
	if (!SSL_SESSION_get0_ticket_appdata(sess, &data, &n) || n != KD_TOKEN_LEN)
		data = NULL;
	if (!kd_session_allowed(c, data)) {
		SSL_SESSION_free(sess);
		return NULL;
	}
	return sess;
}

static void kd_sess_remove_cb(SSL_CTX *ctx, SSL_SESSION *sess)
{
	(void)ctx;
	kd_sesscache_remove(sess);
}

/* The server name the client sent, checked; "" when it sent none, NULL when malformed. */
static const char *kd_client_sni(SSL *ssl, char *buf, size_t len)
{
	const unsigned char *p;
	size_t n, list, name;

	if (!SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &p, &n))
		return "";
	/* server_name_list: u16 length, then entries of type (0: host_name), u16 length, name */
	if (n < 5 || (list = (size_t)p[0] << 8 | p[1]) != n - 2 || p[2] != TLSEXT_NAMETYPE_host_name)
		return NULL;
	name = (size_t)p[3] << 8 | p[4];
	if (name == 0 || name + 5 > n || name >= len || memchr(p + 5, 0, name))
		return NULL;
	memcpy(buf, p + 5, name);
	buf[name] = '\0';
	/* A trailing dot names the same host. */
	if (buf[name - 1] == '.')
		buf[name - 1] = '\0';
	return buf;
}

/*
 * A port with host or ccs bindings: the client's SNI picks the binding, and
 * so the certificate, before OpenSSL chooses one.
 */
static int kd_client_hello_cb(SSL *ssl, int *al, void *arg)
{
	struct kd_conn *c = SSL_get_ex_data(ssl, kd_conn_index);
	struct kd_binding *b;
	const char *sni;
	char buf[256];
	SSL_CTX *ctx;
	int err;

	(void)arg;
	if (!c || !c->job->select || c->selected)	/* also after a HelloRetryRequest */
		return SSL_CLIENT_HELLO_SUCCESS;
	b = &c->binding;
	*al = SSL_AD_UNRECOGNIZED_NAME;
	c->select_status = KHTTPS_HS_NO_BINDING;
	sni = kd_client_sni(ssl, buf, sizeof(buf));
	if (!sni) {
		kd_log(LOG_INFO, "conn %llu from %s: malformed server_name extension",
		       (unsigned long long)c->job->conn_id, c->job->peer);
		*al = SSL_AD_DECODE_ERROR;
		c->select_status = KHTTPS_HS_TLS_ERROR;
		return SSL_CLIENT_HELLO_ERROR;
	}
	/* The kernel's rule for names: nothing that could be a path. */
	if (*sni && !khttps_host_ok(sni, false, NULL)) {
		kd_log(LOG_INFO, "conn %llu from %s: server name is no host name",
		       (unsigned long long)c->job->conn_id, c->job->peer);
		return SSL_CLIENT_HELLO_ERROR;
	}
	err = kd_resolve_binding(c->job, *sni ? sni : NULL, b);
	if (err) {
		kd_log(LOG_INFO, "conn %llu from %s: no binding for %s%s%s",
		       (unsigned long long)c->job->conn_id, c->job->peer,
		       *sni ? "server name '" : "clients without SNI", sni, *sni ? "'" : "");
		if (err != -ENOENT) {
			*al = SSL_AD_INTERNAL_ERROR;
			c->select_status = KHTTPS_HS_INTERNAL;
		}
		return SSL_CLIENT_HELLO_ERROR;
	}
	/* Only when the ClientHello could not be read ahead (engine.c). */
	if ((b->engine ?: c->cfg->engine) != KHTTPS_ENGINE_OPENSSL) {
		kd_log(LOG_WARNING, "conn %llu from %s: a ClientHello split over records cannot go "
		       "to another engine than OpenSSL: refused", (unsigned long long)c->job->conn_id,
		       c->job->peer);
		*al = SSL_AD_INTERNAL_ERROR;
		c->select_status = KHTTPS_HS_INTERNAL;
		c->binding_id = b->id;
		return SSL_CLIENT_HELLO_ERROR;
	}
	ctx = kd_ctx_get(c->cfg, b);
	if (!ctx) {
		*al = SSL_AD_INTERNAL_ERROR;
		c->select_status = KHTTPS_HS_CERT_ERROR;
		c->binding_id = b->id;
		return SSL_CLIENT_HELLO_ERROR;
	}
	SSL_set_SSL_CTX(ssl, ctx);
	/* Before OpenSSL picks the version: the callback runs first. */
	kd_apply_policy(ssl, b);
	c->pol = b;
	c->binding_id = b->id;
	c->selected = true;
	return SSL_CLIENT_HELLO_SUCCESS;
}

static void kd_log_ssl_errors(const char *what)
{
	unsigned long e;
	char buf[256];

	while ((e = ERR_get_error())) {
		ERR_error_string_n(e, buf, sizeof(buf));
		kd_log(LOG_ERR, "%s: %s", what, buf);
	}
}

/* Intermediates from @chain, sent after the certificate in file order. */
static int kd_ctx_add_chain(SSL_CTX *ctx, const char *chain)
{
	FILE *f = fopen(chain, "r");
	X509 *x;
	int n = 0;

	if (!f)
		return -1;
	while ((x = PEM_read_X509(f, NULL, NULL, NULL))) {
		if (!SSL_CTX_add0_chain_cert(ctx, x)) {
			X509_free(x);
			fclose(f);
			return -1;
		}
		n++;
	}
	fclose(f);
	/* The loop ends on end of file (an error OpenSSL queued) or a bad block. */
	ERR_clear_error();
	return n ? 0 : -1;
}

/* The client CAs (also named in CertificateRequest) and the CRL, if any. */
static int kd_ctx_client_trust(SSL_CTX *ctx, const char *ca, const char *crl)
{
	STACK_OF(X509_NAME) *names;

	if (!*ca)
		return 0;
	if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
		kd_log_ssl_errors(ca);
		kd_log(LOG_ERR, "cannot load client CA file %s", ca);
		return -1;
	}
	names = SSL_load_client_CA_file(ca);
	if (names)
		SSL_CTX_set_client_CA_list(ctx, names);
	if (*crl) {
		X509_STORE *store = SSL_CTX_get_cert_store(ctx);
		X509_LOOKUP *lookup = X509_STORE_add_lookup(store, X509_LOOKUP_file());

		if (!lookup || X509_load_crl_file(lookup, crl, X509_FILETYPE_PEM) < 1) {
			kd_log_ssl_errors(crl);
			kd_log(LOG_ERR, "cannot load CRL file %s", crl);
			return -1;
		}
		X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
	}
	return 0;
}

/*
 * A session resumes only in a context like the one that made it: the same
 * certificate (a new one ends resumption of the old sessions), client-CA
 * file and client-certificate mode.  SHA-256 of those is the session id
 * context OpenSSL compares (32 bytes, SSL_MAX_SID_CTX_LENGTH).
 */
static int kd_ctx_sid(SSL_CTX *ctx, const char *const path[KD_FILES], uint8_t client_cert)
{
	unsigned char md[EVP_MAX_MD_SIZE], *der = NULL;
	X509 *x = SSL_CTX_get0_certificate(ctx);
	unsigned int mdlen = 0;
	EVP_MD_CTX *h = EVP_MD_CTX_new();
	int n = x ? i2d_X509(x, &der) : 0, ok;

	ok = h && n >= 0 && EVP_DigestInit_ex(h, EVP_sha256(), NULL) &&
	     EVP_DigestUpdate(h, der, (size_t)n) &&
	     EVP_DigestUpdate(h, path[KD_CA], strlen(path[KD_CA]) + 1) &&
	     EVP_DigestUpdate(h, &client_cert, 1) && EVP_DigestFinal_ex(h, md, &mdlen) &&
	     SSL_CTX_set_session_id_context(ctx, md, mdlen > 32 ? 32 : mdlen);
	OPENSSL_free(der);
	EVP_MD_CTX_free(h);
	return ok ? 0 : -1;
}

static SSL_CTX *kd_ctx_build(const struct kd_config *cfg, const char *const path[KD_FILES],
			     uint8_t client_cert)
{
	const char *cert = path ? path[KD_CERT] : NULL, *key = path ? path[KD_KEY] : NULL;
	const char *chain = path ? path[KD_CHAIN] : NULL;
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (!ctx)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/* The kernel installs kTLS itself; OpenSSL's own must stay off. */
	SSL_CTX_clear_options(ctx, SSL_OP_ENABLE_KTLS);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
				 SSL_OP_NO_COMPRESSION);
	/* No record may be read past the handshake: the kernel reads those. */
	SSL_CTX_set_read_ahead(ctx, 0);
	SSL_CTX_set_max_early_data(ctx, 0);
	SSL_CTX_set_recv_max_early_data(ctx, 0);
	if (!SSL_CTX_set_cipher_list(ctx, kd_tls12_ciphers) ||
	    !SSL_CTX_set_ciphersuites(ctx, kd_tls13_suites))
		goto err;
	SSL_CTX_set_keylog_callback(ctx, kd_keylog_cb);
	SSL_CTX_set_alpn_select_cb(ctx, kd_alpn_cb, NULL);
	SSL_CTX_set_client_hello_cb(ctx, kd_client_hello_cb, NULL);
	kd_tickets_setup(cfg, ctx);
	SSL_CTX_set_session_ticket_cb(ctx, kd_ticket_gen_cb, kd_ticket_dec_cb, NULL);
	/* Session ids: the shared cache only (a worker's own would miss). */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_INTERNAL);
	SSL_CTX_sess_set_new_cb(ctx, kd_sess_new_cb);
	SSL_CTX_sess_set_get_cb(ctx, kd_sess_get_cb);
	SSL_CTX_sess_set_remove_cb(ctx, kd_sess_remove_cb);
	/* The context handshakes start in before SNI picks a binding. */
	if (!cert)
		return ctx;
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		kd_log_ssl_errors(cert);
		kd_log(LOG_ERR, "cannot load certificate %s", cert);
		goto err;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		kd_log_ssl_errors(key);
		kd_log(LOG_ERR, "cannot load private key %s", key);
		goto err;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		kd_log(LOG_ERR, "private key %s does not match certificate %s", key, cert);
		goto err;
	}
	/* A chain file replaces intermediates the certificate file carried. */
	if (chain && *chain) {
		SSL_CTX_clear_chain_certs(ctx);
		if (kd_ctx_add_chain(ctx, chain)) {
			kd_log_ssl_errors(chain);
			kd_log(LOG_ERR, "cannot load certificate chain %s", chain);
			goto err;
		}
	}
	if (kd_ctx_client_trust(ctx, path[KD_CA], path[KD_CRL]) ||
	    kd_ctx_sid(ctx, path, client_cert))
		goto err;
	return ctx;
err:
	ERR_clear_error();
	SSL_CTX_free(ctx);
	return NULL;
}

static void *kd_ctx_new(const struct kd_config *cfg, const char *const path[KD_FILES],
			uint8_t client_cert)
{
	return kd_ctx_build(cfg, path, client_cert);
}

static void kd_ctx_free(void *ctx)
{
	SSL_CTX_free(ctx);
}

static struct kd_certcache kd_ctx_cache = { .build = kd_ctx_new, .free = kd_ctx_free };

static SSL_CTX *kd_ctx_get(const struct kd_config *cfg, const struct kd_binding *b)
{
	return kd_certcache_get(&kd_ctx_cache, cfg, b);
}

/**
 * kd_openssl_flush_cache() - forget every cached certificate (SIGHUP)
 */
void kd_openssl_flush_cache(void)
{
	kd_certcache_flush(&kd_ctx_cache);
}

/* The verified client certificate's facts, for applications. */
static void kd_client_identity(SSL *ssl, struct kd_result *res)
{
	X509 *x = SSL_get0_peer_certificate(ssl);

	if (x && SSL_get_verify_result(ssl) == X509_V_OK)
		kd_openssl_identity(x, res);
}

static int kd_derive(SSL *ssl, struct kd_conn *c, struct kd_result *res)
{
	const SSL_CIPHER *cipher = SSL_get_current_cipher(ssl);
	const EVP_MD *md = SSL_CIPHER_get_handshake_digest(cipher);
	int nid = SSL_CIPHER_get_cipher_nid(cipher), key_len, ok = -1;
	uint8_t ckey[32], skey[32], civ[12], siv[12];
	bool chacha = nid == NID_chacha20_poly1305;

	res->suite = SSL_CIPHER_get_protocol_id(cipher);
	if (nid == NID_aes_128_gcm) {
		res->cipher = TLS_CIPHER_AES_GCM_128;
		key_len = 16;
	} else if (nid == NID_aes_256_gcm) {
		res->cipher = TLS_CIPHER_AES_GCM_256;
		key_len = 32;
	} else if (chacha) {
		res->cipher = TLS_CIPHER_CHACHA20_POLY1305;
		key_len = 32;
	} else {
		kd_log(LOG_ERR, "negotiated cipher %s has no kTLS support", SSL_CIPHER_get_name(cipher));
		return -1;
	}
	if (!md)
		return -1;

	if (SSL_version(ssl) != TLS1_3_VERSION) {
		SSL_SESSION *sess = SSL_get_session(ssl);
		uint8_t master[48], cr[32], sr[32];

		res->version = TLS_1_2_VERSION;
		SSL_get_client_random(ssl, cr, sizeof(cr));
		SSL_get_server_random(ssl, sr, sizeof(sr));
		if (SSL_SESSION_get_master_key(sess, master, sizeof(master)) == sizeof(master))
			ok = kd_tls12_dirs(md, master, cr, sr, chacha, key_len, c->tx_records,
					   c->rx_records, &res->tx, &res->rx);
		OPENSSL_cleanse(master, sizeof(master));
		return ok;
	}
	res->version = TLS_1_3_VERSION;
	if (!c->client_secret_len || !c->server_secret_len ||
	    kd_tls13_traffic_keys(md, c->server_secret, c->server_secret_len, skey, key_len, siv) ||
	    kd_tls13_traffic_keys(md, c->client_secret, c->client_secret_len, ckey, key_len, civ))
		goto out;
	kd_fill_dir(&res->tx, res->version, chacha, skey, key_len, siv, c->tx_records);
	kd_fill_dir(&res->rx, res->version, chacha, ckey, key_len, civ, c->rx_records);
	ok = 0;
out:
	OPENSSL_cleanse(ckey, sizeof(ckey));
	OPENSSL_cleanse(skey, sizeof(skey));
	OPENSSL_cleanse(civ, sizeof(civ));
	OPENSSL_cleanse(siv, sizeof(siv));
	return ok;
}

/**
 * kd_openssl_handshake() - run a server handshake on @job's socket
 * @cfg: daemon configuration (trusted directories)
 * @job: the connection; its fd is left open for the caller to close
 * @res: the outcome; status is KHTTPS_HS_TLS_ERROR unless fully successful
 *
 * Fails closed: @res carries keys only when everything succeeded.
 */
void kd_openssl_handshake(const struct kd_config *cfg, const struct kd_job *job,
			  struct kd_result *res)
{
	static SSL_CTX *sni_ctx;
	struct kd_conn c = { .cfg = cfg, .job = job };
	const unsigned char *alpn;
	unsigned int alpn_len;
	const char *sni;
	SSL_CTX *ctx;
	SSL *ssl;
	int r;

	memset(res, 0, sizeof(*res));
	res->status = KHTTPS_HS_CERT_ERROR;
	if (kd_conn_index < 0)
		kd_conn_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	kd_tickets_ready(cfg);
	if (job->select) {
		if (!sni_ctx)
			sni_ctx = kd_ctx_build(cfg, NULL, 0);
		ctx = sni_ctx;
	} else {
		ctx = kd_ctx_get(cfg, &job->binding);
		c.pol = &job->binding;
	}
	if (!ctx)
		return;
	res->status = KHTTPS_HS_INTERNAL;
	ssl = SSL_new(ctx);
	if (!ssl)
		return;
	SSL_set_ex_data(ssl, kd_conn_index, &c);
	if (c.pol)
		kd_apply_policy(ssl, c.pol);
	SSL_set_msg_callback(ssl, kd_msg_cb);
	SSL_set_msg_callback_arg(ssl, &c);
	if (!SSL_set_fd(ssl, job->fd))
		goto out;
	fcntl(job->fd, F_SETFL, fcntl(job->fd, F_GETFL) | O_NONBLOCK);

	res->status = KHTTPS_HS_TLS_ERROR;
	while ((r = SSL_accept(ssl)) != 1) {
		int e = SSL_get_error(ssl, r);

		if ((e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) ||
		    kd_wait(job->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, &job->deadline)) {
			/* The ClientHello callback said why already. */
			if (c.select_status) {
				res->status = c.select_status;
				ERR_clear_error();
				goto out;
			}
			kd_log(LOG_INFO, "conn %llu from %s: handshake failed (%s)",
			       (unsigned long long)job->conn_id, job->peer,
			       e == SSL_ERROR_SSL ? ERR_reason_error_string(ERR_peek_error()) ?: "TLS error" :
			       e == SSL_ERROR_SYSCALL ? "connection closed" : "timed out");
			/* A client certificate missing or not verified (the alert went out). */
			if (e == SSL_ERROR_SSL && c.pol && c.pol->client_cert &&
			    (SSL_get_verify_result(ssl) != X509_V_OK ||
			     ERR_GET_REASON(ERR_peek_error()) == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE ||
			     ERR_GET_REASON(ERR_peek_error()) == SSL_R_CERTIFICATE_VERIFY_FAILED)) {
				kd_log(LOG_INFO, "conn %llu from %s: client certificate: %s",
				       (unsigned long long)job->conn_id, job->peer,
				       SSL_get_verify_result(ssl) != X509_V_OK ?
				       X509_verify_cert_error_string(SSL_get_verify_result(ssl)) :
				       "none sent");
				res->status = KHTTPS_HS_CLIENT_CERT;
			} else if (e == SSL_ERROR_SYSCALL ||
			    (e == SSL_ERROR_SSL &&
			     ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING))
				res->status = KHTTPS_HS_CLIENT_CLOSED;
			ERR_clear_error();
			goto out;
		}
	}
	sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	if (sni)
		snprintf(res->sni, sizeof(res->sni), "%s", sni);
	SSL_get0_alpn_selected(ssl, &alpn, &alpn_len);
	if (alpn_len)
		snprintf(res->alpn, sizeof(res->alpn), "%.*s", (int)alpn_len, alpn);
	/* kTLS sends full-size records: a client that asked for less cannot have them. */
	if (SSL_SESSION_get_max_fragment_length(SSL_get_session(ssl)) !=
	    TLSEXT_max_fragment_length_DISABLED) {
		kd_log(LOG_INFO, "conn %llu from %s: the client asked for a maximum fragment length, "
		       "which kTLS cannot keep: refused", (unsigned long long)job->conn_id, job->peer);
		goto out;
	}
	kd_client_identity(ssl, res);
	res->resumed = SSL_session_reused(ssl);
	if (c.has_token) {
		memcpy(res->token, c.token, KD_TOKEN_LEN);
		res->has_token = true;
		res->session_life = (uint32_t)kd_tickets_lifetime(cfg);
	}
	if (kd_derive(ssl, &c, res)) {
		res->status = KHTTPS_HS_INTERNAL;
		OPENSSL_cleanse(&res->tx, sizeof(res->tx));
		OPENSSL_cleanse(&res->rx, sizeof(res->rx));
		goto out;
	}
	res->status = KHTTPS_HS_OK;
out:
	res->binding_id = c.binding_id;
	/*
	 * No SSL_shutdown: nothing more may be written on this socket by us.
	 * Marked shut all the same, or SSL_free() would take a good session
	 * out of the session cache; how the connection ends is the kernel's
	 * to judge (the close_notify policy).
	 */
	if (res->status == KHTTPS_HS_OK)
		SSL_set_shutdown(ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	SSL_free(ssl);
	kd_binding_clear(&c.binding);
	OPENSSL_cleanse(&c, sizeof(c));
}
