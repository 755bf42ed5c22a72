// SPDX-License-Identifier: GPL-2.0
/* khttpsctl stats: the namespace's counters. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "json.h"
#include "nl.h"

/**
 * ctl_read_stats() - read a %KHTTPS_A_STATS nest
 * @nest: the nest, or NULL (all zero then)
 * @out: indexed by &enum khttps_stat
 */
void ctl_read_stats(struct nlattr *nest, uint64_t out[__KHTTPS_STAT_MAX])
{
	struct nlattr *a;
	int rem;

	memset(out, 0, sizeof(uint64_t) * __KHTTPS_STAT_MAX);
	if (!nest)
		return;
	nla_for_each_nested(a, nest, rem)
		if (nla_type(a) > 0 && nla_type(a) < __KHTTPS_STAT_MAX && nla_len(a) == 8)
			out[nla_type(a)] = nla_get_u64(a);
}

/**
 * ctl_print_stats_json() - the counters as one JSON object with stable keys
 * @st: indexed by &enum khttps_stat
 * @daemon: with a "daemon" key when 0 or 1; none when negative
 */
void ctl_print_stats_json(const uint64_t st[__KHTTPS_STAT_MAX], int daemon)
{
	const char *sep = "";
	int i;

	putchar('{');
	if (daemon >= 0) {
		printf("\"daemon\":%s", daemon ? "true" : "false");
		sep = ",";
	}
	for (i = 1; i < __KHTTPS_STAT_MAX; i++) {
		if (!khttps_stat_name(i))
			continue;
		printf("%s\"%s\":%llu", sep, khttps_stat_name(i), (unsigned long long)st[i]);
		sep = ",";
	}
	putchar('}');
}

struct stats_reply {
	uint64_t st[__KHTTPS_STAT_MAX];
	int daemon;	/* -1: the module did not say */
};

static int parse_stats(struct nlattr **tb, void *arg)
{
	struct stats_reply *r = arg;

	ctl_read_stats(tb[KHTTPS_A_STATS], r->st);
	r->daemon = tb[KHTTPS_A_DAEMON] ? nla_get_u8(tb[KHTTPS_A_DAEMON]) : -1;
	return 0;
}

/**
 * ctl_daemon_running() - whether a khttpsd listens for handshakes here
 * @nl: an open connection to the family
 *
 * Return: 1 or 0; -1 when the module cannot be asked (nl->err says why).
 */
int ctl_daemon_running(struct khttps_nl *nl)
{
	struct stats_reply r;
	struct nl_msg *msg;

	msg = khttps_nl_msg(nl, KHTTPS_CMD_STATS_GET);
	if (!msg || khttps_nl_request(nl, msg, parse_stats, &r))
		return -1;
	return r.daemon;
}

/* Counters that go up and down; the rest only go up. */
static bool is_gauge(int i)
{
	return i == KHTTPS_STAT_ACTIVE || i == KHTTPS_STAT_PENDING || i == KHTTPS_STAT_QUEUED;
}

