// SPDX-License-Identifier: GPL-2.0
/*
 * khttpsctl binding add|del|show
 *
 *   binding add ADDR:PORT cert CERT.pem key KEY.pem backend HOST:PORT
 *   binding add ADDR:PORT cert CERT.pem key KEY.pem queue NAME [user USER] [group GROUP]
 *   binding del ADDR:PORT
 *   binding show
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "ctl.h"
#include "json.h"
#include "nl.h"

#define USAGE_ADD "usage: khttpsctl binding add ADDR:PORT cert CERT.pem key KEY.pem " \
		  "{backend HOST:PORT | queue NAME [user USER] [group GROUP]}\n"

/* A user or group name, or a number: 0 and *id set, or -1 with a message. */
static int lookup_id(const char *what, const char *name, uint32_t *id)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(name, &end, 10);
	if (*name && !*end && !errno && n < UINT32_MAX) {
		*id = n;
		return 0;
	}
	if (!strcmp(what, "user")) {
		struct passwd *pw = getpwnam(name);

		if (pw) {
			*id = pw->pw_uid;
			return 0;
		}
	} else {
		struct group *gr = getgrnam(name);

		if (gr) {
			*id = gr->gr_gid;
			return 0;
		}
	}
	fprintf(stderr, "khttpsctl: no such %s '%s'\n", what, name);
	return -1;
}

/* The daemon reads these as root, maybe from another cwd: absolute, and readable now. */
static int abs_path(const char *what, const char *in, char *out)
{
	if (!realpath(in, out)) {
		fprintf(stderr, "khttpsctl: cannot use %s '%s': %s\n", what, in, strerror(errno));
		return -1;
	}
	if (access(out, R_OK)) {
		fprintf(stderr, "khttpsctl: cannot read %s '%s': %s\n", what, out, strerror(errno));
		return -1;
	}
	return 0;
}

static int binding_add(int argc, char **argv)
{
	char cert[PATH_MAX], key[PATH_MAX], err[256];
	struct sockaddr_storage bind, backend;
	const char *certarg = NULL, *keyarg = NULL, *backendarg = NULL, *queue = NULL;
	const char *userarg = NULL, *grouparg = NULL;
	uint32_t uid = 0, gid = 0;
	struct khttps_nl nl;
	struct nl_msg *msg;
	int i, e;

	if (argc < 2) {
		fputs(USAGE_ADD, stderr);
		return 2;
	}
	if (khttps_addr_parse(argv[1], &bind, err, sizeof(err))) {
		fprintf(stderr, "khttpsctl: %s\n", err);
		return 2;
	}
	for (i = 2; i < argc; i += 2) {
		const char **slot = !strcmp(argv[i], "cert") ? &certarg :
				    !strcmp(argv[i], "key") ? &keyarg :
				    !strcmp(argv[i], "backend") ? &backendarg :
				    !strcmp(argv[i], "queue") ? &queue :
				    !strcmp(argv[i], "user") ? &userarg :
				    !strcmp(argv[i], "group") ? &grouparg : NULL;

		if (!slot) {
			fprintf(stderr, "khttpsctl: unknown word '%s'\n" USAGE_ADD, argv[i]);
			return 2;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "khttpsctl: '%s' needs a value\n", argv[i]);
			return 2;
		}
		if (*slot) {
			fprintf(stderr, "khttpsctl: '%s' given twice\n", argv[i]);
			return 2;
		}
		*slot = argv[i + 1];
	}
	if (!certarg || !keyarg || !!backendarg == !!queue) {
		fprintf(stderr, "khttpsctl: a binding needs cert, key, and either backend or queue\n"
			USAGE_ADD);
		return 2;
	}
	if ((userarg || grouparg) && !queue) {
		fprintf(stderr, "khttpsctl: user and group are for queue bindings\n" USAGE_ADD);
		return 2;
	}
	if ((userarg && lookup_id("user", userarg, &uid)) ||
	    (grouparg && lookup_id("group", grouparg, &gid)))
		return 2;
	if (abs_path("certificate", certarg, cert) || abs_path("key", keyarg, key))
		return 1;
	if (backendarg && khttps_addr_resolve(backendarg, &backend, err, sizeof(err))) {
		fprintf(stderr, "khttpsctl: backend %s\n", err);
		return 2;
	}

	if (khttps_nl_open(&nl)) {
		fprintf(stderr, "khttpsctl: %s\n", nl.err);
		return 1;
	}
	msg = khttps_nl_msg(&nl, KHTTPS_CMD_BINDING_ADD);
	if (!msg || khttps_nl_put_addr(msg, KHTTPS_A_BIND, &bind) ||
	    nla_put_string(msg, KHTTPS_A_CERT, cert) || nla_put_string(msg, KHTTPS_A_KEY, key) ||
	    (backendarg ? khttps_nl_put_addr(msg, KHTTPS_A_BACKEND, &backend) :
			  nla_put_string(msg, KHTTPS_A_QUEUE, queue)) ||
	    (userarg && nla_put_u32(msg, KHTTPS_A_QUEUE_UID, uid)) ||
	    (grouparg && nla_put_u32(msg, KHTTPS_A_QUEUE_GID, gid))) {
		fprintf(stderr, "khttpsctl: out of memory\n");
		khttps_nl_close(&nl);
		return 1;
	}
	e = khttps_nl_request(&nl, msg, NULL, NULL);
	if (e)
		fprintf(stderr, "khttpsctl: binding add %s: %s\n", argv[1], nl.err);
	else if (ctl_daemon_running(&nl) == 0)
		/* Not an error: a boot may add bindings before khttpsd starts. */
		fprintf(stderr, "khttpsctl: warning: no khttpsd is running in this network namespace; "
			"handshakes on %s wait for one (up to handshake_timeout_ms)\n", argv[1]);
	khttps_nl_close(&nl);
	return e ? 1 : 0;
}

