// SPDX-License-Identifier: GPL-2.0
/*
 * khttpsctl monitor: the error log as it happens, one line per refused or
 * failed connection (events.c has the format), or one JSON object a line.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "events.h"

struct monitor_state {
	bool json;
	unsigned long left;	/* events still wanted; 0: no end */
	uint64_t lost;
};

static int print_event(const struct khttps_event *ev, void *arg)
{
	struct monitor_state *m = arg;
	char line[1024];

	if (!ev)
		return 0;
	if (m->json) {
		khttps_event_json(stdout, ev);
		putchar('\n');
	} else {
		khttps_event_line(ev, line, sizeof(line));
		puts(line);
	}
	/* A reader at the end of a pipe sees each event when it happens. */
	if (fflush(stdout))
		return -EIO;
	return m->left && !--m->left ? 1 : 0;
}

#define USAGE_MONITOR "usage: khttpsctl [--json] monitor [--json] [-n COUNT]\n"

int ctl_monitor(int argc, char **argv, const struct ctl_opts *o)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "count", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct monitor_state m = { .json = o->json };
	struct khttps_nl nl;
	char *end;
	int c, e;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+jn:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			m.json = true;
			break;
		case 'n':
			errno = 0;
			m.left = strtoul(optarg, &end, 10);
			if (errno || *end || !m.left) {
				fprintf(stderr, "khttpsctl: monitor: -n takes a count above 0\n");
				return 2;
			}
			break;
		case 'h':
			fputs(USAGE_MONITOR, stdout);
			return 0;
		default:
			fputs(USAGE_MONITOR, stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fputs(USAGE_MONITOR, stderr);
		return 2;
	}
	if (khttps_nl_open(&nl)) {
		fprintf(stderr, "khttpsctl: %s\n", nl.err);
		return 1;
	}
	e = khttps_nl_events(&nl, print_event, &m, &m.lost);
	if (e < 0)
		fprintf(stderr, "khttpsctl: monitor: %s\n", nl.err[0] ? nl.err : strerror(-e));
	if (m.lost)
		fprintf(stderr, "khttpsctl: monitor: events were lost %llu time(s): "
			"this reader was too slow\n", (unsigned long long)m.lost);
	khttps_nl_close(&nl);
	return e < 0 ? 1 : 0;
}