static const char *const prom_help[__KHTTPS_STAT_MAX] = {
	[KHTTPS_STAT_ACCEPTED] = "TCP connections accepted",
	[KHTTPS_STAT_ACTIVE] = "Connections open now",
	[KHTTPS_STAT_PENDING] = "Connections waiting for or in a handshake now",
	[KHTTPS_STAT_HS_OK] = "Handshakes completed, keys installed (resumed ones included)",
	[KHTTPS_STAT_HS_FAILED] = "Handshakes that failed (all reasons)",
	[KHTTPS_STAT_HS_TIMEOUT] = "Handshakes not done within handshake_timeout_ms",
	[KHTTPS_STAT_REFUSED_PENDING] = "Connections refused: max_pending_handshakes reached",
	[KHTTPS_STAT_REFUSED_CONNS] = "Connections refused: max_connections reached",
	[KHTTPS_STAT_WORKER_LOST] = "Handshakes failed because their khttpsd worker went away",
	[KHTTPS_STAT_INSTALL_FAILED] = "Handshakes whose keys the kernel refused or could not install",
	[KHTTPS_STAT_CLIENT_GONE] = "Clients that closed before their keys were installed",
	[KHTTPS_STAT_BYTES_IN] = "Plaintext bytes from clients",
	[KHTTPS_STAT_BYTES_OUT] = "Plaintext bytes to clients",
	[KHTTPS_STAT_CLOSE_NOTIFY_IN] = "close_notify alerts received",
	[KHTTPS_STAT_CLOSE_NOTIFY_OUT] = "close_notify alerts sent",
	[KHTTPS_STAT_ALERTS_IN] = "Other alerts received",
	[KHTTPS_STAT_ALERTS_OUT] = "Fatal alerts sent",
	[KHTTPS_STAT_BAD_RECORDS] = "Records that failed to decrypt or parse",
	[KHTTPS_STAT_KEY_UPDATES] = "TLS 1.3 KeyUpdates received",
	[KHTTPS_STAT_RENEGOTIATIONS] = "TLS 1.2 renegotiation attempts refused",
	[KHTTPS_STAT_TRUNCATED] = "Clients that closed TCP without close_notify",
	[KHTTPS_STAT_BACKEND_ERRORS] = "Forward mode: backend connects refused, resets, errors",
	[KHTTPS_STAT_RESETS] = "Established connections reset by the client",
	[KHTTPS_STAT_QUEUE_FULL] = "Queue mode: connections refused because the queue was full",
	[KHTTPS_STAT_QUEUED] = "Queue mode: connections waiting for an application now",
	[KHTTPS_STAT_APP_ACCEPTED] = "Queue mode: connections taken by applications",
	[KHTTPS_STAT_RECORDS_IN] = "TLS records decrypted",
	[KHTTPS_STAT_RECORDS_OUT] = "TLS records encrypted",
	[KHTTPS_STAT_HS_FAILED_TLS] = "Handshakes failed: TLS (no shared version or cipher, bad message)",
	[KHTTPS_STAT_HS_FAILED_CERT] = "Handshakes failed: the binding's certificate or key unusable",
	[KHTTPS_STAT_HS_FAILED_INTERNAL] = "Handshakes failed: internal error in khttpsd",
	[KHTTPS_STAT_HS_FAILED_CLOSED] = "Handshakes failed: the client closed",
	[KHTTPS_STAT_UNRECOGNIZED_NAME] = "Handshakes failed: no binding for the SNI name",
	[KHTTPS_STAT_HS_FAILED_CLIENT_CERT] = "Handshakes failed: client certificate missing, untrusted, expired or revoked",
	[KHTTPS_STAT_HS_RESUMED] = "Resumed handshakes",
	[KHTTPS_STAT_SESSIONS_CLEAN] = "Connections that ended cleanly under the close_notify policy",
	[KHTTPS_STAT_SESSIONS_UNCLEAN] = "Connections that ended without close_notify under the policy",
	[KHTTPS_STAT_SESSIONS_REFUSED] = "Resumptions refused under the close_notify policy",
	[KHTTPS_STAT_IDLE_TIMEOUTS] = "Connections closed after idle_timeout_ms without data, or untaken in a queue",
	[KHTTPS_STAT_REFUSED_SOURCE] = "Connections refused: their source address had max_conns_per_source open",
};

/* One binding's counters, for the Prometheus view. */
struct prom_binding {
	char name[300];
	uint64_t st[__KHTTPS_STAT_MAX];
};

struct prom_dump {
	struct prom_binding *b;
	int n;
};

static int prom_one(struct nlattr **tb, void *arg)
{
	struct prom_dump *d = arg;
	struct prom_binding *nb = realloc(d->b, sizeof(*nb) * (size_t)(d->n + 1));
	struct ctl_bind *b = malloc(sizeof(*b));

	if (nb)
		d->b = nb;
	if (!nb || !b) {
		free(b);
		return -ENOMEM;
	}
	ctl_bind_from_nl(tb, b);
	snprintf(d->b[d->n].name, sizeof(d->b[d->n].name), "%s", b->name);
	ctl_read_stats(tb[KHTTPS_A_STATS], d->b[d->n].st);
	d->n++;
	free(b);
	return 0;
}

