/* SPDX-License-Identifier: GPL-2.0 */
/* khttpsctl: one file per subcommand, dispatched from main.c. */
#ifndef KHTTPSCTL_H
#define KHTTPSCTL_H

#include <stdbool.h>

struct ctl_opts {
	bool json;
};

/* Each subcommand gets its own words (argv[0] is the subcommand's name). */
int ctl_version(int argc, char **argv, const struct ctl_opts *o);

#endif /* KHTTPSCTL_H */