static int binding_del(int argc, char **argv)
{
	struct sockaddr_storage bind;
	struct khttps_nl nl;
	struct nl_msg *msg;
	char err[256];
	int e;

	if (argc != 2) {
		fputs("usage: khttpsctl binding del ADDR:PORT\n", stderr);
		return 2;
	}
	if (khttps_addr_parse(argv[1], &bind, err, sizeof(err))) {
		fprintf(stderr, "khttpsctl: %s\n", err);
		return 2;
	}
	if (khttps_nl_open(&nl)) {
		fprintf(stderr, "khttpsctl: %s\n", nl.err);
		return 1;
	}
	msg = khttps_nl_msg(&nl, KHTTPS_CMD_BINDING_DEL);
	if (!msg || khttps_nl_put_addr(msg, KHTTPS_A_BIND, &bind)) {
		khttps_nl_close(&nl);
		return 1;
	}
	e = khttps_nl_request(&nl, msg, NULL, NULL);
	if (e)
		fprintf(stderr, "khttpsctl: binding del %s: %s\n", argv[1], nl.err);
	khttps_nl_close(&nl);
	return e ? 1 : 0;
}

struct show_state {
	const struct ctl_opts *o;
	int n;
};

static int show_one(struct nlattr **tb, void *arg)
{
	struct show_state *st = arg;
	struct sockaddr_storage bind, backend;
	char b1[KHTTPS_ADDRSTRLEN], b2[KHTTPS_ADDRSTRLEN];
	const char *cert = tb[KHTTPS_A_CERT] ? nla_get_string(tb[KHTTPS_A_CERT]) : "";
	const char *key = tb[KHTTPS_A_KEY] ? nla_get_string(tb[KHTTPS_A_KEY]) : "";
	const char *queue = tb[KHTTPS_A_QUEUE] ? nla_get_string(tb[KHTTPS_A_QUEUE]) : NULL;
	uint64_t stats[__KHTTPS_STAT_MAX] = { 0 };

	khttps_nl_get_addr(tb[KHTTPS_A_BIND], &bind);
	khttps_nl_get_addr(tb[KHTTPS_A_BACKEND], &backend);
	ctl_read_stats(tb[KHTTPS_A_STATS], stats);
	khttps_addr_format(&bind, b1, sizeof(b1));
	khttps_addr_format(&backend, b2, sizeof(b2));
	if (st->o->json) {
		printf("%s{\"bind\":", st->n ? "," : "");
		khttps_json_string(stdout, b1);
		printf(",\"mode\":\"%s\",\"%s\":", queue ? "queue" : "forward",
		       queue ? "queue" : "backend");
		khttps_json_string(stdout, queue ? queue : b2);
		if (tb[KHTTPS_A_QUEUE_UID])
			printf(",\"user\":%u", nla_get_u32(tb[KHTTPS_A_QUEUE_UID]));
		if (tb[KHTTPS_A_QUEUE_GID])
			printf(",\"group\":%u", nla_get_u32(tb[KHTTPS_A_QUEUE_GID]));
		printf(",\"cert\":");
		khttps_json_string(stdout, cert);
		printf(",\"key\":");
		khttps_json_string(stdout, key);
		printf(",\"stats\":");
		ctl_print_stats_json(stats, -1);
		putchar('}');
	} else {
		if (!st->n)
			printf("%-24s %-8s %-24s %9s %7s %8s  %s\n", "BINDING", "MODE", "TARGET",
			       "ACCEPTED", "ACTIVE", "HS_OK", "CERT");
		printf("%-24s %-8s %-24s %9llu %7llu %8llu  %s\n", b1, queue ? "queue" : "forward",
		       queue ? queue : b2, (unsigned long long)stats[KHTTPS_STAT_ACCEPTED],
		       (unsigned long long)stats[KHTTPS_STAT_ACTIVE],
		       (unsigned long long)stats[KHTTPS_STAT_HS_OK], cert);
	}
	st->n++;
	return 0;
}

static int binding_show(int argc, char **argv, const struct ctl_opts *o)
{
	struct show_state st = { .o = o };
	struct khttps_nl nl;
	struct nl_msg *msg;
	int e;

	(void)argv;
	if (argc != 1) {
		fputs("usage: khttpsctl [--json] binding show\n", stderr);
		return 2;
	}
	if (khttps_nl_open(&nl)) {
		fprintf(stderr, "khttpsctl: %s\n", nl.err);
		return 1;
	}
	msg = khttps_nl_dump_msg(&nl, KHTTPS_CMD_BINDING_GET);
	if (!msg) {
		khttps_nl_close(&nl);
		return 1;
	}
	if (o->json)
		putchar('[');
	e = khttps_nl_request(&nl, msg, show_one, &st);
	if (o->json)
		printf("]\n");
	else if (!e && !st.n)
		printf("no bindings\n");
	if (e)
		fprintf(stderr, "khttpsctl: binding show: %s\n", nl.err);
	khttps_nl_close(&nl);
	return e ? 1 : 0;
}

int ctl_binding(int argc, char **argv, const struct ctl_opts *o)
{
	bool json = o->json;
	struct ctl_opts local = *o;

	/* "--json" may also follow the subcommand: binding show --json */
	if (argc > 0 && !strcmp(argv[argc - 1], "--json")) {
		json = true;
		argc--;
	}
	local.json = json;
	if (argc >= 2 && !strcmp(argv[1], "add"))
		return binding_add(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "del"))
		return binding_del(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "show"))
		return binding_show(argc - 1, argv + 1, &local);
	fputs("usage: khttpsctl binding {add|del|show} ...\n", stderr);
	return 2;
}
