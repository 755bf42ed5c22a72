/* SPDX-License-Identifier: GPL-2.0 */
/* khttpsd: the handshake daemon. */
#ifndef KHTTPSD_H
#define KHTTPSD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <syslog.h>
#include <time.h>

#define KD_MAX_TRUST 16
#define KD_TOKEN_LEN 16		/* KHTTPS_SESSION_TOKEN_LEN */

struct kd_config {
	const char *trust[KD_MAX_TRUST];	/* directories certificates may come from */
	int ntrust;
	unsigned int workers;
	unsigned int cache;			/* contexts per worker */
	const char *ticket_keys;		/* the session ticket key file */
	unsigned int ticket_rotate;		/* seconds between new ticket keys */
	uint8_t engine;				/* enum khttps_engine for bindings naming none */
	bool foreground;
	bool verbose;				/* log every handshake (LOG_DEBUG) */
	const char *error_log;			/* --error-log FILE, or NULL */
	uint32_t caps;				/* the module's enum khttps_cap */
};

/* One direction's record keys, in the layout DONE sends. */
struct kd_dir_keys {
	uint8_t key[32], iv[12], salt[4], seq[8];
	int key_len, iv_len, salt_len;
};

/* What a handshake produced; status is an enum khttps_hs_status. */
struct kd_result {
	int status;
	uint64_t binding_id;	/* the binding HS_SELECT chose; 0: ACCEPT named it */
	uint16_t version, cipher;
	uint16_t suite;			/* IANA number */
	bool resumed;			/* an abbreviated handshake */
	bool has_token;			/* the session has a token (tickets) */
	uint8_t token[KD_TOKEN_LEN];	/* for the kernel's close_notify policy */
	uint32_t session_life;		/* seconds a session may be resumed */
	struct kd_dir_keys tx, rx;
	char sni[256];
	char alpn[256];
	bool client_cert;		/* the client_* fields hold a verified certificate */
	char client_subject[256], client_issuer[256], client_serial[48];
	char client_cn[256];		/* the subject's common name, UTF-8, or "" */
	uint8_t client_sha256[32];
};

/*
 * A binding as a handshake needs it: where its certificate is (cert and key
 * files, or a ccs store) and its TLS policy (KHTTPS_A_POLICY).  The paths
 * are malloc'd, NULL when not given, freed by kd_binding_clear(): as
 * PATH_MAX arrays they made a binding 24 KiB, cleared and copied several
 * times per handshake.
 */
struct kd_binding {
	uint64_t id;
	char *cert;
	char *key;
	char *store;		/* NULL unless a ccs binding */
	char *chain;		/* intermediates */
	char *ca;		/* client certificates' CAs */
	char *crl;		/* their CRL */
	uint8_t client_cert;	/* enum khttps_client_cert */
	uint16_t min_version, max_version;	/* TLS1_2_VERSION..TLS1_3_VERSION */
	unsigned char alpn[256];	/* ALPN wire format: length-prefixed names */
	unsigned int alpn_len;
	bool resume;			/* sessions may be resumed (default) */
	bool close_notify;		/* resume only after a clean end (kernel's say) */
	uint8_t engine;			/* enum khttps_engine; DEFAULT: the daemon's */
};

struct kd_job;
/*
 * Ask the kernel which binding serves @sni (NULL: the client sent none).
 * Return: 0, -ENOENT when none does, or another negative errno.
 */
typedef int (*kd_select_fn)(const struct kd_job *job, const char *sni, bool skip_ccs,
			    struct kd_binding *out);
/*
 * Ask the kernel whether the session named @token may be resumed under the
 * close_notify policy.  Return: 0 if so, a negative errno if not.
 */
typedef int (*kd_session_fn)(const struct kd_job *job, const uint8_t token[KD_TOKEN_LEN]);

/* One connection handed to a worker by HS_ACCEPT. */
struct kd_job {
	uint64_t conn_id;
	int fd;
	bool select;		/* no binding yet: pick one by SNI with @select_fn */
	bool last;		/* the kernel said no other connection waited */
	struct kd_binding binding;	/* when !select */
	char peer[64];
	kd_select_fn select_fn;
	kd_session_fn session_fn;
	void *select_arg;	/* for both */
	struct timespec deadline;	/* CLOCK_MONOTONIC: the handshake gives up */
};

