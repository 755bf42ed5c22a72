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
	uint16_t version, cipher;
	struct kd_dir_keys tx, rx;
	char sni[256];
	char alpn[256];
};

/* One connection handed to a worker by HS_ACCEPT. */
struct kd_job {
	uint64_t conn_id;
	int fd;
	char cert[4096];
	char key[4096];
	char peer[64];
};

/* log.c */
void kd_log_init(bool to_stderr);
void kd_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* engine_openssl.c */
void kd_openssl_handshake(const struct kd_config *cfg, const struct kd_job *job,
			  struct kd_result *res);
void kd_openssl_flush_cache(void);

/* worker.c */
int kd_worker_run(const struct kd_config *cfg);

#endif /* KHTTPSD_H */