/* A label value: backslash, double quote and newline escaped. */
static void prom_label(const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			putchar('\\');
		if (*s == '\n')
			fputs("\\n", stdout);
		else
			putchar(*s);
	}
}

/*
 * The Prometheus text format (version 0.0.4), for node_exporter's textfile
 * collector: khttps_NAME_total for counters and khttps_NAME for gauges,
 * the namespace's total without labels and each binding's with
 * binding="NAME".
 */
static void print_prometheus(const struct stats_reply *r, const struct prom_dump *d)
{
	const char *name;
	int i, j;

	printf("# HELP khttps_daemon_running Whether a khttpsd serves handshakes in this network namespace\n"
	       "# TYPE khttps_daemon_running gauge\nkhttps_daemon_running %d\n",
	       r->daemon > 0);
	for (i = 1; i < __KHTTPS_STAT_MAX; i++) {
		name = khttps_stat_name(i);
		if (!name)
			continue;
		printf("# HELP khttps_%s%s %s\n# TYPE khttps_%s%s %s\n", name,
		       is_gauge(i) ? "" : "_total", prom_help[i] ? prom_help[i] : name, name,
		       is_gauge(i) ? "" : "_total", is_gauge(i) ? "gauge" : "counter");
		printf("khttps_%s%s %llu\n", name, is_gauge(i) ? "" : "_total",
		       (unsigned long long)r->st[i]);
		for (j = 0; j < d->n; j++) {
			printf("khttps_%s%s{binding=\"", name, is_gauge(i) ? "" : "_total");
			prom_label(d->b[j].name);
			printf("\"} %llu\n", (unsigned long long)d->b[j].st[i]);
		}
	}
}

#define USAGE_STATS "usage: khttpsctl [--json] stats [--json | --prometheus]\n"

int ctl_stats(int argc, char **argv, const struct ctl_opts *o)
{
	struct prom_dump d = { 0 };
	struct stats_reply r;
	bool json = o->json, prom = false;
	struct khttps_nl nl;
	struct nl_msg *msg;
	int e, i;

	if (argc == 2 && !strcmp(argv[1], "--json")) {
		json = true;
	} else if (argc == 2 && !strcmp(argv[1], "--prometheus")) {
		prom = true;
	} else if (argc != 1) {
		fputs(USAGE_STATS, stderr);
		return 2;
	}
	if (khttps_nl_open(&nl)) {
		fprintf(stderr, "khttpsctl: %s\n", nl.err);
		return 1;
	}
	msg = khttps_nl_msg(&nl, KHTTPS_CMD_STATS_GET);
	e = msg ? khttps_nl_request(&nl, msg, parse_stats, &r) : -1;
	if (!e && prom) {
		msg = khttps_nl_dump_msg(&nl, KHTTPS_CMD_BINDING_GET);
		e = msg ? khttps_nl_request(&nl, msg, prom_one, &d) : -1;
	}
	if (e) {
		fprintf(stderr, "khttpsctl: stats: %s\n", nl.err[0] ? nl.err : "out of memory");
	} else if (prom) {
		print_prometheus(&r, &d);
	} else if (json) {
		ctl_print_stats_json(r.st, r.daemon);
		putchar('\n');
	} else {
		if (r.daemon >= 0)
			printf("%-26s %s\n", "daemon", r.daemon ? "running" : "not running");
		for (i = 1; i < __KHTTPS_STAT_MAX; i++)
			if (khttps_stat_name(i))
				printf("%-26s %llu\n", khttps_stat_name(i),
				       (unsigned long long)r.st[i]);
	}
	free(d.b);
	khttps_nl_close(&nl);
	if (!e && (fflush(stdout) || ferror(stdout))) {
		fprintf(stderr, "khttpsctl: stats: cannot write: %s\n", strerror(errno));
		return 1;
	}
	return e ? 1 : 0;
}
