/* SPDX-License-Identifier: GPL-2.0 */
/* khttpsctl: one file per subcommand, dispatched from main.c. */
#ifndef KHTTPSCTL_H
#define KHTTPSCTL_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <netlink/attr.h>
#include <linux/khttps.h>

#include "nl.h"

struct ctl_opts {
	bool json;
};

/* Each subcommand gets its own words (argv[0] is the subcommand's name). */
int ctl_version(int argc, char **argv, const struct ctl_opts *o);
int ctl_binding(int argc, char **argv, const struct ctl_opts *o);
int ctl_stats(int argc, char **argv, const struct ctl_opts *o);
int ctl_apply(int argc, char **argv, const struct ctl_opts *o);
int ctl_save(int argc, char **argv, const struct ctl_opts *o);
int ctl_monitor(int argc, char **argv, const struct ctl_opts *o);
int ctl_conns(int argc, char **argv, const struct ctl_opts *o);

/* bindcfg.c: a binding's configuration, shared by binding, apply and save */
enum ctl_word {
	W_CERT, W_KEY, W_STORE, W_BACKEND, W_QUEUE, W_USER, W_GROUP, W_TLS, W_TLS13, W_ALPN,
	W_CHAIN, W_CLIENTCERT, W_CA, W_CRL, W_PROXY, W_RESUME, W_CLOSENOTIFY, W_ENGINE,
	W_MAXCONNS,
	W__MAX
};

/* The words after BINDING, each with one value, and where each was. */
struct ctl_words {
	const char *v[W__MAX];
	int line[W__MAX];	/* line in ctl_file; 0 on a command line */
	int line0;		/* the stanza's "binding" line */
};

/* A binding's TLS policy; 0 and "" are the defaults. */
struct ctl_policy {
	uint16_t min, max;
	char alpn[256];
	char chain[PATH_MAX];
	uint8_t clientcert;	/* enum khttps_client_cert */
	char ca[PATH_MAX], crl[PATH_MAX];
	uint8_t proxy;		/* enum khttps_proxy */
	bool no_resume;		/* resume off */
	uint8_t closenotify;	/* 0: the module's default, 1 on, 2 off */
	uint8_t engine;		/* enum khttps_engine */
	uint32_t max_conns;	/* maxconns; 0: none of its own */
	char max_conns_word[16];	/* its value as save writes it */
};

/* A whole binding, as a file or command line says it or the kernel has it. */
struct ctl_bind {
	int kind;			/* enum khttps_bind_kind */
	struct sockaddr_storage addr;	/* KHTTPS_BIND_ADDR */
	char host[254];			/* KHTTPS_BIND_HOST, lower case */
	unsigned int port;		/* HOST, CCS */
	char name[300];			/* as the kernel's dump spells it */
	char cert[PATH_MAX], key[PATH_MAX], store[PATH_MAX];
	struct sockaddr_storage backend;	/* forward mode */
	char queue[KHTTPS_QUEUE_NAME_MAX];	/* queue mode */
	bool has_uid, has_gid;
	uint32_t uid, gid;
	struct ctl_policy pol;
	int line;			/* its "binding" line in a file */
};

extern const char *ctl_file;	/* the file being read, for messages */
void ctl_err(int line, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int ctl_words_parse(int argc, char **argv, const int *lines, struct ctl_words *w,
		    const char *usage);
int ctl_abs_path(const struct ctl_words *w, int i, char *out);
int ctl_spec_parse(const char *s, struct ctl_bind *b, int line);
int ctl_bind_put_key(struct nl_msg *msg, const struct ctl_bind *b);
void ctl_policy_read(struct nlattr *nest, struct ctl_policy *p);
int ctl_policy_words(const struct ctl_words *w, struct ctl_policy *p);
int ctl_policy_put(struct nl_msg *msg, const struct ctl_policy *p);
void ctl_policy_format(const struct ctl_policy *p, char *out, size_t len);
const char *ctl_policy_client_cert_word(uint8_t v);
const char *ctl_policy_engine_word(uint8_t v);
int ctl_bind_from_words(struct ctl_bind *b, const struct ctl_words *w, const char *usage);
void ctl_bind_from_nl(struct nlattr **tb, struct ctl_bind *b);
int ctl_bind_put_add(struct nl_msg *msg, const struct ctl_bind *b);
int ctl_bind_put_set(struct nl_msg *msg, const struct ctl_bind *b);
bool ctl_bind_same_queue(const struct ctl_bind *a, const struct ctl_bind *b);
bool ctl_bind_same(const struct ctl_bind *a, const struct ctl_bind *b);
void ctl_bind_write_conf(FILE *f, const struct ctl_bind *b);

/* stats.c */
void ctl_read_stats(struct nlattr *nest, uint64_t out[__KHTTPS_STAT_MAX]);
void ctl_print_stats_json(const uint64_t st[__KHTTPS_STAT_MAX], int daemon);
int ctl_daemon_running(struct khttps_nl *nl);

#endif /* KHTTPSCTL_H */
