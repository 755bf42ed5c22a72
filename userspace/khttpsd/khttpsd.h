/* SPDX-License-Identifier: GPL-2.0 */
/* khttpsd: the handshake daemon. */
#ifndef KHTTPSD_H
#define KHTTPSD_H

#include <stdbool.h>
#include <stdint.h>
#include <syslog.h>

#define KD_MAX_TRUST 16

struct kd_config {
	const char *trust[KD_MAX_TRUST];	/* directories certificates may come from */
	int ntrust;
	unsigned int workers;
	unsigned int cache;			/* contexts per worker */
	bool foreground;
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
 * files, or a ccs store) and its TLS policy (KHTTPS_A_POLICY).
 */
struct kd_binding {
	uint64_t id;
	char cert[4096];
	char key[4096];
	char store[4096];	/* "" unless a ccs binding */
	char chain[4096];	/* intermediates, or "" */
	char ca[4096];		/* client certificates' CAs, or "" */
	char crl[4096];		/* their CRL, or "" */
	uint8_t client_cert;	/* enum khttps_client_cert */
	uint16_t min_version, max_version;	/* TLS1_2_VERSION..TLS1_3_VERSION */
	unsigned char alpn[256];	/* ALPN wire format: length-prefixed names */
	unsigned int alpn_len;
};

struct kd_job;
/*
 * Ask the kernel which binding serves @sni (NULL: the client sent none).
 * Return: 0, -ENOENT when none does, or another negative errno.
 */
typedef int (*kd_select_fn)(const struct kd_job *job, const char *sni, bool skip_ccs,
			    struct kd_binding *out);

/* One connection handed to a worker by HS_ACCEPT. */
struct kd_job {
	uint64_t conn_id;
	int fd;
	bool select;		/* no binding yet: pick one by SNI with @select_fn */
	struct kd_binding binding;	/* when !select */
	char peer[64];
	kd_select_fn select_fn;
	void *select_arg;
};

/* log.c */
void kd_log_init(bool to_stderr);
void kd_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ccs.c */
int kd_ccs_find(const char *store, const char *name, char *cert, char *key, size_t len);

/* engine_openssl.c */
void kd_openssl_handshake(const struct kd_config *cfg, const struct kd_job *job,
			  struct kd_result *res);
void kd_openssl_flush_cache(void);

/* worker.c */
int kd_worker_run(const struct kd_config *cfg);

#endif /* KHTTPSD_H */
