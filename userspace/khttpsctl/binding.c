// SPDX-License-Identifier: GPL-2.0
/*
 * khttpsctl binding add|del|show
 *
 *   binding add BINDING cert CERT.pem key KEY.pem backend HOST:PORT
 *   binding add BINDING cert CERT.pem key KEY.pem queue NAME [user USER] [group GROUP]
 *   binding add ccs:PORT store DIR {backend ... | queue ...}
 *   binding del BINDING
 *   binding show
 *
 * BINDING is ADDR:PORT (an address binding), NAME:PORT or *.NAME:PORT (a
 * host binding, chosen by the client's SNI), or ccs:PORT.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/tls.h>

#include "addr.h"
#include "ctl.h"
#include "json.h"
#include "nl.h"

#define USAGE_ADD "usage: khttpsctl binding add {ADDR:PORT | HOSTNAME:PORT} cert CERT.pem key KEY.pem\n" \
		  "                                {backend HOST:PORT | queue NAME [user USER] [group GROUP]}\n" \
		  "       khttpsctl binding add ccs:PORT store DIR {backend ... | queue ...}\n" \
		  "  policy words: [tls 1.2|1.3] [tls13 on|off] [alpn LIST] [chain FILE]\n" \
		  "                [clientcert off|request|require] [ca FILE] [crl FILE]\n" \
		  "                [resume on|off] [closenotify on|off|default]\n" \
		  "                [engine openssl|mbedtls|default] [maxconns N|none]\n" \
		  "                [proxy v2|off] (forward mode)\n"

/* After a change, a binding with no daemon to use it deserves a word. */
static void warn_no_daemon(struct khttps_nl *nl, const char *name)
{
	if (ctl_daemon_running(nl) == 0)
		/* Not an error: a boot may add bindings before khttpsd starts. */
		fprintf(stderr, "khttpsctl: warning: no khttpsd is running in this network namespace; "
			"handshakes on %s wait for one (up to handshake_timeout_ms)\n", name);
}

static int binding_add(int argc, char **argv)
{
	struct ctl_bind *b;
	struct ctl_words w = { .line0 = 0 };
	struct khttps_nl nl;
	struct nl_msg *msg;
	int e;

	if (argc < 2) {
		fputs(USAGE_ADD, stderr);
		return 2;
	}
	b = malloc(sizeof(*b));
	if (!b) {
		ctl_err(0, "out of memory");
		return 1;
	}
	e = ctl_spec_parse(argv[1], b, 0) ||
	    ctl_words_parse(argc - 2, argv + 2, NULL, &w, USAGE_ADD) ? 2 :
	    ctl_bind_from_words(b, &w, USAGE_ADD);
	if (e) {
		free(b);
		return e;
	}
	if (khttps_nl_open(&nl)) {
		ctl_err(0, "%s", nl.err);
		free(b);
		return 1;
	}
	msg = khttps_nl_msg(&nl, KHTTPS_CMD_BINDING_ADD);
	if (!msg || ctl_bind_put_add(msg, b)) {
		ctl_err(0, "out of memory");
		nlmsg_free(msg);
		e = 1;
	} else if (khttps_nl_request(&nl, msg, NULL, NULL)) {
		ctl_err(0, "binding add %s: %s", argv[1], nl.err);
		e = 1;
	} else {
		warn_no_daemon(&nl, argv[1]);
	}
	khttps_nl_close(&nl);
	free(b);
	return e;
}

/* binding set: the named binding's current policy, to change some words of it. */
struct find_state {
	const char *name;
	struct ctl_policy *pol;
	bool found;
};

static int find_one(struct nlattr **tb, void *arg)
{
	struct find_state *f = arg;
	struct ctl_bind *b = malloc(sizeof(*b));

	if (!b)
		return -ENOMEM;
	ctl_bind_from_nl(tb, b);
	if (!strcmp(b->name, f->name)) {
		*f->pol = b->pol;
		f->found = true;
	}
	free(b);
	return 0;
}

#define USAGE_SET "usage: khttpsctl binding set BINDING [cert CERT.pem key KEY.pem | store DIR]\n" \
		  "                               [backend HOST:PORT] [tls 1.2|1.3] [tls13 on|off]\n" \
		  "                               [alpn LIST] [chain FILE]\n" \
		  "                               [clientcert off|request|require] [ca FILE] [crl FILE]\n" \
		  "                               [resume on|off] [closenotify on|off|default]\n" \
		  "                               [engine openssl|mbedtls|default] [maxconns N|none]\n" \
		  "                               [proxy v2|off]\n"

