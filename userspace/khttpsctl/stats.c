// SPDX-License-Identifier: GPL-2.0
/* khttpsctl stats: the namespace's counters. */
#include <stdio.h>
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

int ctl_stats(int argc, char **argv, const struct ctl_opts *o)
{
	struct stats_reply r;
	bool json = o->json;
	struct khttps_nl nl;
	struct nl_msg *msg;
	int e, i;

	if (argc == 2 && !strcmp(argv[1], "--json"))
		json = true;
	else if (argc != 1) {
		fputs("usage: khttpsctl [--json] stats\n", stderr);
		return 2;
	}
	if (khttps_nl_open(&nl)) {
		fprintf(stderr, "khttpsctl: %s\n", nl.err);
		return 1;
	}
	msg = khttps_nl_msg(&nl, KHTTPS_CMD_STATS_GET);
	e = msg ? khttps_nl_request(&nl, msg, parse_stats, &r) : -1;
	if (e) {
		fprintf(stderr, "khttpsctl: stats: %s\n", nl.err);
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
	khttps_nl_close(&nl);
	return e ? 1 : 0;
}
