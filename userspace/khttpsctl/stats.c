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
 */
void ctl_print_stats_json(const uint64_t st[__KHTTPS_STAT_MAX])
{
	const char *sep = "";
	int i;

	putchar('{');
	for (i = 1; i < __KHTTPS_STAT_MAX; i++) {
		if (!khttps_stat_name(i))
			continue;
		printf("%s\"%s\":%llu", sep, khttps_stat_name(i), (unsigned long long)st[i]);
		sep = ",";
	}
	putchar('}');
}

static int parse_stats(struct nlattr **tb, void *arg)
{
	ctl_read_stats(tb[KHTTPS_A_STATS], arg);
	return 0;
}

int ctl_stats(int argc, char **argv, const struct ctl_opts *o)
{
	uint64_t st[__KHTTPS_STAT_MAX];
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
	e = msg ? khttps_nl_request(&nl, msg, parse_stats, st) : -1;
	if (e) {
		fprintf(stderr, "khttpsctl: stats: %s\n", nl.err);
	} else if (json) {
		ctl_print_stats_json(st);
		putchar('\n');
	} else {
		for (i = 1; i < __KHTTPS_STAT_MAX; i++)
			if (khttps_stat_name(i))
				printf("%-22s %llu\n", khttps_stat_name(i), (unsigned long long)st[i]);
	}
	khttps_nl_close(&nl);
	return e ? 1 : 0;
}