static int binding_set(int argc, char **argv)
{
	char cert[PATH_MAX], key[PATH_MAX], store[PATH_MAX], err[256];
	struct sockaddr_storage backend;
	struct ctl_bind bind;
	struct ctl_policy pol;
	struct find_state f = { .name = bind.name, .pol = &pol };
	struct ctl_words w = { .line0 = 0 };
	const char *const *v = w.v;
	struct khttps_nl nl;
	struct nl_msg *msg;
	bool policy;
	int e, i;

	if (argc < 4) {
		fputs(USAGE_SET, stderr);
		return 2;
	}
	if (ctl_spec_parse(argv[1], &bind, 0) ||
	    ctl_words_parse(argc - 2, argv + 2, NULL, &w, USAGE_SET))
		return 2;
	if (v[W_QUEUE] || v[W_USER] || v[W_GROUP]) {
		ctl_err(0, "a binding's queue cannot change: delete and add it");
		return 2;
	}
	if (!!v[W_CERT] != !!v[W_KEY]) {
		ctl_err(0, "a certificate changes with its key");
		fputs(USAGE_SET, stderr);
		return 2;
	}
	if ((v[W_CERT] && ctl_abs_path(&w, W_CERT, cert)) ||
	    (v[W_KEY] && ctl_abs_path(&w, W_KEY, key)) ||
	    (v[W_STORE] && ctl_abs_path(&w, W_STORE, store)))
		return 1;
	if (v[W_BACKEND] && khttps_addr_resolve(v[W_BACKEND], &backend, err, sizeof(err))) {
		ctl_err(0, "backend %s", err);
		return 2;
	}
	policy = false;
	for (i = W_TLS; i < W__MAX; i++)
		policy |= !!v[i];

	if (khttps_nl_open(&nl)) {
		ctl_err(0, "%s", nl.err);
		return 1;
	}
	e = 0;
	if (policy) {
		/* The kernel replaces the whole policy: start from the binding's own. */
		memset(&pol, 0, sizeof(pol));
		msg = khttps_nl_dump_msg(&nl, KHTTPS_CMD_BINDING_GET);
		e = msg ? khttps_nl_request(&nl, msg, find_one, &f) : -ENOMEM;
		if (!e && !f.found) {
			ctl_err(0, "binding set %s: no binding matches", argv[1]);
			khttps_nl_close(&nl);
			return 1;
		}
		if (!e && ctl_policy_words(&w, &pol)) {
			khttps_nl_close(&nl);
			return 2;
		}
	}
	msg = e ? NULL : khttps_nl_msg(&nl, KHTTPS_CMD_BINDING_SET);
	if (!e && (!msg || ctl_bind_put_key(msg, &bind) ||
		   (v[W_CERT] && (nla_put_string(msg, KHTTPS_A_CERT, cert) ||
				  nla_put_string(msg, KHTTPS_A_KEY, key))) ||
		   (v[W_STORE] && nla_put_string(msg, KHTTPS_A_STORE, store)) ||
		   (v[W_BACKEND] && khttps_nl_put_addr(msg, KHTTPS_A_BACKEND, &backend)) ||
		   (policy && ctl_policy_put(msg, &pol)))) {
		nlmsg_free(msg);
		e = -ENOMEM;
	} else if (!e) {
		e = khttps_nl_request(&nl, msg, NULL, NULL);
	}
	if (e)
		ctl_err(0, "binding set %s: %s", argv[1], e == -ENOMEM ? "out of memory" : nl.err);
	else
		warn_no_daemon(&nl, argv[1]);
	khttps_nl_close(&nl);
	return e ? 1 : 0;
}

static int binding_del(int argc, char **argv)
{
	struct ctl_bind bind;
	struct khttps_nl nl;
	struct nl_msg *msg;
	int e;

	if (argc != 2) {
		fputs("usage: khttpsctl binding del {ADDR:PORT | HOSTNAME:PORT | ccs:PORT}\n", stderr);
		return 2;
	}
	if (ctl_spec_parse(argv[1], &bind, 0))
		return 2;
	if (khttps_nl_open(&nl)) {
		ctl_err(0, "%s", nl.err);
		return 1;
	}
	msg = khttps_nl_msg(&nl, KHTTPS_CMD_BINDING_DEL);
	if (!msg || ctl_bind_put_key(msg, &bind)) {
		nlmsg_free(msg);
		khttps_nl_close(&nl);
		return 1;
	}
	e = khttps_nl_request(&nl, msg, NULL, NULL);
	if (e)
		ctl_err(0, "binding del %s: %s", argv[1], nl.err);
	khttps_nl_close(&nl);
	return e ? 1 : 0;
}

