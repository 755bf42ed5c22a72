/* SPDX-License-Identifier: GPL-2.0 */
/* khttpsctl: one file per subcommand, dispatched from main.c. */
#ifndef KHTTPSCTL_H
#define KHTTPSCTL_H

#include <stdbool.h>
#include <stdint.h>
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

/* stats.c */
void ctl_read_stats(struct nlattr *nest, uint64_t out[__KHTTPS_STAT_MAX]);
void ctl_print_stats_json(const uint64_t st[__KHTTPS_STAT_MAX], int daemon);
int ctl_daemon_running(struct khttps_nl *nl);

#endif /* KHTTPSCTL_H */