/* hello.c */
int kd_hello_sni(const uint8_t *buf, size_t len, char *sni, size_t sni_len);

/* ident_openssl.c */
struct x509_st;
void kd_openssl_identity(struct x509_st *x, struct kd_result *res);

/* ident_mbedtls.c */
struct mbedtls_x509_crt;
int kd_mbedtls_identity(const struct mbedtls_x509_crt *crt, struct kd_result *res);

/* log.c */
void kd_log_init(bool to_stderr, bool debug);
void kd_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* certcache.c: the files a credential set is built from */
enum { KD_CERT, KD_KEY, KD_CHAIN, KD_CA, KD_CRL, KD_FILES };
struct kd_cc_entry;
struct kd_certcache {
	void *(*build)(const struct kd_config *cfg, const char *const path[KD_FILES],
		       uint8_t client_cert);
	void (*free)(void *creds);
	struct kd_cc_entry *entry;
	unsigned int size, next;
	/* entry indexes by path hash, chained through the entries; -1 ends */
	int *bucket;
	unsigned int mask;
};
void *kd_certcache_get(struct kd_certcache *cc, const struct kd_config *cfg,
		       const struct kd_binding *b);
void kd_certcache_flush(struct kd_certcache *cc);

/* ccs.c */
int kd_ccs_find(const char *store, const char *name, char **cert, char **key);

/* engine.c */
/* Backstop: longer than handshake_timeout_ms may be (600 s), so the kernel's comes first. */
#define KD_HANDSHAKE_LIMIT_MS 610000
void kd_handshake(const struct kd_config *cfg, struct kd_job *job, struct kd_result *res);
int kd_wait(int fd, short events, const struct timespec *deadline);
int kd_resolve_binding(const struct kd_job *job, const char *sni, struct kd_binding *b);
void kd_binding_clear(struct kd_binding *b);
bool kd_session_may_resume(const struct kd_job *job, const struct kd_binding *pol,
			   const uint8_t *token);

/* engine_openssl.c */
void kd_openssl_handshake(const struct kd_config *cfg, const struct kd_job *job,
			  struct kd_result *res);
void kd_openssl_flush_cache(void);

/* engine_mbedtls.c */
void kd_mbedtls_handshake(const struct kd_config *cfg, const struct kd_job *job,
			  struct kd_result *res);
void kd_mbedtls_flush_cache(void);

/* tickets.c */
typedef struct ssl_ctx_st SSL_CTX;
int kd_tickets_maintain(const struct kd_config *cfg, unsigned int *next);
bool kd_tickets_ready(const struct kd_config *cfg);
void kd_tickets_setup(const struct kd_config *cfg, SSL_CTX *ctx);
long kd_tickets_lifetime(const struct kd_config *cfg);
int kd_tickets_seal(const uint8_t *in, size_t len, uint8_t *out, size_t cap);
int kd_tickets_open(const uint8_t *in, size_t len, uint8_t *out, size_t cap, bool *renew);

/* sesscache.c */
typedef struct ssl_st SSL;
typedef struct ssl_session_st SSL_SESSION;
int kd_sesscache_init(void);
int kd_sesscache_new(SSL *ssl, SSL_SESSION *sess, const uint8_t token[KD_TOKEN_LEN]);
SSL_SESSION *kd_sesscache_get(const unsigned char *id, int len);
void kd_sesscache_remove(SSL_SESSION *sess);
int kd_sesscache_put(const uint8_t *id, unsigned int id_len, const void *blob, size_t len,
		     int64_t expires);
size_t kd_sesscache_get_blob(const uint8_t *id, unsigned int id_len, void *out, size_t cap);

/* worker.c */
int kd_worker_run(const struct kd_config *cfg, int ready);
int kd_hs_wait(int fd, short events, const struct timespec *deadline);

/* wipe.c: no secret left in freed OpenSSL memory (handshake stacks go whole: worker.c). */
int kd_wipe_init(void);

/* errlog.c */
int kd_errlog_open(const char *path);
int kd_errlog_run(const struct kd_config *cfg);

#endif /* KHTTPSD_H */