struct show_state {
	const struct ctl_opts *o;
	int n;
};

static int show_one(struct nlattr **tb, void *arg)
{
	static const char *const kinds[] = { "address", "host", "ccs" };
	struct show_state *st = arg;
	char backend[KHTTPS_ADDRSTRLEN], words[PATH_MAX + 300];
	uint64_t stats[__KHTTPS_STAT_MAX] = { 0 };
	const struct ctl_policy *pol;
	struct ctl_bind *b = malloc(sizeof(*b));
	const char *queue;

	if (!b)
		return -ENOMEM;
	ctl_bind_from_nl(tb, b);
	pol = &b->pol;
	queue = b->queue[0] ? b->queue : NULL;
	ctl_read_stats(tb[KHTTPS_A_STATS], stats);
	ctl_policy_format(pol, words, sizeof(words));
	khttps_addr_format(&b->backend, backend, sizeof(backend));
	if (st->o->json) {
		printf("%s{\"bind\":", st->n ? "," : "");
		khttps_json_string(stdout, b->name);
		printf(",\"kind\":\"%s\"", kinds[b->kind <= KHTTPS_BIND_CCS ? b->kind : 0]);
		printf(",\"mode\":\"%s\",\"%s\":", queue ? "queue" : "forward",
		       queue ? "queue" : "backend");
		khttps_json_string(stdout, queue ? queue : backend);
		if (b->has_uid)
			printf(",\"user\":%u", b->uid);
		if (b->has_gid)
			printf(",\"group\":%u", b->gid);
		if (b->store[0]) {
			printf(",\"store\":");
			khttps_json_string(stdout, b->store);
		} else {
			printf(",\"cert\":");
			khttps_json_string(stdout, b->cert);
			printf(",\"key\":");
			khttps_json_string(stdout, b->key);
		}
		printf(",\"tls\":\"%s\",\"tls13\":%s,\"alpn\":",
		       pol->min == TLS_1_3_VERSION ? "1.3" : "1.2",
		       pol->max == TLS_1_2_VERSION ? "false" : "true");
		khttps_json_string(stdout, pol->alpn[0] ? pol->alpn : "http/1.1");
		if (pol->chain[0]) {
			printf(",\"chain\":");
			khttps_json_string(stdout, pol->chain);
		}
		printf(",\"clientcert\":\"%s\",\"resume\":%s,\"engine\":\"%s\"",
		       ctl_policy_client_cert_word(pol->clientcert),
		       pol->no_resume ? "false" : "true", ctl_policy_engine_word(pol->engine));
		if (tb[KHTTPS_A_CLOSE_NOTIFY])
			printf(",\"closenotify\":%s", nla_get_u8(tb[KHTTPS_A_CLOSE_NOTIFY]) ?
			       "true" : "false");
		if (pol->ca[0]) {
			printf(",\"ca\":");
			khttps_json_string(stdout, pol->ca);
		}
		if (pol->crl[0]) {
			printf(",\"crl\":");
			khttps_json_string(stdout, pol->crl);
		}
		if (pol->max_conns)
			printf(",\"maxconns\":%u", pol->max_conns);
		if (!queue)
			printf(",\"proxy\":\"%s\"", pol->proxy == KHTTPS_PROXY_V2 ? "v2" : "off");
		printf(",\"stats\":");
		ctl_print_stats_json(stats, -1);
		putchar('}');
	} else {
		if (!st->n)
			printf("%-24s %-8s %-24s %9s %7s %8s  %s\n", "BINDING", "MODE", "TARGET",
			       "ACCEPTED", "ACTIVE", "HS_OK", "CERT or STORE");
		printf("%-24s %-8s %-24s %9llu %7llu %8llu  %s\n", b->name,
		       queue ? "queue" : "forward", queue ? queue : backend,
		       (unsigned long long)stats[KHTTPS_STAT_ACCEPTED],
		       (unsigned long long)stats[KHTTPS_STAT_ACTIVE],
		       (unsigned long long)stats[KHTTPS_STAT_HS_OK],
		       b->store[0] ? b->store : b->cert);
		if (words[0])
			printf("%-24s %s\n", "", words);
	}
	st->n++;
	free(b);
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
		ctl_err(0, "%s", nl.err);
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
		ctl_err(0, "binding show: %s", nl.err);
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
	if (argc >= 2 && !strcmp(argv[1], "set"))
		return binding_set(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "show"))
		return binding_show(argc - 1, argv + 1, &local);
	fputs("usage: khttpsctl binding {add|set|del|show} ...\n", stderr);
	return 2;
}
